"""The Schedule screen: reached with s from Home and from the palette; every export's next run
(cron or "on refresh"), last outcome and missed runs; r runs now, p pauses, u resumes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from cc_tui.models.config import MissedPolicy
from cc_tui.store.config import with_export
from cc_tui.store.schedule_state import MissedAction, MissedRun, ScheduleState
from cc_tui.ui.screens.run import RunScreen
from cc_tui.ui.screens.schedule import ScheduleScreen
from cc_tui.ui.widgets.named_table import NamedTable
from tests.ui.conftest import UiHome, until
from tests.ui.test_hostile_text import _settle, screen_text


def _two_exports(ui_home: UiHome) -> ScheduleState:
    ui_home.add_export("daily")
    ui_home.add_export("fresh")
    config = ui_home.services.config
    config.update(lambda c: with_export(c, replace(c.exports["daily"], schedule="0 6 * * *",
                                                   missed=MissedPolicy.SKIP)))  # fmt: skip
    config.update(lambda c: with_export(c, replace(c.exports["fresh"], on_refresh=True)))
    state = ScheduleState(ui_home.services.history)
    at = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    state.record_missed(MissedRun("daily", "0 6 * * *", at, 2, at, MissedAction.SKIPPED))
    return state


async def test_s_on_home_shows_schedules_and_p_u_pause_and_resume(ui_home: UiHome) -> None:
    state = _two_exports(ui_home)
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        await pilot.press("s")
        # The rows come a service call after the screen opens, and are drawn after that:
        # wait for what the screen shows, never for a number of pauses (failed under load).
        await until(pilot, lambda: "2 · skipped" in screen_text(app))
        screen = app.screen
        assert isinstance(screen, ScheduleScreen)
        table = screen.query_one("#schedule-rows", NamedTable)
        assert table.selected == "daily"
        await until(pilot, lambda: "missed times: skip" in screen_text(app))
        text = screen_text(app)
        assert "0 6 * * *" in text and "2 · skipped" in text
        assert "At 06:00 every day (UTC)" in text  # the detail line, in words
        assert screen.rows["daily"].next_run is not None
        assert screen.rows["fresh"].next_text() == "on refresh"
        await pilot.press("p")
        await until(pilot, lambda: state.paused() == {"daily"} and "paused" in screen_text(app))
        assert screen.check_action("pause", ()) is False  # already paused: u resumes
        await pilot.press("u")
        await until(pilot, lambda: state.paused() == set())
        await pilot.press("j", "p")  # the refresh-triggered one pauses too
        await until(pilot, lambda: state.paused() == {"fresh"})
        await _settle(app, pilot)
        actions = [e.action for e in ui_home.services.history.events(limit=3)]
        assert actions == ["schedule.pause", "schedule.resume", "schedule.pause"]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ScheduleScreen)


async def test_the_palette_opens_it_and_r_runs_the_export_now(ui_home: UiHome) -> None:
    _two_exports(ui_home)
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"schedule: Show", "enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, ScheduleScreen)
        await pilot.press("r")
        await _settle(app, pilot)
        assert isinstance(app.screen, RunScreen)
        for _ in range(100):
            await _settle(app, pilot)
            if ui_home.services.history.query("SELECT 1 FROM runs WHERE export = 'daily'"):
                break
        assert ui_home.services.history.query("SELECT 1 FROM runs WHERE export = 'daily'")


async def test_the_schedule_shows_whether_the_last_run_was_verified(ui_home: UiHome) -> None:
    from cc_tui.models.run import RunRecord, RunStatus
    from cc_tui.models.verification import ListCheck, Verification, VerifyState
    from cc_tui.store.run_history import RunHistory
    from cc_tui.store.verifications import VerificationStore

    _two_exports(ui_home)
    at = datetime(2026, 11, 29, 6, 5, tzinfo=UTC)
    run = RunRecord(run_id="r1", export="daily", connection="marketing",
                    status=RunStatus.SUCCEEDED, dry_run=False, os_user="alice", started_at=at,
                    finished_at=at, sent=10, confirmed=10)  # fmt: skip
    RunHistory(ui_home.services.history).create(run, inputs={}, plan={})
    lost = Verification(
        VerifyState.UNVERIFIED,
        at,
        (ListCheck("l1", 50, 47),),
        sample_checked=10,
        sample_on_lists=7,
        sample_missing=3,
        expected_max=10,
        requests=12,
        problems=("list l1 lost 3 members",),
    )
    VerificationStore(ui_home.services.history).save("r1", lost)
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        await pilot.press("s")
        await _settle(app, pilot)
        text = screen_text(app)
        assert "unverified" in text  # the check column of daily's row
        assert "sample 7/10 on the lists" in text  # the detail line says what was found


async def test_missed_times_are_told_only_for_a_cron_schedule(ui_home: UiHome) -> None:
    """Missed times are cron times the scheduler did not run: an export without a cron schedule
    has none, and its detail line does not offer a policy for them."""
    _two_exports(ui_home)
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(ScheduleScreen())
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ScheduleScreen)
        screen.query_one("#schedule-rows", NamedTable).select_name("fresh")
        await _settle(app, pilot)
        detail = str(screen.query_one("#schedule-detail").render())
        assert "no cron schedule" in detail and "missed times" not in detail
        screen.query_one("#schedule-rows", NamedTable).select_name("daily")
        await _settle(app, pilot)
        assert "missed times: skip" in str(screen.query_one("#schedule-detail").render())
