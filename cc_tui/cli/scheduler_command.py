"""``cc-tui scheduler``: the home's service in the foreground, which runs scheduled exports.

The scheduler lives in the cc-tui service (``cc-tui service start``); this command is kept for
scripts and units written before the service: it serves the home in the foreground until
Ctrl-C or SIGTERM, and ``--list`` shows the plan.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cc_tui.cli.context import CommandContext
from cc_tui.cli.output import Column, cells
from cc_tui.models.run import RunRecord
from cc_tui.schedules import describe_schedule
from cc_tui.units import NO_VALUE, utc_time_text

if TYPE_CHECKING:  # the engine (Polars, httpx) is imported when the scheduler starts
    from cc_tui.engine.scheduler import Scheduler

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``scheduler``."""
    scheduler = commands.add_parser(
        "scheduler",
        help="run exports on their schedules until stopped",
        description="Run every enabled export that has a schedule (cron, UTC) each time its "
        "schedule fires, until Ctrl-C. The scheduler lives in the cc-tui service: this serves "
        "the home in the foreground, as `cc-tui service start --foreground` does (so other "
        "clients may run and watch exports meanwhile). config.toml is read again every "
        "minute. Runs still going when stopped are interrupted and resume at their next time.",
    )
    scheduler.add_argument(
        "--list",
        action="store_true",
        help="show the scheduled exports and their next runs, then exit",
    )
    scheduler.set_defaults(handler=_scheduler)


def _scheduler(ctx: CommandContext) -> int:
    from cc_tui.cli.service_commands import serve_in_foreground
    from cc_tui.engine.scheduler import Scheduler

    async def never(name: str) -> RunRecord:  # the plan only: nothing is run from here
        raise AssertionError(name)

    scheduler = Scheduler(ctx.services.config.load, never, report=ctx.out.note)
    scheduler.refresh(datetime.now(UTC))
    _show_plan(ctx, scheduler)
    if ctx.args.list:
        return 0
    ctx.out.note("Scheduler running in the cc-tui service; Ctrl-C stops it.")
    return serve_in_foreground(ctx, shared=False)


def _show_plan(ctx: CommandContext, scheduler: Scheduler) -> None:
    exports = ctx.services.config.load().exports
    next_runs = scheduler.next_runs()
    on_refresh = sorted(
        name
        for name, export in exports.items()
        if export.on_refresh and export.enabled and export.connection
    )
    if not next_runs and not on_refresh:
        ctx.out.print(
            "No export has a schedule (add one: cc-tui export add … --schedule "
            '"0 6 * * *", or e on an export in the app).'
        )
        return
    rows = []
    for name, due in sorted(next_runs.items(), key=lambda item: item[1]):
        export = exports.get(name)
        schedule = (export.schedule if export is not None else None) or ""
        rows.append(cells([name, schedule, describe_schedule(schedule), utc_time_text(due)]))
    for name in on_refresh:
        quiet = exports[name].quiet_seconds
        words = f"when its data is refreshed (after {quiet} s of quiet)"
        rows.append(cells([name, "on refresh", words, NO_VALUE]))
    ctx.out.table([Column("export", whole=True), "schedule", "in words", "next run"], rows)
