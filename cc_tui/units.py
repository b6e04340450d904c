"""How every face writes durations, sizes and moments: one home, so the CLI and the app agree.

The app shows moments in the machine's time zone and token lifetimes as ``5 min ago``; the
command line writes UTC (its output is pasted into tickets read in other zones) and token
lifetimes as ``expired 5 min ago``.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = [
    "NO_VALUE",
    "ago_text",
    "duration_text",
    "expiry_text",
    "local_time_text",
    "now",
    "size_text",
    "utc_now_iso",
    "utc_time_text",
]

NO_VALUE = "—"  # what a face shows where there is no value yet
_MINUTE = 60
_PRECISE_BELOW = 10  # seconds shown with a decimal below this
_KILO = 1024
_SIZE_UNITS = ("B", "KB", "MB", "GB")


def now() -> datetime:
    """The current time (snapshot tests pin it)."""
    return datetime.now(UTC)


def utc_now_iso() -> str:
    """The current UTC time as ISO-8601 text, the format every timestamp column uses."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def duration_text(seconds: float | None) -> str:
    """``4.2 s``, ``42 s``, ``3 min 05 s``, ``1 h 02 min``; a dash for no value."""
    if seconds is None:
        return NO_VALUE
    whole = int(seconds)
    if whole < _MINUTE:
        return f"{seconds:,.1f} s" if seconds < _PRECISE_BELOW else f"{whole} s"
    minutes, secs = divmod(whole, _MINUTE)
    if minutes < _MINUTE:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, _MINUTE)
    return f"{hours} h {minutes:02d} min"


def size_text(num_bytes: int) -> str:
    """``812 B``, ``1.4 MB``, ``3.0 TB``."""
    value = float(num_bytes)
    for unit in _SIZE_UNITS:
        if value < _KILO:
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= _KILO
    return f"{value:,.1f} TB"


def local_time_text(moment: datetime | None) -> str:
    """``2026-11-29 16:05`` in the machine's time zone (the app), or a dash."""
    if moment is None:
        return NO_VALUE
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def utc_time_text(moment: datetime | None) -> str:
    """``2026-11-29 16:05 UTC`` (the command line), or a dash."""
    if moment is None:
        return NO_VALUE
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def ago_text(moment: datetime | None, at: datetime | None = None) -> str:
    """``5 min 00 s ago`` / ``in 23 h 00 min`` (the app), or a dash."""
    if moment is None:
        return NO_VALUE
    delta = ((at or now()) - moment).total_seconds()
    phrase = duration_text(abs(delta))
    return f"{phrase} ago" if delta >= 0 else f"in {phrase}"


def expiry_text(moment: datetime | None, at: datetime | None = None) -> str:
    """``in 23 h 59 min`` or ``expired 5 min ago`` (the command line), or a dash."""
    if moment is None:
        return NO_VALUE
    seconds = int((moment - (at or now())).total_seconds())
    span = abs(seconds)
    hours, minutes = divmod(span // _MINUTE, _MINUTE)
    text = f"{hours} h {minutes} min" if hours else f"{minutes} min" if minutes else f"{span} s"
    return f"in {text}" if seconds >= 0 else f"expired {text} ago"
