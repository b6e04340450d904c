"""ListPicker: choose Constant Contact lists by name (type to filter) or by pasting an id.

The screen fetches the account's lists and hands them down (:meth:`ListPicker.set_lists`); the
picker posts :class:`ListPicker.Changed` when the choice changes and :class:`ListPicker.IdEntered`
when enter is pressed on text that matches no list (the screen checks it is a list id).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from cc_tui.safe_text import visible
from cc_tui.ui.outside_text import VisibleInInput, plain
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.toggles import MarkedSelectionList

__all__ = ["ListChoice", "ListPicker"]


@dataclass(frozen=True, slots=True)
class ListChoice:
    """A contact list as the picker shows it (``members`` None: unknown)."""

    list_id: str
    name: str
    members: int | None = None

    def matches(self, text: str) -> bool:
        """True when ``text`` is part of the name or of the id (any case)."""
        needle = text.strip().lower()
        return needle in self.name.lower() or needle in self.list_id.lower()

    def label(self) -> Text:
        """Name, members and id, for the option list."""
        members = "? members" if self.members is None else f"{self.members:,} members"
        # The name and id come from the account: visible plain text.
        return Text.assemble(
            (visible(self.name) or "(unnamed)", "bold"),
            f"  {members}  ",
            (visible(self.list_id), "dim"),
        )


class ListPicker(Widget):
    """A filter box over the account's lists; space or enter toggles a list."""

    HELP = (
        "Type part of a list's name to filter, **enter** picks the only match (or moves to the "
        "matches), **space** toggles a list. Paste a list id and press **enter** to add it."
    )
    # A list's id is copied and pasted: its option wraps (the id moves to the next line whole)
    # rather than being cut to "4cffb0de-…" at 80 columns.
    DEFAULT_CSS = """
    ListPicker { height: auto; }
    ListPicker #list-filter { width: 1fr; }
    ListPicker #list-status { color: $text-muted; height: auto; }
    ListPicker #list-status.-error { color: $text-error; }
    ListPicker SelectionList { height: auto; max-height: 8; padding: 0;
                               border: none; border-left: tall $border-blurred;
                               text-wrap: wrap; text-overflow: fold; }
    ListPicker SelectionList:focus { border: none; border-left: tall $border; }
    ListPicker #list-chosen { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "down",
            "to_options",
            "Matches",
            show=False,
            id="list-picker-to-options",
            tooltip="From the filter box down to the matching lists",
        ),
    ]

    @dataclass(eq=False)
    class Changed(Message):
        """The chosen lists changed."""

        picker: ListPicker

    @dataclass(eq=False)
    class IdEntered(Message):
        """Enter was pressed on text that matches no list: is it a list id?"""

        picker: ListPicker
        text: str

    def __init__(self, chosen: Iterable[str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lists: dict[str, ListChoice] = {}
        self._fetched = False
        self._chosen: dict[str, ListChoice] = {i: ListChoice(i, "") for i in chosen}

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="type to filter by name, or paste a list id + enter",
            id="list-filter",
            compact=True,
            highlighter=VisibleInInput(),
        )
        yield Static("", id="list-status", markup=False)
        yield MarkedSelectionList[str](id="list-options")
        yield Static("", id="list-chosen", markup=False)
        yield FieldProblem(id="list-problem")

    def on_mount(self) -> None:
        self._rebuild()

    # -- attributes down -------------------------------------------------------------------------

    @property
    def chosen(self) -> tuple[str, ...]:
        """The chosen list ids, in the order they were chosen."""
        return tuple(self._chosen)

    @property
    def unmatched_text(self) -> str | None:
        """The filter text when it matches no list (it may be an id not added yet)."""
        text = self.query_one("#list-filter", Input).value.strip()
        if not text or any(choice.matches(text) for choice in self._options()):
            return None
        return text

    def show_fetching(self, text: str) -> None:
        """Say the lists are being fetched."""
        self._status(text, error=False)

    def set_error(self, text: str) -> None:
        """Say why the lists could not be fetched (ids can still be pasted)."""
        self._lists, self._fetched = {}, False
        self._status(text, error=True)
        self._rebuild()

    def set_lists(self, lists: Sequence[ListChoice]) -> None:
        """Offer the account's lists."""
        self._lists, self._fetched = {choice.list_id: choice for choice in lists}, True
        for list_id in self._chosen:
            if list_id in self._lists:
                self._chosen[list_id] = self._lists[list_id]
        self._status(f"{len(lists)} lists in this account.", error=False)
        self._rebuild()

    def add_list(self, choice: ListChoice) -> None:
        """Choose ``choice`` (a pasted id that was checked) and clear the filter."""
        self._lists.setdefault(choice.list_id, choice)
        self._chosen[choice.list_id] = choice
        self.query_one("#list-filter", Input).value = ""
        self._rebuild()
        self.post_message(self.Changed(self))

    def show_problem(self, text: str | None) -> None:
        """Explain what is wrong with the lists (None: nothing)."""
        self.query_one(FieldProblem).show(text)

    def focus_filter(self) -> None:
        """Put the cursor in the filter box."""
        self.query_one("#list-filter", Input).focus()

    # -- internals -------------------------------------------------------------------------------

    def _status(self, text: str, *, error: bool) -> None:
        status = self.query_one("#list-status", Static)
        status.update(plain(text, multiline=True))
        status.set_class(error, "-error")

    def _options(self) -> list[ListChoice]:
        unknown = [c for i, c in self._chosen.items() if i not in self._lists]
        return unknown + list(self._lists.values())

    def _rebuild(self) -> None:
        self._rebuild_options()
        self._show_chosen()

    def _rebuild_options(self) -> None:
        text = self.query_one("#list-filter", Input).value.strip()
        shown = [c for c in self._options() if not text or c.matches(text)]
        options = self.query_one("#list-options", SelectionList)
        with options.prevent(SelectionList.SelectedChanged):
            options.clear_options()
            options.add_options(
                Selection(self._label(c), c.list_id, c.list_id in self._chosen) for c in shown
            )

    def _show_chosen(self) -> None:
        names = [c.name or c.list_id for c in self._chosen.values()]
        self.query_one("#list-chosen", Static).update(
            plain(f"Chosen ({len(names)}): {', '.join(names)}" if names else "Chosen: none yet")
        )

    def _label(self, choice: ListChoice) -> Text:
        if choice.list_id in self._lists or choice.name:
            return choice.label()
        note = "  (not among the account's lists)" if self._fetched else "  (list id)"
        return Text.assemble((visible(choice.list_id), "bold"), (note, "dim"))

    @on(Input.Changed, "#list-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._rebuild()

    @on(Input.Submitted, "#list-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        matches = [c for c in self._options() if text and c.matches(text)]
        if len(matches) == 1:
            self.add_list(matches[0])
        elif not text or matches:
            self.action_to_options()
        else:
            self.post_message(self.IdEntered(self, text))

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        event.stop()
        list_id = event.selection.value
        if list_id in self._chosen:
            del self._chosen[list_id]
        else:
            self._chosen[list_id] = self._lists.get(list_id, ListChoice(list_id, ""))
        self._show_chosen()
        self.post_message(self.Changed(self))

    def action_to_options(self) -> None:
        """Move from the filter box to the matching lists."""
        options = self.query_one("#list-options", SelectionList)
        if options.option_count:
            options.focus()
            if options.highlighted is None:
                options.highlighted = 0
