"""ScheduleField: an optional cron schedule (UTC), checked as it is typed and said in words."""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Input, Static

from cc_tui.ui.widgets.field_problem import FieldProblem

__all__ = ["ScheduleField"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
# name, lowest, highest, names (index + lowest = value)
_FIELDS = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day of month", 1, 31, ()),
           ("month", 1, 12, _MONTHS), ("weekday", 0, 7, _DAYS))  # fmt: skip
_ITEM = re.compile(r"^(?P<range>\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(?P<step>\d+))?$")
EMPTY_HINT = "Empty: runs only when you start it. Cron in UTC, e.g. 0 6 * * * (every day 06:00)."


def _value(text: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if text.isdigit():
        number = int(text)
    elif text in names:
        number = list(names).index(text) + low
    else:
        return None
    return number if low <= number <= high else None


def _field_problem(text: str, index: int) -> str | None:
    what, low, high, names = _FIELDS[index]
    for item in text.lower().split(","):
        match = _ITEM.match(item)
        if match is None or (match["step"] is not None and int(match["step"]) == 0):
            return f"'{text}' is not a valid {what} (use *, a number, a range a-b, or */n)"
        if match["range"] != "*":
            bounds = [_value(part, low, high, names) for part in match["range"].split("-")]
            if None in bounds:
                return f"'{text}': the {what} must be within {low}-{high}"
    return None


def _cron_problem(expression: str) -> str | None:
    """What is wrong with a five-field cron expression (None when it is fine)."""
    fields = expression.split()
    if len(fields) != 5:
        return (f"A schedule has five fields (minute hour day month weekday), not "
                f"{len(fields)}: e.g. \"0 6 * * *\" is every day at 06:00 UTC.")  # fmt: skip
    for index, text in enumerate(fields):
        problem = _field_problem(text, index)
        if problem:
            return problem
    return None


def _weekday(text: str) -> str | None:
    if text.isdigit() and int(text) <= 7:
        return _DAY_NAMES[int(text) % 7]
    if text.lower() in _DAYS:
        return _DAY_NAMES[_DAYS.index(text.lower())]
    return "Monday to Friday" if text == "1-5" else None


def _daily(minute: str, hour: str, day: str, weekday: str) -> str | None:
    at = f"at {int(hour):02d}:{int(minute):02d} UTC"
    if day == "*" and weekday == "*":
        return f"every day {at}"
    if day == "*" and _weekday(weekday):
        every = "" if weekday == "1-5" else "every "
        return f"{every}{_weekday(weekday)} {at}"
    if day.isdigit() and weekday == "*":
        return f"on day {int(day)} of every month {at}"
    return None


def _describe_cron(expression: str) -> str:
    """The common schedules in plain words; others as "on this cron schedule (UTC)"."""
    minute, hour, day, month, weekday = expression.split()
    described = None
    if minute.isdigit() and hour.isdigit() and month == "*":
        described = _daily(minute, hour, day, weekday)
    elif hour == day == month == weekday == "*":
        if minute.isdigit():
            described = f"every hour at minute {int(minute)} (UTC)"
        elif minute.startswith("*/"):
            described = f"every {minute[2:]} minutes"
    return described or "on this cron schedule (UTC)"


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
        yield Input(self._initial, placeholder="e.g. 0 6 * * *", compact=True,
                    id="schedule-input")  # fmt: skip
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
        return _cron_problem(self.value) if self.value else None

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
            hint = f"Runs {_describe_cron(value)} (needs cc-tui scheduler running)."
        self.query_one("#schedule-hint", Static).update(hint)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        # Let Input.Changed bubble: the screen re-checks the form on any change.
        self._describe()
