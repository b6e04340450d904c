"""What the scheduler remembers across service restarts, in history.sqlite3.

Per export: whether its schedule is paused (the app's Schedule screen pauses and resumes it;
the service's scheduler honours it at its next wake-up), when the scheduler last looked at it
(cron times after that, up to the service's next start, were missed), and the snapshot of its
segments that its last on-refresh run was started for. Missed schedule times are kept as
:class:`MissedRun` rows, each saying what was done about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cc_tui.store.history import HistoryStore

__all__ = ["MissedAction", "MissedRun", "ScheduleState", "SnapshotRun"]


class MissedAction(StrEnum):
    """What the service did about schedule times it was down for."""

    RAN_ONCE = "ran once"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class MissedRun:
    """Schedule times of one export that passed while the service was down."""

    export: str
    schedule: str
    first_missed: datetime
    missed: int
    """How many times the schedule fired while the service was down."""
    noticed_at: datetime
    action: MissedAction


@dataclass(frozen=True, slots=True)
class SnapshotRun:
    """The snapshot an on-refresh export's last run was started for."""

    identity: str
    run_at: datetime


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


class ScheduleState:
    """Pause flags, last looks, refresh snapshots and missed runs of every export."""

    def __init__(self, db: HistoryStore) -> None:
        self._db = db

    def _ensure(self, export: str) -> None:
        with self._db.transaction() as db:
            db.execute("INSERT OR IGNORE INTO schedule_state (export) VALUES (?)", (export,))

    # -- pause ------------------------------------------------------------------------------

    def paused(self) -> set[str]:
        """Names of the exports whose schedule (cron and refresh) is paused."""
        rows = self._db.query("SELECT export FROM schedule_state WHERE paused = 1")
        return {row["export"] for row in rows}

    def set_paused(self, export: str, paused: bool) -> None:
        """Pause or resume ``export``'s schedule; a run going now is not touched."""
        self._ensure(export)
        with self._db.transaction() as db:
            db.execute(
                "UPDATE schedule_state SET paused = ? WHERE export = ?", (int(paused), export)
            )

    # -- last look (for missed times) -------------------------------------------------------

    def seen_at(self) -> dict[str, datetime]:
        """When the scheduler last looked at each export's schedule."""
        rows = self._db.query(
            "SELECT export, seen_at FROM schedule_state WHERE seen_at IS NOT NULL"
        )
        return {row["export"]: _when(row["seen_at"]) for row in rows}

    def mark_seen(self, exports: list[str], at: datetime) -> None:
        """The scheduler looked at these exports' schedules at ``at``."""
        with self._db.transaction() as db:
            for export in exports:
                db.execute(
                    "INSERT INTO schedule_state (export, seen_at) VALUES (?, ?) "
                    "ON CONFLICT (export) DO UPDATE SET seen_at = excluded.seen_at",
                    (export, at.isoformat()),
                )

    def record_missed(self, missed: MissedRun) -> None:
        """Keep a missed-times row (shown in the app)."""
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO missed_runs "
                "(export, schedule, first_missed, missed, noticed_at, action) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    missed.export,
                    missed.schedule,
                    missed.first_missed.isoformat(),
                    missed.missed,
                    missed.noticed_at.isoformat(),
                    missed.action.value,
                ),
            )

    def missed_runs(self, *, limit: int = 100) -> list[MissedRun]:
        """Missed-times rows, newest first."""
        rows = self._db.query("SELECT * FROM missed_runs ORDER BY id DESC LIMIT ?", (limit,))
        return [
            MissedRun(
                export=row["export"],
                schedule=row["schedule"],
                first_missed=_when(row["first_missed"]),
                missed=int(row["missed"]),
                noticed_at=_when(row["noticed_at"]),
                action=MissedAction(row["action"]),
            )
            for row in rows
        ]

    # -- refresh snapshots ------------------------------------------------------------------

    def snapshot_runs(self) -> dict[str, SnapshotRun]:
        """Per on-refresh export, the snapshot its last run was started for."""
        rows = self._db.query(
            "SELECT export, snapshot, snapshot_run_at FROM schedule_state "
            "WHERE snapshot IS NOT NULL"
        )
        return {
            row["export"]: SnapshotRun(row["snapshot"], _when(row["snapshot_run_at"]))
            for row in rows
        }

    def claim_snapshot(self, export: str, identity: str, at: datetime) -> bool:
        """Remember that ``identity`` is being run now; False when it already was (no run).

        Compare-and-set in one transaction, so two looks at one snapshot never both win.
        """
        self._ensure(export)
        with self._db.transaction() as db:
            row = db.execute(
                "SELECT snapshot FROM schedule_state WHERE export = ?", (export,)
            ).fetchone()
            if row is not None and row["snapshot"] == identity:
                return False
            db.execute(
                "UPDATE schedule_state SET snapshot = ?, snapshot_run_at = ? WHERE export = ?",
                (identity, at.isoformat(), export),
            )
        return True
