"""Small text formatters shared by the app's widgets (numbers, durations, times)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["ago", "duration", "local_time", "now", "size"]


def now() -> datetime:
    """The current time (snapshot tests pin it)."""
    return datetime.now(UTC)


def duration(seconds: float | None) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if seconds is None:
        return "—"
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:,.1f} s" if seconds < 10 else f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def local_time(moment: datetime | None) -> str:
    """``2026-11-29 16:05`` in the machine's time zone, or a dash."""
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def ago(moment: datetime | None, at: datetime | None = None) -> str:
    """``5 min ago`` / ``in 23 h``."""
    if moment is None:
        return "—"
    delta = ((at or now()) - moment).total_seconds()
    phrase = duration(abs(delta))
    return f"{phrase} ago" if delta >= 0 else f"in {phrase}"


def size(num_bytes: int) -> str:
    """``812 B``, ``1.4 MB``."""
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{num_bytes} B"
