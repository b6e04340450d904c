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


class Wrapped(App[None]):
    """A selection list whose first option wraps onto a second line (a list's long id)."""

    CSS = "MarkedSelectionList { text-wrap: wrap; text-overflow: fold; width: 40; }"

    def compose(self) -> ComposeResult:
        yield MarkedSelectionList[str](
            ("Newsletter subscribers  4cffb0de-3266-51df-a872-3dae3e41c372", "long"),
            ("Spring", "spring"),
            ("VIP", "vip", True),
            id="options",
        )


async def test_marks_follow_options_that_wrap() -> None:
    """The X sits on the chosen option's first line, whatever wrapped above it."""
    app = Wrapped()
    async with app.run_test(size=(60, 20)) as pilot:
        options = app.query_one("#options", MarkedSelectionList)
        await pilot.pause()
        lines = [options.render_line(y).text for y in range(options.virtual_size.height)]
        first = [i for i, line in enumerate(lines) if "▐" in line]
        assert len(first) == 3 < len(lines), "one mark an option, none on a wrapped line"
        newsletter, spring, vip = (lines[i] for i in first)
        assert "Newsletter" in newsletter and "X" not in newsletter
        assert "Spring" in spring and "X" not in spring
        assert "VIP" in vip and "X" in vip
