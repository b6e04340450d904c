"""Open the app: used by ``cc-tui`` (no command) and ``cc-tui demo``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from cc_tui.service.async_client import ServiceLink

__all__ = ["run_app"]


def run_app(
    link: ServiceLink | Callable[[], tuple[ServiceLink, str | None]],
    *,
    focus_export: str | None = None,
    opening: str | None = None,
) -> int:
    """Run the app in this terminal until the person quits; returns the exit code.

    The app is a client of the home's service at ``link`` (or the link a function gives once it
    has prepared the home, with the address of an emulator it started, as the demo does): it
    paints first (saying ``opening``), then
    reaches the service on a thread (starting it if none answers). An error that raised is
    raised here once the app has ended, for the command line to report. Runs are the service's:
    they go on when the app quits.
    """
    from cc_tui.service.home_client import HomeClient
    from cc_tui.ui.app import OPENING_HOME, CcTuiApp, OpenedHome, open_home

    def opener() -> OpenedHome:
        reached, emulator_url = link() if callable(link) else (link, None)
        return open_home(HomeClient(reached), emulator_url=emulator_url)

    app = CcTuiApp(opener, focus_export=focus_export, opening=opening or OPENING_HOME)
    try:
        result = app.run()
    finally:
        app.wait_opened()  # whatever it started is stopped by the caller
    if app.open_error is not None:
        raise app.open_error
    return 0 if result is None else result
