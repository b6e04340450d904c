"""Runs in the audit log: start (or resume), finish with their counts, cancel, and refusals.

The runner records here, so a run appears whatever started it (the command line, the app,
the scheduler, the service), under the OS user its services were built for.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

from cc_tui.errors import AccessDeniedError, CcTuiError, UsageError
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.audit import AuditOutcome
from cc_tui.store.history import HistoryStore

__all__ = [
    "RUN_CANCEL",
    "RUN_FINISH",
    "RUN_RESUME",
    "RUN_START",
    "RunAudit",
    "run_counts",
]

RUN_START = "run.start"
RUN_RESUME = "run.resume"
RUN_FINISH = "run.finish"
RUN_CANCEL = "run.cancel"


def run_counts(record: RunRecord) -> dict[str, Any]:
    """What the audit log keeps of a run's outcome: its status and accounted figures."""
    return {
        "run_id": record.run_id,
        "status": record.status.value,
        "dry_run": record.dry_run,
        "attempt": record.attempts,
        "rows_read": record.rows_read,
        "sent": record.sent,
        "confirmed": record.confirmed,
        "failed": record.failed,
        "unsubscribed": record.unsubscribed,
        "rejected": {reason: int(count) for reason, count in sorted(record.rejected.items())},
        "batches": record.batches,
        "error": record.error,
    }


class RunAudit:
    """The audit entries of one call of :meth:`ExportRunner.run`."""

    def __init__(self, history: HistoryStore, export: str, os_user: str, *, dry_run: bool) -> None:
        self._history = history
        self.export = export
        self.os_user = os_user
        self.dry_run = dry_run
        self.run: RunRecord | None = None
        """The run once its record exists (started or resumed)."""

    def started(self, run: RunRecord, *, resumed: bool, replaced: str | None = None) -> None:
        """The run's record exists: a new run, or an interrupted one going on."""
        self.run = run
        detail: dict[str, Any] = {"run_id": run.run_id, "dry_run": run.dry_run}
        if resumed:
            detail["attempt"] = run.attempts
        if replaced is not None:
            detail["restarted_from"] = replaced
        self._record(RUN_RESUME if resumed else RUN_START, detail, AuditOutcome.ALLOWED)

    def finished(self, record: RunRecord) -> None:
        """The run ended by itself (succeeded, partial, failed, or stopped resumable)."""
        outcome = AuditOutcome.FAILED if record.status is RunStatus.FAILED else AuditOutcome.ALLOWED
        self._record(RUN_FINISH, run_counts(record), outcome)

    def cancelled(self, record: RunRecord | None) -> None:
        """The run's task was cancelled (a person, a client gone, a shutdown)."""
        detail = run_counts(record) if record is not None else {"dry_run": self.dry_run}
        self._record(RUN_CANCEL, detail, AuditOutcome.ALLOWED)

    def not_started(self, exc: BaseException, *, hidden: str | None) -> None:
        """The run was refused or failed before its record existed.

        ``hidden``: why the user's role hides the export's connection, if it does (the error
        then reads "no connection named ..." to them, but it is a refusal).
        """
        refused = isinstance(exc, AccessDeniedError) or (
            isinstance(exc, UsageError) and hidden is not None
        )
        if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
            reason = "cancelled"
        elif isinstance(exc, CcTuiError):
            reason = hidden if refused and hidden else str(exc)
        else:
            reason = f"unexpected error: {type(exc).__name__}"
        self._record(
            RUN_START,
            {"dry_run": self.dry_run, "reason": reason},
            AuditOutcome.REFUSED if refused else AuditOutcome.FAILED,
        )

    def _record(self, action: str, detail: dict[str, Any], outcome: AuditOutcome) -> None:
        # The run's own result (or error) is what the person needs: a history that cannot
        # take the entry (full, damaged) must not replace it with another error.
        with contextlib.suppress(CcTuiError, sqlite3.Error, OSError):
            self._history.record_event(action, self.export, self.os_user, detail, outcome=outcome)
