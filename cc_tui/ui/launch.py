"""Open the app: used by ``cc-tui`` (no command) and ``cc-tui demo``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the engine loads after the app's first paint (CcTuiApp opens it)
    from cc_tui.engine.services import Services
    from cc_tui.service.async_client import ServiceLink

__all__ = ["run_app"]


def run_app(
    services: Services | Callable[[], Services],
    *,
    focus_export: str | None = None,
    service: ServiceLink | None = None,
    opening: str | None = None,
) -> int:
    """Run the app in this terminal until the person quits; returns the exit code.

    ``services`` may be a function that opens them: the app paints first (saying ``opening``)
    and calls it on a thread. An error it raised is raised here once the app has ended, for the
    command line to report. With ``service``, runs are the cc-tui service's (they go on when
    the app quits).
    """
    from cc_tui.ui.app import OPENING_HOME, CcTuiApp

    app = CcTuiApp(
        services, focus_export=focus_export, service=service, opening=opening or OPENING_HOME
    )
    try:
        result = app.run()
    finally:
        app.wait_opened()  # whatever it opened is closed by the caller
    if app.open_error is not None:
        raise app.open_error
    return 0 if result is None else result
