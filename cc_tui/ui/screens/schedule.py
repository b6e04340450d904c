"""ScheduleScreen: when every export runs next, how its last run ended, what was missed.

One row per export: its schedule in words (cron via cronsim, and/or "on refresh"), its next
run (cron, UTC, shown in local time), its last run's outcome, and the schedule times the
service was down for. **r** runs the highlighted export now; **p** pauses its schedule and
**u** resumes it (the service keeps it, and audits it; its scheduler honours it at its next
look, at most a minute later). What is shown comes from the service, for the exports this user
may see. Export names are outside text, shown literally.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cc_tui import units
from cc_tui.errors import CcTuiError
from cc_tui.models.config import Export, MissedPolicy
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.verification import VerifyState
from cc_tui.schedules import describe_schedule, next_run
from cc_tui.store.schedule_state import MissedRun
from cc_tui.ui.commands import PaletteCommand, ScreenCommands
from cc_tui.ui.host import AppHost, host
from cc_tui.ui.messages import RunRequested
from cc_tui.ui.outside_text import templated
from cc_tui.ui.widgets.named_table import NamedTable, TableColumn
from cc_tui.units import NO_VALUE, local_time_text
from cc_tui.verify_words import verify_sentence, verify_word

if TYPE_CHECKING:
    from cc_tui.service.protocol import ScheduleView

__all__ = ["ON_REFRESH", "PAUSED", "RELOAD_EVERY", "ScheduleRow", "ScheduleScreen"]

ON_REFRESH = "on refresh"
PAUSED = "paused"
RELOAD_EVERY = 10.0  # seconds: runs end and the service starts exports while the view is open
# The schedule itself goes first when the table is narrow: the detail line says it in words.
_COLUMNS = (
    TableColumn("export"),
    TableColumn("next run"),
    TableColumn("last run"),
    TableColumn("check", drop=3),
    TableColumn("missed"),
    TableColumn("runs", drop=2),
    TableColumn("ended", drop=1),
)
_STATUS_VARIABLE = {
    RunStatus.SUCCEEDED: "success",
    RunStatus.PARTIAL: "warning",
    RunStatus.FAILED: "error",
    RunStatus.INTERRUPTED: "warning",
    RunStatus.RUNNING: "accent",
}


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """What the screen shows of one export."""

    export: Export
    paused: bool
    next_run: datetime | None
    last_run: RunRecord | None
    missed: MissedRun | None

    @property
    def scheduled(self) -> bool:
        """True when the service starts it by itself (cron or refresh)."""
        return bool(self.export.schedule or self.export.on_refresh) and self.export.enabled

    def next_text(self) -> str:
        """The next run as the list shows it."""
        if not self.scheduled:
            return NO_VALUE if self.export.enabled else "disabled"
        if self.paused:
            return PAUSED
        if self.next_run is not None:
            return local_time_text(self.next_run)
        return ON_REFRESH

    def missed_text(self) -> str:
        """The last missed times and what was done: ``3 · ran once``."""
        if self.missed is None:
            return NO_VALUE
        return f"{self.missed.missed} · {self.missed.action.value}"


class _ScheduleRows(NamedTable):
    """The exports and their schedules (the screen's help note)."""

    HELP = (
        "Every export: its schedule (cron in UTC, **on refresh** when it runs after its data "
        "is refreshed), its next run, how its last run ended and the schedule times the "
        "service was down for (**ran once** or **skipped**, by the export's `missed` policy). "
        "**r** runs the highlighted export now; **p** pauses its schedule and **u** resumes "
        "it (the service honours it within a minute)."
    )


class ScheduleScreen(Screen[None]):
    """When each export runs by itself, and the keys to run it now or pause it."""

    COMMANDS: ClassVar = {ScreenCommands}
    DEFAULT_CSS = """
    ScheduleScreen #schedule-rows { height: 1fr; border: round $panel; }
    ScheduleScreen #schedule-rows:focus { border: round $accent; }
    ScheduleScreen #schedule-detail { height: auto; max-height: 6; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run_now", "Run now", id="schedule-run", tooltip="Run the export now"),
        Binding("p", "pause", "Pause", id="schedule-pause", tooltip="Pause its schedule"),
        Binding("u", "resume", "Resume", id="schedule-resume", tooltip="Resume its schedule"),
        Binding("escape", "back", "Back", id="schedule-back", tooltip="Back"),
        Binding("b", "back", "Back", show=False, id="schedule-back-alt", tooltip="Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, ScheduleRow] = {}
        """What is shown, by export name (for tests and the detail line)."""

    @property
    def cc_app(self) -> AppHost:
        """The app, as its screens see it."""
        return host(self)

    def compose(self) -> ComposeResult:
        yield Header()
        table = _ScheduleRows(_COLUMNS, id="schedule-rows")
        table.border_title = "schedules (times in local time)"
        yield table
        yield Static(id="schedule-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Schedule"
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._reload())
        self._reload()
        self.set_interval(RELOAD_EVERY, self._reload)
        self.query_one("#schedule-rows", NamedTable).focus()

    # -- loading ---------------------------------------------------------------------------------

    def _reload(self) -> None:
        self._fetch()

    @work(exclusive=True, group="schedule-load", exit_on_error=False)
    async def _fetch(self) -> None:
        """Ask the service for the schedules, then show them."""
        try:
            self.rows = _rows(await self.cc_app.client.schedules())
        except CcTuiError as exc:
            self.notify(str(exc), title="Cannot read the schedules", severity="error")
            self.rows = {}
        table = self.query_one("#schedule-rows", NamedTable)
        table.show([(name, self._cells(table, row)) for name, row in self.rows.items()])
        if not self.rows:
            self.query_one("#schedule-detail", Static).update(
                "No exports yet: add one on Home (n), then give it a schedule (e)."
            )
        self.refresh_bindings()

    def _cells(self, table: NamedTable, row: ScheduleRow) -> list[str | Text]:
        last = row.last_run
        outcome: str | Text = NO_VALUE
        check: str | Text = NO_VALUE
        ended = NO_VALUE
        if last is not None:
            outcome = table.themed(last.status.value, _STATUS_VARIABLE[last.status])
            ended = local_time_text(last.finished_at or last.started_at)
            if last.verification is not None:
                verified = last.verification.state is VerifyState.VERIFIED
                check = table.themed(
                    verify_word(last.verification), "success" if verified else "warning"
                )
        next_text: str | Text = row.next_text()
        if row.paused and row.scheduled:
            next_text = table.themed(PAUSED, "warning", bold=True)
        return [
            row.export.name,
            next_text,
            outcome,
            check,
            row.missed_text(),
            row.export.runs_when(),
            ended,
        ]

    def on_named_table_highlighted(self, event: NamedTable.Highlighted) -> None:
        event.stop()
        self.refresh_bindings()
        row = self.rows.get(event.name or "")
        if row is None:
            return
        export = row.export
        words = describe_schedule(export.schedule) if export.schedule else "no cron schedule"
        refresh = (
            f"on refresh after {export.quiet_seconds} s of quiet"
            if export.on_refresh
            else "not on refresh"
        )
        missed_policy = "run once" if export.missed is MissedPolicy.RUN_ONCE else "skip"
        missed = (
            f"{row.missed.missed} missed from {local_time_text(row.missed.first_missed)}, "
            f"{row.missed.action.value}"
            if row.missed is not None
            else "none missed"
        )
        last = row.last_run
        last_text = (
            f"{last.status.value}, ended {local_time_text(last.finished_at or last.started_at)}"
            if last is not None
            else "never run"
        )
        if last is not None and last.verification is not None:
            last_text += f" · {verify_sentence(last.verification)}"
        # Missed times are cron times the scheduler did not run: without a cron schedule
        # (and none recorded from an earlier one) there are none to have a policy for.
        missed_part = (
            " · missed times: $policy ($missed)"
            if export.schedule or row.missed is not None
            else ""
        )
        self.query_one("#schedule-detail", Static).update(
            templated(
                "[b]$name[/b]$paused · $words · $refresh\nlast run: $last" + missed_part,
                last=last_text,
                name=export.name,
                paused=" (paused)" if row.paused else "",
                words=words,
                refresh=refresh,
                policy=missed_policy,
                missed=missed,
            )
        )

    # -- actions ---------------------------------------------------------------------------------

    @property
    def _selected(self) -> ScheduleRow | None:
        return self.rows.get(self.query_one("#schedule-rows", NamedTable).selected or "")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Pause only what runs by itself and is not paused; resume only what is paused."""
        if action not in {"pause", "resume", "run_now"} or not self.is_mounted:
            return True
        row = self._selected
        if row is None:
            return False
        if action == "pause":
            return row.scheduled and not row.paused
        if action == "resume":
            return row.paused
        if not row.export.connection:
            return False  # detached: it runs once it has a connection again
        return None if self.cc_app.runs.is_running(row.export.name) else True

    def action_run_now(self) -> None:
        """Run the highlighted export now (resuming an interrupted run) and watch it."""
        row = self._selected
        if row is None:
            return
        self.app.post_message(RunRequested(row.export.name))
        self.cc_app.show_run(row.export.name, starting=True)

    def action_pause(self) -> None:
        """Pause the highlighted export's schedule (a run going now goes on)."""
        self._set_paused(True)

    def action_resume(self) -> None:
        """Resume the highlighted export's schedule (no catch-up of times it was paused for)."""
        self._set_paused(False)

    def _set_paused(self, paused: bool) -> None:
        row = self._selected
        if row is None:
            return
        self._pause(row.export.name, paused)

    @work(group="schedule-pause", exit_on_error=False)
    async def _pause(self, name: str, paused: bool) -> None:
        """The service pauses or resumes it (and audits who did)."""
        try:
            await self.cc_app.client.set_paused(name, paused=paused)
        except CcTuiError as exc:
            self.notify(str(exc), title="Not changed", severity="error")
            return
        done = "paused: the service starts it no more" if paused else "resumed"
        self.notify(f"{name}: schedule {done}.", title="Schedule")
        self._reload()

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.dismiss(None)

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """What the schedule screen offers for the highlighted export."""
        row = self._selected
        if row is not None:
            name = row.export.name
            key = self.cc_app.key_for
            yield PaletteCommand(
                f"schedule: Run {name} now",
                f"Run it now ({key('schedule-run')})",
                self.action_run_now,
            )
            if row.paused:
                yield PaletteCommand(
                    f"schedule: Resume {name}",
                    f"Start it by itself again ({key('schedule-resume')})",
                    self.action_resume,
                )
            elif row.scheduled:
                yield PaletteCommand(
                    f"schedule: Pause {name}",
                    f"The service starts it no more ({key('schedule-pause')})",
                    self.action_pause,
                )
        yield PaletteCommand(
            "schedule: Back", "Back to the previous screen (escape)", self.action_back
        )


def _rows(view: ScheduleView) -> dict[str, ScheduleRow]:
    """What the screen shows, by export name, from what the service said."""
    paused = set(view.paused)
    missed: dict[str, MissedRun] = {}
    for item in view.missed:  # newest first: keep each export's newest
        missed.setdefault(item.export, item)
    now = units.now()
    return {
        export.name: ScheduleRow(
            export=export,
            paused=export.name in paused,
            next_run=next_run(export.schedule, now) if export.schedule else None,
            last_run=view.last_runs.get(export.name),
            missed=missed.get(export.name),
        )
        for export in sorted(view.exports, key=lambda export: export.name)
    }
