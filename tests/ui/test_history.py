"""HistoryScreen: runs with their batches and rejected rows; resuming an interrupted run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from cc_tui.engine.runner import ExportRunner
from cc_tui.models.batch import BatchState
from cc_tui.models.run import RunStatus
from cc_tui.models.run_progress import RunEvent
from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.screens.history import HistoryScreen
from cc_tui.ui.screens.run import RunScreen
from cc_tui.ui.widgets.batch_table import BatchTable
from cc_tui.ui.widgets.named_table import NamedTable
from cc_tui.ui.widgets.rejected_rows import RejectedRows
from cc_tui.ui.widgets.run_summary import RunSummary
from cc_tui.ui.widgets.run_view import RunView
from tests.ui.conftest import FAST_RUNS, UiHome, current_screen, until, workers_done


async def _settle(app: CcTuiApp, pilot: Pilot[int]) -> None:
    await workers_done(app)
    await pilot.pause()
    await workers_done(app)
    await pilot.pause()


async def test_detail_shows_batches_and_rejected_rows_by_reason(ui_home: UiHome) -> None:
    ui_home.add_export()
    runner = ExportRunner(ui_home.services)
    preview = await runner.run("weekly", replace(FAST_RUNS, dry_run=True))
    real = await runner.run("weekly", FAST_RUNS)
    assert real.status is RunStatus.SUCCEEDED
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(HistoryScreen("weekly", real.run_id))
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert screen.query_one("#history-runs", NamedTable).row_count == 2
        assert screen.record is not None and screen.record.run_id == real.run_id
        batches = screen.query_one(BatchTable)
        assert batches.row_count == 3
        assert [str(batches.get_row_at(i)[1]) for i in range(3)] == [BatchState.CONFIRMED] * 3
        assert "rows read 123 = sent 120 + rejected 3" in str(screen.query_one(RunSummary).render())
        assert screen.check_action("resume_run", ()) is False  # a finished run: not offered
        rows = screen.query_one(RejectedRows)
        assert rows.row_count == 3
        assert str(real.rejected_rows_file) in str(rows.query_one("#rejected-rows-path").render())
        await pilot.press("x")  # focus the rejected rows
        await pilot.press("3")  # only duplicate_email
        await _settle(app, pilot)
        assert rows.reason == "duplicate_email"
        assert rows.row_count == 1
        table = rows.query_one("#rejected-rows-table")
        assert "person1@example.com" in str(table.get_row_at(0))  # type: ignore[attr-defined]
        await pilot.press("0")
        await _settle(app, pilot)
        assert rows.row_count == 3

        # The preview is listed too, and cannot be resumed either.
        await pilot.press("shift+tab", "shift+tab")
        screen.query_one("#history-runs", NamedTable).select_name(preview.run_id)
        await _settle(app, pilot)
        assert screen.record is not None and screen.record.dry_run
        assert "preview: nothing sent" in str(screen.query_one(RunSummary).render())
        assert screen.check_action("resume_run", ()) is False


@pytest.fixture
def slow_home(make_ui_home: Callable[..., UiHome]) -> UiHome:
    """Imports crawl (50 contacts a second), so a run can be stopped part-way."""
    home = make_ui_home(processing_rate=50.0)
    home.add_export()
    return home


async def _interrupted_run(home: UiHome) -> str:
    """Start a run of 'weekly' and cancel it once its first batch is posted."""
    posted = asyncio.Event()

    def on_event(event: RunEvent) -> None:
        if event.message.startswith("Batch 1:"):
            posted.set()

    task = asyncio.create_task(
        ExportRunner(home.services).run("weekly", FAST_RUNS, on_event=on_event)
    )
    await asyncio.wait_for(posted.wait(), timeout=20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (record,) = ExportRunner(home.services).history.runs(export="weekly")
    assert record.status is RunStatus.INTERRUPTED
    return record.run_id


async def test_resume_from_history(slow_home: UiHome) -> None:
    run_id = await _interrupted_run(slow_home)
    app = slow_home.app()
    async with app.run_test(size=(160, 50)) as pilot:
        await app.push_screen(HistoryScreen("weekly"))
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        assert screen.record is not None and screen.record.run_id == run_id
        assert screen.check_action("resume_run", ()) is True
        assert "(resumable: r)" in str(screen.query_one(RunSummary).render())
        await pilot.press("r")
        assert isinstance(app.screen, RunScreen)
        await _settle(app, pilot)
        assert app.screen.query_one(RunView).status == "succeeded"
        runs = slow_home.history.runs(export="weekly")
        assert [(r.run_id, r.status, r.confirmed) for r in runs] == [
            (run_id, RunStatus.SUCCEEDED, 120)
        ]
        await pilot.press("escape")  # back to the history: it reloaded with the result
        await until(
            pilot, lambda: screen.record is not None and screen.record.status is RunStatus.SUCCEEDED
        )
        assert current_screen(app) is screen
        assert screen.check_action("resume_run", ()) is False


async def test_a_resume_that_cannot_start_says_how_to_start_over(slow_home: UiHome) -> None:
    """The segment file is gone: the resume cannot start, and the run view says so, then how to
    start over in a sentence of its own (it read "s starts over", a word cut in two)."""
    await _interrupted_run(slow_home)
    (slow_home.segments / "people.csv").unlink()
    app = slow_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(HistoryScreen("weekly"))
        await _settle(app, pilot)
        await pilot.press("r")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RunScreen)
        await until(pilot, lambda: screen.has_class("-error"))
        error = " ".join(str(screen.query_one("#run-error", Static).render()).split())
        assert "weekly could not run:" in error and "people" in error
        assert "If resuming cannot work, press s to leave this run and start over" in error
