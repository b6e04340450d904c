"""NamedTable: a row-cursor DataTable whose rows are keyed by a name, with j/k keys.

Its columns fit the width it has: a column given as a :class:`TableColumn` with a ``drop``
rank is left out, lowest rank first, while the columns shown would be wider than the table,
so at 80 columns the columns that matter are shown whole instead of the last one cut to
``la``; when the table widens again they come back. Columns given as plain labels are always
shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from cc_tui.ui.outside_text import plain_text

__all__ = ["NamedTable", "TableColumn"]


@dataclass(frozen=True)
class TableColumn:
    """A column of a :class:`NamedTable`.

    ``drop``: None to always show it; else its rank among the columns left out when the
    table is too narrow (1 goes first). Keep a column whose text people need (the name, the
    state) without a rank; give a rank to what the detail panel shows anyway.
    """

    label: str
    drop: int | None = None


Cell = str | Text


class NamedTable(DataTable[str | Text]):
    """Base of the home screen's lists: ``show(rows)`` keeps the cursor on the same name."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="list-down"),
        Binding("k", "cursor_up", "Up", show=False, id="list-up"),
    ]

    @dataclass(eq=False)
    class Highlighted(Message):
        """The cursor moved to the row called ``name`` (None: the list is empty)."""

        table: NamedTable
        name: str | None

    @dataclass(eq=False)
    class Opened(Message):
        """Enter was pressed on the row called ``name``."""

        table: NamedTable
        name: str

    def __init__(self, columns: Sequence[str | TableColumn], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._specs = [c if isinstance(c, TableColumn) else TableColumn(c) for c in columns]
        self._shown: tuple[int, ...] = tuple(range(len(self._specs)))
        self._rows: list[tuple[str, list[Cell]]] = []
        self._names: list[str] = []

    def on_mount(self) -> None:
        self._add_shown_columns()

    @property
    def shown_columns(self) -> list[str]:
        """The labels of the columns shown at the current width."""
        return [self._specs[index].label for index in self._shown]

    def _add_shown_columns(self) -> None:
        for index in self._shown:
            label = self._specs[index].label
            self.add_column(label, key=label)

    def _columns_for_width(self) -> tuple[int, ...]:
        """The columns that fit the table's width, dropping ranked ones lowest rank first."""
        room = self.scrollable_content_region.width
        shown = list(range(len(self._specs)))
        if room <= 0:  # not laid out yet: the next resize chooses
            return tuple(shown)
        widths = [self._natural_width(index) for index in shown]
        ranked = sorted(
            (spec.drop, index) for index, spec in enumerate(self._specs) if spec.drop is not None
        )
        for _, index in ranked:
            if sum(widths[i] for i in shown) <= room:
                break
            shown.remove(index)
        return tuple(shown)

    def _natural_width(self, index: int) -> int:
        """Cells a column takes with nothing cut: its widest text and the cell padding."""
        texts = [self._specs[index].label, *(cells[index] for _, cells in self._rows)]
        widest = max(cell_len(text.plain if isinstance(text, Text) else text) for text in texts)
        return widest + 2 * self.cell_padding

    def on_resize(self, event: events.Resize) -> None:
        """Choose the columns again for the new width (only a change rebuilds the table)."""
        self._fill(post=False)

    @property
    def selected(self) -> str | None:
        """The name under the cursor."""
        if not self._names or self.cursor_row < 0:
            return None
        return self._names[min(self.cursor_row, len(self._names) - 1)]

    def show(self, rows: Sequence[tuple[str, Sequence[str | Text]]]) -> None:
        """Replace the rows (name, cells); the cursor stays on the same name if it is there,
        else on the row where it was (the neighbour of a row that went)."""
        self._rows = [(name, list(cells)) for name, cells in rows]
        self._fill(post=True)

    def set_cell(self, name: str, label: str, value: Cell) -> None:
        """Change one cell of row ``name`` in the column ``label`` (shown or not), cheaply."""
        index = next(i for i, spec in enumerate(self._specs) if spec.label == label)
        for row_name, cells in self._rows:
            if row_name == name:
                cells[index] = value
        if name in self.rows and index in self._shown:
            self.update_cell(name, label, plain_text(value) if isinstance(value, str) else value)

    def _fill(self, *, post: bool) -> None:
        """Lay the rows out in the columns that fit; ``post``: announce the highlighted row."""
        shown = self._columns_for_width()
        if not post and shown == self._shown:
            return
        keep, row = self.selected, self.cursor_row
        if shown != self._shown:
            self._shown = shown
            self.clear(columns=True)
            self._add_shown_columns()
        else:
            self.clear()
        self._names = [name for name, _ in self._rows]
        for name, cells in self._rows:
            # Plain strings become Text so a "[" in a name is not read as markup.
            shown_cells = [cells[index] for index in self._shown]
            self.add_row(
                *(plain_text(c) if isinstance(c, str) else c for c in shown_cells), key=name
            )
        if keep in self._names:
            self.move_cursor(row=self._names.index(keep))
        elif keep is not None and self._names:
            # Its row went (removed, here or elsewhere): the highlight goes to its neighbour.
            self.move_cursor(row=min(row, len(self._names) - 1))
        if post:
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
