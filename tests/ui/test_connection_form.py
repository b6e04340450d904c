"""ConnectionFormModal: add, sign in (device flow inside the app), edit, test, remove."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Collapsible, Input, Static

from cc_tui.store.config import with_connection
from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.messages import ConfigChanged
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.screens.connection_form import ConnectionFormModal
from cc_tui.ui.widgets.connection_actions import ConnectionActions
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.sign_in_panel import SignInPanel
from tests.ui.conftest import UiHome, until, workers_done

ORGANISATION = "Riverside Outfitters"  # the emulator's seeded account


async def _open(
    app: CcTuiApp, pilot: Pilot[int], connection: str | None = None, **options: bool
) -> list[object]:
    """Push the form; returns the list its dismissal result lands in."""
    results: list[object] = []
    await app.push_screen(ConnectionFormModal(connection, **options), results.append)
    await pilot.pause()
    return results


def _form(app: CcTuiApp) -> ConnectionFormModal:
    assert isinstance(app.screen, ConnectionFormModal)
    return app.screen


async def _type(pilot: Pilot[int], text: str) -> None:
    await pilot.press(*text)


async def _fill_new(app: CcTuiApp, pilot: Pilot[int], home: UiHome, name: str) -> None:
    """Type a name, display name and client ID; point the URLs at the test emulator."""
    form = _form(app)
    assert _focus(app) == "name"
    await _type(pilot, name)
    await pilot.press("tab")
    await _type(pilot, "Sales team")
    form.query_one("#client-id", Input).value = "sales-app"
    form.query_one("#emulator-address", Input).value = home.emulator.url
    form.query_one("#use-emulator", Button).press()
    await pilot.pause()


async def _wait_for_code(pilot: Pilot[int], panel: SignInPanel) -> str:
    for _ in range(400):
        if panel.user_code:
            return panel.user_code
        await pilot.pause(0.01)
    raise AssertionError("no sign-in code was shown")


def _focus(app: CcTuiApp) -> str | None:
    return app.focused.id if app.focused is not None else None


def _status(app: CcTuiApp) -> str:
    return _form(app).query_one(ConnectionActions).status


async def test_new_connection_signs_in_inside_the_app(ui_home: UiHome) -> None:
    app = ui_home.app()
    seen: list[object] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        results = await _open(app, pilot)
        await _fill_new(app, pilot, ui_home, "sales")
        form = _form(app)
        assert form.query_one("#api-base-url", Input).value == ui_home.emulator.api_base_url
        assert form.query_one("#auth-base-url", Input).value == ui_home.emulator.auth_base_url
        form.query_one("#privacy-accept", Checkbox).focus()
        await pilot.press("space", "ctrl+l")  # accept the statement, then sign in (saves first)
        panel = form.query_one(SignInPanel)
        code = await _wait_for_code(pilot, panel)
        assert code in ui_home.emulator.pending_user_codes()
        assert panel.verification_url.startswith(ui_home.emulator.url)
        assert panel.seconds_left is not None and panel.seconds_left > 0
        assert form.signing_in and form.check_action("save", ()) is None
        ui_home.emulator.approve(code)
        await workers_done(app)
        await pilot.pause()
        assert panel.has_class("-ok")
        assert ORGANISATION in panel.status
        assert "valid until" in panel.status
        status = ui_home.services.connections.status("sales")
        assert status.signed_in and status.connection.display_name == "Sales team"
        assert status.connection.consent is not None
        assert status.connection.consent.accepted_by == "alice"
        assert any(isinstance(m, ConfigChanged) for m in seen)
        titles = [c.title for c in form.palette_commands()]
        assert "connection: Sign in again" in titles and "connection: Test" in titles
        await pilot.press("escape")
        await until(pilot, lambda: results)  # the form closes once its last work is done
        assert results == ["sales"]


async def test_consent_then_denied_sign_in(make_ui_home: Callable[..., UiHome]) -> None:
    home = make_ui_home(signed_in=False)
    without_consent = replace(home.services.connections.get("marketing"), consent=None)
    home.services.config.update(lambda config: with_connection(config, without_consent))
    app = home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, "marketing")
        form = _form(app)
        assert "Not signed in" in _status(app)
        assert "Not accepted yet" in str(form.query_one("#privacy-consent", Static).content)
        assert [c.title for c in form.palette_commands()][1] == "connection: Sign in"
        await pilot.click("#sign_in")  # refused: nobody accepted the statement yet
        await pilot.pause()
        assert _focus(app) == "privacy-accept"
        assert "before signing in" in form.query_one("#privacy-error", FieldProblem).text
        assert not home.emulator.pending_user_codes()
        await pilot.press("space")  # accept here, then sign in
        ticked = str(form.query_one("#privacy-consent", Static).content)
        assert ticked.startswith("Ticked: saving or signing in records your acceptance")
        await pilot.press("ctrl+l")
        panel = form.query_one(SignInPanel)
        home.emulator.deny(await _wait_for_code(pilot, panel))
        await workers_done(app)
        await pilot.pause()
        assert home.services.connections.get("marketing").consent is not None
        assert "Accepted by alice" in str(form.query_one("#privacy-consent", Static).content)
        assert panel.has_class("-failed") and "denied" in panel.status
        assert "denied" in _status(app)
        assert not home.services.connections.status("marketing").signed_in
        assert isinstance(app.screen, ConnectionFormModal)


async def test_cancel_while_waiting_keeps_the_form(make_ui_home: Callable[..., UiHome]) -> None:
    home = make_ui_home(signed_in=False)
    app = home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        results = await _open(app, pilot, "marketing", start_sign_in=True)
        form = _form(app)
        panel = form.query_one(SignInPanel)
        await _wait_for_code(pilot, panel)
        assert "connection: Cancel sign-in" in [c.title for c in form.palette_commands()]
        await pilot.press("escape")
        await workers_done(app)
        await pilot.pause()
        assert app.screen is form and not form.signing_in
        assert "cancelled" in panel.status
        assert not home.services.connections.status("marketing").signed_in
        assert form.check_action("sign_in", ()) is True
        await pilot.press("escape")
        await pilot.pause()
        assert results == [None]


async def test_save_refusals_are_explained_inline(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        results = await _open(app, pilot)
        await _fill_new(app, pilot, ui_home, "sales")
        form = _form(app)
        await pilot.press("ctrl+s")  # the statement is not accepted
        await pilot.pause()
        assert _focus(app) == "privacy-accept"
        problem = form.query_one("#privacy-error", FieldProblem)
        assert problem.display and "consent is required" in problem.text
        assert "Not saved" in _status(app)
        await pilot.press("space")
        assert not problem.text  # ticking the box clears the explanation
        form.query_one("#api-base-url", Input).value = "http://api.example.com/v3"
        await pilot.press("ctrl+s")  # plain http to a host that is not loopback
        await pilot.pause()
        assert _focus(app) == "api-base-url"
        assert "not allowed" in form.query_one("#api_base_url-error", FieldProblem).text
        assert not form.query_one("#advanced", Collapsible).collapsed
        form.query_one("#name", Input).value = "bad name!"
        await pilot.press("ctrl+s")  # the first invalid field, in visual order, gets focus
        await pilot.pause()
        assert _focus(app) == "name"
        assert "letters, digits" in form.query_one("#name-error", FieldProblem).text
        assert set(ui_home.services.config.load().connections) == {"marketing"}
        form.query_one("#name", Input).value = "sales"
        form.query_one("#api-base-url", Input).value = ui_home.emulator.api_base_url
        await pilot.press("ctrl+s")
        await until(pilot, lambda: results == ["sales"])  # once the service saved it
        assert ui_home.services.connections.get("sales").consent is not None


async def test_test_then_edit_display_name(ui_home: UiHome) -> None:
    app = ui_home.app()
    seen: list[object] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        results = await _open(app, pilot, "marketing")
        form = _form(app)
        assert "Signed in" in _status(app)
        assert form.query_one("#name", Input).disabled
        assert "Accepted by alice" in str(form.query_one("#privacy-consent", Static).content)
        await pilot.click("#test")
        await workers_done(app)
        await pilot.pause()
        assert ORGANISATION in _status(app) and "contact lists" in _status(app)
        display = form.query_one("#display-name", Input)
        display.focus()
        display.value = ""
        await _type(pilot, "Newsletter team")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: results == ["marketing"])
        assert ui_home.services.connections.get("marketing").display_name == "Newsletter team"
        assert any(isinstance(m, ConfigChanged) for m in seen)


async def test_remove_offers_to_detach_exports(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    seen: list[object] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        results = await _open(app, pilot, "marketing")
        await pilot.click("#remove")
        # The service says first whether it may go, and which exports use it.
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "weekly" in str(app.screen.query_one("#question", Static).content)
        await pilot.press("n")
        await pilot.pause()
        assert "marketing" in ui_home.services.config.load().connections
        await pilot.click("#remove")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: results == [None])  # removed by the service, form closed
        config = ui_home.services.config.load()
        assert "marketing" not in config.connections
        assert config.exports["weekly"].connection is None
        assert results == [None]
        assert any(isinstance(m, ConfigChanged) for m in seen)


async def test_fits_80x24_and_works_by_keyboard(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot)
        form = _form(app)
        screen_region = form.region
        for button_id in ("#save", "#sign_in"):
            button = form.query_one(button_id, Button)
            assert screen_region.contains_region(button.region), button_id
        reached: list[str] = []
        for _ in range(40):
            await pilot.press("tab")
            if app.focused is not None and app.focused.id:
                reached.append(app.focused.id)
            if "sign_in" in reached:
                break
        assert reached.index("privacy-accept") < reached.index("save") < reached.index("sign_in")
        order = [i for i in ("name", "display-name", "usable-by", "client-id") if i in reached]
        assert order == ["display-name", "usable-by", "client-id"]  # name had focus first
        await pilot.press("enter")  # Sign in: saving first fails on the empty fields
        await pilot.pause()
        assert _focus(app) == "name"
        assert form.query_one("#name-error", FieldProblem).text


async def test_a_name_taken_is_placed_at_the_name_by_the_refusal_s_kind(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot)
        await _fill_new(app, pilot, ui_home, "marketing")  # the home has it already
        form = _form(app)
        form.query_one("#privacy-accept", Checkbox).value = True
        await pilot.press("ctrl+s")  # only the service knows the name is taken
        await until(pilot, lambda: "Not saved" in _status(app))
        assert _focus(app) == "name"
        assert "already exists" in form.query_one("#name-error", FieldProblem).text


async def test_a_test_of_a_connection_never_signed_in_offers_the_sign_in_key(
    make_ui_home: Callable[..., UiHome],
) -> None:
    home = make_ui_home(signed_in=False)
    app = home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, "marketing")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: "Test failed" in _status(app))
        assert _status(app) == (
            "Test failed: 'marketing' is not signed in yet. Press ^l to sign in here."
        )  # the app's key, not the command line's way to sign in
