"""How an error ends a run that has started: ``interrupted`` (resumable) or ``failed``.

Only what a later retry of the same work can fix leaves the run ``interrupted``: the daily
quota, the network or Constant Contact's servers failing past the retries, a stop or cancel, an
activity past its deadline (:attr:`CcTuiError.resumable <cc_tui.errors.CcTuiError.resumable>`).
Every other error ends it ``failed`` with the fix, never "Resume with": the next
``cc-tui run NAME`` then starts a new run. The full table is in :mod:`cc_tui.errors`.
"""

from __future__ import annotations

from cc_tui.engine.preflight import scope_refusal
from cc_tui.engine.preparation import PreparationStopped
from cc_tui.errors import (
    AuthError,
    BadRequestError,
    CcTuiError,
    ConstantContactError,
    NotFoundError,
    ScopeMissingError,
    SignInRequiredError,
)
from cc_tui.models import Export, RunStatus

__all__ = ["run_outcome"]

_STOPPED = "stopped before the end"


def run_outcome(
    error: CcTuiError | PreparationStopped, export: Export, *, granted_scope: str = ""
) -> tuple[RunStatus, str]:
    """The status a run ends with after ``error``, and the text that says what to do."""
    if isinstance(error, PreparationStopped):
        return RunStatus.INTERRUPTED, f"{_STOPPED}. Resume with: cc-tui run {export.name}"
    if error.resumable:
        return RunStatus.INTERRUPTED, f"{error} Resume with: cc-tui run {export.name}"
    return RunStatus.FAILED, f"{_explained(error, export, granted_scope)} {_again(export)}"


def _explained(error: CcTuiError, export: Export, granted_scope: str) -> str:
    """The error with its fix (errors outside the API carry theirs in their message)."""
    connection = export.connection or "?"
    lists = f"cc-tui lists {connection}"
    if isinstance(error, AuthError) and not isinstance(error, ScopeMissingError):
        error = scope_refusal(error, connection, granted_scope)
        if not isinstance(error, ScopeMissingError):
            return (
                f"{error} The sign-in server refuses this connection: sign in again "
                f"(cc-tui connection login {connection}); if that is refused too, check the "
                f"connection's client ID (cc-tui connection show {connection})."
            )
    if isinstance(error, ScopeMissingError | SignInRequiredError):
        return str(error)
    if isinstance(error, NotFoundError):
        return (
            f"{error} It no longer exists in the account: check the export's lists against "
            f"{lists} and fix the export."
        )
    if isinstance(error, BadRequestError):
        return (
            f"{error} Constant Contact refused the request itself, so sending it again would "
            f"be refused too: check the export's lists and custom fields against the account "
            f"({lists}) and fix the export or the account."
        )
    if isinstance(error, ConstantContactError):
        return (
            f"{error} A retry would get the same answer: check the connection's API URL "
            f"(cc-tui connection show {connection}) and that it reaches Constant Contact."
        )
    return str(error)


def _again(export: Export) -> str:
    return f"Then run it again: cc-tui run {export.name} starts a new run."
