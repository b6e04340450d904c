"""Checkbox, radio button and selection list whose mark is there only when on, so the state
reads without colour (NO_COLOR, monochrome terminals): Textual's draw the same mark in both
states and tell them apart by its shade alone."""

from __future__ import annotations

from typing import TypeVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widgets import Checkbox, OptionList, RadioButton, SelectionList
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
    """A selection list whose options show ``X`` when selected and a blank when not.

    Options may wrap onto several lines (a list's id moves to the next line whole): the mark
    goes on an option's first line and its other lines get a blank gutter. Textual 8's own
    SelectionList takes screen lines for options, so after a wrapped option every mark below
    it showed the state of the option below (a list shown chosen that was not).
    """

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # The options wrap beside the marks: Textual 8 measured them as wide as the whole list,
        # so a wrapped option's second line went uncounted and the last option fell below a
        # scrollbar (which then cut the ids short).
        return super().get_content_height(
            container, viewport, width - self._get_left_gutter_width()
        )

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)
        try:
            # OptionList's own map of screen lines: (option index, line within the option).
            index, line_offset = self._lines[self.scroll_offset.y + y]
        except IndexError:
            return line
        selected = self.get_option_at_index(index).value in self.selected
        component = "selection-list--button"
        component += "-selected" if selected else ""
        component += "-highlighted" if self.highlighted == index else ""
        underlying = next(iter(line)).style or self.rich_style
        button_style = self.get_component_rich_style(component)
        side_style = Style.from_color(button_style.bgcolor, underlying.bgcolor)
        # The option's index as meta, as SelectionList does: a click on the mark toggles it.
        meta = Style(meta={"option": index})
        if line_offset:
            gutter = ToggleButton.BUTTON_LEFT + EMPTY_MARK + ToggleButton.BUTTON_RIGHT + " "
            return Strip([Segment(" " * len(gutter), underlying + meta), *line])
        mark = ToggleButton.BUTTON_INNER if selected else EMPTY_MARK
        return Strip(
            [
                Segment(ToggleButton.BUTTON_LEFT, side_style + meta),
                Segment(mark, button_style + meta),
                Segment(ToggleButton.BUTTON_RIGHT, side_style + meta),
                Segment(" ", underlying),
                *line,
            ]
        )
