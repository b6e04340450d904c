"""Outside text in the app: never markup, never terminal control.

Textual reads a ``str`` given to ``Static``, ``Label``, ``notify``, a ``Select`` or
``SelectionList`` option or a ``DataTable`` cell or column label as content markup (a sample
value ``[link=...]`` raises ``MarkupError``, ``[/]`` too), and it passes ESC through to the
terminal. So text that comes from data, config or Constant Contact is handed to widgets as a
``Content`` or ``rich.text.Text`` built here, from :func:`cc_tui.safe_text.visible` text.
An ``Input`` shows its value raw, so every input that may hold outside text (a value from
config.toml, a pasted path) is given :class:`VisibleInInput` as its highlighter. Where a
message mixes styling and outside text, the styling is markup with ``$name`` template
variables (``Content.from_markup("[b]error:[/] $error", error=...)``): Textual substitutes them
as plain text.
"""

from __future__ import annotations

from rich.highlighter import Highlighter
from rich.text import Text
from textual.content import Content

from cc_tui.safe_text import CELL_CHARACTERS, visible, visible_in_place

__all__ = ["VisibleInInput", "plain", "plain_text", "templated"]


def plain(text: object, *, multiline: bool = False) -> Content:
    """``text`` as Textual content: shown exactly, control characters made visible."""
    return Content(visible(text, multiline=multiline))


def plain_text(text: object, *, style: str = "", multiline: bool = False) -> Text:
    """``text`` as a Rich ``Text`` (DataTable cells, Rich renderables), made visible and cut
    to :data:`~cc_tui.safe_text.CELL_CHARACTERS`."""
    return Text(visible(text, multiline=multiline, limit=CELL_CHARACTERS), style=style)


def templated(markup: str, **values: object) -> Content:
    """Our own ``markup`` with ``$name`` filled from ``values`` as visible plain text.

    ``markup`` must be a constant of ours; ``values`` may be anything (multi-line allowed).
    """
    return Content.from_markup(
        markup, **{name: visible(value, multiline=True) for name, value in values.items()}
    )


class VisibleInInput(Highlighter):
    """An ``Input`` highlighter that shows control characters one for one (the cursor counts
    characters): ``Input(..., highlighter=VisibleInInput())``. The value itself is unchanged."""

    def highlight(self, text: Text) -> None:
        """Replace, in place, what the terminal would act on."""
        shown = visible_in_place(text.plain)
        if shown != text.plain:
            text.plain = shown
