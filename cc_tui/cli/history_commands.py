"""``cc-tui history``: past runs, a table when it fits the console, else a few lines per run
(and ``history repair``, :mod:`history_repair`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cc_tui.cli import history_repair
from cc_tui.cli.context import CommandContext
from cc_tui.cli.numbers import at_least
from cc_tui.cli.output import Output
from cc_tui.models.run import RunRecord
from cc_tui.run_words import (
    contacts_sentence,
    reasons_phrase,
    rows_sentence,
    status_word,
    time_sentence,
)
from cc_tui.units import duration_text, utc_time_text
from cc_tui.verify_words import verify_sentence, verify_word

if TYPE_CHECKING:  # Rich (and the run display) load when the history is printed, not for --help
    from rich.console import RenderableType
    from rich.table import Table

__all__ = ["history_lines", "print_history", "register"]

_UNBOUNDED = 10_000  # columns: room enough to measure any table's natural width
_INDENT = 2  # columns a run's detail lines are indented by in the narrow history


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``history`` (and its ``repair``)."""
    history = commands.add_parser(
        "history", help="past runs with their counts", description="Show past runs, newest first."
    )
    history.add_argument("--export", metavar="NAME", help="only runs of this export")
    history.add_argument("--limit", type=at_least(1), default=20, metavar="N", help="how many (20)")
    history.add_argument("--json", action="store_true", help="print JSON")
    history.set_defaults(handler=_history)
    history_repair.register(history)


_HISTORY_COLUMNS = (
    "run",
    "export",
    "status",
    "started",
    "active",
    "rows",
    "sent",
    "confirmed",
    "refused",
    "unsub.",
    "pending",
    "rejected",
)


def _history(ctx: CommandContext) -> int:
    from cc_tui.service.protocol import HistoryList

    # The service reads the history: in a team's home it is the service account's alone.
    runs = ctx.call(HistoryList(export=ctx.args.export, limit=ctx.args.limit), list[RunRecord])
    if ctx.args.json:
        ctx.out.json([run.to_json() for run in runs])
        return 0
    if not runs:
        ctx.out.print("No runs yet.")
        return 0
    print_history(ctx.out, runs)
    return 0


def print_history(out: Output, runs: list[RunRecord]) -> None:
    """Past runs: a table when it fits the console whole, else a few lines per run."""
    from rich.measure import Measurement  # Rich loads on use, not for --help

    table = _history_table(runs)
    console = out.console
    # Measured without the console's limit: how wide the table wants to be, every cell whole.
    natural = Measurement.get(console, console.options.update_width(_UNBOUNDED), table)
    if natural.maximum <= console.width:
        out.print(table)
        return
    for run in runs:
        for line in history_lines(run):
            out.print(line, soft_wrap=False)


def _history_table(runs: list[RunRecord]) -> Table:
    from rich.table import Table
    from rich.text import Text

    from cc_tui.cli.run_display import STATUS_STYLE

    table = Table(*_HISTORY_COLUMNS)
    for run in runs:
        figures = run.figures
        status = Text(status_word(run), style=STATUS_STYLE.get(run.status.value, ""))
        if run.verification is not None:  # verified / unverified / not checked, beside it
            status.append(f"\n{verify_word(run.verification)}")
        table.add_row(
            run.run_id,
            run.export,
            status,
            utc_time_text(run.started_at),
            duration_text(run.duration_s),
            f"{run.rows_read:,}",
            f"{run.sent:,}",
            f"{run.confirmed:,}",
            f"{run.failed:,}",
            f"{run.unsubscribed:,}",
            "—" if run.dry_run else f"{figures.pending:,}",
            f"{figures.rejected_total:,}",
        )
    return table


def history_lines(run: RunRecord) -> list[RenderableType]:
    """One run of the history on a narrow console: its name line, then its sentences."""
    from rich.padding import Padding
    from rich.text import Text

    from cc_tui.cli.run_display import STATUS_STYLE

    style = STATUS_STYLE.get(run.status.value, "")
    head = Text(overflow="fold", no_wrap=False)
    head.append(run.run_id, style="bold")
    head.append(" · ")
    head.append(status_word(run), style=f"bold {style}")
    figures = run.figures
    details = [
        f"{run.export} · started {utc_time_text(run.started_at)} · {time_sentence(run)}",
        rows_sentence(figures, reasons=False),
        contacts_sentence(figures),
    ]
    if figures.rejected_total:
        details.append(
            f"rejected {figures.rejected_total:,}: {reasons_phrase(run.rejected, zeros=False)}"
        )
    if run.verification is not None:
        details.append(f"check: {verify_sentence(run.verification)}")
    lines: list[RenderableType] = [head]
    lines += [
        Padding(Text(d, overflow="fold", no_wrap=False), (0, 0, 0, _INDENT), expand=False)
        for d in details
    ]
    return lines
