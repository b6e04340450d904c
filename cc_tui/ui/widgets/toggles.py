"""Checkbox and radio button whose mark is there only when on, so the state reads without
colour (NO_COLOR, monochrome terminals): Textual's draw the same mark in both states and tell
them apart by its shade alone."""

from __future__ import annotations

from textual.widgets import Checkbox, RadioButton

__all__ = ["MarkedCheckbox", "MarkedRadioButton"]

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
