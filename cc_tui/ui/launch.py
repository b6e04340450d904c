"""Open the app: used by ``cc-tui`` (no command) and ``cc-tui demo``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cc_tui.engine.services import Services

if TYPE_CHECKING:
    from cc_tui.service.async_client import ServiceLink

__all__ = ["run_app"]


def run_app(
    services: Services, *, focus_export: str | None = None, service: ServiceLink | None = None
) -> int:
    """Run the app in this terminal until the person quits; returns the exit code.

    With ``service``, runs are the cc-tui service's (they go on when the app quits).
    """
    from cc_tui.ui.app import CcTuiApp

    app = CcTuiApp(services, focus_export=focus_export, service=service)
    result = app.run()
    return 0 if result is None else result
