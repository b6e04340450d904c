"""Help (F1): the app's own actions grouped by screen, with keys and binding ids, and nothing
of Textual's internals; the palette offers each command once."""

from __future__ import annotations

import re
from dataclasses import replace

from textual.widgets import Markdown
from textual.widgets._footer import FooterKey

from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.key_catalogue import known_binding_ids
from cc_tui.ui.screens.help import HelpModal
from cc_tui.ui.screens.home import HomeScreen
from tests.ui.conftest import UiHome

TEXTUAL_INTERNALS = ("VerticalScroll", "A container", "question_mark", "Scroll Up", "scroll_")


async def test_f1_lists_every_own_action_by_screen_and_nothing_of_textual(
    ui_home: UiHome,
) -> None:
    ui_home.add_export()
    ui_home.services.config.update(lambda c: replace(c, keymap={"home-run": "f5,ctrl+r"}))
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        text = app.screen.query_one(Markdown).source
        headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
        # The focused list's note, then this screen, then the others, the app's keys last.
        assert headings[1] == "Home (this screen)"
        assert {"Run view", "Run history", "Export form", "Connection form"} <= set(headings)
        assert headings[-1] == "Anywhere"
        listed = set(re.findall(r"\| `([a-z0-9-]+)` \|$", text, flags=re.MULTILINE))
        assert listed == known_binding_ids(CcTuiApp)  # every id users can remap, no other
        for internal in TEXTUAL_INTERNALS:
            assert internal not in text, internal
        assert "| `f5 / ctrl+r` | Run the highlighted export now" in text  # the remap shows
        assert "| `?` |" in text
        # Its own footer says how to close it (the home's below would offer keys that do
        # nothing here).
        keys = [(k.key_display, k.description) for k in app.screen.query(FooterKey)]
        assert keys == [("esc", "Close")]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_palette_lists_each_command_once(ui_home: UiHome) -> None:
    from textual.command import CommandList

    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        options = app.screen.query_one(CommandList)
        for _ in range(100):  # the providers answer asynchronously
            if options.option_count:
                break
            await pilot.pause(0.01)
        titles = [
            str(options.get_option_at_index(i).prompt).splitlines()[0]
            for i in range(options.option_count)
        ]
        assert len(titles) == len(set(titles))
        assert "app: Help" in titles and "theme: Use cc-light" in titles
        # Textual's own Help/Quit/Theme would repeat ours under other names.
        assert not {"Theme", "Keys", "Quit"} & set(titles)


async def test_help_on_a_screen_whose_focus_has_no_note_names_no_app_docstring(
    ui_home: UiHome,
) -> None:
    """F1 with the focus on a plain container (the run view's scroll) starts with the screen's
    keys: no note taken from above the screen (the app's docstring, titled "Cc tui app")."""
    from cc_tui.ui.screens.run import RunScreen

    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(RunScreen("weekly"))
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        text = app.screen.query_one(Markdown).source
        headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
        assert "Cc tui app" not in headings
        assert headings[0] in {"Run view (this screen)", "Rejected rows"}
