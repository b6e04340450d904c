"""The demo shows the real sign-in: the form points at the demo's emulator, one connection is
left for the person to sign in, and approving happens on the emulator's page as in a browser."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from textual.widgets import Button, Input, Static

from cc_tui.cli.demo.command import DEMO_CONNECTION, TRY_CONNECTION, DemoEnvironment, prepare_demo
from cc_tui.service.async_client import ServiceLink
from cc_tui.service.home_client import HomeClient
from cc_tui.service.locate import service_files
from cc_tui.service.server import ServiceServer, ServiceThread
from cc_tui.ui.app import CcTuiApp, OpenedHome, open_home
from cc_tui.ui.screens.connection_form import ConnectionFormModal
from cc_tui.ui.widgets.sign_in_panel import SignInPanel
from tests.ui.conftest import workers_done
from tests.ui.test_connection_form import _wait_for_code

DEMO_TEST_ROWS = 300
REFRESHES = 50  # screen refreshes allowed for the sign-in panel to scroll into view


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoEnvironment]:
    environment = prepare_demo(DEMO_TEST_ROWS, tmp_path / "home")
    yield environment
    environment.close()


@pytest.fixture
def demo_home(demo: DemoEnvironment) -> Iterator[OpenedHome]:
    """The demo home as its app opens it: through a service of its own (as ``cc-tui demo``),
    knowing where the demo's emulator listens."""
    paths = demo.services.paths
    files = service_files(paths)
    service = ServiceThread(ServiceServer(paths, files, schedule=False)).start()
    with ThreadPoolExecutor(1) as pool:  # async tests: opened off their event loop
        client = HomeClient(ServiceLink(paths, files))
        yield pool.submit(open_home, client, emulator_url=demo.emulator.url).result()
    service.stop()


def test_demo_signs_in_its_own_connection_and_leaves_one_to_try(demo: DemoEnvironment) -> None:
    connections = demo.services.connections
    assert connections.status(DEMO_CONNECTION).signed_in
    assert not connections.status(TRY_CONNECTION).signed_in
    assert demo.services.emulator_url == demo.emulator.url
    # Nothing approves codes by itself: the approval page is the only way in.
    assert not demo.emulator.settings.auto_approve


async def test_the_unsigned_connection_signs_in_through_the_approval_page(
    demo: DemoEnvironment, demo_home: OpenedHome
) -> None:
    app = CcTuiApp(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ConnectionFormModal(TRY_CONNECTION))
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ConnectionFormModal)
        # "Use local emulator" offers the running emulator, not a default port.
        assert form.query_one("#emulator-address", Input).value == demo.emulator.url
        form.query_one("#use-emulator", Button).press()
        await pilot.pause()
        assert form.query_one("#api-base-url", Input).value == demo.emulator.api_base_url
        await app.run_action("sign_in", form)
        panel = form.query_one(SignInPanel)
        code = await _wait_for_code(pilot, panel)
        await pilot.pause()
        # A loopback address is no use to a phone: no QR code, and the URL and code show.
        assert not panel.shows_qr
        url_line = str(form.query_one("#sign-in-url", Static).content)
        assert panel.verification_url in url_line
        code_box = form.query_one("#sign-in-user-code", Static)
        # The panel scrolls itself into view once laid out (a refresh or two later).
        for _ in range(REFRESHES):
            if form.region.contains_region(code_box.region):
                break
            await pilot.pause()
        assert form.region.contains_region(code_box.region)
        assert code in str(code_box.content)
        # The person opens the page and approves, as in a browser.
        async with httpx.AsyncClient() as browser:
            page = await browser.get(panel.verification_url, params={"user_code": code})
            assert page.status_code == httpx.codes.OK and "Approve" in page.text
            answer = await browser.post(
                panel.verification_url, data={"user_code": code, "action": "approve"}
            )
            assert answer.status_code == httpx.codes.OK and "Device approved" in answer.text
        await workers_done(app)
        await pilot.pause()
        assert panel.has_class("-ok")
        assert demo.services.connections.status(TRY_CONNECTION).signed_in
