"""Cron schedules of exports (UTC): checked, said in words, and stepped to the next time.

cronsim does the parsing (a small, well-kept library that also explains expressions in
English), so the config file, the command line, the app and the scheduler agree on what a
schedule means.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cronsim import CronSim, CronSimError

__all__ = ["describe_schedule", "next_run", "schedule_problem"]

FIELDS = 5
_EXAMPLE = '"0 6 * * *" (every day at 06:00 UTC)'


def schedule_problem(expression: str) -> str | None:
    """What is wrong with a five-field cron expression, or None when it is fine."""
    fields = expression.split()
    if len(fields) != FIELDS:
        return (
            f"a schedule has five fields (minute hour day month weekday), not "
            f"{len(fields)}: e.g. {_EXAMPLE}"
        )
    try:
        CronSim(" ".join(fields), datetime(2000, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        return f"'{expression}' is not a valid schedule: {str(exc).lower()}; e.g. {_EXAMPLE}"
    return None


def describe_schedule(expression: str) -> str:
    """The schedule in words, with its time zone: ``At 06:00 every day (UTC)``."""
    try:
        words = CronSim(expression, datetime(2000, 1, 1, tzinfo=UTC)).explain()
    except CronSimError:
        return "not a valid schedule"
    return f"{words} (UTC)"


def next_run(expression: str, after: datetime) -> datetime:
    """The first time the schedule fires strictly after ``after`` (UTC)."""
    return next(CronSim(expression, after.astimezone(UTC).replace(second=0, microsecond=0)))
