"""The home screen: panes, keys, palette, themes, help, quitting while runs are active."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from rich.console import Console
from textual.message import Message
from textual.widgets import DataTable, Static

from cc_tui.models.run import RunStatus
from cc_tui.store.run_history import RunHistory
from cc_tui.ui.messages import RunFinished, RunRequested
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.screens.help import HelpModal
from cc_tui.ui.screens.home import HomeScreen
from cc_tui.ui.widgets.detail_panel import DetailPanel
from cc_tui.ui.widgets.run_status_line import RunStatusLine
from tests.ui.conftest import UiHome, current_screen, until, workers_done


def rows(app: object, table_id: str) -> list[str]:
    table = app.screen.query_one(f"#{table_id}", DataTable)  # type: ignore[attr-defined]
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_wide_layout_shows_all_panes_and_details(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        assert not screen.has_class("-narrow")
        for pane in ("connections", "exports", "history"):
            assert screen.query_one(f"#pane-{pane}").display
        assert rows(app, "connections") == ["marketing"]
        assert rows(app, "exports") == ["weekly"]
        assert app.focused is not None and app.focused.id == "exports"
        assert screen.query_one(DetailPanel).border_title == "Export weekly"


async def test_narrow_layout_shows_one_pane_and_tab_switches(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.has_class("-narrow")
        visible = [p for p in ("connections", "exports", "history")
                   if screen.query_one(f"#pane-{p}").styles.display != "none"
                   and screen.query_one(f"#pane-{p}").has_class("-current")]  # fmt: skip
        assert visible == ["exports"]
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "history"
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "connections"
        assert screen.query_one(DetailPanel).border_title == "Connection marketing"
        assert _status(app) == "No run active"  # r and p do not apply on Connections
        await pilot.press("shift+tab")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "history"
        await pilot.press("shift+tab")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "exports"
        assert _status(app) == "No run active · r runs the highlighted export · p previews it"


def _status(app: object) -> str:
    line = app.screen.query_one(RunStatusLine)  # type: ignore[attr-defined]
    return str(line.content)


async def test_run_key_starts_a_run_and_history_fills(ui_home: UiHome) -> None:
    ui_home.add_export()
    seen: list[Message] = []
    app = ui_home.app()
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await workers_done(app)
        await pilot.pause()
        requested = [m for m in seen if isinstance(m, RunRequested)]
        assert [(m.export, m.dry_run) for m in requested] == [("weekly", False)]
        finished = [m for m in seen if isinstance(m, RunFinished)]
        assert finished and finished[0].record.status is RunStatus.SUCCEEDED
        assert finished[0].record.confirmed == 120
        await pilot.press("escape")  # back from the run view
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert len(rows(app, "history")) == 1


async def test_palette_offers_run_and_theme_switch_is_remembered(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme: Use cc-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "cc-light"
        assert ui_home.services.config.load().theme == "cc-light"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"export: Preview weekly")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await workers_done(app)
        await pilot.pause()
        run = app.runs.get("weekly")
        assert run is not None and run.record is not None and run.record.dry_run


async def test_help_lists_keys_with_ids_and_gives_focus_back(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        markdown = app.screen.query_one("Markdown")
        text = markdown.source  # type: ignore[attr-defined]
        assert "home-run" in text and "Exports send segments" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.focused is not None and app.focused.id == "exports"


async def test_quitting_while_a_run_is_active_leaves_it_to_the_service(
    make_ui_home: object,
) -> None:
    """Runs are the service's: quitting asks nothing, the run goes on, and the next app
    opened on the home watches it to its end (formerly: quitting asked, and cancelled)."""
    home: UiHome = make_ui_home(processing_rate=10.0)  # type: ignore[operator]
    home.add_export()
    app = home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.post_message(RunRequested("weekly"))
        await until(pilot, lambda: (run := app.runs.get("weekly")) is not None and run.progress)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
    again = home.app()
    async with again.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: (run := again.runs.get("weekly")) is not None and run.record)
    run = again.runs.get("weekly")
    assert run is not None and run.record is not None
    assert run.record.status is RunStatus.SUCCEEDED
    record = RunHistory(home.services.history).runs(export="weekly")[0]
    assert record.status is RunStatus.SUCCEEDED


async def test_keymap_in_config_remaps_a_binding(ui_home: UiHome) -> None:
    from dataclasses import replace

    ui_home.add_export()
    ui_home.services.config.update(
        lambda c: replace(c, keymap={"home-run": "x", "no-such-binding": "z"})
    )
    seen: list[Message] = []
    app = ui_home.app()
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await pilot.pause()
        # Checked before the run: the notice lives 10 s, and a loaded machine can take longer
        # than that to finish the run below.
        assert any("no-such-binding" in n.message for n in app._notifications)
        await pilot.press("x")
        await workers_done(app)
        await pilot.pause()
        assert any(isinstance(m, RunRequested) for m in seen)


async def test_delete_asks_first_and_removes_the_export(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: rows(app, "exports") == ["weekly"])
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await pilot.pause()
        assert rows(app, "exports") == ["weekly"]
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: rows(app, "exports") == [])
        assert "weekly" not in ui_home.services.config.load().exports
        # A connection that an export still uses: the question names it before anything.
        ui_home.add_export("daily")
        app.screen.reload()  # type: ignore[attr-defined]
        await until(pilot, lambda: rows(app, "exports") == ["daily"])
        await pilot.press("tab", "tab")  # exports -> history -> connections
        await pilot.pause()
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "used by the export daily" in str(app.screen.query_one("#question").render())
        await pilot.press("n")
        await pilot.pause()
        assert "marketing" in ui_home.services.config.load().connections


async def test_a_plan_that_fails_unexpectedly_is_not_left_being_worked_out(
    ui_home: UiHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan worker that fails with something other than cc-tui's own errors (a dropped link)
    ends as "could not be worked out", never as "being worked out" for good."""
    from cc_tui.service.home_client import HomeClient

    async def broken(self: HomeClient, export: str, *, count: bool = True) -> object:
        raise ConnectionResetError("the link dropped")

    monkeypatch.setattr(HomeClient, "plan", broken)
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(160, 50)) as pilot:
        panel = app.screen.query_one(DetailPanel)

        def shown() -> str:
            console = Console(width=200, record=True, color_system=None)
            console.print(panel.query_one("#detail-body", Static).content)
            return " ".join(console.export_text().split())

        await until(pilot, lambda: "could not be worked out" in shown())
        assert "being worked out" not in shown()


def _details(app: object) -> str:
    panel = app.screen.query_one(DetailPanel)  # type: ignore[attr-defined]
    console = Console(width=200, record=True, color_system=None)
    console.print(panel.query_one("#detail-body", Static).content)
    return " ".join(console.export_text().split())


async def test_an_exports_details_name_its_lists(ui_home: UiHome) -> None:
    """Each list is named beside its id, as the account calls it (asked in a worker); an id the
    account does not have says so, never a made-up name."""
    gone = "0b6e2b14-1c7d-4f7b-9a51-6c1f2f9b8e11"
    ui_home.add_export()
    export = ui_home.services.exports.get("weekly")
    ui_home.services.exports.save(replace(export, list_ids=(ui_home.list_id, gone)), replace=True)
    app = ui_home.app()
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: "Newsletter subscribers" in _details(app))
        text = _details(app)
        assert f"Newsletter subscribers {ui_home.list_id}" in text
        assert f"{gone} (not among the account's lists)" in text
        await workers_done(app)


async def test_list_names_not_known_are_not_made_up(make_ui_home: Callable[..., UiHome]) -> None:
    """Not signed in: the ids alone, and why their names are not shown."""
    home = make_ui_home(signed_in=False)
    home.add_export()
    app = home.app()
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: "names not known" in _details(app))
        text = _details(app)
        assert home.list_id in text and "Newsletter" not in text
        assert "names not known: marketing is not signed in" in text
        await workers_done(app)


async def test_palette_hints_name_the_keys_as_remapped(ui_home: UiHome) -> None:
    ui_home.add_export()
    keymap = {"home-audit": "z", "home-schedule": "w"}
    ui_home.services.config.update(lambda c: replace(c, keymap=keymap))
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = current_screen(app)
        assert isinstance(screen, HomeScreen)
        hints = [command.help for command in screen.palette_commands()]
        assert "Who did what; is the chain intact (z)" in hints
        assert any(hint.endswith("pause, resume (w)") for hint in hints)
        await workers_done(app)
