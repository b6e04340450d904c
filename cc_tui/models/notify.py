"""Notifications: who hears of a run's end (``[notify]`` and ``[exports.NAME.notify]``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cc_tui.models.run import RunStatus

__all__ = ["DEFAULT_NOTIFY_TIMEOUT_S", "MAX_NOTIFY_TIMEOUT_S", "NotifySettings", "NotifyWhen"]


class NotifyWhen(StrEnum):
    """Which runs a notifier hears of."""

    FINISH = "finish"
    """Runs that finished: every contact final (``succeeded`` or ``partial``)."""
    FAILURE = "failure"
    """Runs that did not: ``failed`` or ``interrupted``."""
    BOTH = "both"

    def covers(self, status: RunStatus) -> bool:
        """Whether a run that ended as ``status`` is one to tell about."""
        finished = status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL)
        return self is NotifyWhen.BOTH or (self is NotifyWhen.FINISH) == finished


DEFAULT_NOTIFY_TIMEOUT_S = 30
"""Seconds a notify command or webhook may take before it is given up on."""
MAX_NOTIFY_TIMEOUT_S = 600


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """A ``[notify]`` table: a command and/or a webhook told of a run's end.

    ``command`` is an argv list (no shell) that gets the run's JSON summary on standard input;
    ``webhook`` gets it as a POST (``webhook_text``: Slack/Teams' ``{"text": "..."}`` instead).
    """

    on: NotifyWhen = NotifyWhen.BOTH
    command: tuple[str, ...] = ()
    webhook: str | None = None
    webhook_text: bool = False
    timeout_s: int = DEFAULT_NOTIFY_TIMEOUT_S

    @property
    def empty(self) -> bool:
        """Nothing to call."""
        return not self.command and not self.webhook
