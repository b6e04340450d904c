"""``cc-tui run NAME`` (live progress, exit codes, JSON summary) and ``cc-tui history``."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from rich.console import Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from cc_tui.cli.context import CommandContext
from cc_tui.cli.output import Output, Visible, format_local_time
from cc_tui.engine.execution import WOULD_SEND_FILE
from cc_tui.engine.progress import Phase, RunEvent, RunProgress
from cc_tui.engine.runner import ExportRunner, RunOptions
from cc_tui.engine.sender import DEFAULT_ACTIVITY_DEADLINE, SenderTiming
from cc_tui.errors import EXIT_FAILED, EXIT_RESUMABLE
from cc_tui.models import RunRecord, RunStatus
from cc_tui.store.run_history import RunHistory

__all__ = ["EXIT_CODES", "print_summary", "register", "run_export"]

EXIT_CODES = {
    RunStatus.SUCCEEDED: 0,
    RunStatus.PARTIAL: EXIT_FAILED,
    RunStatus.FAILED: EXIT_FAILED,
    RunStatus.INTERRUPTED: EXIT_RESUMABLE,
    RunStatus.RUNNING: EXIT_FAILED,
}
_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_STATUS_STYLE = {
    "succeeded": "green",
    "partial": "yellow",
    "failed": "red",
    "interrupted": "yellow",
    "running": "cyan",
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``run`` and ``history``."""
    run = commands.add_parser(
        "run",
        help="run an export now (resumes an interrupted run)",
        description="Run an export: read its segments, send every valid contact once, confirm "
        "it through Constant Contact. An interrupted run of the export is resumed unless "
        "--restart. Exit codes: 0 done, 1 failed or contacts refused, 2 usage/config/input "
        "error, 3 stopped but resumable, 130 Ctrl-C.",
    )
    run.add_argument("name", metavar="NAME")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="do everything but call Constant Contact; show what would be sent",
    )
    run.add_argument(
        "--restart", action="store_true", help="start over instead of resuming an interrupted run"
    )
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument(
        "--activity-deadline",
        type=_duration,
        default=DEFAULT_ACTIVITY_DEADLINE,
        metavar="TIME",
        help="how long to wait for one Constant Contact import activity before stopping the "
        "run, resumable: 90s, 45m, 2h (default 2h)",
    )
    run.set_defaults(handler=_run)
    history = commands.add_parser(
        "history", help="past runs with their counts", description="Show past runs, newest first."
    )
    history.add_argument("--export", metavar="NAME", help="only runs of this export")
    history.add_argument("--limit", type=int, default=20, metavar="N", help="how many (20)")
    history.add_argument("--json", action="store_true", help="print JSON")
    history.set_defaults(handler=_history)


def _duration(text: str) -> float:
    """Seconds from ``90s``, ``45m``, ``2h`` or a bare number of seconds (argparse type)."""
    value = text.strip().lower()
    unit = _DURATION_UNITS.get(value[-1:])
    number = value[:-1] if unit is not None else value
    try:
        seconds = float(number) * (unit or 1.0)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a duration: give a positive number with s, m or h, like 45m or 2h"
        )
    return seconds


def _run(ctx: CommandContext) -> int:
    timing = SenderTiming(activity_deadline=ctx.args.activity_deadline)
    options = RunOptions(dry_run=ctx.args.dry_run, restart=ctx.args.restart, timing=timing)
    record = run_export(ctx, ctx.args.name, options, quiet=ctx.args.json)
    if ctx.args.json:
        ctx.out.json(record.to_json())
    else:
        print_summary(ctx.out, record)
    return EXIT_CODES[record.status]


def run_export(
    ctx: CommandContext, name: str, options: RunOptions, *, quiet: bool = False
) -> RunRecord:
    """Run ``name`` with a live display on a terminal, event lines otherwise."""
    runner = ExportRunner(ctx.services, transport=ctx.services.transport)
    display = _LiveDisplay(ctx.out) if ctx.out.errors.is_terminal else None

    def on_event(event: RunEvent) -> None:
        if display is not None:
            display.add_event(event)
        elif not quiet:
            ctx.out.note(f"{event.at:%H:%M:%S} {event.message}")

    async def go() -> RunRecord:
        return await runner.run(
            name, options, on_progress=display.update if display else None, on_event=on_event
        )

    if display is None:
        return asyncio.run(go())
    # Live refreshes outside Output.print: its renderable makes its own text visible.
    with Live(Visible(display), console=ctx.out.errors, refresh_per_second=10, transient=True):
        return asyncio.run(go())


class _LiveDisplay:
    """A Rich renderable that shows the latest snapshot and the last few events."""

    def __init__(self, out: Output) -> None:
        self._out = out
        self._progress: RunProgress | None = None
        self._events: list[RunEvent] = []

    def update(self, progress: RunProgress) -> None:
        self._progress = progress

    def add_event(self, event: RunEvent) -> None:
        self._events = [*self._events[-4:], event]

    def __rich__(self) -> RenderableType:
        p = self._progress
        if p is None:
            return Text("Planning…")
        total = p.contacts_total or 0
        done = p.confirmed + p.failed + p.unsubscribed
        head = Text.assemble(
            (f"{p.export} ", "bold"), (p.phase.value, "cyan"), f"  {p.elapsed:,.1f} s"
        )
        if p.dry_run:
            head.append("  (dry run: nothing is sent)", style="yellow")
        bar = ProgressBar(total=max(total, 1), completed=done if total else 0, width=50)
        figures = Text(
            f"{done:,}/{total:,} contacts final · {p.confirmed:,} confirmed · "
            f"{p.unsubscribed:,} unsubscribed · {p.failed:,} refused · "
            f"{sum(p.rejected.values()):,} rejected\n"
            f"rows {p.rows_read:,}/{(p.rows_total or 0):,} · batches {p.batches_posted}/"
            f"{p.batches_total or 0} posted, {p.in_flight} in flight · requests {p.requests} "
            f"· retries {p.retries} · throttled {p.throttled} · {p.throughput:,.0f} contacts/s"
            + (
                f" · ETA {p.eta:,.0f} s"
                if p.eta is not None and p.phase is not Phase.FINISHED
                else ""
            )
        )
        lines = [Text(f"  {e.at:%H:%M:%S} {e.message}", style="dim") for e in self._events]
        return Group(head, bar, figures, *lines)


def print_summary(out: Output, run: RunRecord) -> None:
    """The accounted summary of one run, for people."""
    style = _STATUS_STYLE.get(run.status.value, "")
    out.print(
        Text.assemble(
            ("Run ", "bold"),
            (run.run_id, "bold"),
            " of ",
            (run.export, "bold"),
            ": ",
            (run.status.value, f"bold {style}"),
            " (dry run)" if run.dry_run else "",
            f" in {run.duration_s:,.1f} s",
        )
    )
    table = Table.grid(padding=(0, 2))
    rejected = sum(run.rejected.values())
    rows = [
        ("rows read", f"{run.rows_read:,}", "= sent + rejected"),
        (
            "sent" if not run.dry_run else "would send",
            f"{run.sent:,}",
            "= confirmed + refused + unsubscribed" + (" + pending" if run.pending else ""),
        ),
        ("  confirmed", f"{run.confirmed:,}", "added to or updated on the list"),
        ("  refused", f"{run.failed:,}", "Constant Contact refused them (see the file)"),
        ("  unsubscribed", f"{run.unsubscribed:,}", "kept off the list, as they asked"),
    ]
    if run.pending:
        rows.append(
            (
                "  pending",
                f"{run.pending:,}",
                "not sent (dry run)" if run.dry_run else "not confirmed yet: resume",
            )
        )
    rows.append(
        (
            "rejected",
            f"{rejected:,}",
            ", ".join(f"{reason} {count:,}" for reason, count in run.rejected.items() if count)
            or "none",
        )
    )
    if run.fields:
        rows.append(
            (
                "fields changed",
                f"{run.fields_changed:,}",
                "values sent in a form Constant Contact accepts",
            )
        )
        rows.append(
            (
                "fields dropped",
                f"{run.fields_dropped:,}",
                "values left out; their contacts were still sent",
            )
        )
        for name, reasons in sorted(run.fields.items()):
            rows.append(
                (
                    f"  {name}",
                    f"{sum(reasons.values()):,}",
                    ", ".join(f"{reason} {count:,}" for reason, count in sorted(reasons.items())),
                )
            )
    if run.truncated:  # runs of cc-tui versions that cut long values
        rows.append(("truncated", f"{run.truncated:,}", "values cut to Constant Contact's limits"))
    rows.append(
        (
            "batches / requests",
            f"{run.batches} / {run.requests}",
            f"{run.retries} retries, {run.throttled} throttled",
        )
    )
    for label, value, note in rows:
        table.add_row(Text(label), Text(value, justify="right"), Text(note, style="dim"))
    out.print(table)
    if run.rejected_rows_file and (rejected or run.failed):
        out.print(f"Rejected rows: {run.rejected_rows_file}")
    if run.field_problems_file and run.fields:
        out.print(Text(f"Field problems: {run.field_problems_file}"))
    if run.dry_run and run.rejected_rows_file:
        would_send = Path(run.rejected_rows_file).with_name(WOULD_SEND_FILE)
        out.print(f"Would send ({run.batches} import requests, one per line): {would_send}")
    if run.error:
        out.print(Text(run.error, style="yellow" if run.status is RunStatus.INTERRUPTED else "red"))


def _history(ctx: CommandContext) -> int:
    runs = RunHistory(ctx.services.history).runs(export=ctx.args.export, limit=ctx.args.limit)
    if ctx.args.json:
        ctx.out.json([run.to_json() for run in runs])
        return 0
    if not runs:
        ctx.out.print("No runs yet.")
        return 0
    table = Table(
        "run",
        "export",
        "status",
        "started",
        "s",
        "rows",
        "sent",
        "confirmed",
        "refused",
        "unsub.",
        "rejected",
    )
    for run in runs:
        status = Text(
            run.status.value + (" (dry)" if run.dry_run else ""),
            style=_STATUS_STYLE.get(run.status.value, ""),
        )
        table.add_row(
            run.run_id,
            run.export,
            status,
            format_local_time(run.started_at),
            f"{run.duration_s:,.1f}",
            f"{run.rows_read:,}",
            f"{run.sent:,}",
            f"{run.confirmed:,}",
            f"{run.failed:,}",
            f"{run.unsubscribed:,}",
            f"{sum(run.rejected.values()):,}",
        )
    ctx.out.print(table)
    return 0
