"""Checks on emulator settings, shared by the command line and ``POST /__emulator/settings``."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

from cc_tui.emulator.settings import EmulatorSettings, RefreshTokenMode

__all__ = ["RUNTIME_FIELDS", "apply_changes", "check_value"]


def _rate(value: Any) -> float:
    number = _number(value)
    if not 0 <= number <= 1:
        raise ValueError("must be a share from 0 to 1")
    return number


def _non_negative(value: Any) -> float:
    number = _number(value)
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _positive(value: Any) -> float:
    number = _number(value)
    if number <= 0:
        raise ValueError("must be greater than 0")
    return number


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("must be a number")
    number = float(value)
    if math.isnan(number):
        raise ValueError("must be a number")
    return number


def _count(value: Any) -> int:
    number = _number(value)
    if not number.is_integer() or number < 1:
        raise ValueError("must be a whole number of at least 1")
    return int(number)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _mode(value: Any) -> RefreshTokenMode:
    try:
        return RefreshTokenMode(str(value))
    except ValueError:
        raise ValueError("must be 'rotating' or 'long-lived'") from None


# Settings that may change while the emulator runs, with their checks.
RUNTIME_FIELDS: Mapping[str, Callable[[Any], Any]] = {
    "token_lifetime": _positive,
    "refresh_token_mode": _mode,
    "device_code_lifetime": _positive,
    "device_poll_interval": _positive,
    "auto_approve": _flag,
    "rate_limit_per_second": _count,
    "daily_quota": _count,
    "max_contacts_per_import": _count,
    "max_import_bytes": _count,
    "max_queued_activities": _count,
    "activity_start_delay": _non_negative,
    "processing_rate": _positive,
    # Strict contract (docs/api-rules.md sections 3 and 4)
    "activity_list_lag": _non_negative,
    "activity_by_id_lag": _non_negative,
    "cancelled_activity_rate": _rate,
    "timed_out_activity_rate": _rate,
    "unfinished_activity_rate": _rate,
    "drop_after_create_share": _rate,
    "max_activity_errors": _count,
    "brief_activity_list": _flag,
    "activities_oldest_first": _flag,
    "error_rate": _rate,
    "ambiguous_rate": _rate,
    "empty_answer_rate": _rate,
    "drop_rate": _rate,
    "failed_activity_rate": _rate,
    "latency": _non_negative,
    # Network timing
    "arrival_jitter": _non_negative,
    "latency_max": _non_negative,
    # The server's clock
    "clock_offset": _number,
}


def check_value(name: str, value: Any) -> Any:
    """The checked value of one runtime setting; ``ValueError`` names the problem."""
    check = RUNTIME_FIELDS.get(name)
    if check is None:
        raise ValueError(f"{name}: not a setting that can change at run time")
    try:
        return check(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def apply_changes(settings: EmulatorSettings, changes: Mapping[str, Any]) -> EmulatorSettings:
    """``settings`` with ``changes`` applied after checking every one of them."""
    checked = {name: check_value(name, value) for name, value in changes.items()}
    return dataclasses.replace(settings, **checked)
