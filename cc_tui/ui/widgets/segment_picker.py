"""SegmentPicker: choose segments, in order (earlier segments win on duplicate e-mails).

Every segment is listed, the ones that cannot be read included: a missing file or an
unreadable one shows its state and, when highlighted, its whole problem and fix. Files the
segments folders hold but discovery skipped are named at the bottom with the reason. A segment
that is not known yet is added by its path (the button, or ctrl+o on the form).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, SelectionList, Static
from textual.widgets.selection_list import Selection

from cc_tui.safe_text import visible
from cc_tui.ui.outside_text import plain
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.toggles import MarkedSelectionList
from cc_tui.units import size_text

__all__ = ["READY", "SegmentChoice", "SegmentPicker"]

READY = "ready"
"""The state of a segment that can be read (others: ``missing``, ``unreadable``)."""
LABEL_PROBLEM_CHARS = 48
"""How much of a problem fits in the list; the whole text shows when the row is highlighted."""
SKIPPED_SHOWN = 3
"""Skipped files named under the list; the rest are counted (``segment list`` names them all)."""


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class SegmentChoice:
    """A segment as the picker shows it; ``rows`` None means "still counting".

    ``state`` is ``ready``, or why it cannot be read (``missing``, ``unreadable``, ``not
    found``), with the ``problem`` and its fix; ``error`` is a row count that failed.
    """

    name: str
    format_label: str = ""
    size_bytes: int = 0
    rows: int | None = None
    error: str = ""
    state: str = READY
    problem: str = ""

    def label(self) -> Text:
        """Name, format, rows and size; or the state and the start of the problem."""
        name = (visible(self.name), "bold")
        if self.state != READY:
            note = _shorten(visible(self.problem), LABEL_PROBLEM_CHARS)
            return Text.assemble(name, (f"  {self.state}", "bold red"), (f"  {note}", "dim"))
        if self.error:
            return Text.assemble(name, (f"  {visible(self.error)}", "dim"))
        rows = (
            "… rows" if self.rows is None else f"{self.rows:,} row{'' if self.rows == 1 else 's'}"
        )
        return Text.assemble(
            name, f"  {self.format_label}  {rows}  ", (size_text(self.size_bytes), "dim")
        )


class SegmentPicker(Widget):
    """Every segment this configuration names; space or enter toggles one."""

    HELP = (
        "Toggle segments with **space** or **enter**. They are read in the order you chose "
        "them, and when an e-mail appears twice the earlier segment wins; toggle a segment off "
        "and on again to move it last. A segment that cannot be read is listed with its "
        "problem (highlight it to read all of it). **Add by path** (ctrl+o) adds a file or "
        "folder that is not listed: a CSV/TSV, Parquet or NDJSON file, a Parquet or Spark "
        "folder, a Delta table or a CDM folder's model.json."
    )
    # A long segment name wraps whole rather than being cut at 80 columns.
    DEFAULT_CSS = """
    SegmentPicker { height: auto; }
    SegmentPicker SelectionList { height: auto; max-height: 8; padding: 0;
                                  border: none; border-left: tall $border-blurred;
                                  text-wrap: wrap; text-overflow: fold; }
    SegmentPicker SelectionList:focus { border: none; border-left: tall $border; }
    SegmentPicker #segment-order { color: $text-muted; height: auto; }
    SegmentPicker #segment-detail { display: none; color: $text-warning; height: auto;
                                    padding-left: 1; }
    SegmentPicker #segment-detail.-shown { display: block; }
    SegmentPicker #segment-skipped { display: none; color: $text-muted; height: auto; }
    SegmentPicker #segment-skipped.-shown { display: block; }
    SegmentPicker #add-segment { margin-top: 0; }
    """

    @dataclass(eq=False)
    class Changed(Message):
        """The chosen segments (or their order) changed."""

        picker: SegmentPicker

    @dataclass(eq=False)
    class AddRequested(Message):
        """The person wants to add a segment by its path."""

        picker: SegmentPicker

    def __init__(self, chosen: Iterable[str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._segments: dict[str, SegmentChoice] = {}
        self._chosen: list[str] = list(dict.fromkeys(chosen))

    def compose(self) -> ComposeResult:
        yield Static("Reading the segments folders…", id="segment-order", markup=False)
        yield MarkedSelectionList[str](id="segment-options")
        yield Static("", id="segment-detail", markup=False)
        yield Static("", id="segment-skipped", markup=False)
        yield Button("Add by path… (ctrl+o)", id="add-segment", compact=True)
        yield FieldProblem(id="segment-problem")

    @property
    def chosen(self) -> tuple[str, ...]:
        """The chosen segment names, in the order they will be read."""
        return tuple(self._chosen)

    @property
    def choices(self) -> dict[str, SegmentChoice]:
        """Every segment listed, by name."""
        return dict(self._segments)

    def set_segments(self, segments: Sequence[SegmentChoice], skipped: Sequence[str] = ()) -> None:
        """Offer ``segments``; chosen names that are not among them are shown as not found.

        ``skipped`` are the files discovery left out, each with its reason.
        """
        self._segments = {segment.name: segment for segment in segments}
        for name in self._chosen:
            self._segments.setdefault(
                name,
                SegmentChoice(
                    name,
                    state="not found",
                    problem=f"no segment is called {name} any more: untick it, or add its "
                    "file by path (ctrl+o)",
                ),
            )
        options = self.query_one(SelectionList)
        with options.prevent(SelectionList.SelectedChanged):
            options.clear_options()
            options.add_options(
                Selection(seg.label(), name, name in self._chosen, id=name)
                for name, seg in self._segments.items()
            )
        self._show_skipped(skipped)
        self._show_order()
        self._show_detail()

    def set_rows(self, name: str, rows: int | None, error: str = "") -> None:
        """The row count of ``name`` is known (or could not be read: ``error``)."""
        if name not in self._segments:
            return
        segment = replace(self._segments[name], rows=rows, error=error)
        self._segments[name] = segment
        self.query_one(SelectionList).replace_option_prompt(name, segment.label())

    def choose(self, name: str) -> None:
        """Add ``name`` to the chosen segments (last), as if it had been toggled on."""
        if name in self._chosen:
            return
        self._chosen.append(name)
        options = self.query_one(SelectionList)
        if name in self._segments:
            with options.prevent(SelectionList.SelectedChanged):
                options.select(name)
            index = list(self._segments).index(name)
            options.highlighted = index
        self._show_order()
        self.post_message(self.Changed(self))

    def show_problem(self, text: str | None) -> None:
        """Explain what is wrong with the chosen segments (None: nothing)."""
        self.query_one(FieldProblem).show(text)

    def focus_options(self) -> None:
        """Focus the segment list (its first segment highlighted)."""
        options = self.query_one(SelectionList)
        options.focus()
        if options.highlighted is None and options.option_count:
            options.highlighted = 0

    def _show_order(self) -> None:
        if not self._segments:
            text = "No segments yet: add a file or folder by its path (ctrl+o)."
        elif not self._chosen:
            text = "None chosen yet: space toggles a segment."
        elif len(self._chosen) == 1:
            text = f"Chosen: {self._chosen[0]}"
        else:
            order = "  ".join(f"{n}. {name}" for n, name in enumerate(self._chosen, 1))
            text = f"Read in this order (earlier wins on duplicate e-mails): {order}"
        self.query_one("#segment-order", Static).update(plain(text))

    def _show_skipped(self, skipped: Sequence[str]) -> None:
        line = self.query_one("#segment-skipped", Static)
        line.set_class(bool(skipped), "-shown")
        if not skipped:
            line.update("")
            return
        shown = [f"· {reason}" for reason in skipped[:SKIPPED_SHOWN]]
        rest = len(skipped) - SKIPPED_SHOWN
        more = f"\n… and {rest} more (cc-tui segment list names them all)" if rest > 0 else ""
        count = f"{len(skipped)} file{'' if len(skipped) == 1 else 's'}"
        line.update(plain(f"Skipped {count}:\n" + "\n".join(shown) + more, multiline=True))

    def _show_detail(self) -> None:
        """The whole problem of the highlighted segment, when it has one."""
        options = self.query_one(SelectionList)
        detail = self.query_one("#segment-detail", Static)
        index = options.highlighted
        choice = None
        if index is not None and 0 <= index < options.option_count:
            name = options.get_option_at_index(index).value
            choice = self._segments.get(name)
        text = ""
        if choice is not None and choice.state != READY:
            text = f"{choice.name} is {choice.state}: {choice.problem}"
        elif choice is not None and choice.error:
            text = f"{choice.name}: {choice.error}"
        detail.update(plain(text, multiline=True))
        detail.set_class(bool(text), "-shown")

    @on(SelectionList.SelectionHighlighted)
    def _highlighted(self, event: SelectionList.SelectionHighlighted[str]) -> None:
        event.stop()
        self._show_detail()

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        event.stop()
        name = event.selection.value
        if name in self._chosen:
            self._chosen.remove(name)
        else:
            self._chosen.append(name)
        self._show_order()
        self.post_message(self.Changed(self))

    @on(Button.Pressed, "#add-segment")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.AddRequested(self))
