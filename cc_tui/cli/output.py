"""How commands talk to the person (Rich on a terminal, plain lines otherwise) or to scripts."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console, RenderableType
from rich.prompt import Confirm
from rich.text import Text

__all__ = ["Output", "format_local_time", "format_relative"]

OFF_TERMINAL_WIDTH = 160


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
        """An error for the person, on stderr (its text is never read as Rich markup)."""
        # Errors quote outside text (list and field names from the account, file contents).
        self.errors.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)

    def json(self, payload: Any) -> None:
        """One JSON document on stdout (no Rich markup, no wrapping)."""
        self.console.file.write(json.dumps(payload, indent=2, default=str) + "\n")
        self.console.file.flush()

    def confirm(self, question: str, *, default: bool = False) -> bool:
        """Ask yes/no on the terminal; False without one."""
        if not self.interactive:
            return False
        return Confirm.ask(question, default=default, console=self.errors)


def _console(file: TextIO) -> Console:
    # soft_wrap: a long line (a path, a URL) stays one line for scripts and copy-paste. Off a
    # terminal, tables get room instead of Rich's 80 columns (logs, pipes, cron mail).
    console = Console(file=file, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = max(console.width, OFF_TERMINAL_WIDTH)
    return console


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
