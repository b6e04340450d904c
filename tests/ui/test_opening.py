"""The app paints before it reaches its home, and never opens the home itself.

``cc-tui`` and ``cc-tui demo`` hand the app a function that reaches the home's service (starting
it when none answers): the app shows its opening screen, then does that on a thread, then shows
the home screen. Everything it shows comes from the service: the app's process never imports
the engine's services (it opens no store, reads no secrets, writes no config).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import Footer

from cc_tui.paths import AppPaths
from cc_tui.service.async_client import ServiceLink
from cc_tui.service.client import RemoteError
from cc_tui.service.home_client import HomeClient
from cc_tui.service.locate import service_files
from cc_tui.service.server import ServiceServer, ServiceThread
from cc_tui.ui.app import CcTuiApp, OpenedHome, open_home
from cc_tui.ui.screens.home import HomeScreen
from cc_tui.ui.screens.opening import OpeningScreen

HEAVY = ("polars", "httpx", "starlette", "uvicorn", "cc_tui.engine.services", "cc_tui.ui.runs")
# What the app imports once its home is open (the home screen's runs, not the engine's stores).
OPENED = ("cc_tui.ui.runs",)
# What the app never imports: the engine's services (what opens the stores), the emulator's stack.
NEVER = ("cc_tui.engine.services", "starlette", "uvicorn")

# Run in a fresh interpreter: this test process has imported all of them long ago. The opener
# is called once the first frame has been drawn; it notes what was imported by then. It reaches
# the home's service as ``cc-tui`` does: none answers, so it starts one (another process).
_FIRST_PAINT = """
import asyncio, sys
import cc_tui.cli.entry, cc_tui.service.async_client, cc_tui.ui.launch
from cc_tui.paths import AppPaths
from cc_tui.service.async_client import ServiceLink
from cc_tui.service.client import request
from cc_tui.service.home_client import HomeClient
from cc_tui.service.locate import service_files
from cc_tui.service.protocol import ServiceStop
from cc_tui.ui.app import CcTuiApp, open_home

HEAVY = {heavy!r}
NEVER = {never!r}
seen = {{}}
paths = AppPaths.resolve({home!r})
files = service_files(paths)

def opener():
    seen["painted"] = type(app.screen).__name__
    seen["before"] = [m for m in HEAVY if m in sys.modules]
    return open_home(HomeClient(ServiceLink(paths, files)))

app = CcTuiApp(opener)

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        while type(app.screen).__name__ != "HomeScreen" or not app.screen.query("Footer"):
            await pilot.pause(0.05)
        await pilot.pause()
        seen["after"] = [m for m in HEAVY if m in sys.modules]
        seen["never"] = [m for m in NEVER if m in sys.modules]

try:
    asyncio.run(main())
finally:
    request(paths, files, ServiceStop(), autostart=False)
print("PAINTED=" + seen["painted"])
print("BEFORE=" + ",".join(seen["before"]))
print("AFTER=" + ",".join(seen["after"]))
print("NEVER=" + ",".join(seen["never"]))
"""


def test_the_first_frame_comes_first_and_the_app_never_opens_the_home(tmp_path: Path) -> None:
    code = _FIRST_PAINT.format(heavy=HEAVY, never=NEVER, home=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert lines["PAINTED"] == "OpeningScreen"
    assert lines["BEFORE"] == "", f"imported before the first paint: {lines['BEFORE']}"
    # The same check sees them once the home is open: it would catch an early import.
    assert set(lines["AFTER"].split(",")) >= set(OPENED)
    # The home was opened by the service (another process), never by the app.
    assert lines["NEVER"] == "", f"the app imported {lines['NEVER']}"


@pytest.fixture
def home_service(tmp_path: Path) -> Iterator[Callable[[], OpenedHome]]:
    """A service for a home in tmp (a thread of this process); an opener that reaches it."""
    paths = AppPaths.resolve(tmp_path)
    files = service_files(paths)
    service = ServiceThread(ServiceServer(paths, files, schedule=False)).start()
    try:
        yield lambda: open_home(HomeClient(ServiceLink(paths, files)))
    finally:
        service.stop()


async def test_the_home_screen_replaces_the_opening_screen(
    home_service: Callable[[], OpenedHome],
) -> None:
    opened: list[OpenedHome] = []

    def opener() -> OpenedHome:
        opened.append(home_service())
        return opened[0]

    app = CcTuiApp(opener)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, OpeningScreen)
        while not isinstance(app.screen, HomeScreen) or not app.screen.query(Footer):
            await pilot.pause(0.05)
        await pilot.pause()
        assert app.client is opened[0].client
        # The opening screen is gone: the home screen sits on the default screen, as when
        # the app is given an opened home.
        assert len(app.screen_stack) == 2


async def test_a_broken_config_ends_the_app_with_the_error(
    tmp_path: Path, home_service: Callable[[], OpenedHome]
) -> None:
    (tmp_path / "config.toml").write_text("this is [not toml\n", encoding="utf-8")
    app = CcTuiApp(home_service)
    async with app.run_test(size=(80, 24)) as pilot:
        while app.is_running and app.open_error is None:
            await pilot.pause(0.05)
        await pilot.pause(0.1)
    app.wait_opened()
    # The service read it and said why (with the exit code the command line ends with).
    assert isinstance(app.open_error, RemoteError)
    assert app.open_error.exit_code == 2
    assert "config.toml, line 1" in str(app.open_error)
    assert app.return_value == 1  # run_app raises the error; the command line reports it
