"""How a face names the next step its messages suggest.

The engine's messages end with what to do next ("resume", "sign in", "start over"). The
command line says it as a command (``cc-tui run NAME``); the app says it as its own key
("press r on NAME in Exports"). Messages take the wording from a :class:`NextSteps` so the
sentence is written once and each face fills in its own action; the command line's is the
default.
"""

from __future__ import annotations

from dataclasses import dataclass

from cc_tui.errors import (
    CLI_ACCEPT_PRIVACY,
    CLI_SIGN_IN,
    ConsentRequiredError,
    ScopeMissingError,
    SignInRequiredError,
)

__all__ = ["CLI_STEPS", "NextSteps"]


@dataclass(frozen=True, slots=True)
class NextSteps:
    """One face's words for the actions messages suggest.

    Each is a template: ``{export}`` or ``{connection}`` is filled in where it is used.
    """

    resume: str = "Resume with: cc-tui run {export}"
    run_again: str = "Then run it again: cc-tui run {export} starts a new run."
    start_over: str = "run again with --restart to start over"
    sign_in: str = CLI_SIGN_IN
    show_connection: str = "cc-tui connection show {connection}"
    account_lists: str = "cc-tui lists {connection}"
    accept_privacy: str = CLI_ACCEPT_PRIVACY

    def explain(self, error: BaseException) -> str:
        """``error``'s message, its way to sign in in this face's words."""
        if isinstance(error, SignInRequiredError | ScopeMissingError):
            return error.described(self.sign_in.format(connection=error.connection))
        if isinstance(error, ConsentRequiredError) and error.connection is not None:
            accept = self.accept_privacy.format(connection=error.connection)
            return error.not_recorded_text(error.connection, accept)
        return str(error)


CLI_STEPS = NextSteps()
"""The command line's words (the default everywhere)."""
