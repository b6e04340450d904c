"""The exit code a run ends with, the same whichever face started it."""

from __future__ import annotations

from cc_tui.errors import EXIT_FAILED, EXIT_RESUMABLE, EXIT_USAGE, CcTuiError
from cc_tui.models.run import RunRecord, RunStatus

__all__ = ["EXIT_CODES", "EXIT_INTERRUPTED", "exit_code"]

EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
EXIT_CODES = {
    RunStatus.SUCCEEDED: 0,
    RunStatus.PARTIAL: EXIT_FAILED,
    RunStatus.FAILED: EXIT_FAILED,
    RunStatus.INTERRUPTED: EXIT_RESUMABLE,
    RunStatus.RUNNING: EXIT_FAILED,
}


def exit_code(record: RunRecord, ended_by: CcTuiError | None = None) -> int:
    """The exit code of a run that ended as ``record``, ``ended_by`` that error if one.

    A run failed by an error a person must fix in the input (a segment that became unreadable
    or malformed after pass 1, say: exit 2) exits as that error does before the run.
    """
    failed = record.status is RunStatus.FAILED
    if failed and ended_by is not None and ended_by.exit_code == EXIT_USAGE:
        return EXIT_USAGE
    return EXIT_CODES[record.status]
