"""MappingEditor: which segment column feeds which Constant Contact field.

The e-mail column (required), first and last name (optional) and any number of attribute rows.
The screen gives it the chosen segments' common columns and sample values (attributes down) and
the problems it found (keys ``email``, ``first_name``, ``last_name``, ``mapping`` or
``<row id>:field`` / ``<row id>:column``); the editor posts :class:`MappingEditor.Changed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import count

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Label, Select

from cc_tui.models.config import FieldMapping
from cc_tui.ui.outside_text import plain
from cc_tui.ui.widgets.attribute_row import AttributeRow, AttributeValue
from cc_tui.ui.widgets.column_select import ColumnSelect
from cc_tui.ui.widgets.field_problem import FieldProblem

__all__ = ["MappingEditor", "MappingValues"]

NAMED_FIELDS = (("email", "E-mail *"), ("first_name", "First name"), ("last_name", "Last name"))
SAMPLES_SHOWN = 3


@dataclass(frozen=True, slots=True)
class MappingValues:
    """What the editor holds now (incomplete rows included, so they can be explained)."""

    email: str | None
    first_name: str | None
    last_name: str | None
    attributes: tuple[AttributeValue, ...]


class MappingEditor(Widget):
    """E-mail, names and attribute rows, each with its problem explained beside it."""

    HELP = (
        "Map segment columns to Constant Contact fields. The e-mail column is required; names "
        "are optional. **Add field** (ctrl+n) adds a row for any other field or a custom "
        "field (`cf:<name>`). Sample values of each chosen column are shown beside it."
    )
    DEFAULT_CSS = """
    MappingEditor { height: auto; }
    MappingEditor .named { height: 1; }
    MappingEditor .named Label.caption { width: 12; }
    MappingEditor .named ColumnSelect { width: 28; }
    MappingEditor .samples { width: 1fr; color: $text-muted; text-wrap: nowrap;
                             text-overflow: ellipsis; padding-left: 1; }
    MappingEditor #attribute-rows { height: auto; margin-top: 1; }
    MappingEditor #add-attribute { margin-top: 0; }
    """

    @dataclass(eq=False)
    class Changed(Message):
        """A column or a field of the mapping changed."""

        editor: MappingEditor

        @property
        def control(self) -> MappingEditor:
            """The editor that changed."""
            return self.editor

    def __init__(self, mapping: FieldMapping | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = mapping
        self._serial = count(1)
        self._columns: tuple[str, ...] = ()
        self._known = False
        self._samples: dict[str, tuple[str, ...]] = {}
        self._samples_pending = False

    def compose(self) -> ComposeResult:
        mapping = self._initial
        for key, caption in NAMED_FIELDS:
            wanted = getattr(mapping, key) if mapping else None
            with Horizontal(classes="named"):
                yield Label(caption, classes="caption")
                yield ColumnSelect(
                    wanted=wanted,
                    id=f"map-{key}",
                    prompt="(choose a column)" if key == "email" else "(none)",
                )
                yield Label("", id=f"samples-{key}", classes="samples")
            yield FieldProblem(id=f"problem-{key}")
        with Vertical(id="attribute-rows"):
            for field, column in mapping.attributes.items() if mapping else ():
                yield self._new_row(field, column)
        yield Button("Add field (ctrl+n)", id="add-attribute", compact=True)
        yield FieldProblem(id="problem-mapping")

    def _new_row(self, field: str | None, column: str | None) -> AttributeRow:
        return AttributeRow(
            field,
            column,
            columns=self._columns,
            known=self._known,
            id=f"attribute-row-{next(self._serial)}",
        )

    # -- attributes down -----------------------------------------------------------------------

    @property
    def values(self) -> MappingValues:
        """The current choices, rows in their order."""
        named = {key: self.query_one(f"#map-{key}", ColumnSelect).wanted for key, _ in NAMED_FIELDS}
        rows = tuple(row.value for row in self.query(AttributeRow))
        return MappingValues(named["email"], named["first_name"], named["last_name"], rows)

    def set_columns(
        self, columns: Sequence[str], samples: Mapping[str, Sequence[str]], *, known: bool = True
    ) -> None:
        """Offer ``columns`` (the chosen segments' common ones) with their sample values."""
        self._columns, self._known = tuple(columns), known
        self._samples = {name: tuple(values) for name, values in samples.items()}
        for select in self.query(ColumnSelect):
            select.set_columns(self._columns, known=known)
        self._show_samples()

    def guess(self, guesses: Mapping[str, str]) -> None:
        """Fill empty named fields (``email``, ``first_name``...) with the guessed columns."""
        for key, column in guesses.items():
            select = self.query_one(f"#map-{key}", ColumnSelect)
            if select.wanted is None:
                select.choose(column)
        self._show_samples()
        self.post_message(self.Changed(self))

    def choose(self, key: str, column: str | None) -> None:
        """Set a named field (``email``, ``first_name`` or ``last_name``) to ``column``."""
        self.query_one(f"#map-{key}", ColumnSelect).choose(column)
        self._show_samples()
        self.post_message(self.Changed(self))

    async def add_attribute(
        self, field: str | None = None, column: str | None = None
    ) -> AttributeRow:
        """Add a row (empty unless ``field``/``column`` are given) and return it."""
        row = self._new_row(field, column)
        await self.query_one("#attribute-rows").mount(row)
        self._show_samples()
        self.post_message(self.Changed(self))
        return row

    def show_problems(self, problems: Mapping[str, str]) -> None:
        """Show each problem beside its field; fields not named are fine."""
        for key, _ in NAMED_FIELDS:
            self.query_one(f"#problem-{key}", FieldProblem).show(problems.get(key))
        for row in self.query(AttributeRow):
            texts = [problems.get(f"{row.id}:{part}") for part in ("field", "column")]
            row.show_problem(" ".join(text for text in texts if text) or None)
        self.query_one("#problem-mapping", FieldProblem).show(problems.get("mapping"))

    def focus_field(self, key: str) -> None:
        """Focus the field a problem key names."""
        row_id, _, part = key.partition(":")
        if part:
            self.query_one(f"#{row_id}", AttributeRow).focus_part(part)
        elif key == "mapping":
            self.query_one("#add-attribute", Button).focus()
        else:
            self.query_one(f"#map-{key}", ColumnSelect).focus()

    def _show_samples(self) -> None:
        """Update the sample values beside every column, once per burst of changes."""
        if not self._samples_pending:
            self._samples_pending = True
            self.call_later(self._update_samples)

    def _update_samples(self) -> None:
        self._samples_pending = False
        for key, _ in NAMED_FIELDS:
            column = self.query_one(f"#map-{key}", ColumnSelect).wanted
            text = self._sample_text(column)
            if key == "email" and text and "@" not in text:
                text = "no @ in " + text.removeprefix("e.g. ") + ": not e-mail addresses?"
            self.query_one(f"#samples-{key}", Label).update(plain(text))
        for row in self.query(AttributeRow):
            row.set_samples(self._sample_text(row.value.column))

    def _sample_text(self, column: str | None) -> str:
        values = self._samples.get(column or "", ())[:SAMPLES_SHOWN]
        return ("e.g. " + ", ".join(values)) if values else ""

    # -- messages up -----------------------------------------------------------------------------

    @on(Select.Changed)
    def _named_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._show_samples()
        self.post_message(self.Changed(self))

    @on(AttributeRow.Changed)
    def _row_changed(self, event: AttributeRow.Changed) -> None:
        event.stop()
        self._show_samples()
        self.post_message(self.Changed(self))

    @on(AttributeRow.RemoveRequested)
    async def _remove_row(self, event: AttributeRow.RemoveRequested) -> None:
        event.stop()
        rows = list(self.query(AttributeRow))
        index = rows.index(event.row)
        await event.row.remove()
        rest = rows[:index] + rows[index + 1 :]
        if rest:
            rest[min(index, len(rest) - 1)].focus_part("field")
        else:
            self.query_one("#add-attribute", Button).focus()
        self.post_message(self.Changed(self))

    @on(Button.Pressed, "#add-attribute")
    async def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        row = await self.add_attribute()
        self.call_after_refresh(row.focus_part, "field")  # once laid out, so it scrolls to it
