"""SegmentPicker: choose segments, in order (earlier segments win on duplicate e-mails)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from cc_tui.ui.widgets.field_problem import FieldProblem

__all__ = ["SegmentChoice", "SegmentPicker"]


@dataclass(frozen=True, slots=True)
class SegmentChoice:
    """A segment as the picker shows it; ``rows`` None means "still counting"."""

    name: str
    format_label: str = ""
    size_bytes: int = 0
    rows: int | None = None
    error: str = ""

    def label(self) -> Text:
        """Name, format, rows and size."""
        if self.error:
            return Text.assemble((self.name, "bold"), (f"  {self.error}", "dim"))
        rows = (
            "… rows" if self.rows is None else f"{self.rows:,} row{'' if self.rows == 1 else 's'}"
        )
        return Text.assemble((self.name, "bold"), f"  {self.format_label}  {rows}  ",
                             (_human_size(self.size_bytes), "dim"))  # fmt: skip


def _human_size(size: int) -> str:
    """``1.2 MB`` style."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TB"


class SegmentPicker(Widget):
    """The segments this configuration can see; space or enter toggles one."""

    HELP = (
        "Toggle segments with **space** or **enter**. They are read in the order you chose "
        "them, and when an e-mail appears twice the earlier segment wins; toggle a segment off "
        "and on again to move it last."
    )
    DEFAULT_CSS = """
    SegmentPicker { height: auto; }
    SegmentPicker SelectionList { height: auto; max-height: 8; padding: 0;
                                  border: none; border-left: tall $border-blurred; }
    SegmentPicker SelectionList:focus { border: none; border-left: tall $border; }
    SegmentPicker #segment-order { color: $text-muted; height: auto; }
    """

    class Changed(Message):
        """The chosen segments (or their order) changed."""

        def __init__(self, picker: SegmentPicker) -> None:
            self.picker = picker
            super().__init__()

    def __init__(self, chosen: Iterable[str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._segments: dict[str, SegmentChoice] = {}
        self._chosen: list[str] = list(dict.fromkeys(chosen))

    def compose(self) -> ComposeResult:
        yield Static("Reading the segments folders…", id="segment-order", markup=False)
        yield SelectionList[str](id="segment-options")
        yield FieldProblem(id="segment-problem")

    @property
    def chosen(self) -> tuple[str, ...]:
        """The chosen segment names, in the order they will be read."""
        return tuple(self._chosen)

    def set_segments(self, segments: Sequence[SegmentChoice]) -> None:
        """Offer ``segments``; chosen names that are not among them are shown as not found."""
        self._segments = {segment.name: segment for segment in segments}
        for name in self._chosen:
            self._segments.setdefault(name, SegmentChoice(name, error="(not found)"))
        options = self.query_one(SelectionList)
        with options.prevent(SelectionList.SelectedChanged):
            options.clear_options()
            options.add_options(
                Selection(seg.label(), name, name in self._chosen, id=name)
                for name, seg in self._segments.items()
            )
        self._show_order()

    def set_rows(self, name: str, rows: int | None, error: str = "") -> None:
        """The row count of ``name`` is known (or could not be read: ``error``)."""
        if name not in self._segments:
            return
        segment = replace(self._segments[name], rows=rows, error=error)
        self._segments[name] = segment
        self.query_one(SelectionList).replace_option_prompt(name, segment.label())

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
            text = "No segments found: add a segments folder to config.toml (segments_dirs)."
        elif not self._chosen:
            text = "None chosen yet: space toggles a segment."
        elif len(self._chosen) == 1:
            text = f"Chosen: {self._chosen[0]}"
        else:
            order = "  ".join(f"{n}. {name}" for n, name in enumerate(self._chosen, 1))
            text = f"Read in this order (earlier wins on duplicate e-mails): {order}"
        self.query_one("#segment-order", Static).update(text)

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
