"""Runs, their batch checkpoints and the import activities each batch owns, in history.sqlite3.

Each call is one transaction: a batch's state is on disk before the runner takes the next step,
which is what makes a run killed at any moment resumable. An import activity belongs to at most
one batch of any run (``batch_activities`` is keyed by activity id), and a claim checks that and
writes the batch in the same transaction, so two processes never claim the same activity.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.models.reasons import REJECT_REASONS
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.history import HistoryStore
from cc_tui.store.verifications import verification_of
from cc_tui.units import utc_now_iso

__all__ = ["ActivityRole", "LostUpload", "RunHistory"]

_COUNTERS = (
    "rows_read",
    "sent",
    "confirmed",
    "failed",
    "unsubscribed",
    "truncated",
    "batches",
    "requests",
    "retries",
    "throttled",
    "bytes_sent",
    "posted",
)


class ActivityRole(StrEnum):
    """How an import activity came to be recorded against a batch."""

    ANSWERED = "answered"
    """The import request's own answer named it."""
    CLAIMED = "claimed"
    """The answer was lost; it was found among the account's recent activities."""
    DUPLICATE = "duplicate"
    """Found beside the claimed one: an earlier lost request of the same batch that did arrive."""
    DISPUTED = "disputed"
    """Found where more than one batch in doubt could own it: nobody may claim it."""


# Roles that make an activity part of a batch (its ``activity_ids``).
_OWNED = (ActivityRole.ANSWERED.value, ActivityRole.CLAIMED.value, ActivityRole.DUPLICATE.value)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class LostUpload:
    """An upload of a batch that was given up on: its answer was lost and its import was not
    found in time, so the batch was sent again (see :meth:`RunHistory.give_up`)."""

    run_id: str
    seq: int
    sent_at: datetime
    given_up_at: datetime


class RunHistory:
    """Reads and writes the ``runs`` and ``batches`` tables."""

    def __init__(self, db: HistoryStore) -> None:
        self._db = db

    def create(
        self,
        run: RunRecord,
        *,
        inputs: Mapping[str, Any],
        plan: Mapping[str, Any],
        abandoned: RunRecord | None = None,
    ) -> None:
        """Record a new run with the fingerprint of its inputs (checked before resuming).

        ``abandoned``: the record of the unfinished run it starts over from (``--restart``),
        saved in the same transaction, so a process killed in between never leaves both
        runs unfinished.
        """
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO runs (run_id, export, connection, status, dry_run, os_user, "
                "started_at, updated_at, inputs, plan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.export,
                    run.connection,
                    run.status.value,
                    int(run.dry_run),
                    run.os_user,
                    run.started_at.isoformat(),
                    utc_now_iso(),
                    json.dumps(dict(inputs), sort_keys=True),
                    json.dumps(dict(plan)),
                ),
            )
            _update_run(db, run)
            if abandoned is not None:
                _update_run(db, abandoned)

    def update(self, run: RunRecord) -> None:
        """Store the run's status, counters, error and timestamps."""
        with self._db.transaction() as db:
            _update_run(db, run)

    def mark_unseen(self, run_id: str) -> None:
        """The run ended while its summary was not on screen: keep it marked until shown."""
        with self._db.transaction() as db:
            db.execute("UPDATE runs SET unseen = 1 WHERE run_id = ?", (run_id,))

    def mark_seen(self, run_id: str) -> bool:
        """Its summary was shown; True when the run was marked until now."""
        with self._db.transaction() as db:
            cursor = db.execute(
                "UPDATE runs SET unseen = 0 WHERE run_id = ? AND unseen = 1", (run_id,)
            )
            return cursor.rowcount > 0

    def get(self, run_id: str) -> RunRecord | None:
        """One run, or None."""
        rows = self._db.query("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        return _run(rows[0]) if rows else None

    def inputs(self, run_id: str) -> dict[str, Any]:
        """The input fingerprint recorded when the run began."""
        rows = self._db.query("SELECT inputs FROM runs WHERE run_id = ?", (run_id,))
        return dict(json.loads(rows[0]["inputs"])) if rows else {}

    def last_real_runs(self) -> dict[str, RunRecord]:
        """The newest run of each export that is not a preview: an export's "last run"."""
        rows = self._db.query(
            "SELECT * FROM runs WHERE dry_run = 0 AND started_at = (SELECT MAX(started_at) "
            "FROM runs AS newer WHERE newer.export = runs.export AND newer.dry_run = 0)"
        )
        return {row["export"]: _run(row) for row in rows}

    def resumable(self, export: str) -> RunRecord | None:
        """The newest unfinished (interrupted, or killed while running) real run of ``export``."""
        rows = self._db.query(
            "SELECT * FROM runs WHERE export = ? AND dry_run = 0 AND status IN (?, ?) "
            "ORDER BY started_at DESC LIMIT 1",
            (export, RunStatus.RUNNING.value, RunStatus.INTERRUPTED.value),
        )
        return _run(rows[0]) if rows else None

    def runs(self, *, export: str | None = None, limit: int = 50) -> list[RunRecord]:
        """Newest runs first, optionally of one export."""
        where, params = ("WHERE export = ?", (export,)) if export else ("", ())
        rows = self._db.query(
            f"SELECT * FROM runs {where} ORDER BY started_at DESC LIMIT ?", (*params, limit)
        )
        return [_run(row) for row in rows]

    def batches(self, run_id: str) -> dict[int, BatchRecord]:
        """Every checkpointed batch of a run, by sequence number, with its activity ids."""
        rows = self._db.query("SELECT * FROM batches WHERE run_id = ? ORDER BY seq", (run_id,))
        owned = self._owned_activities("run_id = ?", (run_id,))
        return {row["seq"]: _batch(row, owned.get((run_id, row["seq"]), ())) for row in rows}

    def in_doubt(self, contacts: int) -> list[BatchRecord]:
        """Batches of any run whose import of ``contacts`` contacts went out unanswered."""
        rows = self._db.query(
            "SELECT * FROM batches WHERE state = ? AND contacts = ? ORDER BY run_id, seq",
            (BatchState.UPLOADING.value, contacts),
        )
        return [_batch(row, ()) for row in rows]

    def recorded_activities(self, activity_ids: Collection[str]) -> set[str]:
        """Which of ``activity_ids`` already belong to, or are disputed by, some batch."""
        wanted = list(dict.fromkeys(activity_ids))
        found: set[str] = set()
        # SQLite caps bound parameters; ask in slices.
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            part = wanted[start : start + _IDS_PER_QUERY]
            marks = ", ".join("?" * len(part))
            rows = self._db.query(
                f"SELECT activity_id FROM batch_activities WHERE activity_id IN ({marks})",
                tuple(part),
            )
            found.update(row["activity_id"] for row in rows)
        return found

    def answered_times(self, activity_ids: Collection[str]) -> dict[str, tuple[datetime, datetime]]:
        """When the requests that made ``activity_ids`` were sent and answered, by our clock.

        Only for activities their own request's answer named that are still their batch's
        (a batch sent again has new times): each was created between those two moments, so
        it tells how Constant Contact's clock stands against ours.
        """
        wanted = list(dict.fromkeys(activity_ids))
        found: dict[str, tuple[datetime, datetime]] = {}
        posted = (BatchState.POSTED.value, BatchState.CONFIRMED.value, BatchState.FAILED.value)
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            part = wanted[start : start + _IDS_PER_QUERY]
            marks = ", ".join("?" * len(part))
            rows = self._db.query(
                "SELECT a.activity_id, b.sent_at, b.posted_at FROM batch_activities a "
                "JOIN batches b ON b.run_id = a.run_id AND b.seq = a.seq "
                "WHERE a.role = ? AND b.activity_id = a.activity_id AND b.state IN (?, ?, ?) "
                "AND b.sent_at IS NOT NULL AND b.posted_at IS NOT NULL "
                f"AND a.activity_id IN ({marks})",
                (ActivityRole.ANSWERED.value, *posted, *part),
            )
            for row in rows:
                sent = datetime.fromisoformat(row["sent_at"])
                answered = datetime.fromisoformat(row["posted_at"])
                if sent <= answered:
                    found[row["activity_id"]] = (sent, answered)
        return found

    def save_batch(self, batch: BatchRecord) -> None:
        """Insert or replace one batch checkpoint (its activities are recorded separately)."""
        with self._db.transaction() as db:
            _write_batch(db, batch)

    def record_answer(self, batch: BatchRecord) -> None:
        """Save a batch whose import request was answered with ``batch.activity_id``."""
        assert batch.activity_id is not None  # an answered import names its activity
        with self._db.transaction() as db:
            _insert_activity(db, batch.activity_id, batch, ActivityRole.ANSWERED, ignore=True)
            _write_batch(db, batch)

    def claim(self, batch: BatchRecord, *, duplicates: Iterable[str] = ()) -> bool:
        """Save a batch that claims ``batch.activity_id``, found among recent activities.

        False (and nothing written) when a batch recorded that activity first. ``duplicates``
        are other activities found to hold the same batch; they are recorded as its too.
        """
        assert batch.activity_id is not None  # a claim names the activity claimed
        with self._db.transaction() as db:
            taken = db.execute(
                "SELECT 1 FROM batch_activities WHERE activity_id = ?", (batch.activity_id,)
            ).fetchone()
            if taken is not None:
                return False
            _insert_activity(db, batch.activity_id, batch, ActivityRole.CLAIMED, ignore=False)
            for activity_id in duplicates:
                _insert_activity(db, activity_id, batch, ActivityRole.DUPLICATE, ignore=True)
            _write_batch(db, batch)
        return True

    def give_up(
        self,
        lost: BatchRecord,
        again: BatchRecord,
        disputed: Iterable[str],
        *,
        given_up_at: datetime,
    ) -> None:
        """Record that ``lost``'s upload was not found in time; save ``again`` to send anew.

        The lost upload's send time is kept (:meth:`lost_uploads`): an import it made that
        shows up later belongs to this batch, never to another one. ``disputed`` activities are
        left to nobody. One transaction.
        """
        assert lost.sent_at is not None  # a batch in doubt went out at a known time
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO lost_uploads (run_id, seq, contacts, sent_at, given_up_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (lost.run_id, lost.seq, lost.contacts, _iso(lost.sent_at), _iso(given_up_at)),
            )
            for activity_id in disputed:
                _insert_activity(db, activity_id, lost, ActivityRole.DISPUTED, ignore=True)
            _write_batch(db, again)

    def lost_uploads(self, contacts: int, since: datetime) -> list[LostUpload]:
        """Uploads of ``contacts`` contacts given up on at or after ``since``."""
        rows = self._db.query(
            "SELECT run_id, seq, sent_at, given_up_at FROM lost_uploads "
            "WHERE contacts = ? AND given_up_at >= ? ORDER BY sent_at",
            (contacts, _iso(since)),
        )
        return [
            LostUpload(
                row["run_id"],
                row["seq"],
                datetime.fromisoformat(row["sent_at"]),
                datetime.fromisoformat(row["given_up_at"]),
            )
            for row in rows
        ]

    def dispute(self, batch: BatchRecord, activity_ids: Iterable[str]) -> None:
        """Mark activities that more than one batch in doubt could own: nobody claims them."""
        with self._db.transaction() as db:
            for activity_id in activity_ids:
                _insert_activity(db, activity_id, batch, ActivityRole.DISPUTED, ignore=True)

    def _owned_activities(
        self, where: str, params: tuple[Any, ...]
    ) -> dict[tuple[str, int], tuple[str, ...]]:
        marks = ", ".join("?" * len(_OWNED))
        rows = self._db.query(
            f"SELECT run_id, seq, activity_id FROM batch_activities WHERE {where} "
            f"AND role IN ({marks}) ORDER BY rowid",
            (*params, *_OWNED),
        )
        owned: dict[tuple[str, int], list[str]] = {}
        for row in rows:
            owned.setdefault((row["run_id"], row["seq"]), []).append(row["activity_id"])
        return {key: tuple(ids) for key, ids in owned.items()}


_IDS_PER_QUERY = 500


def _update_run(db: sqlite3.Connection, run: RunRecord) -> None:
    """Store the run's status, counters, error and timestamps (in the caller's transaction)."""
    columns = [*_COUNTERS, *REJECT_REASONS]
    values = [getattr(run, name) for name in _COUNTERS]
    values += [int(run.rejected.get(reason, 0)) for reason in REJECT_REASONS]
    assignments = ", ".join(f"{name} = ?" for name in columns)
    db.execute(
        f"UPDATE runs SET {assignments}, fields = ?, status = ?, attempts = ?, "
        "finished_at = ?, updated_at = ?, error = ?, rejected_rows_file = ?, "
        "batches_complete = ?, active_s = ?, attempt_started_at = ? "
        "WHERE run_id = ?",
        (
            *values,
            json.dumps(
                {name: dict(reasons) for name, reasons in run.fields.items()},
                sort_keys=True,
            ),
            run.status.value,
            run.attempts,
            _iso(run.finished_at),
            utc_now_iso(),
            run.error,
            run.rejected_rows_file,
            int(run.batches_complete),
            run.active_s,
            _iso(run.attempt_started_at),
            run.run_id,
        ),
    )


def _write_batch(db: sqlite3.Connection, batch: BatchRecord) -> None:
    db.execute(
        "INSERT OR REPLACE INTO batches (run_id, seq, state, contacts, bytes, digest, attempts, "
        "activity_id, activity_state, confirmed, failed, unsubscribed, errors, posted_at, "
        "finished_at, sent_at, uploads) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            batch.run_id,
            batch.seq,
            batch.state.value,
            batch.contacts,
            batch.bytes,
            batch.digest,
            batch.attempts,
            batch.activity_id,
            batch.activity_state,
            batch.confirmed,
            batch.failed,
            batch.unsubscribed,
            json.dumps(batch.errors),
            _iso(batch.posted_at),
            _iso(batch.finished_at),
            _iso(batch.sent_at),
            batch.uploads,
        ),
    )
    if batch.activity_id is not None and batch.activity_state is not None:
        db.execute(
            "UPDATE batch_activities SET last_state = ? WHERE activity_id = ?",
            (batch.activity_state, batch.activity_id),
        )


def _insert_activity(
    db: sqlite3.Connection,
    activity_id: str,
    batch: BatchRecord,
    role: ActivityRole,
    *,
    ignore: bool,
) -> None:
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    db.execute(
        f"{verb} INTO batch_activities (activity_id, run_id, seq, role, recorded_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (activity_id, batch.run_id, batch.seq, role.value, utc_now_iso()),
    )


def _run(row: sqlite3.Row) -> RunRecord:
    started = _when(row["started_at"])
    assert started is not None  # NOT NULL column
    return RunRecord(
        run_id=row["run_id"],
        export=row["export"],
        connection=row["connection"],
        status=RunStatus(row["status"]),
        dry_run=bool(row["dry_run"]),
        os_user=row["os_user"],
        started_at=started,
        finished_at=_when(row["finished_at"]),
        attempts=row["attempts"],
        rejected={reason: row[reason] for reason in REJECT_REASONS},
        fields=_field_counts(row["fields"]),
        error=row["error"],
        rejected_rows_file=row["rejected_rows_file"],
        unseen=bool(row["unseen"]),
        batches_complete=bool(row["batches_complete"]),
        active_s=row["active_s"],
        attempt_started_at=_when(row["attempt_started_at"]),
        updated_at=_when(row["updated_at"]),
        verification=verification_of(row["verification"]),
        **{name: row[name] for name in _COUNTERS},
    )


def _field_counts(text: str) -> dict[str, dict[str, int]]:
    """The ``fields`` column: counts per field and reason (ignoring anything malformed)."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(name): {str(r): int(n) for r, n in reasons.items() if isinstance(n, int)}
        for name, reasons in data.items()
        if isinstance(reasons, dict)
    }


def _batch(row: sqlite3.Row, activity_ids: tuple[str, ...]) -> BatchRecord:
    return BatchRecord(
        run_id=row["run_id"],
        seq=row["seq"],
        state=BatchState(row["state"]),
        contacts=row["contacts"],
        bytes=row["bytes"],
        digest=row["digest"],
        attempts=row["attempts"],
        activity_id=row["activity_id"],
        activity_state=row["activity_state"],
        confirmed=row["confirmed"],
        failed=row["failed"],
        unsubscribed=row["unsubscribed"],
        errors=tuple(json.loads(row["errors"])),
        posted_at=_when(row["posted_at"]),
        finished_at=_when(row["finished_at"]),
        sent_at=_when(row["sent_at"]),
        uploads=row["uploads"],
        activity_ids=activity_ids,
    )
