"""App-level messages: facts in the past tense, requests ending in ``Requested``.

Each is a dataclass: its fields are what it carries (Textual's ``Message`` initialises itself
in ``__post_init__``). ``eq=False`` keeps messages compared and hashed by identity, as Textual
expects of them.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

from textual.message import Message

from cc_tui.engine.progress import RunEvent, RunProgress
from cc_tui.models.run import RunRecord

__all__ = [
    "CancelRequested",
    "ConfigChanged",
    "RunEventLogged",
    "RunFailed",
    "RunFinished",
    "RunProgressed",
    "RunRequested",
    "RunStarted",
]


@dataclass(eq=False)
class RunRequested(Message):
    """Someone asked to run (or preview, or resume) an export."""

    export: str
    _: KW_ONLY
    dry_run: bool = False
    restart: bool = False


@dataclass(eq=False)
class CancelRequested(Message):
    """Someone asked to cancel the active run of an export (it stays resumable)."""

    export: str


@dataclass(eq=False)
class RunStarted(Message):
    """A run worker started for an export."""

    export: str
    _: KW_ONLY
    dry_run: bool


@dataclass(eq=False)
class RunProgressed(Message):
    """A fresh progress snapshot; an older one for the same run is not worth showing."""

    progress: RunProgress

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, RunProgressed) and message.progress.run_id == self.progress.run_id
        )


@dataclass(eq=False)
class RunEventLogged(Message):
    """A line of a run's story."""

    export: str
    event: RunEvent


@dataclass(eq=False)
class RunFinished(Message):
    """A run ended with a record (succeeded, partial, failed or interrupted)."""

    record: RunRecord


@dataclass(eq=False)
class RunFailed(Message):
    """A run could not start or crashed: ``error`` says what to do next."""

    export: str
    error: str


@dataclass(eq=False)
class ConfigChanged(Message):
    """Connections, exports or settings changed: lists should reload."""
