"""What the app holds while it watches a long run stays bounded (issue 15, Deliver 4).

A 1M-contact run reports about ten snapshots a second and an event per batch for as long as
it goes; the app keeps the newest snapshot, a window of throughput samples and of event
lines, and the run view's log drops its oldest lines: nothing grows with the run's length.
"""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import RichLog

from cc_tui.models.run_progress import Phase, RunEvent, RunProgress
from cc_tui.ui.messages import RunEventLogged, RunProgressed
from cc_tui.ui.runs import ActiveRun
from cc_tui.ui.screens.run import RunScreen
from cc_tui.ui.widgets.run_view import EVENT_LINES_KEPT
from tests.ui.conftest import UiHome

REPORTS = 800  # more than every window the app keeps (events 200, rates 120, log lines 500)
EXPORT = "weekly"


async def test_snapshots_and_events_of_a_long_run_are_bounded(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        run = ActiveRun(export=EXPORT, dry_run=False)
        app.runs.runs[EXPORT] = run
        app.show_run(EXPORT)
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        for number in range(REPORTS):
            app.post_message(
                RunProgressed(
                    RunProgress(
                        run_id="r1",
                        export=EXPORT,
                        dry_run=False,
                        phase=Phase.SENDING,
                        rows_read=number,
                        throughput=float(number),
                    )
                )
            )
            app.post_message(
                RunEventLogged(EXPORT, RunEvent(at=datetime.now(UTC), message=f"event {number}"))
            )
            if number % 200 == 0:
                await pilot.pause()
        await pilot.pause()
        await pilot.pause()
        # The newest of everything, and only a window of it.
        assert run.progress is not None and run.progress.rows_read == REPORTS - 1
        assert run.events.maxlen is not None and len(run.events) == run.events.maxlen
        assert run.events[-1].message == f"event {REPORTS - 1}"
        assert run.rates.maxlen is not None and len(run.rates) == run.rates.maxlen
        assert run.rates[-1] == float(REPORTS - 1)
        log = app.screen.query_one("#run-view-events", RichLog)
        assert 0 < len(log.lines) <= EVENT_LINES_KEPT
