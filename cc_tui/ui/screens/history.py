"""HistoryScreen: every run (of one export, or all), and the detail of the highlighted one.

The detail is the run's accounted summary, its checkpointed batches and its rejected rows
(filterable by reason). An interrupted run can be resumed from here. The list reloads when
a run of this session starts or ends (``runs.changed``), not on every progress snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header

from cc_tui.errors import CcTuiError
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.verification import VerifyState
from cc_tui.run_words import status_word
from cc_tui.ui.commands import PaletteCommand, ScreenCommands
from cc_tui.ui.host import AppHost, host
from cc_tui.ui.keymap import ExplainsDisabledKeys
from cc_tui.ui.messages import RunRequested
from cc_tui.ui.widgets.batch_table import BatchTable
from cc_tui.ui.widgets.named_table import NamedTable, TableColumn
from cc_tui.ui.widgets.rejected_rows import RejectedRows

if TYPE_CHECKING:
    from cc_tui.service.protocol import RunDetail
from cc_tui.ui.widgets.run_summary import RunSummary
from cc_tui.units import duration_text, local_time_text

__all__ = ["HISTORY_LIMIT", "HistoryScreen"]

HISTORY_LIMIT = 200  # runs listed, newest first
# Narrow, the columns the summary repeats go first; started, status, confirmed and pending
# always stay (what a person scans the list for).
_COLUMNS = (
    TableColumn("started"),
    TableColumn("status"),
    TableColumn("confirmed"),
    TableColumn("refused", drop=5),
    TableColumn("unsub", drop=4),
    TableColumn("pending"),
    TableColumn("rejected", drop=7),
    TableColumn("rows", drop=1),
    TableColumn("sent", drop=2),
    TableColumn("active", drop=3),
    TableColumn("export", drop=6),
)
_STATUS_VARIABLE = {
    RunStatus.SUCCEEDED: "run-ok",
    RunStatus.PARTIAL: "warning",
    RunStatus.FAILED: "run-failed",
    RunStatus.INTERRUPTED: "warning",
    RunStatus.RUNNING: "accent",
}
WIDE_WIDTH = 120  # columns from which the screen lays out side by side


class HistoryScreen(ExplainsDisabledKeys, Screen[None]):
    """Run history: status, counts and duration of every run; batches and rejected rows."""

    COMMANDS: ClassVar = {ScreenCommands}
    DEFAULT_CSS = """
    HistoryScreen #history-body { height: 1fr; }
    HistoryScreen #history-left, HistoryScreen #history-right { height: auto; }
    HistoryScreen #history-runs { height: 10; }
    HistoryScreen #history-rejected { height: 16; }
    HistoryScreen BatchTable, HistoryScreen #history-runs { border: round $panel; }
    HistoryScreen BatchTable:focus, HistoryScreen #history-runs:focus { border: round $accent; }
    HistoryScreen.-wide #history-body { layout: horizontal; overflow-y: hidden; }
    HistoryScreen.-wide #history-left, HistoryScreen.-wide #history-right {
        width: 1fr; height: 1fr; }
    HistoryScreen.-wide #history-runs { height: 1fr; }
    HistoryScreen.-wide #history-rejected { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "resume_run",
            "Resume",
            id="history-resume",
            tooltip="Resume the highlighted interrupted run and watch it",
        ),
        Binding(
            "x",
            "show_rejected",
            "Rejected",
            id="history-show-rejected",
            tooltip="Browse the highlighted run's rejected rows (0-5 filter by reason)",
        ),
        # One key, two meanings: the footer names the one that applies (check_action).
        Binding(
            "a",
            "show_all(True)",
            "All",
            id="history-all",
            tooltip="Show the runs of every export",
        ),
        Binding(
            "a",
            "show_all(False)",
            "This export",
            id="history-only",
            tooltip="Show the runs of this export only",
        ),
        Binding("escape", "back", "Back", id="history-back", tooltip="Back"),
        Binding("b", "back", "Back", show=False, id="history-back-alt", tooltip="Back"),
    ]

    def __init__(self, export: str | None = None, run_id: str | None = None) -> None:
        super().__init__()
        self.export = export
        self.run_id = run_id
        self._only_export = export is not None
        self._shown: tuple[str, str, str] | None = None
        self._signature: object = None
        self._runs: dict[str, RunRecord] = {}
        self._resumable_run: str | None = None
        """The highlighted run, when it is its export's newest unfinished one (resumable)."""

    @property
    def cc_app(self) -> AppHost:
        """The app, as its screens see it."""
        return host(self)

    @property
    def record(self) -> RunRecord | None:
        """The highlighted run, as last read."""
        return self.query_one(RunSummary).record

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="history-body"):
            with Vertical(id="history-left"):
                runs = NamedTable(_COLUMNS, id="history-runs")
                runs.border_title = "runs"
                yield runs
                yield RunSummary(id="history-summary")
            with Vertical(id="history-right"):
                yield BatchTable(id="history-batches")
                yield RejectedRows(id="history-rejected")
        yield Footer()

    def on_mount(self) -> None:
        self._reload(select=self.run_id)
        self.cc_app.runs.changed.subscribe(self, self._on_runs_changed)
        # Status cells hold the theme's colours: a new theme draws them again.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._reload())
        self._signature = self._runs_signature()
        self.query_one("#history-runs", NamedTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        wide = event.size.width >= WIDE_WIDTH
        self.set_class(wide, "-wide")
        self.set_class(not wide, "-narrow")

    # -- loading ---------------------------------------------------------------------------------

    def _reload(self, *, select: str | None = None) -> None:
        only = self.export if self._only_export else None
        self.title = f"History of {only}" if only else "History of every export"
        self._load_runs(only, select)

    @work(exclusive=True, group="history-runs", exit_on_error=False)
    async def _load_runs(self, only: str | None, select: str | None) -> None:
        """Ask the service for the runs (those this user may see), then show them."""
        try:
            runs = await self.cc_app.client.runs(export=only, limit=HISTORY_LIMIT)
        except CcTuiError as exc:
            self.notify(str(exc), title="Cannot read the run history", severity="error")
            runs = []
        self._runs = {run.run_id: run for run in runs}
        table = self.query_one("#history-runs", NamedTable)
        table.show([(run.run_id, self._cells(table, run)) for run in runs])
        if select is not None:
            table.select_name(select)
        self._show_detail(table.selected if runs else None)

    def _cells(self, table: NamedTable, run: RunRecord) -> list[str | Text]:
        figures = run.figures
        # A preview confirms nothing and leaves nothing pending: it sent nothing.
        pending = "—" if run.dry_run else f"{figures.pending:,}"
        return [
            local_time_text(run.started_at),
            table.themed(
                status_word(run) + (", unverified" if _unverified(run) else ""),
                _STATUS_VARIABLE.get(run.status, "foreground"),
            ),
            f"{run.confirmed:,}",
            f"{run.failed:,}",
            f"{run.unsubscribed:,}",
            pending,
            f"{figures.rejected_total:,}",
            f"{run.rows_read:,}",
            f"{run.sent:,}",
            duration_text(run.duration_s),
            run.export,
        ]

    def on_named_table_highlighted(self, event: NamedTable.Highlighted) -> None:
        event.stop()
        self._show_detail(event.name)

    def _show_detail(self, run_id: str | None) -> None:
        if run_id is None:
            self._apply_detail(None)
        else:
            self._load_detail(run_id)

    @work(exclusive=True, group="history-detail", exit_on_error=False)
    async def _load_detail(self, run_id: str) -> None:
        """Ask the service for the run's record and batches, then show them."""
        try:
            detail = await self.cc_app.client.run_detail(run_id)
        except CcTuiError as exc:
            self.notify(str(exc), title="Cannot read the run", severity="error")
            return
        self._apply_detail(detail)

    def _apply_detail(self, detail: RunDetail | None) -> None:
        record = detail.record if detail else None
        key = (record.run_id, record.status.value, str(record.finished_at)) if record else None
        self._resumable_run = (
            detail.record.run_id if detail and detail.record and detail.resumable else None
        )
        if key == self._shown:
            return
        self._shown = key
        self.query_one(RunSummary).show(record)
        self.query_one(BatchTable).show_batches(detail.batches if detail else ())
        self.query_one(RejectedRows).show_run(record)
        self.refresh_bindings()

    def _runs_signature(self) -> object:
        runs = self.cc_app.runs.runs.values()
        return tuple(
            (
                run.export,
                run.running,
                run.progress.run_id if run.progress else None,
                run.record.status if run.record else None,
                run.error,
            )
            for run in runs
        )

    def _on_runs_changed(self, export: str) -> None:
        if self._only_export and export != self.export:
            return
        signature = self._runs_signature()
        if signature != self._signature:
            self._signature = signature
            selected = self.query_one("#history-runs", NamedTable).selected
            self._shown = None
            self._reload(select=selected)

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Resume shows only for a run that can resume (dimmed while its export runs); keys
        for no highlighted run, or every export's runs shown already, are left out."""
        if action == "resume_run":
            record = self.record
            if self._resumable(record):
                return True
            if record is None or record.dry_run or record.status.is_final:
                return False
            # Interrupted, its export running again: dimmed until that run ends.
            return None if self.cc_app.runs.is_running(record.export) else False
        if action == "show_rejected":
            return self.record is not None
        if action == "show_all":
            # Offered only where it changes what is listed (opened on one export's runs).
            return self.export is not None and parameters == (self._only_export,)
        return True

    def why_disabled(self, action: str) -> str | None:
        """Why a dimmed key does nothing for the highlighted run (keys: ExplainsDisabledKeys)."""
        record = self.record
        if action == "show_all":
            return "Every export's runs are shown already."
        if record is None:
            return "No run is highlighted."
        return self._why_not_resumable(record) if action == "resume_run" else None

    def _why_not_resumable(self, record: RunRecord) -> str:
        run_key = self.cc_app.key_for("home-run")
        if record.dry_run:
            return (
                f"A preview sends nothing, so there is nothing to resume: press {run_key} on "
                f"{record.export} in Exports to run it."
            )
        if record.status.is_final:
            return (
                f"This run {record.status.value}: there is nothing to resume. Press {run_key} on "
                f"{record.export} in Exports to run it again."
            )
        if self.cc_app.runs.is_running(record.export):
            return f"{record.export} is running now: its live view is on the home screen (enter)."
        return (
            f"Only the newest interrupted run of {record.export} can resume; this one was "
            "replaced by a later run."
        )

    def _resumable(self, record: RunRecord | None) -> bool:
        if record is None or record.dry_run or record.status.is_final:
            return False
        if self.cc_app.runs.is_running(record.export):
            return False
        # The service said, with the run's detail, whether it is its export's resumable run.
        return self._resumable_run == record.run_id

    def action_resume_run(self) -> None:
        """Resume the highlighted interrupted run and open its live view."""
        record = self.record
        if not self._resumable(record):
            return
        assert record is not None  # _resumable said so
        self.app.post_message(RunRequested(record.export))
        self.cc_app.show_run(record.export, starting=True)

    def action_show_rejected(self) -> None:
        """Focus the highlighted run's rejected rows."""
        self.query_one(RejectedRows).focus()

    def action_show_batches(self) -> None:
        """Focus the highlighted run's batches."""
        self.query_one(BatchTable).focus()

    def action_show_all(self, every: bool) -> None:
        """Runs of every export (``every``), or of this export only."""
        self._only_export = not every
        self._reload()
        self.refresh_bindings()  # a names the other choice now

    def action_open_run(self) -> None:
        """Open the live view of the highlighted run's export."""
        if self.record is not None:
            self.cc_app.show_run(self.record.export)

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.dismiss(None)

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """The history commands that make sense for the highlighted run."""
        record = self.record
        if self._resumable(record):
            yield PaletteCommand(
                "history: Resume run",
                f"Resume the interrupted run ({self.cc_app.key_for('history-resume')})",
                self.action_resume_run,
            )
        if record is not None:
            yield PaletteCommand(
                "history: Show rejected rows",
                f"Rows that were not sent ({self.cc_app.key_for('history-show-rejected')})",
                self.action_show_rejected,
            )
            yield PaletteCommand(
                "history: Show batches", "The run's checkpointed batches", self.action_show_batches
            )
            yield PaletteCommand(
                "history: Open run view", f"Live view of {record.export}", self.action_open_run
            )
        if self.export is not None:
            title = (
                "history: Show only " + self.export
                if not self._only_export
                else ("history: Show every export")
            )
            every = self._only_export
            yield PaletteCommand(
                title,
                f"Which runs are listed ({self.cc_app.key_for('history-all')})",
                lambda: self.action_show_all(every),
            )
        yield PaletteCommand(
            "history: Back", "Back to the previous screen (escape)", self.action_back
        )


def _unverified(run: RunRecord) -> bool:
    """The run's last check found a mismatch (its status stands; this is said beside it)."""
    return run.verification is not None and run.verification.state is VerifyState.UNVERIFIED
