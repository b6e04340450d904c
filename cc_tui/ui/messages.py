"""App-level messages: facts in the past tense, requests ending in ``Requested``."""

from __future__ import annotations

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


class RunRequested(Message):
    """Someone asked to run (or preview, or resume) an export."""

    def __init__(self, export: str, *, dry_run: bool = False, restart: bool = False) -> None:
        self.export = export
        self.dry_run = dry_run
        self.restart = restart
        super().__init__()


class CancelRequested(Message):
    """Someone asked to cancel the active run of an export (it stays resumable)."""

    def __init__(self, export: str) -> None:
        self.export = export
        super().__init__()


class RunStarted(Message):
    """A run worker started for an export."""

    def __init__(self, export: str, *, dry_run: bool) -> None:
        self.export = export
        self.dry_run = dry_run
        super().__init__()


class RunProgressed(Message):
    """A fresh progress snapshot; an older one for the same run is not worth showing."""

    def __init__(self, progress: RunProgress) -> None:
        self.progress = progress
        super().__init__()

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, RunProgressed) and message.progress.run_id == self.progress.run_id
        )


class RunEventLogged(Message):
    """A line of a run's story."""

    def __init__(self, export: str, event: RunEvent) -> None:
        self.export = export
        self.event = event
        super().__init__()


class RunFinished(Message):
    """A run ended with a record (succeeded, partial, failed or interrupted)."""

    def __init__(self, record: RunRecord) -> None:
        self.record = record
        super().__init__()


class RunFailed(Message):
    """A run could not start or crashed: ``error`` says what to do next."""

    def __init__(self, export: str, error: str) -> None:
        self.export = export
        self.error = error
        super().__init__()


class ConfigChanged(Message):
    """Connections, exports or settings changed: lists should reload."""
