"""Marks show only when on, so checkboxes, radio buttons and selection lists read without
colour (NO_COLOR): an unticked box is blank, not a dimmer X."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import RadioSet

from cc_tui.ui.widgets.toggles import MarkedCheckbox, MarkedRadioButton, MarkedSelectionList


class Toggles(App[None]):
    def compose(self) -> ComposeResult:
        yield MarkedCheckbox("accept", id="box")
        yield RadioSet(
            MarkedRadioButton("admins", True, id="admins"),
            MarkedRadioButton("contributors", id="contributors"),
        )
        yield MarkedSelectionList[str](("first", "a", True), ("second", "b"), id="options")


async def test_marks_show_only_when_on() -> None:
    app = Toggles()
    async with app.run_test(
        size=(60, 20),
    ) as pilot:
        box = app.query_one("#box", MarkedCheckbox)
        assert "X" not in box.render().plain
        box.value = True
        await pilot.pause()
        assert "X" in box.render().plain
        admins = app.query_one("#admins", MarkedRadioButton)
        contributors = app.query_one("#contributors", MarkedRadioButton)
        assert "●" in admins.render().plain and "●" not in contributors.render().plain
        contributors.value = True
        await pilot.pause()
        assert "●" in contributors.render().plain and "●" not in admins.render().plain
        options = app.query_one("#options", MarkedSelectionList)
        lines = [options.render_line(y).text for y in range(2)]
        assert "X" in lines[0] and "first" in lines[0]
        assert "X" not in lines[1] and "second" in lines[1]
        options.select("b")
        await pilot.pause()
        assert "X" in options.render_line(1).text
