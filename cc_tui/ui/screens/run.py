"""RunScreen: the live view of an export's latest run, then its summary and rejected rows.

Runs belong to the app (``app.runs``); this screen only watches one export's run through the
``runs.changed`` signal and asks for things with app messages, so closing it never stops the
run. Progress arrives about ten times a second: the screen redraws at most once per frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.run_words import status_word
from cc_tui.ui.commands import PaletteCommand, ScreenCommands
from cc_tui.ui.host import AppHost, host
from cc_tui.ui.keymap import ExplainsDisabledKeys
from cc_tui.ui.messages import CancelRequested, RunRequested
from cc_tui.ui.outside_text import plain_text
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.widgets.rejected_rows import RejectedRows
from cc_tui.ui.widgets.run_summary import RunSummary
from cc_tui.ui.widgets.run_view import RunView
from cc_tui.units import local_time_text

if TYPE_CHECKING:
    from cc_tui.ui.runs import ActiveRun

__all__ = ["RunScreen"]

CANCEL_QUESTION = (
    "Cancel the run of {export}?\n\nThe run stops at the next batch boundary and stays "
    "resumable: {resume} here, or {home_run} on the home screen, resumes it later."
)
RESTART_QUESTION = (
    "Start {export} over from scratch?\n\nThe interrupted run is abandoned; contacts it already "
    "sent stay in Constant Contact."
)
_R_ACTIONS = frozenset({"run_again", "resume_run", "run_for_real"})
_NOT_SHOWN = object()  # no record shown yet (None would mean "no run to show")
WIDE_WIDTH = 120  # columns from which the screen lays out side by side


class RunScreen(ExplainsDisabledKeys, Screen[None]):
    """An export's run: live progress, then its accounted summary and rejected rows."""

    COMMANDS: ClassVar = {ScreenCommands}
    DEFAULT_CSS = """
    RunScreen #run-error { display: none; margin: 0 1; padding: 0 1; border: heavy $error;
        color: $error; text-style: bold; height: auto; }
    RunScreen.-error #run-error { display: block; }
    RunScreen #run-body { height: 1fr; }
    RunScreen #run-finished { display: none; height: auto; }
    RunScreen.-finished #run-finished { display: block; }
    RunScreen #run-finished RejectedRows { height: 16; }
    RunScreen.-live RunView { height: 1fr; }
    RunScreen.-live RunView #run-view-events { height: 1fr; min-height: 6; }
    RunScreen.-wide #run-body { overflow-y: hidden; }
    RunScreen.-wide RunView { height: 1fr; }
    RunScreen.-wide #run-finished { layout: horizontal; height: 1fr; }
    RunScreen.-wide #run-finished RunSummary { width: 1fr; }
    RunScreen.-wide #run-finished RejectedRows { width: 1fr; height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "c",
            "cancel_run",
            "Cancel",
            id="run-cancel",
            tooltip="Stop the run at the next batch boundary (asks first; it stays resumable)",
        ),
        # One key, three meanings: the footer names the one that applies (check_action).
        Binding("r", "run_again", "Run again", id="run-again", tooltip="Run the export again"),
        Binding(
            "r",
            "resume_run",
            "Resume",
            id="run-resume",
            tooltip="Resume the interrupted run: confirmed batches are skipped",
        ),
        Binding(
            "r",
            "run_for_real",
            "Run",
            id="run-real",
            tooltip="Run the export for real (the last one was a preview: nothing sent)",
        ),
        Binding(
            "h",
            "history",
            "History",
            id="run-history",
            tooltip="Every run of this export, with batches and rejected rows",
        ),
        Binding("escape", "back", "Back", id="run-back", tooltip="Back; the run goes on"),
        Binding(
            "b", "back", "Back", show=False, id="run-back-alt", tooltip="Back; the run goes on"
        ),
        Binding(
            "s",
            "restart_run",
            "Start over",
            show=False,
            id="run-restart",
            tooltip="Abandon the interrupted run and start over (asks first)",
        ),
        Binding(
            "p",
            "preview_run",
            "Preview",
            show=False,
            id="run-preview",
            tooltip="Preview the export: a dry run that sends nothing",
        ),
    ]

    def __init__(self, export: str, *, starting: bool = False) -> None:
        """``starting``: opened as a run of ``export`` was asked for; until the app has
        started it, the view says it is starting (not "no run", nor the last run's figures)."""
        super().__init__()
        self.export = export
        self._starting = starting
        # The run a start asks for is the next one the app keeps for the export: what it keeps
        # now (the callers ask for the start just before opening this view) is not it, unless
        # it is going (a second start meets that one).
        self._before = host(self).runs.get(export) if starting else None
        self._run: ActiveRun | None = None
        self._record_key: object = _NOT_SHOWN
        self._render_pending = False
        self._was_running: bool | None = None

    @property
    def cc_app(self) -> AppHost:
        """The app, as its screens see it."""
        return host(self)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="run-error")
        with VerticalScroll(id="run-body"):
            yield RunView(id="run-view")
            with Vertical(id="run-finished"):
                yield RunSummary(id="run-summary")
                yield RejectedRows(id="run-rejected")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Run of {self.export}"
        self.cc_app.runs.changed.subscribe(self, self._on_runs_changed)
        self._render_now()
        self.query_one("#run-body", VerticalScroll).focus()

    def on_resize(self, event: events.Resize) -> None:
        wide = event.size.width >= WIDE_WIDTH
        self.set_class(wide, "-wide")
        self.set_class(not wide, "-narrow")
        self.query_one(RunView).set_class(wide, "-side-by-side")

    def on_screen_resume(self) -> None:
        self._render_now()

    # -- keeping up with the run --------------------------------------------------------------

    def _on_runs_changed(self, export: str) -> None:
        if export != self.export or self._render_pending:
            return
        self._render_pending = True
        self.call_after_refresh(self._render_now)

    def _render_now(self) -> None:
        self._render_pending = False
        run = self.cc_app.runs.get(self.export)
        view = self.query_one(RunView)
        if run is not self._run:
            self._run = run
            view.clear()
        if self._waiting_for_start(run):
            view.show(None, (), (), status="running", note=f"starting the run of {self.export}…")
            self._show_error(None, None)
            self._show_record(None)
            return
        if run is None:
            record = self._latest_record()
            key = self.cc_app.key_for(f"run-{'resume' if _resumable(record) else 'again'}")
            note = f"No run of {self.export} in this session. {key} runs it" + (
                " (resumes the interrupted run)." if _resumable(record) else "."
            )
            view.show(None, (), (), status="idle", note=note)
        else:
            # A run that could not start has no figures of its own: the view says so (and
            # names the last run, as another run), never showing that run's summary under
            # "failed to start" as if it were this one's.
            failed = self._not_started_note() if run.error and run.progress is None else None
            view.show(run.progress, run.events, run.rates, status=_status(run), note=failed)
            record = run.record
        self._show_error(run.error if run else None, self._context_record(record))
        self._show_record(record)
        running = run is not None and run.running
        if running != self._was_running:
            self._was_running = running
            self.refresh_bindings()

    def _waiting_for_start(self, run: ActiveRun | None) -> bool:
        """True while the run this view was opened for has not been started yet."""
        if self._starting and run is self._before and not (run is not None and run.running):
            return True
        self._starting = False
        return False

    def _latest_record(self) -> RunRecord | None:
        # The app's view of the home lists the newest runs (newest first).
        return next((run for run in self.cc_app.view.runs if run.export == self.export), None)

    def _context_record(self, shown: RunRecord | None = None) -> RunRecord | None:
        """The run that r and s act on: the one summarised, else the export's latest (a run
        that failed to start has none of its own: it would have resumed or followed that)."""
        return shown or self.query_one(RunSummary).record or self._latest_record()

    def _not_started_note(self) -> str:
        """The phase line of a run that failed to start: its own state, and the last run as
        another run (the error box above says why)."""
        last = self._latest_record()
        if last is None:
            return "failed to start: nothing was read or sent (why: above)"
        return (
            f"failed to start (why: above); the last run, {last.run_id}, "
            f"{status_word(last)} {local_time_text(last.started_at)}, is in the history "
            f"({self.cc_app.key_for('run-history')})"
        )

    def _show_error(self, error: str | None, record: RunRecord | None) -> None:
        self.set_class(bool(error), "-error")
        if error:
            # A sentence of its own (a bare "s starts over" read as a cut-off word), with the
            # key as remapped.
            key = self.cc_app.key_for("run-restart")
            hint = (
                f"\nIf resuming cannot work, press {key} to leave this run and start over "
                "(asks first)."
                if _resumable(record)
                else ""
            )
            self.query_one("#run-error", Static).update(
                plain_text(f"{self.export} could not run: {error}{hint}", multiline=True)
            )

    def _show_record(self, record: RunRecord | None) -> None:
        key = (record.run_id, record.status.value) if record else None
        if key == self._record_key:
            return
        self._record_key = key
        self.set_class(record is not None, "-finished")
        self.set_class(record is None, "-live")
        self.query_one(RunSummary).show(record)
        self.refresh_bindings()  # what r does depends on the run shown
        if record is not None:
            self.query_one(RejectedRows).show_run(record)
            if self.has_class("-narrow"):
                body = self.query_one("#run-body", VerticalScroll)
                self.call_after_refresh(body.scroll_to_widget, self.query_one(RunSummary))

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            # Not shown unless a run goes (once it ended there is nothing to cancel).
            return self.cc_app.runs.is_running(self.export)
        # A run asked for and not started yet counts as going: its keys wait for it.
        running = self.cc_app.runs.is_running(self.export) or self._starting
        if action == "restart_run":
            return None if running or not _resumable(self._context_record()) else True
        if action == "preview_run":
            return None if running else True
        if action in _R_ACTIONS:
            # False hides the meanings of r that do not apply; None shows the one that does,
            # dimmed, while the run goes.
            if action != self._r_action():
                return False
            return None if running else True
        return True

    def why_disabled(self, action: str) -> str | None:
        """Why a dimmed key does nothing now (keys: ExplainsDisabledKeys)."""
        key = self.cc_app.key_for
        if self.cc_app.runs.is_running(self.export):
            return (
                f"{self.export} is running: wait for it to end, or cancel it "
                f"({key('run-cancel')}; it stays resumable)."
            )
        if action == "cancel_run":
            return f"{self.export} is not running: there is nothing to cancel."
        if action == "restart_run":
            return (
                "Start over applies to an interrupted run; this one is not: "
                f"{key('run-again')} runs the export again."
            )
        return None

    def _r_action(self) -> str:
        """What r does now: resume an interrupted run, run for real after a preview, or run
        again."""
        if self.cc_app.runs.is_running(self.export):
            return "run_again"  # shown dimmed until the run ends
        record = self._context_record()
        if _resumable(record):
            return "resume_run"
        if record is not None and record.dry_run:
            return "run_for_real"
        return "run_again"

    def action_cancel_run(self) -> None:
        """Ask, then cancel the run at its next batch boundary."""

        def decided(yes: bool | None) -> None:
            if yes:
                self.app.post_message(CancelRequested(self.export))

        self.app.push_screen(
            ConfirmModal(
                CANCEL_QUESTION.format(
                    export=self.export,
                    resume=self.cc_app.key_for("run-resume"),
                    home_run=self.cc_app.key_for("home-run"),
                ),
                yes="Cancel run",
                no="Keep running",
            ),
            decided,
        )

    def action_run_again(self) -> None:
        """Run the export again (resuming its interrupted run, if it has one)."""
        self.app.post_message(RunRequested(self.export))

    def action_resume_run(self) -> None:
        """Resume the export's interrupted run."""
        self.app.post_message(RunRequested(self.export))

    def action_run_for_real(self) -> None:
        """Run the export for real after a preview."""
        self.app.post_message(RunRequested(self.export))

    def action_preview_run(self) -> None:
        """Preview the export: classify and batch everything, send nothing."""
        self.app.post_message(RunRequested(self.export, dry_run=True))

    def action_restart_run(self) -> None:
        """Ask, then start over, abandoning the interrupted run."""

        def decided(yes: bool | None) -> None:
            if yes:
                self.app.post_message(RunRequested(self.export, restart=True))

        self.app.push_screen(
            ConfirmModal(
                RESTART_QUESTION.format(export=self.export), yes="Start over", no="Keep it"
            ),
            decided,
        )

    def action_history(self) -> None:
        """Every run of this export, the latest highlighted."""
        latest = self._latest_record()
        self.cc_app.show_history(self.export, latest.run_id if latest else None)

    def action_back(self) -> None:
        """Back to where the run was started from; the run goes on."""
        self.dismiss(None)

    def action_show_rejected(self) -> None:
        """Focus the rejected rows."""
        self.query_one(RejectedRows).focus()

    # -- palette -------------------------------------------------------------------------------

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """The run commands that make sense now."""
        running = self.cc_app.runs.is_running(self.export)
        record = self.query_one(RunSummary).record
        if running:
            yield PaletteCommand(
                "run: Cancel", "Stop at the next batch boundary (resumable)", self.action_cancel_run
            )
        else:
            again = {"resume_run": "run: Resume", "run_for_real": "run: Run (for real)"}.get(
                self._r_action(), "run: Run again"
            )
            key = self.cc_app.key_for("run-again")
            yield PaletteCommand(again, f"Run {self.export} now ({key})", self.action_run_again)
            yield PaletteCommand(
                "run: Preview (nothing sent)",
                "A dry run: classify and batch",
                self.action_preview_run,
            )
            if _resumable(self._context_record()):
                yield PaletteCommand(
                    "run: Start over",
                    "Abandon the interrupted run and restart",
                    self.action_restart_run,
                )
        if record is not None:
            yield PaletteCommand(
                "run: Show rejected rows",
                "Browse the rows that were not sent",
                self.action_show_rejected,
            )
        yield PaletteCommand(
            "run: Show history",
            f"Every run of {self.export} ({self.cc_app.key_for('run-history')})",
            self.action_history,
        )
        yield PaletteCommand("run: Back", "Back; the run goes on (escape)", self.action_back)


def _status(run: ActiveRun) -> str:
    if run.error is not None:
        # One that reported progress had started: it stopped on the error.
        return "failed to start" if run.progress is None else "failed"
    if run.record is not None:
        return run.record.status.value
    return "running"


def _resumable(record: RunRecord | None) -> bool:
    """Interrupted, or left "running" by a process that died (never by this app: checked
    by the callers, which only ask while nothing runs)."""
    return (
        record is not None
        and not record.dry_run
        and record.status in {RunStatus.INTERRUPTED, RunStatus.RUNNING}
    )
