"""``cc-tui scheduler``: the home's service in the foreground, which runs scheduled exports.

The scheduler lives in the cc-tui service (``cc-tui service start``); this command is kept for
scripts and units written before the service: it serves the home in the foreground until
Ctrl-C or SIGTERM, and ``--list`` shows the plan (asked of the home's service, which shows
each user the exports they may see).
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

if TYPE_CHECKING:
    from cc_tui.service.protocol import SchedulePlan

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

    if ctx.args.list:
        from cc_tui.service.protocol import SchedulePlan, ScheduleShow

        _show_plan(ctx, ctx.call(ScheduleShow(), SchedulePlan))
        return 0
    _refuse_a_second_service(ctx)
    # This process becomes the home's service: it reads the plan itself (asking a service
    # would start another, and then this one could not take the home).
    _show_plan(ctx, _own_plan(ctx))
    ctx.out.note("Scheduler running in the cc-tui service; Ctrl-C stops it.")
    return serve_in_foreground(ctx, shared=False)


def _refuse_a_second_service(ctx: CommandContext) -> None:
    """A service of the home already runs (any command starts one): it runs the schedules.

    Said before anything else is shown: otherwise "Scheduler running" came first, then the
    refusal to take the home. Exit 2, not 0: a supervisor that runs ``cc-tui scheduler``
    must not take a return at once for a scheduler that ran and ended.
    """
    from cc_tui.errors import UsageError
    from cc_tui.service.client import ServiceUnavailableError, request, service_answers
    from cc_tui.service.protocol import ServiceState, ServiceStatus

    files = ctx.service_files
    if not service_answers(files):
        return
    try:
        state = request(ctx.paths, files, ServiceStatus(), autostart=False)
    except ServiceUnavailableError:
        return  # it went away meanwhile: this process can take the home
    process = f" (process {state.pid})" if isinstance(state, ServiceState) else ""
    raise UsageError(
        f"The cc-tui service of {ctx.paths.config_dir} already runs{process}, and runs the "
        "schedules itself: cc-tui scheduler --list shows them. To serve the home in this "
        "process instead, stop it first: cc-tui service stop."
    )


def _own_plan(ctx: CommandContext) -> SchedulePlan:
    """The plan as the service would answer it to its own user (every export)."""
    from cc_tui.engine.scheduler import Scheduler
    from cc_tui.service.protocol import SchedulePlan
    from cc_tui.store.config import ConfigStore

    async def never(name: str) -> RunRecord:  # the plan only: nothing is run from here
        raise AssertionError(name)

    config = ConfigStore(ctx.paths.config_file)
    scheduler = Scheduler(config.load, never, report=ctx.out.note)
    scheduler.refresh(datetime.now(UTC))
    exports = config.load().exports
    return SchedulePlan(
        scheduled=[
            (name, exports[name].schedule or "", due)
            for name, due in sorted(scheduler.next_runs().items(), key=lambda item: item[1])
            if name in exports
        ],
        on_refresh=[
            (name, export.quiet_seconds)
            for name, export in sorted(exports.items())
            if export.on_refresh and export.enabled and export.connection
        ],
        notes=[],
    )


def _show_plan(ctx: CommandContext, plan: SchedulePlan) -> None:
    for note in plan.notes:
        ctx.out.note(note)
    if not plan.scheduled and not plan.on_refresh:
        ctx.out.print(
            "No export has a schedule (add one: cc-tui export add … --schedule "
            '"0 6 * * *", or e on an export in the app).'
        )
        return
    rows = [
        cells([name, schedule, describe_schedule(schedule), utc_time_text(due)])
        for name, schedule, due in plan.scheduled
    ]
    for name, quiet in plan.on_refresh:
        words = f"when its data is refreshed (after {quiet} s of quiet)"
        rows.append(cells([name, "on refresh", words, NO_VALUE]))
    ctx.out.table([Column("export", whole=True), "schedule", "in words", "next run"], rows)
