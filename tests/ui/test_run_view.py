"""RunScreen and RunView: a run watched to the end, cancelled and resumed, previewed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import ProgressBar
from textual.worker import WorkerCancelled

from cc_tui.models.run import RunStatus
from cc_tui.models.run_progress import Phase, RunProgress
from cc_tui.run_words import pending_phrase
from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.messages import CancelRequested, RunRequested
from cc_tui.ui.runs import ActiveRun
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.screens.history import HistoryScreen
from cc_tui.ui.screens.run import RunScreen
from cc_tui.ui.widgets.rejected_rows import RejectedRows
from cc_tui.ui.widgets.run_summary import RunSummary
from cc_tui.ui.widgets.run_view import RunView
from tests.ui.conftest import UiHome, current_screen, until, workers_done


async def _settle(app: CcTuiApp, pilot: Pilot[int]) -> None:
    await _workers_done(app)
    await pilot.pause()
    await _workers_done(app)  # the rejected rows are read once the run ended
    await pilot.pause()


async def _workers_done(app: CcTuiApp) -> None:
    """Wait for every worker; one cancelled meanwhile (a superseded reader) is done too."""
    try:
        await workers_done(app)
    except WorkerCancelled:
        await workers_done(app)


async def test_run_watched_to_completion(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(RunRequested("weekly"))
        await app.push_screen(RunScreen("weekly"))
        await _settle(app, pilot)
        view = app.screen.query_one(RunView)
        assert (view.confirmed, view.rejected, view.status) == (120, 3, "succeeded")
        assert view.has_class("-done") and not view.has_class("-running")
        bar = view.query_one(ProgressBar)
        assert (bar.total, bar.progress) == (1000, 1000)  # thousandths of the work, all done
        summary = app.screen.query_one(RunSummary)
        assert summary.record is not None and summary.record.status is RunStatus.SUCCEEDED
        text = str(summary.render())
        assert "rows read 123 = sent 120 + rejected 3" in text
        assert "sent 120 = confirmed 120 + refused 0 + unsubscribed 0 + pending 0" in text
        rejected_file = summary.record.rejected_rows_file
        assert rejected_file is not None and rejected_file in text
        rows = app.screen.query_one(RejectedRows)
        assert rows.row_count == 3
        assert rows.counts == {"missing_email": 1, "invalid_email": 1, "duplicate_email": 1}
        assert ui_home.emulator.list_members(ui_home.list_id) >= {"person0@example.com"}
        # One segment is one segment, not "1 segment(s)".
        run = app.runs.get("weekly")
        assert run is not None
        assert "Checking e-mails in 1 segment" in [e.message for e in run.events]
        assert app.screen.check_action("cancel_run", ()) is False
        assert app.screen.check_action("run_again", ()) is True
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        assert app.screen.run_id == summary.record.run_id
        await pilot.press("escape")
        assert isinstance(app.screen, RunScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, RunScreen)


# Contacts an import processes per second while a test needs its run to stay unfinished: none
# in the test's lifetime, so the run cannot end before the cancel lands, however loaded the
# machine (at 20 a second a loaded machine once let all 120 be confirmed first).
STALLED = 1e-6
BRISK = 200_000.0  # and once the cancel has landed, imports finish at once


@pytest.fixture
def stalled_home(make_ui_home: Callable[..., UiHome]) -> UiHome:
    """Imports stand still (until the test sets a speed), so a run can be cancelled part-way."""
    home = make_ui_home(processing_rate=STALLED)
    home.add_export()
    return home


async def test_cancel_then_resume(stalled_home: UiHome) -> None:
    home = stalled_home
    app = home.app()
    seen: list[object] = []
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        app.post_message(RunRequested("weekly"))
        await app.push_screen(RunScreen("weekly"))
        # Each step waits for the state it needs, never for a while: a key is handled, and the
        # service answers, a few hops after the press (more under load).
        await until(pilot, lambda: bool((run := app.runs.get("weekly")) and run.progress))
        first_run = app.runs.get("weekly")
        assert first_run is not None
        await pilot.press("c")
        await until(pilot, lambda: isinstance(current_screen(app), ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: first_run.record is not None)
        screen = current_screen(app)
        assert isinstance(screen, RunScreen)
        await until(pilot, lambda: screen.query_one(RunView).status == "interrupted")
        assert any(isinstance(m, CancelRequested) for m in seen)
        runs = home.history.runs(export="weekly")
        assert [r.status for r in runs] == [RunStatus.INTERRUPTED]
        assert screen.query_one(RunView).has_class("-stopped")
        first = runs[0].run_id
        # The interrupted run's summary says what is confirmed, awaiting and not posted, and
        # r resumes it (the footer says so).
        summary = screen.query_one(RunSummary)
        await until(pilot, lambda: summary.record is not None and summary.record.run_id == first)
        figures = runs[0].figures
        text = str(summary.render())
        assert figures.pending > 0 and f"pending {figures.pending:,} (" in text
        assert pending_phrase(figures) in text
        assert screen.check_action("resume_run", ()) is True
        assert screen.check_action("run_again", ()) is False
        home.emulator.emulator.update_settings({"processing_rate": BRISK})
        await pilot.press("r")
        await until(pilot, lambda: (run := app.runs.get("weekly")) is not first_run and run)
        resumed = app.runs.get("weekly")
        assert resumed is not None
        await until(pilot, lambda: resumed.record is not None or resumed.error is not None)
        assert resumed.error is None
        await until(pilot, lambda: screen.query_one(RunView).status == "succeeded")
        assert any(
            e.message.startswith(f"Resuming run {first} (attempt 2)") for e in resumed.events
        )
        runs = home.history.runs(export="weekly")
        assert [(r.run_id, r.status) for r in runs] == [(first, RunStatus.SUCCEEDED)]
        assert runs[0].attempts == 2 and runs[0].confirmed == 120
        assert screen.query_one(RunView).confirmed == 120
        await _settle(app, pilot)  # the rejected rows' reader ends before the app closes


async def test_preview_sends_nothing_and_failed_start(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(RunRequested("weekly", dry_run=True))
        await app.push_screen(RunScreen("weekly"))
        summary = current_screen(app).query_one(RunSummary)
        # The states the checks need, not one settle that may come before the run started.
        await until(pilot, lambda: summary.record is not None)
        await until(pilot, lambda: current_screen(app).query_one(RejectedRows).row_count == 3)
        await _settle(app, pilot)
        assert summary.record is not None and summary.record.dry_run
        assert "preview: nothing sent" in str(summary.render())
        assert "nothing sent" in str(app.screen.query_one("#run-view-phase").render())
        assert ui_home.emulator.state.find_activities(None) == []
        assert app.screen.query_one(RejectedRows).row_count == 3
        # A preview is no run: its last line says so, and r offers to run it, not "again".
        run = app.runs.get("weekly")
        assert run is not None and run.events[-1].message.startswith("Preview finished:")
        assert "succeeded" not in run.events[-1].message
        assert app.screen.check_action("run_for_real", ()) is True
        assert app.screen.check_action("run_again", ()) is False
        footer = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Run" in footer and "Run again" not in footer

        # An export that does not exist cannot start: the error is shown prominently.
        await app.push_screen(RunScreen("missing"))
        app.post_message(RunRequested("missing"))
        screen = current_screen(app)
        await until(pilot, lambda: screen.has_class("-error"))
        assert "missing could not run" in str(screen.query_one("#run-error").render())
        assert screen.query_one(RunView).status == "failed to start"
        assert screen.query_one(RunView).has_class("-failed")


async def test_a_run_that_failed_to_start_shows_its_own_state(ui_home: UiHome) -> None:
    """A run that could not start has no figures: the view says it did not start and why, and
    never shows the previous run's summary under it as if it were this run's."""
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(RunRequested("weekly"))
        await app.push_screen(RunScreen("weekly"))
        screen = current_screen(app)
        await until(pilot, lambda: screen.query_one(RunView).status == "succeeded")
        (last,) = ui_home.history.runs(export="weekly")
        await _settle(app, pilot)
        (ui_home.segments / "people.csv").unlink()
        await pilot.press("r")
        await until(pilot, lambda: screen.query_one(RunView).status == "failed to start")
        assert screen.has_class("-error")
        error = " ".join(str(screen.query_one("#run-error").render()).split())
        assert "weekly could not run:" in error
        assert "uses segment people that was not found" in error  # one segment, no "(s)"
        # Not the last run's figures: no summary, no rejected rows, no "rows read 123".
        assert not screen.has_class("-finished")
        phase = " ".join(str(screen.query_one("#run-view-phase").render()).split())
        assert phase.startswith("failed to start")
        assert f"last run, {last.run_id}, succeeded" in phase  # named as another run
        assert "rows read" not in phase
        assert not screen.query_one("#run-view-rate-row").display  # no flat line of no rate
        # r runs it again; nothing is left to resume, so there is no start over.
        assert screen.check_action("run_again", ()) is True
        assert screen.check_action("restart_run", ()) is None
        await _settle(app, pilot)


async def test_a_run_that_stopped_on_an_error_did_start(ui_home: UiHome) -> None:
    """A run that reported progress and then failed (the service's unexpected error) had
    started: it is "failed", never "failed to start"."""
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        progress = RunProgress(
            run_id="20261129T150000Z-weekly-dddddd", export="weekly", dry_run=False,
            phase=Phase.SENDING, rows_total=123, rows_read=123, contacts_total=120,
            contacts_posted=50, confirmed=50)  # fmt: skip
        error = "The run of weekly stopped: [Errno 5] Input/output error"
        app.runs.runs["weekly"] = ActiveRun("weekly", dry_run=False, progress=progress, error=error)
        await app.push_screen(RunScreen("weekly"))
        screen = current_screen(app)
        await until(pilot, lambda: screen.query_one(RunView).status == "failed")
        phase = str(screen.query_one("#run-view-phase").render())
        assert phase.startswith("failed · weekly") and "to start" not in phase
        await _settle(app, pilot)


async def test_a_run_being_started_says_so_not_no_run_or_the_last_one(ui_home: UiHome) -> None:
    """The view opens as r is pressed, before the app has started the run: it says the run is
    starting, never "No run ... r runs it" nor the previous run's summary."""
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(RunRequested("weekly"))
        await app.push_screen(RunScreen("weekly"))
        first = current_screen(app)
        await until(pilot, lambda: first.query_one(RunView).status == "succeeded")
        await _settle(app, pilot)
        # Opened as a start was asked for, before the app handled it.
        await app.push_screen(RunScreen("weekly", starting=True))
        screen = current_screen(app)
        await pilot.pause()
        phase = str(screen.query_one("#run-view-phase").render())
        assert phase.startswith("starting the run of weekly")
        assert not screen.has_class("-finished")  # not the last run's summary
        assert screen.check_action("run_again", ()) is None  # dimmed: a run is on its way
        app.post_message(RunRequested("weekly"))
        await until(pilot, lambda: screen.query_one(RunView).status == "succeeded")
        assert screen.has_class("-finished")
        await _settle(app, pilot)


async def test_the_run_view_names_its_keys_as_remapped(ui_home: UiHome) -> None:
    """A [keymap] that moves the run view's r and h: its note and palette name the new keys."""
    from dataclasses import replace

    ui_home.add_export()
    remapped = {"run-again": "g", "run-resume": "g", "run-real": "g", "run-history": "y"}
    ui_home.services.config.update(lambda c: replace(c, keymap=remapped))
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(RunScreen("weekly"))
        screen = current_screen(app)
        assert isinstance(screen, RunScreen)
        await pilot.pause()
        note = str(screen.query_one("#run-view-phase").render())
        assert note == "No run of weekly in this session. g runs it."
        help_texts = [command.help for command in screen.palette_commands()]
        assert "Run weekly now (g)" in help_texts and "Every run of weekly (y)" in help_texts
        await _settle(app, pilot)
