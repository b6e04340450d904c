"""How an error ends a run that has started: ``interrupted`` (resumable) or ``failed``.

Only what a later retry of the same work can fix leaves the run ``interrupted``: the daily
quota, the network or Constant Contact's servers failing past the retries, a stop or cancel, an
activity past its deadline (:attr:`CcTuiError.resumable <cc_tui.errors.CcTuiError.resumable>`).
Every other error ends it ``failed`` with the fix, never "Resume with": the next
``cc-tui run NAME`` then starts a new run. The full table is in :mod:`cc_tui.errors`.
"""

from __future__ import annotations

from cc_tui.engine.email_check import StopRequested
from cc_tui.engine.preflight import scope_refusal
from cc_tui.errors import (
    AuthError,
    BadRequestError,
    CcTuiError,
    ConstantContactError,
    NotFoundError,
    ScopeMissingError,
    SignInRequiredError,
)
from cc_tui.models.config import Export
from cc_tui.models.run import RunStatus
from cc_tui.next_steps import CLI_STEPS, NextSteps

__all__ = ["run_outcome"]

_STOPPED = "stopped before the end"


def run_outcome(
    error: CcTuiError | StopRequested,
    export: Export,
    *,
    granted_scope: str = "",
    steps: NextSteps = CLI_STEPS,
) -> tuple[RunStatus, str]:
    """The status a run ends with after ``error``, and the text that says what to do next
    (in ``steps``' words: the face that started the run)."""
    resume = steps.resume.format(export=export.name)
    if isinstance(error, StopRequested):
        return RunStatus.INTERRUPTED, f"{_STOPPED}. {resume}"
    if error.resumable:
        return RunStatus.INTERRUPTED, f"{error} {resume}"
    again = steps.run_again.format(export=export.name)
    return RunStatus.FAILED, f"{_explained(error, export, granted_scope, steps)} {again}"


def _explained(error: CcTuiError, export: Export, granted_scope: str, steps: NextSteps) -> str:
    """The error with its fix (errors outside the API carry theirs in their message)."""
    connection = export.connection or "?"
    lists = steps.account_lists.format(connection=connection)
    show = steps.show_connection.format(connection=connection)
    if isinstance(error, AuthError) and not isinstance(error, ScopeMissingError):
        error = scope_refusal(error, connection, granted_scope)
        if not isinstance(error, ScopeMissingError):
            return (
                f"{error} The sign-in server refuses this connection: sign in again "
                f"({steps.sign_in.format(connection=connection)}); if that is refused too, "
                f"check the connection's client ID ({show})."
            )
    if isinstance(error, ScopeMissingError | SignInRequiredError):
        return steps.explain(error)
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
            f"({show}) and that it reaches Constant Contact."
        )
    return steps.explain(error)
