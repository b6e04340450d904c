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

Rich is imported by the functions that build or print with it, not by this module: the parser
and ``cc-tui --help`` import this module and never print with Rich (start-up, issue 15).
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, TextIO

from cc_tui.safe_text import CELL_CHARACTERS, visible

if TYPE_CHECKING:  # Rich loads when a command first prints (see the module's docstring)
    from rich.console import (
        Console,
        ConsoleOptions,
        JustifyMethod,
        RenderableType,
        RenderHook,
        RenderResult,
    )
    from rich.text import Text

__all__ = [
    "Column",
    "Output",
    "OutputClosedError",
    "Visible",
    "cells",
    "fit_table",
    "key_values",
    "styled",
]

OFF_TERMINAL_WIDTH = 160
# A Rich table with the default box and padding (0, 1) takes, around its cells, one rule at
# the left edge and, per column, two spaces of padding and one rule.
TABLE_EDGE_CELLS = 1
TABLE_CELLS_PER_COLUMN = 3
KEY_GAP = "  "
"""Between a key and its value in a vertical (``key  value``) layout."""
ERROR_STYLE = "bold red"
WARNING_STYLE = "yellow"


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line from plain parts and ``(text, style)`` parts; every text is made visible.

    ``styled(("Saved", "bold"), " export ", (name, "bold"))``: the way to style a message
    that holds outside text (never an f-string with markup).
    """
    from rich.text import Text

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
        from rich.segment import Segment

        for segment in console.render(self.renderable, options):
            if segment.control:
                yield segment
            else:
                yield Segment(visible(segment.text, multiline=True), segment.style)


class OutputClosedError(Exception):
    """The reader of stdout (or stderr) went away: ``cc-tui history | head -1``.

    Nothing more can be shown, and nothing is wrong with the command: the command line ends
    quietly with the exit code of a process cut off by SIGPIPE (:mod:`cc_tui.cli.entry`).
    """

    def __init__(self, fileno: int | None) -> None:
        super().__init__("the output was closed by its reader")
        self.fileno = fileno
        """The descriptor whose reader went away (None when the stream has none)."""


def _fileno(file: IO[str]) -> int | None:
    try:
        return file.fileno()
    except (OSError, ValueError):  # io.UnsupportedOperation is both; a closed file: ValueError
        return None


class Output:
    """stdout for results, stderr for messages; ``interactive`` when a person is at stdin."""

    def __init__(self, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        # soft_wrap: a long line (a path, a URL) stays one line for scripts and copy-paste.
        self.console = _console(stdout or sys.stdout)
        self.errors = _console(stderr or sys.stderr)

    def require_terminal(self, what: str, instead: str) -> None:
        """Raise :class:`UsageError` unless stdin and stdout are both terminals.

        The terminal app reads keys from stdin and draws on stdout; without a terminal (a pipe,
        a file, cron) it would write escape sequences nowhere useful and wait for keys forever.
        ``what`` opens the app; ``instead`` is the command that works there.
        """
        from cc_tui.errors import UsageError

        stdin, stdout = sys.stdin, sys.stdout
        if stdin is not None and stdout is not None and stdin.isatty() and stdout.isatty():
            return
        raise UsageError(
            f"{what} opens the terminal app, which needs a terminal: standard input and output "
            f"are not one here (a pipe, a file, cron). {instead}"
        )

    @property
    def interactive(self) -> bool:
        """True when both stdin and stdout are terminals (prompts and live displays allowed)."""
        # No sys.stdin at all when the process started with it closed (`cc-tui ... <&-`).
        stdin = sys.stdin
        return stdin is not None and stdin.isatty() and self.console.is_terminal

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print a result to stdout (a line of text wraps between words on a terminal)."""
        from rich.text import Text

        # Tables and records lay themselves out (see fit_table); only a line of text is wrapped.
        if "soft_wrap" not in kwargs and len(objects) == 1 and isinstance(objects[0], str | Text):
            kwargs["soft_wrap"] = _soft_wrap(self.console, objects[0])
        self.console.print(*objects, **kwargs)

    def table(
        self,
        columns: Sequence[Column | str],
        rows: Sequence[Sequence[Text | str]],
        *,
        title: str | None = None,
    ) -> None:
        """Print rows as a table that fits the terminal (see :func:`fit_table`)."""
        self.print(fit_table(columns, rows, width=self.console.width, title=title))

    def pairs(self, rows: Sequence[tuple[str, Text | str]]) -> None:
        """Print ``key  value`` lines (see :func:`key_values`)."""
        self.print(key_values(rows))

    def note(self, message: RenderableType) -> None:
        """A message for the person (stderr), so stdout stays clean for scripts."""
        # Panels and tables must wrap inside their frame; lines wrap between words.
        self.errors.print(message, soft_wrap=_soft_wrap(self.errors, message))

    def error(self, message: str) -> None:
        """An error for the person, on stderr (the message is plain text, never markup)."""
        line = styled(("error:", ERROR_STYLE), " ", message)
        self.errors.print(line, soft_wrap=_soft_wrap(self.errors, line))

    def warn(self, message: str) -> None:
        """A warning for the person, on stderr."""
        line = styled(("warning:", WARNING_STYLE), " ", message)
        self.errors.print(line, soft_wrap=_soft_wrap(self.errors, line))

    def lines(self, texts: Iterable[RenderableType]) -> None:
        """Print several results, one per line."""
        for text in texts:
            self.print(text)

    def json(self, payload: Any) -> None:
        """One JSON document on stdout (no Rich markup, no wrapping)."""
        file = self.console.file
        try:
            file.write(json.dumps(payload, indent=2, default=str) + "\n")
            file.flush()
        except BrokenPipeError:
            raise OutputClosedError(_fileno(file)) from None

    def confirm(self, question: str, *, default: bool = False) -> bool:
        """Ask yes/no on the terminal; False without one."""
        if not self.interactive:
            return False
        from rich.prompt import Confirm

        # A Prompt reads a str as markup whatever the console says: give it Text.
        return Confirm.ask(styled(question), default=default, console=self.errors)


def _console(file: TextIO) -> Console:
    # soft_wrap: a long line (a path, a URL) stays one line for scripts and copy-paste. Off a
    # terminal, tables get room instead of Rich's 80 columns (logs, pipes, cron mail).
    # markup=False and emoji=False: a string printed is the string, whatever brackets or
    # colons it holds.
    if isinstance(file, io.TextIOWrapper) and file.errors == "strict":
        # A locale that is not UTF-8 (LANG=en_US.ISO-8859-1 from an old SSH client,
        # PYTHONIOENCODING=ascii in a cron job) has no byte for a control picture (␛) or an
        # accented name: show the character's code (\u241b, \xeb) instead of raising
        # UnicodeEncodeError, as Python's own stderr does. Rich draws ASCII boxes there.
        file.reconfigure(errors="backslashreplace")
    console = _quiet_on_broken_pipe()(
        file=file, highlight=False, soft_wrap=True, markup=False, emoji=False
    )
    console.push_render_hook(_visible_hook())
    if not console.is_terminal:
        console.width = max(console.width, OFF_TERMINAL_WIDTH)
    return console


def _quiet_on_broken_pipe() -> type[Console]:
    """Rich's Console, raising :class:`OutputClosedError` when its reader goes away.

    Rich's own answer to a broken pipe is ``SystemExit(1)`` after pointing stdout (whichever
    stream broke) at /dev/null: exit 1 says "run failed" here, and a broken stderr would leave
    stdout silenced. The command line decides instead (:mod:`cc_tui.cli.entry`).
    """
    from rich.console import Console

    # Defined here, not at module level, because its base class is Rich's.
    class QuietConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True  # nothing more is written to this stream
            raise OutputClosedError(_fileno(self.file))

    return QuietConsole


def _visible_hook() -> RenderHook:
    """A render hook that wraps everything printed in :class:`Visible`."""
    from rich.console import RenderHook

    # Defined here, not at module level, because its base class is Rich's.
    class VisibleHook(RenderHook):
        def process_renderables(self, renderables: list[Any]) -> list[Any]:
            return [Visible(renderable) for renderable in renderables]

    return VisibleHook()


def _soft_wrap(console: Console, message: object) -> bool:
    """Whether a line of text is left to the terminal to wrap rather than wrapped by Rich.

    On a terminal a message wraps between words, so no word is split at the edge ("o" / "r");
    but a word longer than the line (a path, a URL) would be cut in two by a hard line break,
    and a copy of it would hold that break: such a line is left whole to the terminal, whose
    own wrapping copies back as one line. Off a terminal (scripts, logs) lines stay whole.
    """
    from rich.text import Text

    if not isinstance(message, str | Text):
        return False
    if not console.is_terminal:
        return True
    plain = message if isinstance(message, str) else message.plain
    return any(_widest_word([line]) > console.width for line in plain.splitlines())


@dataclass(frozen=True)
class Column:
    """A column of :func:`fit_table`.

    ``whole``: its values are copied by people (IDs, names, paths, e-mails, URLs), so each is
    shown on one line, never wrapped or cut; other columns wrap between words (a word is never
    cut either).
    """

    header: str
    whole: bool = False
    justify: JustifyMethod = "left"


def _lines(cell: Text | str) -> list[str]:
    plain = cell if isinstance(cell, str) else cell.plain
    return plain.splitlines() or [""]


def _widest_line(cells: Iterable[Text | str]) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for cell in cells for line in _lines(cell)), default=0)


def _widest_word(cells: Iterable[Text | str]) -> int:
    from rich.cells import cell_len

    return max(
        (cell_len(word) for cell in cells for line in _lines(cell) for word in line.split()),
        default=0,
    )


def fit_table(
    columns: Sequence[Column | str],
    rows: Sequence[Sequence[Text | str]],
    *,
    width: int,
    title: str | None = None,
) -> RenderableType:
    """Rows laid out to fit ``width`` cells without cutting any value.

    The same rule for every command: a table as wide as its content when that fits; else a
    table whose columns wrap between words (a ``whole`` column never wraps) when every word
    still fits its column; else a vertical ``key  value`` record per row, where nothing is
    narrowed at all. Rich's own squeezing, which cuts cells to ``202…``, is never reached.
    """
    from rich.table import Table
    from rich.text import Text

    specs = [column if isinstance(column, Column) else Column(column) for column in columns]
    texts = [[cell if isinstance(cell, Text) else Text(cell) for cell in row] for row in rows]
    by_column: list[list[Text | str]] = [
        [spec.header, *(row[index] for row in texts)] for index, spec in enumerate(specs)
    ]
    natural = [_widest_line(values) for values in by_column]
    narrowest = [
        _widest_line(values[1:]) if spec.whole else 0
        for spec, values in zip(specs, by_column, strict=True)
    ]
    narrowest = [
        max(n, _widest_word(values)) for n, values in zip(narrowest, by_column, strict=True)
    ]
    room = width - TABLE_EDGE_CELLS - TABLE_CELLS_PER_COLUMN * len(specs)
    if sum(natural) <= room:
        widths: list[int | None] = [None] * len(specs)
    elif sum(narrowest) <= room:
        widths = list(_share(room, narrowest, natural))
    else:
        return _records(specs, texts, title)
    table = Table(title=title)
    for spec, column_width in zip(specs, widths, strict=True):
        table.add_column(
            spec.header,
            justify=spec.justify,
            width=column_width,
            overflow="fold",
        )
    for row in texts:
        table.add_row(*row)
    return table


def _share(room: int, narrowest: Sequence[int], natural: Sequence[int]) -> list[int]:
    """Column widths: each its narrowest, the room left shared out as the columns want it."""
    widths = list(narrowest)
    spare = room - sum(widths)
    wants = [full - least for full, least in zip(natural, narrowest, strict=True)]
    total_want = sum(wants)
    for index, want in enumerate(wants):
        if total_want:
            extra = min(want, spare * want // total_want)
            widths[index] += extra
    # Integer shares leave a few cells: give them, in order, to columns still wanting some.
    left = room - sum(widths)
    for index, want in enumerate(wants):
        extra = min(left, narrowest[index] + want - widths[index])
        widths[index] += extra
        left -= extra
    return widths


def _records(
    specs: Sequence[Column], rows: Sequence[Sequence[Text]], title: str | None
) -> RenderableType:
    """One ``key  value`` block per row, blocks apart by a blank line."""
    from rich.console import Group
    from rich.text import Text

    parts: list[RenderableType] = []
    if title:
        parts.append(Text(title, style="italic"))
    for number, row in enumerate(rows):
        if number:
            parts.append(Text(""))
        parts.append(
            key_values([(spec.header, cell) for spec, cell in zip(specs, row, strict=True)])
        )
    return Group(*parts)


def key_values(rows: Sequence[tuple[str, Text | str]]) -> Text:
    """``key  value`` lines, keys padded to one width; a value is never wrapped here.

    A value longer than the line is left to the terminal's own wrapping, so a copied path or
    ID comes back whole; a value of several lines keeps its lines, indented under the first.
    """
    from rich.cells import cell_len
    from rich.text import Text

    key_width = max((cell_len(key) for key, _ in rows), default=0)
    indent = " " * (key_width + len(KEY_GAP))
    text = Text()
    for number, (key, value) in enumerate(rows):
        if number:
            text.append("\n")
        text.append(key.ljust(key_width), style="bold")
        text.append(KEY_GAP)
        value_text = value if isinstance(value, Text) else Text(visible(value, multiline=True))
        for index, line in enumerate(value_text.split("\n")):
            if index:
                text.append("\n" + indent)
            text.append_text(line)
    return text


def cells(values: Sequence[object]) -> list[Text]:
    """Table cells from values (None is empty), control characters made visible."""
    from rich.text import Text

    return [
        Text("" if value is None else visible(value, limit=CELL_CHARACTERS)) for value in values
    ]
