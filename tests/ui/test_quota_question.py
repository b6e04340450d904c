"""A run today's API quota cannot hold: the app asks first, and "not now" starts nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from textual.widgets import Static

from cc_tui.engine.plan import DAILY_QUOTA
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.run_history import RunHistory
from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.widgets.detail_panel import DetailPanel
from tests.ui.conftest import UiHome, until, workers_done


def _spend_the_day(ui_home: UiHome) -> None:
    """Another export's run spent today's whole quota through the same connection."""
    now = datetime.now(UTC)
    RunHistory(ui_home.services.history).create(
        RunRecord(
            run_id="spender", export="other", connection="marketing",
            status=RunStatus.SUCCEEDED, dry_run=False, os_user="alice", started_at=now,
            finished_at=now, requests=DAILY_QUOTA),
        inputs={}, plan={})  # fmt: skip


def _detail_text(app: CcTuiApp) -> str:
    body = app.screen.query_one(DetailPanel).query_one("#detail-body", Static)
    console = Console(width=120, record=True, color_system=None)
    console.print(body.content)
    return console.export_text()


async def test_the_app_asks_before_a_run_the_quota_cannot_hold(ui_home: UiHome) -> None:
    ui_home.add_export()
    _spend_the_day(ui_home)
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        # The plan is made by a worker, and made again when a fresher view of the home comes
        # (on a loaded machine, after the first worker): wait for what it says.
        await until(pilot, lambda: "being worked out" not in _detail_text(app))
        shown = " ".join(_detail_text(app).split())
        assert "does NOT fit today's quota" in shown
        assert f"{DAILY_QUOTA:,} of {DAILY_QUOTA:,} spent today" in shown

        await pilot.press("r")
        for _ in range(50):  # the plan is made in a thread before the question
            await pilot.pause(0.05)
            if isinstance(app.screen, ConfirmModal):
                break
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await workers_done(app)
        await pilot.pause()
        assert RunHistory(ui_home.services.history).runs(export="weekly") == []
        run = app.runs.get("weekly")
        assert run is not None and run.error is not None and "00:00 UTC" in run.error

        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("r")
        for _ in range(50):
            await pilot.pause(0.05)
            if isinstance(app.screen, ConfirmModal):
                break
        await pilot.press("y")
        await workers_done(app)
        await pilot.pause()
        (ran,) = RunHistory(ui_home.services.history).runs(export="weekly")
        assert ran.status is RunStatus.SUCCEEDED
