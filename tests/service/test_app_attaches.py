"""The app is a client of the service: it attaches to runs started elsewhere, and quitting it
leaves them running."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from cc_tui.cli.entry import main
from cc_tui.models.run import RunStatus
from cc_tui.service.async_client import ServiceLink
from cc_tui.service.client import request
from cc_tui.service.home_client import HomeClient
from cc_tui.service.locate import service_files
from cc_tui.service.protocol import RunsList, RunsListed
from cc_tui.ui.app import CcTuiApp, open_home
from tests.engine.conftest import Workspace
from tests.engine.test_runner import people_csv
from tests.service.test_runs_outlive_clients import ROWS, everyone, slow

WAIT_LIMIT = 60.0


async def until(pilot: Pilot[int], ready: Callable[[], object]) -> None:
    """Let the app work until ``ready`` holds (a state, never a duration)."""
    deadline = time.monotonic() + WAIT_LIMIT
    while not ready():
        assert time.monotonic() < deadline, "the app never got there"
        await pilot.pause(0.05)


def test_the_app_watches_a_run_started_from_the_command_line_to_its_end(
    make_workspace: Callable[..., Workspace], capsys: pytest.CaptureFixture[str]
) -> None:
    ws = slow(make_workspace)
    paths = ws.services.paths
    assert main(["--home", str(paths.config_dir), "run", "promo", "--detach"]) == 0
    run_id = capsys.readouterr().out.strip()
    app = CcTuiApp(open_home(HomeClient(ServiceLink(paths, service_files(paths)))))

    async def watch() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: (run := app.runs.get("promo")) is not None and run.record)

    asyncio.run(watch())
    run = app.runs.get("promo")
    assert run is not None and run.record is not None, "the app never saw the run end"
    assert run.progress is not None and run.progress.run_id == run_id  # watched it live
    assert (run.record.status, run.record.confirmed) == (RunStatus.SUCCEEDED, ROWS)
    assert ws.members() == everyone()


def test_quitting_the_app_leaves_its_run_going_in_the_service(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = slow(make_workspace)
    paths = ws.services.paths
    files = service_files(paths)
    app = CcTuiApp(open_home(HomeClient(ServiceLink(paths, files))))

    async def start_and_quit() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            app.runs.start("promo")
            await until(pilot, lambda: (run := app.runs.get("promo")) is not None and run.progress)
            await pilot.press("ctrl+q")  # no question: the service keeps the run
            await pilot.pause()

    asyncio.run(start_and_quit())
    going = request(paths, files, RunsList(), autostart=False)
    assert isinstance(going, RunsListed)
    assert [run.export for run in going.runs] == ["promo"]


def test_the_service_refuses_a_run_the_quota_cannot_hold_and_the_app_asks(
    make_workspace: Callable[..., Workspace],
) -> None:
    from datetime import UTC, datetime

    from cc_tui.engine.plan import DAILY_QUOTA
    from cc_tui.models.run import RunRecord
    from cc_tui.store.run_history import RunHistory

    ws = make_workspace()
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    paths = ws.services.paths
    connection = ws.services.config.load().exports["promo"].connection
    now = datetime.now(UTC)
    history = RunHistory(ws.services.history)
    history.create(
        RunRecord(
            run_id="spender", export="other", connection=connection,
            status=RunStatus.SUCCEEDED, dry_run=False, os_user="alice", started_at=now,
            finished_at=now, requests=DAILY_QUOTA),
        inputs={}, plan={})  # fmt: skip
    app = CcTuiApp(open_home(HomeClient(ServiceLink(paths, service_files(paths)))))
    questions: list[str] = []
    answers = iter([False, True])

    async def ask(question: str, yes: str, no: str) -> bool:
        questions.append(question)
        return next(answers)

    async def refuse_then_allow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            app.runs.ask = ask
            app.runs.start("promo")
            await until(pilot, lambda: (run := app.runs.get("promo")) and not run.running)
            first = app.runs.get("promo")
            assert first is not None and first.error is not None and "00:00 UTC" in first.error
            assert history.runs(export="promo") == []  # the service started nothing
            app.runs.start("promo")
            await until(pilot, lambda: (run := app.runs.get("promo")) and run.record)

    asyncio.run(refuse_then_allow())
    assert len(questions) == 2 and "quota" in questions[0]
    run = app.runs.get("promo")
    assert run is not None and run.record is not None
    assert run.record.status is RunStatus.SUCCEEDED
