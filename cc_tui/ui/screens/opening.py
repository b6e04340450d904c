"""The app's first screen while the home opens: painted before the engine is imported.

Opening a home imports Polars, httpx and the engine (about half a second on a small machine)
and, for ``cc-tui demo``, starts the emulator and writes the demo data. The app paints this
screen first and does that work on a thread; the home screen replaces it when it is done.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Header, Static

__all__ = ["OpeningScreen"]


class OpeningScreen(Screen[None]):
    """Says what is being opened; it has no keys of its own (ctrl+q quits, as everywhere)."""

    DEFAULT_CSS = """
    OpeningScreen #opening-text { width: auto; color: $text-muted; }
    """

    def __init__(self, what: str) -> None:
        super().__init__()
        self._what = what

    def compose(self) -> ComposeResult:
        yield Header()
        with Middle(), Center():
            yield Static(self._what, id="opening-text", markup=False)
