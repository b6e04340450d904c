"""``cc-tui scheduler``: run exports on their schedules until Ctrl-C."""

from __future__ import annotations

import argparse
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cc_tui.cli.context import CommandContext
from cc_tui.cli.output import Column, cells
from cc_tui.models.run import RunRecord
from cc_tui.schedules import describe_schedule
from cc_tui.units import utc_time_text

if TYPE_CHECKING:  # the engine (Polars, httpx) is imported when the scheduler starts
    from cc_tui.engine.scheduler import Scheduler

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``scheduler``."""
    scheduler = commands.add_parser(
        "scheduler",
        help="run exports on their schedules until stopped",
        description="Run every enabled export that has a schedule (cron, UTC) each time its "
        "schedule fires, until Ctrl-C. config.toml is read again every minute. Runs still "
        "going when stopped are interrupted and resume at their next time.",
    )
    scheduler.add_argument(
        "--list",
        action="store_true",
        help="show the scheduled exports and their next runs, then exit",
    )
    scheduler.set_defaults(handler=_scheduler)


def _scheduler(ctx: CommandContext) -> int:
    import asyncio  # an event loop only for the commands that run one

    from cc_tui.engine.run_options import RunOptions
    from cc_tui.engine.runner import ExportRunner
    from cc_tui.engine.scheduler import Scheduler

    services = ctx.services
    runner = ExportRunner(services, transport=services.transport)

    def run_export(name: str) -> Coroutine[object, object, RunRecord]:
        return runner.run(name, RunOptions())

    def report(line: str) -> None:
        ctx.out.print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC  {line}")

    scheduler = Scheduler(services.config.load, run_export, report=report)
    scheduler.refresh(datetime.now(UTC))
    _show_plan(ctx, scheduler)
    if ctx.args.list:
        return 0

    async def main() -> None:
        await scheduler.run(asyncio.Event())

    ctx.out.note("Scheduler running; Ctrl-C stops it.")
    asyncio.run(main())
    return 0


def _show_plan(ctx: CommandContext, scheduler: Scheduler) -> None:
    schedules = {
        name: export.schedule for name, export in ctx.services.config.load().exports.items()
    }
    next_runs = scheduler.next_runs()
    if not next_runs:
        ctx.out.print(
            "No export has a schedule (add one: cc-tui export add … --schedule "
            '"0 6 * * *", or e on an export in the app).'
        )
        return
    rows = []
    for name, due in sorted(next_runs.items(), key=lambda item: item[1]):
        schedule = schedules.get(name) or ""
        rows.append(cells([name, schedule, describe_schedule(schedule), utc_time_text(due)]))
    ctx.out.table([Column("export", whole=True), "schedule", "in words", "next run"], rows)
