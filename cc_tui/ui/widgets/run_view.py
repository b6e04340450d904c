"""RunView: a run while it goes (phase, progress bar, counts, throughput, recent events).

Attributes down: the screen calls :meth:`RunView.show` with plain values (the latest
``RunProgress``, the run's events and its throughput samples) about ten times a second. The
view keeps that cheap: reactives change only when a figure changes, a text line is re-rendered
only when its text differs, and only new events are written to the log.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import ProgressBar, RichLog, Sparkline, Static

from cc_tui.models.run_progress import RunEvent, RunProgress
from cc_tui.run_words import batches_phrase, contacts_sentence, reasons_phrase, rows_sentence
from cc_tui.safe_text import visible
from cc_tui.units import duration_text

__all__ = ["RunView"]

EVENT_LINES_KEPT = 500  # lines the events log keeps before dropping the oldest
_RUNNING = "running"
_DONE = frozenset({"succeeded", "partial"})
_FAILED = frozenset({"failed", "failed to start"})
_LEVEL_VARIABLE = {"warning": "warning", "error": "error"}
_BAR_STEPS = 1000  # the bar's total: thousandths of the run's work


class RunView(Vertical):
    """Live progress of one run: phase, bar, counts per class, batches, rate, events.

    With the class ``-side-by-side`` (set by a screen with room) the events log sits to the
    right of the figures instead of below them.
    """

    HELP = (
        "Live progress of the run. The bar counts the contacts to send: a contact posted to "
        "Constant Contact is half way, one confirmed, refused or kept off the list as "
        "unsubscribed is done; the rate and the ETA count the same way. Pending contacts are "
        "awaiting confirmation (posted) or not posted yet. Rows rejected before sending "
        "(missing, invalid or duplicate e-mail, over the cap) are counted apart. Batches are "
        "counted so far until every batch is cut."
    )
    DEFAULT_CSS = """
    RunView { height: auto; }
    RunView #run-view-figures { height: auto; }
    RunView #run-view-phase { text-style: bold; }
    RunView.-running #run-view-phase { color: $accent; }
    RunView.-done #run-view-phase { color: $run-ok; }
    RunView.-failed #run-view-phase { color: $run-failed; }
    RunView.-stopped #run-view-phase { color: $warning; }
    RunView #run-view-bar { height: 1; }
    RunView #run-view-bar Bar { width: 1fr; }
    RunView #run-view-rate-row { height: 2; }
    RunView #run-view-rate { width: auto; min-width: 28; }
    RunView Sparkline { width: 1fr; height: 2; }
    RunView #run-view-events { height: 8; border-top: solid $panel; }
    RunView.-side-by-side { layout: horizontal; }
    RunView.-side-by-side #run-view-figures { width: 1fr; }
    RunView.-side-by-side #run-view-rate-row, RunView.-side-by-side Sparkline { height: 4; }
    RunView.-side-by-side #run-view-events { width: 1fr; height: 1fr; border-top: none;
        border-left: solid $panel; }
    """

    phase: reactive[str] = reactive("waiting")
    """The run's phase ("sending", "confirming", ...)."""
    status: reactive[str] = reactive("idle")
    """idle, running, succeeded, partial, failed, interrupted or "failed to start"."""
    sent: reactive[int] = reactive(0)
    """Contacts posted to Constant Contact so far."""
    confirmed: reactive[int] = reactive(0)
    """Contacts added or updated on the lists."""
    failed: reactive[int] = reactive(0)
    """Contacts Constant Contact refused."""
    unsubscribed: reactive[int] = reactive(0)
    """Contacts kept off the lists because they unsubscribed (expected, not a failure)."""
    rejected: reactive[int] = reactive(0)
    """Input rows rejected before sending (every reason)."""
    rate: reactive[float] = reactive(0.0)
    """Contacts per second, recently, counted as the bar counts them."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._texts: dict[str, str] = {}
        self._events_source: object = None
        self._last_event: RunEvent | None = None
        self._rates_seen: tuple[int, float | None] = (0, None)

    def compose(self) -> ComposeResult:
        with Vertical(id="run-view-figures"):
            yield Static("No run yet.", id="run-view-phase")
            yield ProgressBar(id="run-view-bar", show_eta=False)
            yield Static("", id="run-view-counts")
            yield Static("", id="run-view-batches")
            with Horizontal(id="run-view-rate-row"):
                yield Static("", id="run-view-rate")
                yield Sparkline([], id="run-view-spark")
        log = RichLog(id="run-view-events", max_lines=EVENT_LINES_KEPT, wrap=True, min_width=20)
        log.border_title = "events"
        yield log

    # -- the one way in --------------------------------------------------------------------

    def show(
        self,
        progress: RunProgress | None,
        events: Sequence[RunEvent],
        rates: Sequence[float],
        *,
        status: str = _RUNNING,
        note: str | None = None,
    ) -> None:
        """Show the latest snapshot, the events not shown yet and the throughput samples.

        ``status`` is the run's state ("running" until it ends); ``note`` replaces the phase
        line while there is no snapshot (no run yet, or one that could not start).
        """
        self.status = status
        self._show_events(events)
        self._show_rates(rates)
        # No snapshot, no rate: an empty sparkline drew a flat line as if the run stood still.
        self.query_one("#run-view-rate-row").display = progress is not None
        if progress is None:
            starting = "starting…" if status == _RUNNING else status
            self._set_text("phase", note or starting)
            bar = self.query_one("#run-view-bar", ProgressBar)
            bar.display = status == _RUNNING  # an idle bar would pulse as if work went on
            bar.update(total=None)
            return
        self._show_figures(progress, status)

    def _show_figures(self, progress: RunProgress, status: str) -> None:
        self.phase = progress.phase.value
        self.sent = progress.contacts_posted
        self.confirmed = progress.confirmed
        self.failed = progress.failed
        self.unsubscribed = progress.unsubscribed
        self.rejected = sum(progress.rejected.values())
        self.rate = progress.throughput
        # The bar shows the same fraction as the status line and the CLI (posted part of
        # the way, final the rest), in thousandths so it moves smoothly.
        total = None if progress.contacts_total is None else _BAR_STEPS
        done = round(progress.done_fraction * _BAR_STEPS)
        bar = self.query_one("#run-view-bar", ProgressBar)
        bar.display = True
        if bar.total != total or bar.progress != done:
            bar.update(total=total, progress=done)
        self._set_text("phase", _phase_line(progress, status))
        self._set_text("counts", _counts_lines(progress))
        self._set_text("batches", _batches_line(progress))
        self._set_text("rate", _rate_line(progress))

    def clear(self) -> None:
        """Forget the run shown (a new run of the export is starting)."""
        self._texts.clear()
        self._events_source = None
        self._last_event = None
        self._rates_seen = (0, None)
        self.query_one("#run-view-events", RichLog).clear()
        self.query_one("#run-view-spark", Sparkline).data = []
        for name in ("counts", "batches", "rate"):
            self._set_text(name, "")
        self.query_one("#run-view-bar", ProgressBar).update(total=None, progress=0)
        self.status = "idle"

    # -- watchers: state classes -----------------------------------------------------------

    def watch_status(self, status: str) -> None:
        self.set_class(status == _RUNNING, "-running")
        self.set_class(status in _DONE, "-done")
        self.set_class(status in _FAILED, "-failed")
        self.set_class(status == "interrupted", "-stopped")

    # -- helpers -----------------------------------------------------------------------------

    def _set_text(self, name: str, text: str) -> None:
        if self._texts.get(name) != text:
            self._texts[name] = text
            self.query_one(f"#run-view-{name}", Static).update(text)

    def on_resize(self) -> None:
        """Write the event lines again for the new width, once the layout has settled.

        A RichLog keeps each line wrapped at the width it had when written: when the view
        narrows (a scrollbar appears beside it once the summary arrives), the ends of the
        lines, a path's characters among them, would hide under that scrollbar.
        """
        self.call_after_refresh(self._rewrite_events)

    def _rewrite_events(self) -> None:
        events = self._events_source
        if isinstance(events, Sequence):
            self._events_source = None
            self._show_events(events)

    def _show_events(self, events: Sequence[RunEvent]) -> None:
        log = self.query_one("#run-view-events", RichLog)
        if events is not self._events_source:
            self._events_source = events
            self._last_event = None
            log.clear()
        fresh: list[RunEvent] = []
        for event in reversed(events):
            if event is self._last_event:
                break
            fresh.append(event)
        for event in reversed(fresh):
            log.write(self._event_text(event))
        if fresh:
            self._last_event = fresh[0]

    def _event_text(self, event: RunEvent) -> Text:
        variable = _LEVEL_VARIABLE.get(event.level)
        colour = self.app.theme_variables.get(variable, "") if variable else ""
        line = Text(event.at.astimezone().strftime("%H:%M:%S "), style="dim")
        line.append(visible(event.message), style=colour)
        return line

    def _show_rates(self, rates: Sequence[float]) -> None:
        seen = (len(rates), rates[-1] if rates else None)
        if seen != self._rates_seen:
            self._rates_seen = seen
            self.query_one("#run-view-spark", Sparkline).data = list(rates)


def _phase_line(progress: RunProgress, status: str) -> str:
    kind = "[b $warning]preview: nothing sent[/] · " if progress.dry_run else ""
    state = progress.phase.value if status == _RUNNING else status
    if progress.dry_run and status == "succeeded":
        state = "finished"  # a preview does not succeed at sending anything
    attempt = f" · attempt {progress.attempt} (resumed)" if progress.attempt > 1 else ""
    return f"{kind}{state} · {progress.export} · run {progress.run_id}{attempt}"


def _counts_lines(progress: RunProgress) -> str:
    """The accounted figures, in the words the summary and the CLI use (run_words)."""
    figures = progress.figures
    if figures.sent is None:
        return f"checking e-mails: {progress.rows_read:,} rows so far"
    contacts = contacts_sentence(figures)
    contacts = contacts.replace(
        f"confirmed {figures.confirmed:,}", f"[$run-ok]confirmed {figures.confirmed:,}[/]", 1
    ).replace(f"refused {figures.failed:,}", f"[$run-failed]refused {figures.failed:,}[/]", 1)
    rows = rows_sentence(figures, reasons=False)
    rejected_line = (
        f"rejected  [$rejected]{figures.rejected_total:,}[/] ({reasons_phrase(figures.rejected)})"
    )
    if progress.fields_changed or progress.fields_dropped:
        rejected_line += (
            f" · fields changed {progress.fields_changed:,}, dropped {progress.fields_dropped:,}"
        )
    return f"{contacts}\n{rows}\n{rejected_line}"


def _batches_line(progress: RunProgress) -> str:
    complete = progress.batches_total is not None
    count = progress.batches_total if progress.batches_total is not None else progress.batches_cut
    if progress.dry_run:
        cut = batches_phrase(count, complete=complete)
        return f"batches   {cut} cut (a preview posts nothing)"
    cut = batches_phrase(count, complete=complete, posted=progress.batches_posted)
    return (
        f"batches   {cut} · {progress.batches_done:,} done · {progress.in_flight:,} in "
        f"flight\nrequests  {progress.requests:,} · retries {progress.retries:,} · throttled "
        f"waits {progress.throttled:,}"
    )


def _rate_line(progress: RunProgress) -> str:
    eta = "—" if progress.eta is None else _clock(progress.eta)
    took = f"elapsed   {_clock(progress.elapsed)}"
    if progress.attempt > 1:
        took += f" (earlier attempts {duration_text(progress.earlier_active)})"
    return f"rate      {progress.throughput:,.0f} contacts/s\n{took} · ETA {eta}"


def _clock(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
