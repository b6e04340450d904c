"""Small formatting helpers shared by the emulator's JSON answers."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["iso_time", "json_number"]


def iso_time(timestamp: float) -> str:
    """ISO-8601 UTC with milliseconds, as in the spec's examples (``2016-01-23T13:48:44.108Z``)."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def json_number(value: float) -> int | float:
    """``86400.0`` as ``86400``; fractional values (tiny test lifetimes) stay floats."""
    return int(value) if float(value).is_integer() else value
