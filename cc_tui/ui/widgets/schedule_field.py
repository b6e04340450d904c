"""ScheduleField: an optional cron schedule (UTC), checked as it is typed and said in words."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Input, Static

from cc_tui.schedules import describe_schedule, schedule_problem
from cc_tui.ui.outside_text import VisibleInInput
from cc_tui.ui.widgets.field_problem import FieldProblem

__all__ = ["ScheduleField"]

EMPTY_HINT = "Empty: runs only when you start it. Cron in UTC, e.g. 0 6 * * * (every day 06:00)."


class ScheduleField(Widget):
    """Optional cron schedule, UTC; empty means the export runs only when started."""

    HELP = (
        "A cron schedule in **UTC**: five fields, minute hour day-of-month month weekday. "
        "`0 6 * * *` runs every day at 06:00 UTC; `30 7 * * 1-5` Monday to Friday at 07:30. "
        "Leave it empty to run the export only when you start it. Scheduled runs need "
        "`cc-tui scheduler` running."
    )
    DEFAULT_CSS = """
    ScheduleField { height: auto; }
    ScheduleField Input { width: 30; }
    ScheduleField #schedule-hint { color: $text-muted; height: auto; }
    """

    def __init__(self, value: str | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = value or ""

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

    def on_mount(self) -> None:
        self._describe()

    @property
    def value(self) -> str:
        """The expression as typed, spaces normalised ("" when empty)."""
        return " ".join(self.query_one(Input).value.split())

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
            hint = EMPTY_HINT
        elif self.problem:
            hint = "Cron in UTC: minute hour day month weekday."
        else:
            hint = f"{describe_schedule(value)}; needs cc-tui scheduler running."
        self.query_one("#schedule-hint", Static).update(hint)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        # Let Input.Changed bubble: the screen re-checks the form on any change.
        self._describe()
