"""Checkbox, radio button and selection list whose mark is there only when on, so the state
reads without colour (NO_COLOR, monochrome terminals): Textual's draw the same mark in both
states and tell them apart by its shade alone."""

from __future__ import annotations

from typing import TypeVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList
from textual.widgets._toggle_button import ToggleButton

__all__ = ["MarkedCheckbox", "MarkedRadioButton", "MarkedSelectionList"]

ValueT = TypeVar("ValueT")

EMPTY_MARK = " "


class MarkedCheckbox(Checkbox):
    """A checkbox showing ``X`` when ticked and a blank when not."""

    ON_MARK = Checkbox.BUTTON_INNER

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._show_mark()

    def watch_value(self) -> None:
        self._show_mark()
        super().watch_value()

    def _show_mark(self) -> None:
        # An instance attribute: Textual draws whatever BUTTON_INNER holds.
        self.BUTTON_INNER = self.ON_MARK if self.value else EMPTY_MARK


class MarkedRadioButton(RadioButton):
    """A radio button showing ``●`` when chosen and a blank when not."""

    ON_MARK = RadioButton.BUTTON_INNER

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._show_mark()

    def watch_value(self) -> None:
        self._show_mark()
        super().watch_value()

    def _show_mark(self) -> None:
        self.BUTTON_INNER = self.ON_MARK if self.value else EMPTY_MARK


class MarkedSelectionList(SelectionList[ValueT]):
    """A selection list whose options show ``X`` when selected and a blank when not."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        index = self.scroll_offset.y + y
        if index >= self.option_count or self.get_option_at_index(index).value in self.selected:
            return strip
        segments = list(strip)
        # SelectionList draws [left edge, mark, right edge, space, prompt...] on each line.
        if len(segments) > 1 and segments[1].text == ToggleButton.BUTTON_INNER:
            segments[1] = Segment(EMPTY_MARK, segments[1].style)
            return Strip(segments, strip.cell_length)
        return strip
