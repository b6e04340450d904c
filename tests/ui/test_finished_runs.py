"""Runs that finish are noticed: a lasting mark (home list, history) until the run's summary
is shown, the terminal bell (config.toml ``bell``), and a notice that never covers a summary."""

from __future__ import annotations

import gc
import warnings
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerState

from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.messages import RunRequested
from cc_tui.ui.screens.home import HomeScreen
from cc_tui.ui.screens.run import RunScreen
from cc_tui.ui.widgets.export_list import UNSEEN_MARK, ExportList
from cc_tui.ui.widgets.run_history_list import RunHistoryList
from tests.ui.conftest import UiHome, until, workers_done


class Bells:
    """Counts the app's bells (the terminal's bell is a side effect a test cannot hear)."""

    def __init__(self, app: CcTuiApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rung = 0
        monkeypatch.setattr(app, "bell", self.ring)

    def ring(self) -> None:
        self.rung += 1


async def _finish(app: CcTuiApp, pilot: Pilot[int]) -> None:
    await workers_done(app)
    await pilot.pause()
    await workers_done(app)
    await pilot.pause()


def _marks_kept(app: CcTuiApp) -> bool:
    """Whether the service has every "not yet seen" mark the app asked for."""
    return all(worker.is_finished for worker in app.workers if worker.group == "marks")


def _marked(app: CcTuiApp, export: str) -> bool:
    """Whether the app's newest view of the home has ``export``'s last run marked unseen."""
    last = app.view.last_runs.get(export)
    return last is not None and last.unseen


def _cell(table: ExportList | RunHistoryList, row: str, column: int) -> str:
    return str(table.get_row(row)[column])


async def test_a_run_finishing_in_the_background_stays_marked_until_opened(
    ui_home: UiHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui_home.add_export()
    app = ui_home.app()
    bells = Bells(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.post_message(RunRequested("weekly"))
        await _finish(app, pilot)
        assert isinstance(app.screen, HomeScreen)
        assert bells.rung == 1
        notices = [n.message for n in app._notifications]
        assert any("weekly: Run succeeded" in m and UNSEEN_MARK.strip() in m for m in notices)
        # The service keeps the mark; the home shows it with the next view it gives.
        await until(pilot, lambda: _marked(app, "weekly"))
        (run,) = ui_home.history.runs(export="weekly")
        assert run.unseen and run.status is RunStatus.SUCCEEDED
        exports = app.screen.query_one(ExportList)
        # The home redraws from that view a step after the app keeps it (seen failing under load).
        await until(pilot, lambda: _cell(exports, "weekly", -1) == f"{UNSEEN_MARK}succeeded")
        runs = app.screen.query_one(RunHistoryList)
        assert _cell(runs, run.run_id, 2) == f"{UNSEEN_MARK}succeeded"
        # Still there later: the mark lasts, unlike a notice.
        app.clear_notifications()
        app.screen.reload()
        await pilot.pause()
        assert _cell(exports, "weekly", -1) == f"{UNSEEN_MARK}succeeded"
        # Opening the export shows its summary: seen.
        exports.focus()
        exports.select_name("weekly")
        await pilot.press("enter")
        await _finish(app, pilot)
        assert isinstance(app.screen, RunScreen)
        await until(pilot, lambda: not _marked(app, "weekly"))
        assert not ui_home.history.get(run.run_id).unseen  # type: ignore[union-attr]
        await pilot.press("escape")
        await pilot.pause()
        assert _cell(app.screen.query_one(ExportList), "weekly", -1) == "succeeded"


async def test_watched_run_rings_without_a_notice_over_its_summary(
    ui_home: UiHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui_home.add_export()
    app = ui_home.app()
    bells = Bells(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(RunRequested("weekly"))
        await app.push_screen(RunScreen("weekly"))
        await _finish(app, pilot)
        assert bells.rung == 1
        assert not any("weekly: Run" in n.message for n in app._notifications)
        await until(pilot, lambda: _marks_kept(app))
        (run,) = ui_home.history.runs(export="weekly")
        assert not run.unseen  # its summary was on screen when it ended


async def test_bell_can_be_turned_off_in_config(
    ui_home: UiHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui_home.add_export()
    ui_home.services.config.update(lambda c: replace(c, bell=False))
    assert "bell = false" in ui_home.services.paths.config_file.read_text()
    app = ui_home.app()
    bells = Bells(app, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(RunRequested("weekly"))
        await _finish(app, pilot)
        assert bells.rung == 0
        await until(pilot, lambda: _marked(app, "weekly"))
        assert ui_home.history.runs(export="weekly")[0].unseen


async def test_an_app_closed_as_a_run_finishes_leaves_no_coroutine_unawaited(
    ui_home: UiHome,
) -> None:
    """The "not yet seen" mark of a run that finishes as the app closes is asked for by a
    worker the app's shutdown cancels before it starts: nothing of it may be left unawaited
    (Python's RuntimeWarning comes when the never-started work is collected)."""
    started = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    record = RunRecord(
        run_id="20261205T090000Z-weekly-cccccc", export="weekly", connection="marketing",
        status=RunStatus.SUCCEEDED, dry_run=False, os_user="alice", started_at=started,
        finished_at=started + timedelta(seconds=5), rows_read=1, sent=1, confirmed=1,
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        app = ui_home.app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.runs.finished(record)
            [marking] = [worker for worker in app.workers if worker.group == "marks"]
            # What the app's shutdown does when it closes before that worker got to run.
            app.workers.cancel_all()
            await pilot.pause()
        assert marking.is_cancelled and marking.state is not WorkerState.SUCCESS
        del app, pilot, marking
        gc.collect()  # what the worker was given is finalized now, inside the catch
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []
