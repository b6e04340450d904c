"""The scheduler: runs due exports once per due time, follows config changes, stops cleanly."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cc_tui.engine.scheduler import Scheduler, scheduled_exports
from cc_tui.models.config import AppConfig, Export, FieldMapping
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.schedules import describe_schedule, next_run, schedule_problem
from tests.timing import FAST

LIST_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"
START = datetime(2026, 11, 29, 5, 59, 30, tzinfo=UTC)


def export(name: str, schedule: str | None, *, enabled: bool = True) -> Export:
    return Export(
        name=name,
        connection="conn",
        list_ids=(LIST_ID,),
        segments=("s",),
        mapping=FieldMapping(email="email"),
        schedule=schedule,
        enabled=enabled,
    )


def config(*exports: Export) -> AppConfig:
    return AppConfig(exports={e.name: e for e in exports})


def record(name: str) -> RunRecord:
    return RunRecord(
        run_id=f"run-{name}",
        export=name,
        connection="conn",
        status=RunStatus.SUCCEEDED,
        dry_run=False,
        os_user="u",
        started_at=START,
        finished_at=START,
        rows_read=3,
        sent=3,
        posted=3,
        confirmed=3,
    )


def test_schedules_are_checked_described_and_stepped() -> None:
    assert schedule_problem("0 6 * * *") is None
    assert "five fields" in (schedule_problem("daily") or "")
    assert "minute" in (schedule_problem("61 * * * *") or "")
    assert describe_schedule("30 7 * * 1-5") == "At 07:30 on Monday through Friday (UTC)"
    assert next_run("0 6 * * *", START) == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    assert next_run("0 6 * * *", datetime(2026, 11, 29, 6, 0, tzinfo=UTC)) == datetime(
        2026, 11, 30, 6, 0, tzinfo=UTC)  # fmt: skip


def test_only_enabled_exports_with_a_schedule_and_a_connection_are_scheduled() -> None:
    detached = replace(export("d", "* * * * *"), connection=None)
    cfg = config(export("a", "0 6 * * *"), export("b", None), export("c", "* * * * *",
                 enabled=False), detached)  # fmt: skip
    assert scheduled_exports(cfg) == {"a": "0 6 * * *"}


async def test_due_exports_run_once_per_time_and_config_changes_apply() -> None:
    now = [START]
    current = [config(export("daily", "0 6 * * *"), export("often", "*/30 * * * *"))]
    started: list[tuple[str, datetime]] = []
    lines: list[str] = []

    async def run_export(name: str) -> RunRecord:
        started.append((name, now[0]))
        return record(name)

    reads = [0]
    read = asyncio.Event()

    def clock() -> datetime:
        reads[0] += 1
        read.set()
        return now[0]

    async def looked() -> None:
        """Until the scheduler has looked at the time as it is now: each of its turns reads
        the clock to look, then to wait, so three reads hold one whole look (never a sleep
        that a busy machine outlasts)."""
        target = reads[0] + 3
        while reads[0] < target:
            read.clear()
            await read.wait()

    scheduler = Scheduler(
        lambda: current[0], run_export, report=lines.append, clock=clock, max_wait=0.01
    )
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    await looked()  # it reads the schedules at START (05:59:30)
    for minutes in (0, 1, 2, 30, 31):
        if minutes == 30:
            current[0] = config(export("often", "*/30 * * * *"))  # "daily" removed
        now[0] = START + timedelta(seconds=30, minutes=minutes)
        await looked()
    stop.set()
    await task
    times = [(name, at.strftime("%H:%M")) for name, at in started]
    assert times == [("daily", "06:00"), ("often", "06:00"), ("often", "06:30")]
    assert any("often: Run succeeded: sent 3 = confirmed 3 + refused 0" in line for line in lines)
    assert "daily" not in scheduler.next_runs()


async def test_a_run_still_going_is_not_started_twice_and_stop_cancels_it() -> None:
    now = [START]
    gate = asyncio.Event()
    cancelled = []

    async def slow_run(name: str) -> RunRecord:
        try:
            await gate.wait()
        except asyncio.CancelledError:
            cancelled.append(name)
            raise
        return record(name)

    lines: list[str] = []
    scheduler = Scheduler(
        lambda: config(export("often", "* * * * *")),
        slow_run,
        report=lines.append,
        clock=lambda: now[0],
        max_wait=0.01,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    await asyncio.sleep(0.05)
    for minute in (1, 2):
        now[0] = START + timedelta(minutes=minute)
        await asyncio.sleep(0.05)
    stop.set()
    await task
    assert any("still running" in line for line in lines)
    assert cancelled == ["often"]


async def test_a_scheduled_export_really_runs(workspace: object) -> None:
    from cc_tui.engine.run_options import RunOptions
    from cc_tui.engine.runner import ExportRunner
    from cc_tui.store.config import with_export
    from tests.engine.conftest import Workspace

    ws: Workspace = workspace  # type: ignore[assignment]
    ws.write("people.csv", "email\na@x.com\nb@x.com\n")
    ws.add_export("promo")
    ws.services.config.update(lambda c: with_export(
        c, replace(c.exports["promo"], schedule="0 6 * * *")))  # fmt: skip
    runner = ExportRunner(ws.services)
    options = RunOptions(timing=FAST)
    now = [START]
    lines: list[str] = []
    scheduler = Scheduler(
        ws.services.config.load,
        lambda name: runner.run(name, options),
        report=lines.append,
        clock=lambda: now[0],
        max_wait=0.01,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    await asyncio.sleep(0.05)
    now[0] = START + timedelta(minutes=1)
    for _ in range(200):
        await asyncio.sleep(0.05)
        if any("promo: Run succeeded" in line for line in lines):
            break
    stop.set()
    await task
    assert any("promo: Run succeeded: sent 2 = confirmed 2 +" in line for line in lines), lines
    assert ws.members() == {"a@x.com", "b@x.com"}
