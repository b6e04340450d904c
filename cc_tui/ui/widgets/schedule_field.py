"""ScheduleField: an optional cron schedule (UTC), checked as it is typed and said in words."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Static

from cc_tui.schedules import describe_schedule, schedule_problem
from cc_tui.ui.outside_text import VisibleInInput
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.toggles import MarkedCheckbox

__all__ = ["ScheduleField"]

EMPTY_HINT = "Empty: runs only when you start it. Cron in UTC, e.g. 0 6 * * * (every day 06:00)."
EMPTY_ON_REFRESH_HINT = (
    "Empty: runs when you start it and when its data is refreshed. Cron in UTC, e.g. 0 6 * * *."
)
ON_REFRESH_LABEL = "Also run when its data is refreshed"


class ScheduleField(Widget):
    """Optional cron schedule, UTC, and whether the export also runs when its data is
    refreshed; with neither, the export runs only when started."""

    HELP = (
        "A cron schedule in **UTC**: five fields, minute hour day-of-month month weekday. "
        "`0 6 * * *` runs every day at 06:00 UTC; `30 7 * * 1-5` Monday to Friday at 07:30. "
        "Leave it empty to run the export only when you start it. **Also run when its data "
        "is refreshed** (space ticks it) runs it once a segment's data changes: a new CDM "
        "snapshot, a Spark `_SUCCESS`, changed files. Scheduled runs and runs on refresh need "
        "`cc-tui scheduler` running."
    )
    DEFAULT_CSS = """
    ScheduleField { height: auto; }
    ScheduleField Input { width: 30; }
    ScheduleField #schedule-hint { color: $text-muted; height: auto; }
    ScheduleField #schedule-on-refresh { border: none; padding: 0; height: 1; }
    """

    def __init__(
        self, value: str | None = None, *, on_refresh: bool = False, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._initial = value or ""
        self._on_refresh = on_refresh

    def compose(self) -> ComposeResult:
        yield Input(
            self._initial,
            placeholder="e.g. 0 6 * * *",
            compact=True,
            id="schedule-input",
            highlighter=VisibleInInput(),
        )
        yield Static(EMPTY_HINT, id="schedule-hint", markup=False)
        yield FieldProblem(id="schedule-problem")
        yield MarkedCheckbox(
            ON_REFRESH_LABEL,
            self._on_refresh,
            id="schedule-on-refresh",
            tooltip="Run once a segment's data is refreshed (needs cc-tui scheduler running)",
        )

    def on_mount(self) -> None:
        self._describe()

    @property
    def value(self) -> str:
        """The expression as typed, spaces normalised ("" when empty)."""
        return " ".join(self.query_one(Input).value.split())

    @property
    def on_refresh(self) -> bool:
        """True when the export also runs when its data is refreshed."""
        return self.query_one("#schedule-on-refresh", Checkbox).value

    @property
    def problem(self) -> str | None:
        """What is wrong with the schedule (None when it is empty or fine)."""
        return schedule_problem(self.value) if self.value else None

    def show_problem(self, text: str | None) -> None:
        """Explain what is wrong with the schedule (None: nothing)."""
        self.query_one(FieldProblem).show(text)

    def focus_input(self) -> None:
        """Put the cursor in the schedule box."""
        self.query_one(Input).focus()

    def _describe(self) -> None:
        value = self.value
        if not value:
            hint = EMPTY_ON_REFRESH_HINT if self.on_refresh else EMPTY_HINT
        elif self.problem:
            hint = "Cron in UTC: minute hour day month weekday."
        else:
            hint = f"{describe_schedule(value)}; needs cc-tui scheduler running."
        self.query_one("#schedule-hint", Static).update(hint)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        # Let Input.Changed bubble: the screen re-checks the form on any change.
        self._describe()

    @on(Checkbox.Changed, "#schedule-on-refresh")
    def _on_refresh_changed(self) -> None:
        self._describe()
