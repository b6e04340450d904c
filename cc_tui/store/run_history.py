"""Runs and their batch checkpoints in history.sqlite3.

Each call is one transaction: a batch's state is on disk before the runner takes the next step,
which is what makes a run killed at any moment resumable.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cc_tui.models import REJECT_REASONS, BatchRecord, BatchState, RunRecord, RunStatus
from cc_tui.store.history import HistoryStore, utc_now_iso

__all__ = ["RunHistory"]

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
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class RunHistory:
    """Reads and writes the ``runs`` and ``batches`` tables."""

    def __init__(self, db: HistoryStore) -> None:
        self._db = db

    def create(self, run: RunRecord, *, inputs: Mapping[str, Any], plan: Mapping[str, Any]) -> None:
        """Record a new run with the fingerprint of its inputs (checked before resuming)."""
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
        self.update(run)

    def update(self, run: RunRecord) -> None:
        """Store the run's status, counters, error and timestamps."""
        columns = [*_COUNTERS, *REJECT_REASONS]
        values = [getattr(run, name) for name in _COUNTERS]
        values += [int(run.rejected.get(reason, 0)) for reason in REJECT_REASONS]
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self._db.transaction() as db:
            db.execute(
                f"UPDATE runs SET {assignments}, fields = ?, status = ?, attempts = ?, "
                "finished_at = ?, updated_at = ?, error = ?, rejected_rows_file = ? "
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
                    run.run_id,
                ),
            )

    def get(self, run_id: str) -> RunRecord | None:
        """One run, or None."""
        rows = self._db.query("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        return _run(rows[0]) if rows else None

    def inputs(self, run_id: str) -> dict[str, Any]:
        """The input fingerprint recorded when the run began."""
        rows = self._db.query("SELECT inputs FROM runs WHERE run_id = ?", (run_id,))
        return dict(json.loads(rows[0]["inputs"])) if rows else {}

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
        """Every checkpointed batch of a run, by sequence number."""
        rows = self._db.query("SELECT * FROM batches WHERE run_id = ? ORDER BY seq", (run_id,))
        return {row["seq"]: _batch(row) for row in rows}

    def save_batch(self, batch: BatchRecord) -> None:
        """Insert or replace one batch checkpoint."""
        with self._db.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO batches (run_id, seq, state, contacts, bytes, digest, "
                "attempts, activity_id, activity_state, confirmed, failed, unsubscribed, errors, "
                "posted_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                ),
            )

    def delete_batches(self, run_id: str) -> None:
        """Forget a run's checkpoints (used when a restart supersedes it)."""
        with self._db.transaction() as db:
            db.execute("DELETE FROM batches WHERE run_id = ?", (run_id,))


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


def _batch(row: sqlite3.Row) -> BatchRecord:
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
    )
