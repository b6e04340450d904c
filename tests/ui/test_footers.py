"""Each footer shows only the keys that act on that screen, for what it shows.

A key that cannot act now but will on its own (run while a run goes, save while saving) is
dimmed (``check_action`` None); one that does not apply to this pane, this selection or this
state is not shown at all (False). Pressing either still says why (ExplainsDisabledKeys).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from cc_tui.models.run import RunStatus
from cc_tui.ui.messages import RunRequested
from cc_tui.ui.screens.connection_form import ConnectionFormModal
from cc_tui.ui.screens.export_form.screen import ExportFormScreen
from cc_tui.ui.screens.history import HistoryScreen
from cc_tui.ui.screens.home import HomeScreen
from cc_tui.ui.screens.run import RunScreen
from cc_tui.ui.screens.schedule import ScheduleScreen
from tests.ui.conftest import UiHome, current_screen, settled, until


def footer(screen: Screen[Any]) -> dict[str, bool]:
    """The footer's keys: description -> enabled (False: shown dimmed)."""
    return {
        active.binding.description: active.enabled
        for active in screen.active_bindings.values()
        if active.binding.show
    }


def _notes(app: Any) -> list[str]:
    return [notification.message for notification in app._notifications]


async def test_home_footer_follows_the_pane(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = current_screen(app)
        assert isinstance(screen, HomeScreen)
        await settled(app, pilot)
        keys = footer(screen)
        assert keys["New"] and keys["Edit"] and keys["Run"] and keys["History"]
        await pilot.press("tab")  # Run history: runs are neither made nor edited here
        keys = footer(screen)
        assert "New" not in keys and "Edit" not in keys and "Run" not in keys
        assert keys["History"]
        await pilot.press("r")  # hidden, and still says why when pressed
        await pilot.pause()
        assert any("r runs the highlighted export" in note for note in _notes(app))
        await pilot.press("tab")  # Connections: r runs exports, not connections
        keys = footer(screen)
        assert keys["New"] and keys["Edit"] and "Run" not in keys
        await settled(app, pilot)


async def test_home_footer_with_nothing_to_edit(make_ui_home: Callable[..., UiHome]) -> None:
    home = make_ui_home()
    app = home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = current_screen(app)
        await settled(app, pilot)
        await pilot.press("tab")  # from Connections (it opens there) to Exports
        keys = footer(screen)  # Exports, empty: only adding one applies
        assert keys["New"] and "Edit" not in keys and "Run" not in keys
        await pilot.press("e")
        await pilot.pause()
        assert any("No export yet: press n to add one." in note for note in _notes(app))


async def test_run_footer_drops_cancel_once_the_run_ended(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(RunRequested("weekly"))
        await app.push_screen(RunScreen("weekly"))
        run_screen = current_screen(app)
        await until(pilot, lambda: (run := app.runs.get("weekly")) and run.record)
        await settled(app, pilot)
        keys = footer(run_screen)
        assert "Cancel" not in keys and keys["Run again"] and keys["History"]
        await pilot.press("c")
        await pilot.pause()
        assert any("weekly is not running: there is nothing to cancel" in n for n in _notes(app))


async def test_history_footer_offers_resume_only_for_a_resumable_run(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(RunRequested("weekly"))
        await until(pilot, lambda: (run := app.runs.get("weekly")) and run.record)
        await app.push_screen(HistoryScreen("weekly"))
        history = current_screen(app)
        assert isinstance(history, HistoryScreen)
        await until(pilot, lambda: history.record is not None)
        await settled(app, pilot)
        assert history.record is not None and history.record.status is RunStatus.SUCCEEDED
        keys = footer(history)
        assert "Resume" not in keys and keys["Rejected"] and keys["All"]
        assert "This export" not in keys
        await pilot.press("a")  # every export's runs: a offers this export's again
        await settled(app, pilot)
        keys = footer(history)
        assert "All" not in keys and keys["This export"]


async def test_schedule_footer_offers_pause_or_resume_not_both(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ScheduleScreen())
        schedule = current_screen(app)
        await settled(app, pilot)
        keys = footer(schedule)  # on demand: no schedule to pause or resume
        assert keys["Run now"] and "Pause" not in keys and "Resume" not in keys


async def test_form_footers_show_what_acts(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ConnectionFormModal())
        form = current_screen(app)
        await settled(app, pilot)
        keys = footer(form)  # not saved yet: nothing to test or remove
        assert keys["Save"] and keys["Sign in"] and "Test" not in keys and "Remove" not in keys
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(current_screen(app), HomeScreen))
        await app.push_screen(ExportFormScreen())
        export_form = current_screen(app)
        await settled(app, pilot)
        keys = footer(export_form)  # the one connection is chosen: its lists can be reloaded
        assert keys["Save"] and keys["Reload"]


def _cut_keys(screen: Screen[Any]) -> list[str]:
    """The footer keys that do not fit beside the palette key (cut or hidden under it)."""
    footer_widget = screen.query_one(Footer)
    keys = list(footer_widget.query(FooterKey))
    palette = [key for key in keys if key.has_class("-command-palette")]
    edge = palette[0].region.x if palette else footer_widget.region.right
    return [key.description for key in keys if key not in palette and key.region.right > edge]


async def test_footers_fit_80_columns(ui_home: UiHome) -> None:
    """At 80x24 no footer key is cut (the export form's "f1 Help" ended in "f1")."""
    ui_home.add_export("newsletter-weekly")
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(app, pilot)
        assert _cut_keys(current_screen(app)) == []
        await app.push_screen(ExportFormScreen("newsletter-weekly"))
        form = current_screen(app)
        await settled(app, pilot)
        assert _cut_keys(form) == []
        assert "saving does not run it" in str(form.sub_title)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(current_screen(app), HomeScreen))
        app.post_message(RunRequested("newsletter-weekly"))
        await app.push_screen(RunScreen("newsletter-weekly"))
        run_screen = current_screen(app)
        await until(pilot, lambda: (run := app.runs.get("newsletter-weekly")) and run.record)
        await settled(app, pilot)
        assert _cut_keys(run_screen) == []
        await app.push_screen(HistoryScreen("newsletter-weekly"))
        history = current_screen(app)
        await settled(app, pilot)
        assert _cut_keys(history) == []
