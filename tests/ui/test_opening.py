"""The app paints before the engine is imported (issue 15, start-up).

``cc-tui`` and ``cc-tui demo`` hand the app a function that opens the home: the app shows its
opening screen, then opens the home on a thread, then shows the home screen.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual.widgets import Footer

from cc_tui.engine.services import Services
from cc_tui.errors import ConfigError
from cc_tui.paths import AppPaths
from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.screens.home import HomeScreen
from cc_tui.ui.screens.opening import OpeningScreen

HEAVY = ("polars", "httpx", "starlette", "uvicorn", "cc_tui.engine.services", "cc_tui.ui.runs")
# What opening the home imports (the emulator's server stack is never the app's).
OPENED = ("polars", "httpx", "cc_tui.engine.services", "cc_tui.ui.runs")

# Run in a fresh interpreter: this test process has imported all of them long ago. The opener
# is called once the first frame has been drawn; it notes what was imported by then.
_FIRST_PAINT = """
import asyncio, sys
import cc_tui.cli.entry, cc_tui.service.async_client, cc_tui.ui.launch
from cc_tui.paths import AppPaths
from cc_tui.ui.app import CcTuiApp

HEAVY = {heavy!r}
seen = {{}}

def opener():
    seen["painted"] = type(app.screen).__name__
    seen["before"] = [m for m in HEAVY if m in sys.modules]
    from cc_tui.engine.services import Services
    return Services.open(AppPaths.resolve({home!r}))

app = CcTuiApp(opener)

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        while type(app.screen).__name__ != "HomeScreen" or not app.screen.query("Footer"):
            await pilot.pause(0.05)
        await pilot.pause()
        seen["after"] = [m for m in HEAVY if m in sys.modules]
    app.services.close()

asyncio.run(main())
print("PAINTED=" + seen["painted"])
print("BEFORE=" + ",".join(seen["before"]))
print("AFTER=" + ",".join(seen["after"]))
"""


def test_the_first_frame_comes_before_the_engine_is_imported(tmp_path: Path) -> None:
    code = _FIRST_PAINT.format(heavy=HEAVY, home=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert lines["PAINTED"] == "OpeningScreen"
    assert lines["BEFORE"] == "", f"imported before the first paint: {lines['BEFORE']}"
    # The same check sees them once the home is open: it would catch an early import.
    assert set(lines["AFTER"].split(",")) >= set(OPENED)


async def test_the_home_screen_replaces_the_opening_screen(tmp_path: Path) -> None:
    opened: list[Services] = []

    def opener() -> Services:
        opened.append(Services.open(AppPaths.resolve(tmp_path)))
        return opened[0]

    app = CcTuiApp(opener)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, OpeningScreen)
        while not isinstance(app.screen, HomeScreen) or not app.screen.query(Footer):
            await pilot.pause(0.05)
        await pilot.pause()
        assert app.services is opened[0]
        # The opening screen is gone: the home screen sits on the default screen, as when
        # the app is given open services.
        assert len(app.screen_stack) == 2
    opened[0].close()


async def test_a_broken_config_ends_the_app_with_the_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("this is [not toml\n", encoding="utf-8")
    opened: list[Services] = []

    def opener() -> Services:
        opened.append(Services.open(AppPaths.resolve(tmp_path)))
        return opened[0]

    app = CcTuiApp(opener)
    async with app.run_test(size=(80, 24)) as pilot:
        while app.is_running and app.open_error is None:
            await pilot.pause(0.05)
        await pilot.pause(0.1)
    app.wait_opened()
    opened[0].close()
    assert isinstance(app.open_error, ConfigError)
    assert "config.toml, line 1" in str(app.open_error)
    assert app.return_value == 1  # run_app raises the error; the command line reports it
