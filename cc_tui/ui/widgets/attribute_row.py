"""AttributeRow: one "Add field" row of the mapping (Constant Contact field <- column)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select

from cc_tui.models.api_rules import ATTRIBUTE_FIELDS, CUSTOM_FIELD_PREFIX
from cc_tui.ui.outside_text import VisibleInInput, plain
from cc_tui.ui.widgets.column_select import ColumnSelect
from cc_tui.ui.widgets.field_problem import FieldProblem

__all__ = ["CUSTOM_CHOICE", "AttributeRow", "AttributeValue"]

CUSTOM_CHOICE = "__custom__"
"""The field Select's value for "custom field…" (the name is then typed)."""
_FIELD_OPTIONS = [(name, name) for name in sorted(ATTRIBUTE_FIELDS)] + [
    ("custom field…", CUSTOM_CHOICE)
]


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """What one row maps: ``field`` is a Constant Contact field or ``cf:<name>``."""

    key: str
    field: str | None
    column: str | None


class AttributeRow(Widget):
    """A Constant Contact field (or a custom field ``cf:<name>``) and the column that feeds it."""

    HELP = (
        "Pick a Constant Contact field, or *custom field…* and type its name, then the segment "
        "column that feeds it. **Remove** (or ctrl+d on the row) drops the row. *home "
        "country* is spelled with a space, as Constant Contact's contract spells it (beside "
        "work_country and other_country). Values Constant Contact would refuse (impossible "
        "dates, international phone numbers, over-long text) are left out of their contact, "
        "which is still sent, and listed in the run's field_problems.csv."
    )
    DEFAULT_CSS = """
    AttributeRow { height: auto; }
    AttributeRow > Horizontal { height: 1; }
    AttributeRow .field { width: 20; }
    AttributeRow .custom-name { width: 16; display: none; }
    AttributeRow.-custom .custom-name { display: block; }
    AttributeRow .arrow { width: 3; color: $text-muted; content-align: center middle; }
    AttributeRow ColumnSelect { width: 20; }
    AttributeRow .samples { width: 1fr; color: $text-muted; text-wrap: nowrap;
                            text-overflow: ellipsis; padding-left: 1; }
    AttributeRow Button { min-width: 8; width: 8; margin-left: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+d",
            "remove_row",
            "Remove row",
            show=False,
            id="attribute-row-remove",
            tooltip="Remove this attribute row from the mapping",
        ),
    ]

    @dataclass(eq=False)
    class Changed(Message):
        """The field or the column of the row changed."""

        row: AttributeRow

    @dataclass(eq=False)
    class RemoveRequested(Message):
        """The person asked to remove the row."""

        row: AttributeRow

    def __init__(
        self,
        field: str | None = None,
        column: str | None = None,
        *,
        columns: Sequence[str] = (),
        known: bool = False,
        id: str,
    ) -> None:
        super().__init__(id=id)
        custom = field is not None and field.startswith(CUSTOM_FIELD_PREFIX)
        self._choice = CUSTOM_CHOICE if custom else field
        self._custom_name = field[len(CUSTOM_FIELD_PREFIX) :] if field and custom else ""
        known_choice = self._choice in ATTRIBUTE_FIELDS or self._choice == CUSTOM_CHOICE
        self._field_select: Select[str] = Select(
            _FIELD_OPTIONS,
            prompt="(field)",
            compact=True,
            classes="field",
            value=self._choice if known_choice and self._choice else Select.NULL,
        )
        self._name_input = Input(
            self._custom_name,
            placeholder="custom field name",
            compact=True,
            classes="custom-name",
            highlighter=VisibleInInput(),
        )
        self._column_select = ColumnSelect(wanted=column, prompt="(column)")
        self._column_select.set_columns(columns, known=known)
        self._samples = Label("", classes="samples")
        self._problem = FieldProblem()
        self.set_class(custom, "-custom")

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield self._field_select
            yield self._name_input
            yield Label("←", classes="arrow")
            yield self._column_select
            yield self._samples
            yield Button("Remove", compact=True, classes="remove")
        yield self._problem

    @property
    def value(self) -> AttributeValue:
        """The field and column chosen in this row (known before the row is mounted)."""
        field = self._choice
        if field == CUSTOM_CHOICE:
            name = self._custom_name.strip().removeprefix(CUSTOM_FIELD_PREFIX).strip()
            field = f"{CUSTOM_FIELD_PREFIX}{name}"
        return AttributeValue(self.id or "", field, self._column_select.wanted)

    def set_columns(self, columns: Sequence[str], *, known: bool = True) -> None:
        """Offer ``columns`` for this row's column."""
        self._column_select.set_columns(columns, known=known)

    def set_samples(self, text: str) -> None:
        """Show sample values of the chosen column."""
        self._samples.update(plain(text))

    def show_problem(self, text: str | None) -> None:
        """Explain what is wrong with this row (None: nothing)."""
        self._problem.show(text)

    def focus_part(self, part: str) -> None:
        """Focus the field (``"field"``) or the column (``"column"``) of the row, and show it."""
        if part == "column":
            self._column_select.focus()
        elif self.has_class("-custom"):
            self._name_input.focus()
        else:
            self._field_select.focus()
        # A row added a moment ago may not be laid out yet: scroll once it is.
        self.call_after_refresh(self.scroll_visible)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select is self._field_select:
            self._choice = event.value if isinstance(event.value, str) else None
            custom = self._choice == CUSTOM_CHOICE
            if custom and not self.has_class("-custom") and self._field_select.has_focus:
                self.call_after_refresh(self._name_input.focus)
            self.set_class(custom, "-custom")
        self.post_message(self.Changed(self))

    @on(Input.Changed)
    def _name_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._custom_name = event.value
        self.post_message(self.Changed(self))

    @on(Button.Pressed)
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.RemoveRequested(self))

    def action_remove_row(self) -> None:
        """Ask the editor to drop this row."""
        self.post_message(self.RemoveRequested(self))
