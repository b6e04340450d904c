"""The app is a client of the service: the home is opened there, for the kernel-named user.

A contributor's app cannot add a connection (the service refuses it, the form shows why, the
audit log records the refusal with the contributor's name), and the app's own thread never
opens the home's stores: every list and change goes through the socket.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from textual.widgets import Checkbox, Input

from cc_tui.engine.services import Services
from cc_tui.models.config import Roles
from cc_tui.store.audit import AuditOutcome
from cc_tui.ui.screens.connection_form import ConnectionFormModal
from cc_tui.ui.screens.history import HistoryScreen
from cc_tui.ui.screens.home import HomeScreen
from cc_tui.ui.widgets.connection_actions import ConnectionActions
from tests.ui.conftest import UiHome, until


async def test_a_contributor_s_app_cannot_add_a_connection(
    ui_home: UiHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui_home.services.config.update(
        lambda c: replace(c, roles=Roles(admins=("alice",), contributors=("bob",)))
    )
    # The service names its clients from the kernel: every client of it is "bob" now, whatever
    # the environment says (LOGNAME, USER).
    monkeypatch.setattr("cc_tui.service.identity.user_name", lambda uid: "bob")
    monkeypatch.setenv("LOGNAME", "alice")
    monkeypatch.setenv("USER", "alice")
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        # "marketing" is for administrators: a contributor's home does not list it.
        assert [status.connection.name for status in app.view.connections] == []
        await app.push_screen(ConnectionFormModal())
        await pilot.pause()
        form = app.screen
        form.query_one("#name", Input).value = "c3"
        form.query_one("#client-id", Input).value = "attacker-app"
        form.query_one("#privacy-accept", Checkbox).value = True
        await pilot.press("ctrl+s")
        actions = form.query_one(ConnectionActions)
        await until(pilot, lambda: "administrators" in actions.status)
        assert app.screen is form  # not saved: the form stays open
        assert "'bob' is not one" in actions.status
    assert "c3" not in ui_home.services.config.load().connections
    refused = [
        event
        for event in ui_home.services.history.events(limit=20)
        if event.action == "connection.add" and event.subject == "c3"
    ]
    assert [(event.os_user, event.outcome) for event in refused] == [("bob", AuditOutcome.REFUSED)]


async def test_the_app_never_opens_the_home_on_its_own_thread(
    ui_home: UiHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui_home.add_export()
    opened_on: list[str] = []
    real_open = Services.open.__func__  # type: ignore[attr-defined]

    def watched(cls: type[Services], /, *args: object, **kwargs: object) -> Services:
        opened_on.append(threading.current_thread().name)
        return real_open(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(Services, "open", classmethod(watched))
    app = ui_home.app()
    app_thread = threading.current_thread().name  # run_test runs the app on this loop
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")  # a run, its history, the details: all through the service
        await until(pilot, lambda: (run := app.runs.get("weekly")) is not None and run.record)
        app.show_history("weekly")
        await until(
            pilot,
            lambda: (
                isinstance(screen := app.screen, HistoryScreen)
                and bool(screen.query("RunSummary"))
                and screen.record is not None
            ),
        )
    assert opened_on, "the service opened the home for each call"
    assert app_thread not in opened_on
