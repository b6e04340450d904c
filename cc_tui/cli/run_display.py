"""What a run looks like on the command line: the live figures while it goes, the accounted
summary when it ends (the sentences of :mod:`cc_tui.run_words`, which every face shares)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from cc_tui.cli.output import Output
from cc_tui.engine.progress import RunEvent, RunProgress
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.run_words import (
    batches_phrase,
    contacts_sentence,
    reasons_phrase,
    rows_sentence,
    status_word,
    time_sentence,
)
from cc_tui.units import duration_text

__all__ = ["STATUS_STYLE", "LiveDisplay", "live_lines", "print_summary"]

_BAR_MIN = 10  # columns of the live progress bar, at the least
_PERCENT_WIDTH = 5  # " 100%" after the bar
_LIVE_EVENTS = 4  # recent event lines under the live figures
STATUS_STYLE = {
    "succeeded": "green",
    "partial": "yellow",
    "failed": "red",
    "interrupted": "yellow",
    "running": "cyan",
}
"""The colour of each run status, wherever the command line names one."""


class LiveDisplay:
    """A Rich renderable that shows the latest snapshot and the last few events.

    Every line is laid out for the console's width (80 columns included): the bar has a row
    of its own, figures wrap at word boundaries and are never cut. Milestone events (the run
    resumes, the run ended) are printed above the live region, so they stay once it is gone.
    """

    def __init__(self, out: Output) -> None:
        self._out = out
        self._progress: RunProgress | None = None
        self._events: list[RunEvent] = []
        self.live: Live | None = None

    def update(self, progress: RunProgress) -> None:
        self._progress = progress

    def add_event(self, event: RunEvent) -> None:
        if event.milestone and self.live is not None:
            line = Text(f"{event.at:%H:%M:%S} {event.message}", no_wrap=False, overflow="fold")
            self.live.console.print(line, soft_wrap=False)
            return
        self._events = [*self._events[-(_LIVE_EVENTS - 1) :], event]

    def __rich__(self) -> RenderableType:
        width = self._out.errors.width
        p = self._progress
        if p is None:
            return Text("Planning…")
        return Group(*live_lines(p, width), *self._event_lines())

    def _event_lines(self) -> list[Text]:
        return [
            Text(f"  {e.at:%H:%M:%S} {e.message}", style="dim", overflow="fold", no_wrap=False)
            for e in self._events
        ]


def live_lines(p: RunProgress, width: int) -> list[RenderableType]:
    """The live figures of a run, for a console ``width`` columns wide."""
    head = Text(overflow="fold", no_wrap=False)
    head.append(p.export, style="bold")
    head.append(" · ")
    head.append(p.phase.value, style="cyan")
    head.append(f" · {duration_text(p.elapsed)}")
    if p.attempt > 1:
        head.append(f" · attempt {p.attempt} (resumed)")
    if p.dry_run:
        head.append(" · preview: nothing is sent", style="yellow")
    fraction = p.done_fraction
    bar_width = max(_BAR_MIN, width - _PERCENT_WIDTH - 1)
    bar = Table.grid(padding=(0, 1))
    bar.add_row(
        ProgressBar(total=1000, completed=round(fraction * 1000), width=bar_width),
        Text(f"{fraction:>4.0%}", no_wrap=True, overflow="fold"),
    )
    figures = p.figures
    lines: list[RenderableType] = [head, bar]
    if figures.sent is None:
        lines.append(
            Text(f"checking e-mails: {p.rows_read:,} rows so far", overflow="fold", no_wrap=False)
        )
    else:
        lines.append(Text(contacts_sentence(figures), overflow="fold", no_wrap=False))
        lines.append(Text(rows_sentence(figures, reasons=False), overflow="fold", no_wrap=False))
    cut = batches_phrase(
        p.batches_total if p.batches_total is not None else p.batches_cut,
        complete=p.batches_total is not None,
        posted=None if p.dry_run else p.batches_posted,
    )
    lines.append(
        Text(
            f"batches {cut} · {p.in_flight} in flight · requests {p.requests:,} · retries "
            f"{p.retries:,} · throttled {p.throttled:,}",
            overflow="fold",
            no_wrap=False,
        )
    )
    eta = f" · ETA {duration_text(p.eta)}" if p.eta is not None else ""
    lines.append(Text(f"rate {p.throughput:,.0f} contacts/s{eta}", overflow="fold", no_wrap=False))
    return lines


def print_summary(out: Output, run: RunRecord) -> None:
    """The accounted summary of one run, for people (the sentences every face shares)."""
    style = STATUS_STYLE.get(run.status.value, "")
    figures = run.figures
    head = Text(overflow="fold", no_wrap=False)
    head.append("Run ", style="bold")
    head.append(run.run_id, style="bold")
    head.append(" of ")
    head.append(run.export, style="bold")
    head.append(": ")
    head.append(status_word(run), style=f"bold {style}")
    head.append(f" · {time_sentence(run)}")
    out.print(head, soft_wrap=False)
    lines = [rows_sentence(figures, reasons=False), contacts_sentence(figures)]
    if figures.rejected_total:
        lines.append(
            f"rejected {figures.rejected_total:,}: {reasons_phrase(run.rejected, zeros=False)}"
        )
    for line in lines:
        out.print(Text(line, overflow="fold", no_wrap=False), soft_wrap=False)
    if run.fields:
        table = Table.grid(padding=(0, 2))
        rows = [
            (
                "fields changed",
                f"{run.fields_changed:,}",
                "values sent in a form Constant Contact accepts",
            ),
            (
                "fields dropped",
                f"{run.fields_dropped:,}",
                "values left out; their contacts were still sent",
            ),
        ]
        for name, reasons in sorted(run.fields.items()):
            rows.append(
                (
                    f"  {name}",
                    f"{sum(reasons.values()):,}",
                    ", ".join(f"{reason} {count:,}" for reason, count in sorted(reasons.items())),
                )
            )
        for label, value, note in rows:
            table.add_row(Text(label), Text(value, justify="right"), Text(note, style="dim"))
        out.print(table)
    if run.truncated:  # runs of cc-tui versions that cut long values
        out.print(Text(f"truncated {run.truncated:,} values cut to Constant Contact's limits"))
    batches = batches_phrase(run.batches, complete=run.batches_complete)
    out.print(
        Text(
            f"{batches} · {run.requests:,} requests · {run.retries:,} retries · "
            f"{run.throttled:,} throttled",
            overflow="fold",
            no_wrap=False,
        ),
        soft_wrap=False,
    )
    if run.rejected_rows_file and (figures.rejected_total or run.failed):
        out.print(f"Rejected rows: {run.rejected_rows_file}")
    if run.field_problems_file and run.fields:
        out.print(Text(f"Field problems: {run.field_problems_file}"))
    if run.dry_run and run.would_send_file:
        would_send = run.would_send_file
        out.print(f"Would send ({run.batches} import requests, one per line): {would_send}")
    if run.error:
        out.print(Text(run.error, style="yellow" if run.status is RunStatus.INTERRUPTED else "red"))
    if run.status is RunStatus.INTERRUPTED and not run.dry_run:
        out.print(
            Text(
                f"Run `cc-tui run {run.export}` again to resume it.", overflow="fold", no_wrap=False
            )
        )
