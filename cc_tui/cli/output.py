"""How commands talk to the person (Rich on a terminal, plain lines otherwise) or to scripts.

Outside text (segment values, column names, file names, config keys, API error texts) is never
Rich markup and never terminal control here. The consoles are made with ``markup=False``, so a
string is always plain text (a CSV header ``[/]`` prints as ``[/]``, a config error keeps its
``[key]``); styling is given with :func:`styled` (``rich.text.Text``), never with markup. And
every renderable printed passes through :class:`Visible`, which shows control characters as
visible stand-ins (:func:`cc_tui.safe_text.visible`) after Rich has laid it out: an ESC, an
OSC 8 link or an OSC 0 title in any table, panel or message reaches the terminal as ``␛``.
Live displays, which Rich refreshes outside ``print``, wrap their renderable in
:class:`Visible` themselves.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console, ConsoleOptions, RenderableType, RenderHook, RenderResult
from rich.prompt import Confirm
from rich.segment import Segment
from rich.text import Text

from cc_tui.safe_text import CELL_CHARACTERS, visible

__all__ = ["Output", "Visible", "cells", "format_local_time", "format_relative", "styled"]

OFF_TERMINAL_WIDTH = 160
ERROR_STYLE = "bold red"
WARNING_STYLE = "yellow"


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line from plain parts and ``(text, style)`` parts; every text is made visible.

    ``styled(("Saved", "bold"), " export ", (name, "bold"))``: the way to style a message
    that holds outside text (never an f-string with markup).
    """
    text = Text()
    for part in parts:
        if isinstance(part, str):
            text.append(visible(part, multiline=True))
        else:
            text.append(visible(part[0], multiline=True), style=part[1])
    return text


class Visible:
    """A renderable shown with every control character of its text made visible.

    Rich's own control segments (cursor moves of a live display) pass unchanged; only the
    text is rewritten. Text normally arrives here clean already (commands build their cells
    with :func:`cc_tui.safe_text.visible`, which keeps columns aligned); this is the net under
    them.
    """

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.renderable, options):
            if segment.control:
                yield segment
            else:
                yield Segment(visible(segment.text, multiline=True), segment.style)


class _VisibleHook(RenderHook):
    def process_renderables(self, renderables: list[Any]) -> list[Any]:
        return [Visible(renderable) for renderable in renderables]


class Output:
    """stdout for results, stderr for messages; ``interactive`` when a person is at stdin."""

    def __init__(self, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        # soft_wrap: a long line (a path, a URL) stays one line for scripts and copy-paste.
        self.console = _console(stdout or sys.stdout)
        self.errors = _console(stderr or sys.stderr)

    @property
    def interactive(self) -> bool:
        """True when both stdin and stdout are terminals (prompts and live displays allowed)."""
        return sys.stdin.isatty() and self.console.is_terminal

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print a result to stdout."""
        self.console.print(*objects, **kwargs)

    def note(self, message: RenderableType) -> None:
        """A message for the person (stderr), so stdout stays clean for scripts."""
        # Panels and tables must wrap inside their frame; plain lines stay whole.
        self.errors.print(message, soft_wrap=isinstance(message, str | Text))

    def error(self, message: str) -> None:
        """An error for the person, on stderr (the message is plain text, never markup)."""
        self.errors.print(styled(("error:", ERROR_STYLE), " ", message))

    def warn(self, message: str) -> None:
        """A warning for the person, on stderr."""
        self.errors.print(styled(("warning:", WARNING_STYLE), " ", message))

    def lines(self, texts: Iterable[RenderableType]) -> None:
        """Print several results, one per line."""
        for text in texts:
            self.print(text)

    def json(self, payload: Any) -> None:
        """One JSON document on stdout (no Rich markup, no wrapping)."""
        self.console.file.write(json.dumps(payload, indent=2, default=str) + "\n")
        self.console.file.flush()

    def confirm(self, question: str, *, default: bool = False) -> bool:
        """Ask yes/no on the terminal; False without one."""
        if not self.interactive:
            return False
        # A Prompt reads a str as markup whatever the console says: give it Text.
        return Confirm.ask(styled(question), default=default, console=self.errors)


def _console(file: TextIO) -> Console:
    # soft_wrap: a long line (a path, a URL) stays one line for scripts and copy-paste. Off a
    # terminal, tables get room instead of Rich's 80 columns (logs, pipes, cron mail).
    # markup=False and emoji=False: a string printed is the string, whatever brackets or
    # colons it holds.
    console = Console(file=file, highlight=False, soft_wrap=True, markup=False, emoji=False)
    console.push_render_hook(_VisibleHook())
    if not console.is_terminal:
        console.width = max(console.width, OFF_TERMINAL_WIDTH)
    return console


def cells(values: Sequence[object]) -> list[Text]:
    """Table cells from values (None is empty), control characters made visible."""
    return [
        Text("" if value is None else visible(value, limit=CELL_CHARACTERS)) for value in values
    ]


def format_local_time(moment: datetime | None) -> str:
    """``2026-11-29 16:05 UTC`` style, or a dash."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_relative(moment: datetime | None, now: datetime | None = None) -> str:
    """``in 23 h 59 min`` or ``expired 5 min ago``."""
    if moment is None:
        return "—"
    seconds = int((moment - (now or datetime.now(UTC))).total_seconds())
    span = abs(seconds)
    hours, minutes = divmod(span // 60, 60)
    text = f"{hours} h {minutes} min" if hours else f"{minutes} min" if minutes else f"{span} s"
    return f"in {text}" if seconds >= 0 else f"expired {text} ago"
