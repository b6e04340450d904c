"""How the app tells the person that a run ended: the bell, and a notice that never covers a
run summary. What lasts is the mark on the run (home list, history) until its summary is shown.
"""

from __future__ import annotations

from typing import Any, cast

from textual.app import App
from textual.notifications import SeverityLevel

from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.run_words import closing_sentence
from cc_tui.ui.host import AppHost

__all__ = ["FINISHED_NOTICE_SECONDS", "announce_finished"]

FINISHED_NOTICE_SECONDS = 10.0  # long enough to read; the mark on the run stays anyway
_SEVERITY: dict[RunStatus, SeverityLevel] = {
    RunStatus.SUCCEEDED: "information",
    RunStatus.PARTIAL: "warning",
    RunStatus.INTERRUPTED: "warning",
    RunStatus.FAILED: "error",
}


def announce_finished(app: App[Any], record: RunRecord) -> None:
    """Ring the bell (unless config.toml says ``bell = false``) and, unless a run summary is
    on screen (the run view or the history, where a toast would cover it), show a notice."""
    if not app.screen_stack:
        return  # the app is closing: a run cancelled on quit ends after its last screen
    if cast("AppHost", app).view.bell:
        app.bell()
    if _shows_a_summary(app, record.export):
        return
    app.notify(
        f"{record.export}: {closing_sentence(record)}."
        "\nMarked ● on the home screen until you open it.",
        title=record.export,
        severity=_SEVERITY.get(record.status, "information"),
        timeout=FINISHED_NOTICE_SECONDS,
    )


def _shows_a_summary(app: App[Any], export: str) -> bool:
    from cc_tui.ui.screens.run import RunScreen
    from cc_tui.ui.widgets.run_summary import RunSummary

    screen = app.screen
    if isinstance(screen, RunScreen) and screen.export == export:
        return True  # its summary replaces the live view right now
    return any(summary.is_on_screen for summary in screen.query(RunSummary))
