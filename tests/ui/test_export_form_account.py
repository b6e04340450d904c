"""The export form checks list IDs against the account, and says plainly when it could not."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input, Static

from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.screens.export_form.screen import ExportFormScreen
from cc_tui.ui.screens.home import HomeScreen
from cc_tui.ui.widgets.detail_panel import DetailPanel
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.list_picker import ListPicker
from cc_tui.ui.widgets.mapping_editor import MappingEditor
from cc_tui.ui.widgets.named_table import NamedTable
from cc_tui.ui.widgets.segment_picker import SegmentPicker
from tests.ui.conftest import UiHome, until
from tests.ui.test_export_form import NEWSLETTER, _open, _settle

GHOST = str(uuid.UUID(int=0x6057))


async def _fill_in(app: CcTuiApp, pilot: Pilot[int], form: ExportFormScreen, name: str) -> None:
    """A name, a pasted list ID (entered), the segment; the e-mail column is guessed."""
    form.query_one("#name", Input).value = name
    form.query_one(ListPicker).focus_filter()
    form.query_one("#list-filter", Input).value = GHOST  # pasted
    await pilot.press("enter")
    await _settle(app, pilot)
    form.query_one(SegmentPicker).focus_options()
    await pilot.press("space")
    await _settle(app, pilot)
    assert form.query_one(MappingEditor).values.email == "email"


def _saved_notes(app: CcTuiApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Export saved"]


async def test_a_list_the_account_lacks_is_named_with_the_account_lists(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        form, results = await _open(app, pilot)
        await _fill_in(app, pilot, form, "ghost")
        problem = form.query_one(ListPicker).query_one(FieldProblem).text
        assert f"The account has no list with ID {GHOST}" in problem
        assert f"Newsletter subscribers ({NEWSLETTER})" in problem
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert results == []
    assert "ghost" not in ui_home.services.config.load().exports


async def test_offline_the_export_is_saved_unchecked_and_the_form_says_so(
    ui_home: UiHome,
) -> None:
    ui_home.emulator.stop()
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        form, results = await _open(app, pilot)
        await _fill_in(app, pilot, form, "offline")
        assert form.query_one(ListPicker).chosen == (GHOST,)  # taken unchecked, not refused
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert results == ["offline"]
        [note] = _saved_notes(app)
        assert "Could not check the lists against Constant Contact (" in note
        assert "could not be reached" in note and "): saved unchecked." in note
    assert ui_home.services.config.load().exports["offline"].list_ids == (GHOST,)


async def test_never_signed_in_the_form_says_the_lists_were_not_checked(
    make_ui_home: Callable[..., UiHome],
) -> None:
    home = make_ui_home(signed_in=False)
    app = home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        form, results = await _open(app, pilot)
        await _fill_in(app, pilot, form, "unsigned")
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert results == ["unsigned"]
        [note] = _saved_notes(app)
        assert (
            "Connection 'marketing' is not signed in yet, so the lists could not be checked "
            "against Constant Contact: saved unchecked. Sign in with: open connection marketing "
            "in Connections and press ^l"
        ) in note


async def test_with_no_connection_yet_home_and_form_say_to_add_one_first(ui_home: UiHome) -> None:
    """A first start: no connection. The Exports pane and the export form say a connection
    comes first and where it is added, not "choose a connection" with none to choose."""
    ui_home.services.connections.remove("marketing")
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        home = app.screen
        assert isinstance(home, HomeScreen)
        home.query_one("#exports", NamedTable).focus()
        await pilot.pause()
        panel = home.query_one(DetailPanel)
        body = " ".join(str(panel.query_one("#detail-body", Static).render()).split())
        assert "there is none yet: press shift+tab to go to Connections, then n" in body
        form, _ = await _open(app, pilot)
        status = " ".join(str(form.query_one("#connection-status", Static).render()).split())
        assert status.startswith("No connection you may use yet: add one on the home screen")
