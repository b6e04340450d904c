"""ColumnSelect: pick a segment column; keeps its choice while the offered columns change."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Select

from cc_tui.ui.outside_text import plain_text

__all__ = ["ColumnSelect"]


class ColumnSelect(Select[str]):
    """A compact Select of segment columns.

    ``wanted`` is the column the person chose (or the export holds). It survives new column
    lists: a column the chosen segments do not all have stays selected, marked as missing, so
    the form can explain the problem instead of silently dropping the choice.
    """

    HELP = "Choose a column of the chosen segments (enter or space opens the list; type to search)."

    def __init__(
        self,
        *,
        wanted: str | None = None,
        prompt: str = "(none)",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            [(plain_text(wanted), wanted)] if wanted else [],
            prompt=prompt,
            allow_blank=True,
            value=wanted if wanted else Select.NULL,
            compact=True,
            id=id,
            classes=classes,
        )
        self.wanted = wanted
        self._columns: tuple[str, ...] = ()
        self._known = False
        self._syncing = False

    def watch_value(self, value: object) -> None:
        """Remember what the person picked (not what a new list of columns forced)."""
        if not self._syncing:
            self.wanted = value if isinstance(value, str) else None

    def set_columns(self, columns: Sequence[str], *, known: bool = True) -> None:
        """Offer ``columns``; ``known`` False means the segments' columns are not read yet."""
        self._columns, self._known = tuple(columns), known
        self._sync()

    def choose(self, column: str | None) -> None:
        """Select ``column`` (offered, marked missing, even if it is not among the columns)."""
        self.wanted = column
        self._sync()

    def _sync(self) -> None:
        # Column names are outside text: Text labels, so a "[/]" header is not markup.
        options = [(plain_text(column), column) for column in self._columns]
        wanted = self.wanted
        if wanted and wanted not in self._columns:
            label = f"{wanted} (missing)" if self._known else wanted
            options.insert(0, (plain_text(label), wanted))
        if not self.is_mounted:
            # Before mount the Select builds its overlay from these in _on_mount.
            self._setup_variables_for_options(options)
            self._value = wanted if wanted else Select.NULL
            return
        if options == self._options[1:] and self.value == (wanted or Select.NULL):
            return  # nothing changed: rebuilding the overlay is not free
        self._syncing = True
        try:
            with self.prevent(Select.Changed):
                self.set_options(options)
                self.value = wanted if wanted else Select.NULL
        finally:
            self._syncing = False
