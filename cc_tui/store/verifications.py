"""What checking a run needs and finds, in history.sqlite3 (the ``runs`` columns of version 7).

The membership counts of the run's lists when it began, the e-mails a check may sample (per
batch: a batch's contacts share its activity's counters), and the last check's result.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cc_tui.models.verification import Verification
from cc_tui.store.history import HistoryStore

__all__ = ["SpentRequests", "VerificationStore", "verification_of"]


@dataclass(frozen=True, slots=True)
class SpentRequests:
    """API requests one real run spent since a moment (:meth:`VerificationStore.spent_since`)."""

    run_id: str
    connection: str | None
    run: int
    """The run's own requests (0 when it was not at work since then)."""
    checks: int
    """Its list counts before it, and its last check when that was since then."""


def verification_of(text: str | None) -> Verification | None:
    """The ``verification`` column read back (None: never checked, or unreadable)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        return Verification.from_json(data) if isinstance(data, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


class VerificationStore:
    """Reads and writes a run's verification columns."""

    def __init__(self, db: HistoryStore) -> None:
        self._db = db

    def _column(self, run_id: str, column: str) -> object:
        rows = self._db.query(f"SELECT {column} FROM runs WHERE run_id = ?", (run_id,))
        if not rows or rows[0][column] is None:
            return None
        try:
            return json.loads(rows[0][column])
        except ValueError:
            return None

    def _write(self, run_id: str, column: str, value: object) -> None:
        with self._db.transaction() as db:
            db.execute(
                f"UPDATE runs SET {column} = ? WHERE run_id = ?", (json.dumps(value), run_id)
            )

    def save_lists_before(self, run_id: str, counts: Mapping[str, int | None]) -> None:
        """The target lists' membership counts as the run began (its first attempt)."""
        self._write(run_id, "lists_before", dict(counts))

    def lists_before(self, run_id: str) -> dict[str, int | None]:
        """What :meth:`save_lists_before` stored ({} when nothing was)."""
        data = self._column(run_id, "lists_before")
        if not isinstance(data, dict):
            return {}
        return {str(k): v if isinstance(v, int) else None for k, v in data.items()}

    def add_sample(self, run_id: str, sample: Mapping[int, Sequence[str]]) -> None:
        """Keep e-mails a check may sample, per batch (a batch already kept is replaced)."""
        if not sample:
            return
        kept = self.sample(run_id)
        kept.update({seq: list(emails) for seq, emails in sample.items()})
        self._write(run_id, "verify_sample", {str(seq): emails for seq, emails in kept.items()})

    def sample(self, run_id: str) -> dict[int, list[str]]:
        """The e-mails kept for checks, per batch sequence number."""
        data = self._column(run_id, "verify_sample")
        if not isinstance(data, dict):
            return {}
        return {
            int(seq): [str(e) for e in emails]
            for seq, emails in data.items()
            if str(seq).isdigit() and isinstance(emails, list)
        }

    def save(self, run_id: str, verification: Verification) -> None:
        """Store the result of a check with the run (the last one counts)."""
        self._write(run_id, "verification", verification.to_json())

    def spent_since(self, moment: datetime) -> list[SpentRequests]:
        """Requests of every real run at work, or checked, since ``moment`` (UTC).

        A run at work since then (started, saved or finished) counts whole, even when part of
        it was before: the stricter reading, since the history keeps a run's total, not when
        each request went out.
        """
        since = moment.isoformat()
        rows = self._db.query(
            "SELECT run_id, connection, requests, lists_before, verification, "
            "(started_at >= ? OR updated_at >= ? OR finished_at >= ?) AS at_work "
            "FROM runs WHERE dry_run = 0 AND (started_at >= ? OR updated_at >= ? "
            "OR finished_at >= ? OR json_extract(verification, '$.checked_at') >= ?)",
            (since,) * 7,
        )
        found = []
        for row in rows:
            at_work = bool(row["at_work"])
            checks = 0
            if at_work and row["lists_before"]:
                with contextlib.suppress(ValueError):
                    checks += len(json.loads(row["lists_before"]) or {})
            verification = verification_of(row["verification"])
            if verification is not None and verification.checked_at >= moment:
                checks += verification.requests
            found.append(
                SpentRequests(
                    row["run_id"], row["connection"], row["requests"] if at_work else 0, checks
                )
            )
        return found
