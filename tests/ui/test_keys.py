"""Keys are safe and say when they do not apply (issue 10): no letter acts inside a text field,
the highlight follows what was just saved or deleted, a late cancel says so, dimmed keys
explain themselves, confirmations come only when the action can go ahead."""

from __future__ import annotations

from collections.abc import Callable

from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from cc_tui.errors import ConsentRequiredError, SignInRequiredError
from cc_tui.models.run import RunStatus
from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.key_catalogue import typing_screens
from cc_tui.ui.keymap import typeable
from cc_tui.ui.messages import RunRequested
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.screens.connection_form import ConnectionFormModal
from cc_tui.ui.screens.export_form.screen import ExportFormScreen
from cc_tui.ui.screens.home import HomeScreen
from cc_tui.ui.screens.segment_path import SegmentPathModal
from cc_tui.ui.widgets.connection_actions import ConnectionActions
from cc_tui.ui.widgets.list_picker import ListPicker
from cc_tui.ui.widgets.segment_picker import SegmentPicker
from tests.ui.conftest import UiHome, until, workers_done


def _notes(app: CcTuiApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def _highlighted(app: CcTuiApp, table_id: str) -> str:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return str(table.get_row_at(table.cursor_row)[0])


def _row_count(app: CcTuiApp, table_id: str) -> int:
    return app.screen.query_one(f"#{table_id}", DataTable).row_count


async def _settle(app: CcTuiApp, pilot: Pilot[int]) -> None:
    for _ in range(2):
        await workers_done(app)
        await pilot.pause()


def test_forms_bind_no_key_that_types_into_their_fields() -> None:
    forms = typing_screens()
    assert {ConnectionFormModal, ExportFormScreen, SegmentPathModal} <= set(forms)
    typed = [
        (form.__name__, binding.key)
        for form in forms
        for binding in form.BINDINGS
        if isinstance(binding, Binding)
        and any(typeable(key.strip()) for key in binding.key.split(","))
    ]
    assert typed == []


async def test_sign_in_key_named_in_the_form_works_from_a_text_field(
    make_ui_home: Callable[..., UiHome],
) -> None:
    home = make_ui_home(signed_in=False)
    app = home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ConnectionFormModal("marketing"))
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ConnectionFormModal)
        display = form.query_one("#display-name", Input)
        assert app.focused is display and display.value == "Marketing account"
        # A letter typed in the field is text: it replaces the selected name, nothing else.
        await pilot.press("s")
        await pilot.pause()
        assert display.value == "s" and not form.signing_in
        # The hint names the key that signs in from where the person is.
        key = app.key_for("connection-form-sign-in")
        status = form.query_one(ConnectionActions).status
        assert f"press {key} " in status
        assert f"Sign in {key}" in str(form.query_one("#sign_in").label)  # type: ignore[attr-defined]
        await pilot.press(form.BINDINGS[1].key)  # type: ignore[union-attr]
        await pilot.pause()
        assert form.signing_in
        await pilot.press("escape")  # cancel the sign-in
        await pilot.pause()
        assert not form.signing_in


async def test_a_new_connection_gets_the_highlight(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert _highlighted(app, "connections") == "marketing"
        assert app.focused is not None and app.focused.id == "connections"  # no export yet
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ConnectionFormModal)
        await pilot.press(*"sales", "tab", *"Sales team")
        form.query_one("#client-id", Input).value = "sales-app"
        form.query_one("#privacy-accept").value = True  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))  # the service saved it
        await until(pilot, lambda: _highlighted(app, "connections") == "sales")
        assert app.focused is not None and app.focused.id == "connections"


async def test_a_new_export_gets_the_highlight_so_r_runs_it(ui_home: UiHome) -> None:
    ui_home.add_export("weekly")
    app = ui_home.app()
    seen: list[object] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await pilot.pause()
        assert _highlighted(app, "exports") == "weekly"
        await pilot.press("n")
        await _settle(app, pilot)
        form = app.screen
        assert isinstance(form, ExportFormScreen)
        await pilot.press(*"spring", "tab")
        assert form.query_one("#connection", Select).value == "marketing"
        await pilot.press("tab", *"News", "enter")
        assert form.query_one(ListPicker).chosen == (ui_home.list_id,)
        form.query_one(SegmentPicker).focus_options()
        await pilot.press("space")
        await _settle(app, pilot)
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert _highlighted(app, "exports") == "spring"
        await pilot.press("p")
        await pilot.pause()
        assert [m.export for m in seen if isinstance(m, RunRequested)] == ["spring"]
        await _settle(app, pilot)


async def test_deleting_hands_the_highlight_to_a_neighbour(ui_home: UiHome) -> None:
    for name in ("alpha", "beta", "gamma"):
        ui_home.add_export(name)
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("j")  # beta
        await pilot.press("d", "y")
        await until(pilot, lambda: _row_count(app, "exports") == 2)  # the service removed it
        assert _highlighted(app, "exports") == "gamma"
        await pilot.press("d", "y")
        await until(pilot, lambda: _row_count(app, "exports") == 1)
        assert _highlighted(app, "exports") == "alpha"


async def test_removing_a_connection_in_use_names_its_exports_before_asking(
    ui_home: UiHome,
) -> None:
    ui_home.add_export("weekly")
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: _row_count(app, "connections") == 1)
        await pilot.press("shift+tab", "d")  # exports -> connections, delete
        # The service says first whether it may go and which exports use it.
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        question = str(app.screen.query_one("#question", Static).content)
        assert "used by the export weekly" in question and "Detach" in question
        await pilot.press("y")
        await until(pilot, lambda: any("detached weekly" in note for note in _notes(app)))
        config = ui_home.services.config.load()
        assert "marketing" not in config.connections
        assert config.exports["weekly"].connection is None
        assert any("detached weekly" in note for note in _notes(app))
        assert not any("--detach-exports" in note for note in _notes(app))


async def test_a_connection_a_user_may_not_remove_is_refused_without_asking(
    ui_home: UiHome,
) -> None:
    from dataclasses import replace

    from cc_tui.models.config import Roles
    from cc_tui.models.connection import UsableBy

    ui_home.services.connections.edit("marketing", usable_by=UsableBy.CONTRIBUTORS)
    ui_home.services.config.update(
        lambda c: replace(c, roles=Roles(admins=("bob",), contributors=("alice",)))
    )
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.select("connections", "marketing")  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("d")
        # The service refuses (kernel-named user, roles in its config): the app says why.
        await until(pilot, lambda: any("Only administrators may" in n for n in _notes(app)))
        assert isinstance(app.screen, HomeScreen)  # no question: "yes" could not go ahead
        assert any("Only administrators may remove" in note for note in _notes(app))


async def test_a_running_export_is_not_offered_for_deletion(make_ui_home: object) -> None:
    home: UiHome = make_ui_home(processing_rate=10.0)  # type: ignore[operator]
    home.add_export("weekly")
    app = home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.post_message(RunRequested("weekly"))
        await pilot.pause(0.3)
        assert app.runs.is_running("weekly")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert any("is running: cancel its run first (c)" in note for note in _notes(app))
        assert "weekly" in home.services.config.load().exports
        app.runs.cancel("weekly")


async def test_a_cancel_confirmed_after_the_run_finished_says_it_was_too_late(
    make_ui_home: object,
) -> None:
    home: UiHome = make_ui_home(processing_rate=200.0)  # type: ignore[operator]
    home.add_export("weekly")
    app = home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.post_message(RunRequested("weekly"))
        await pilot.pause(0.2)
        assert app.runs.is_running("weekly")
        await pilot.press("c")  # asks; the run goes on meanwhile
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await _settle(app, pilot)
        run = app.runs.get("weekly")
        assert run is not None and run.record is not None
        assert run.record.status is RunStatus.SUCCEEDED
        await pilot.press("y")
        await until(pilot, lambda: any("Too late" in note for note in _notes(app)))
        assert any(
            "Too late to cancel: the run of weekly had already finished (succeeded" in note
            for note in _notes(app)
        )


async def test_keys_that_do_not_apply_say_why(ui_home: UiHome) -> None:
    ui_home.add_export("weekly")
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")  # nothing runs
        await pilot.pause()
        assert any("weekly is not running" in note for note in _notes(app))
        await pilot.press("shift+tab", "r")  # on Connections
        await pilot.pause()
        assert any(
            "r runs the highlighted export: press tab until Exports" in note for note in _notes(app)
        )
        assert app.runs.get("weekly") is None
        await pilot.press("shift+tab", "e")  # on Run history
        await pilot.pause()
        assert any("Runs are kept as they happened" in note for note in _notes(app))


async def test_resume_and_cancel_on_a_finished_run_say_why(ui_home: UiHome) -> None:
    from cc_tui.ui.screens.history import HistoryScreen
    from cc_tui.ui.screens.run import RunScreen

    ui_home.add_export("weekly")
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await _settle(app, pilot)
        assert isinstance(app.screen, RunScreen)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)  # no question: nothing runs
        assert any("weekly is not running: there is nothing to cancel" in n for n in _notes(app))
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("r")
        await pilot.pause()
        assert any(
            "This run succeeded: there is nothing to resume. Press r on weekly" in note
            for note in _notes(app)
        )
        assert len(ui_home.history.runs(export="weekly")) == 1


async def test_run_messages_in_the_app_name_its_keys_not_cli_commands(ui_home: UiHome) -> None:
    from cc_tui.engine.failures import run_outcome
    from tests.engine.test_failures import EXPORT, FAILED, RESUMABLE

    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        steps = app.next_steps
        for error in RESUMABLE:
            _, text = run_outcome(error, EXPORT, steps=steps)
            assert text.endswith("Resume: press r on spring in Exports."), text
        for error, _ in FAILED:
            if "--" in str(error) or "cc-tui" in str(error):
                continue  # the error's own words (made up by the test), not the next step
            _, text = run_outcome(error, EXPORT, steps=steps)
            assert "cc-tui " not in text and " --" not in text, text
        signed_out = SignInRequiredError.never_signed_in("marketing")
        assert steps.explain(signed_out) == (
            "Connection 'marketing' is not signed in yet: open connection marketing in "
            "Connections and press ^l"
        )
        assert str(signed_out).endswith("cc-tui connection login marketing")  # the CLI's words
        no_consent = ConsentRequiredError.not_recorded("marketing")
        assert steps.explain(no_consent).endswith(
            "must accept it: open connection marketing in Connections, tick the statement and "
            "press ^s"
        )
        assert str(no_consent).endswith("cc-tui connection login marketing --accept-privacy")


async def test_a_run_refused_before_it_starts_says_the_app_action(
    make_ui_home: Callable[..., UiHome],
) -> None:
    home = make_ui_home(signed_in=False)
    home.add_export("weekly")
    app = home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await _settle(app, pilot)
        run = app.runs.get("weekly")
        assert run is not None and run.error is not None
        assert "open connection marketing in Connections and press ^l" in run.error
        assert not any("cc-tui" in note for note in _notes(app))


async def test_a_segment_name_in_use_is_refused_in_the_app_s_words(ui_home: UiHome) -> None:
    from cc_tui.models.config import SegmentSource
    from cc_tui.store.config import with_segment

    leads, vip = ui_home.segments.parent / "leads.csv", ui_home.segments.parent / "vip.csv"
    for path in (leads, vip):
        path.write_text("Email,First\nlee@example.com,Lee\n")
    ui_home.services.config.update(lambda c: with_segment(c, SegmentSource("vip", vip)))
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ExportFormScreen())
        await _settle(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, SegmentPathModal)
        await pilot.press(*str(leads), "enter")
        await _settle(app, pilot)
        name = modal.query_one("#segment-name", Input)
        name.value = "vip"  # a segment config.toml already has
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert app.screen is modal
        problem = modal.query_one("#segment-problem").text  # type: ignore[attr-defined]
        assert "A segment named 'vip' already exists: choose another name" in problem
        assert "--replace" not in problem
    assert ui_home.services.config.load().segments["vip"].path == vip


async def test_test_and_remove_on_an_unsaved_connection_say_why(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ConnectionFormModal())
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "name"
        await pilot.press("ctrl+t")  # Test
        await pilot.pause()
        assert any(
            "Save the connection first (^s, or sign in with ^l, which saves it)." in note
            for note in _notes(app)
        )
        assert isinstance(app.screen, ConnectionFormModal)


async def test_keymap_may_not_give_a_form_a_typeable_key(ui_home: UiHome) -> None:
    from dataclasses import replace

    ui_home.services.config.update(
        lambda c: replace(c, keymap={"connection-form-sign-in": "s", "home-run": "x"})
    )
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any("connection-form-sign-in kept their keys" in note for note in _notes(app))
        assert app.key_for("connection-form-sign-in") == "^l"
        assert app.key_for("home-run") == "x"  # the home screen has no text field


async def test_removing_a_connection_in_its_form_hands_the_highlight_on(ui_home: UiHome) -> None:
    from cc_tui.models.connection import UsableBy

    for name in ("sales", "zeta"):
        ui_home.services.connections.add(
            name, client_id="app", usable_by=UsableBy.ADMINS, accept_privacy=True
        )
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.select("connections", "sales")  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ConnectionFormModal))
        await pilot.press("f8")  # Remove: asks (once the service said it may go)
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        # the one below takes its place
        await until(pilot, lambda: _highlighted(app, "connections") == "zeta")
        assert app.focused is not None and app.focused.id == "connections"
