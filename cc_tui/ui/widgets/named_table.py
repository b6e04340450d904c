"""NamedTable: a row-cursor DataTable whose rows are keyed by a name, with j/k keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from cc_tui.ui.outside_text import plain_text

__all__ = ["NamedTable"]


class NamedTable(DataTable[str | Text]):
    """Base of the home screen's lists: ``show(rows)`` keeps the cursor on the same name."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="list-down"),
        Binding("k", "cursor_up", "Up", show=False, id="list-up"),
    ]

    class Highlighted(Message):
        """The cursor moved to the row called ``name`` (None: the list is empty)."""

        def __init__(self, table: NamedTable, name: str | None) -> None:
            self.table = table
            self.name = name
            super().__init__()

    class Opened(Message):
        """Enter was pressed on the row called ``name``."""

        def __init__(self, table: NamedTable, name: str) -> None:
            self.table = table
            self.name = name
            super().__init__()

    def __init__(self, columns: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._columns = list(columns)
        self._names: list[str] = []

    def on_mount(self) -> None:
        self.add_columns(*self._columns)

    @property
    def selected(self) -> str | None:
        """The name under the cursor."""
        if not self._names or self.cursor_row < 0:
            return None
        return self._names[min(self.cursor_row, len(self._names) - 1)]

    def show(self, rows: Sequence[tuple[str, Sequence[str | Text]]]) -> None:
        """Replace the rows (name, cells); the cursor stays on the same name if it is there."""
        keep = self.selected
        self.clear()
        self._names = [name for name, _ in rows]
        for name, cells in rows:
            # Plain strings become Text so a "[" in a name is not read as markup.
            self.add_row(*(plain_text(c) if isinstance(c, str) else c for c in cells), key=name)
        if keep in self._names:
            self.move_cursor(row=self._names.index(keep))
        self.post_message(self.Highlighted(self, self.selected))

    def themed(self, text: str, variable: str, *, bold: bool = False) -> Text:
        """``text`` in the colour of a theme variable (DataTable cells are Rich text)."""
        colour = self.app.theme_variables.get(variable, "")
        return plain_text(text, style=f"{'bold ' if bold else ''}{colour}".strip())

    def select_name(self, name: str) -> None:
        """Put the cursor on ``name`` if it is listed."""
        if name in self._names:
            self.move_cursor(row=self._names.index(name))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(self, self.selected))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.selected is not None:
            self.post_message(self.Opened(self, self.selected))
