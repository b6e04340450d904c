"""Open the app: used by ``cc-tui`` (no command) and ``cc-tui demo``."""

from __future__ import annotations

from cc_tui.engine.services import Services

__all__ = ["run_app"]


def run_app(services: Services, *, focus_export: str | None = None) -> int:
    """Run the app in this terminal until the person quits; returns the exit code."""
    from cc_tui.ui.app import CcTuiApp

    app = CcTuiApp(services, focus_export=focus_export)
    result = app.run()
    return 0 if result is None else result
