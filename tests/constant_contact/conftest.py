"""Fixtures of the Constant Contact client tests (the emulator ones build on tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.constant_contact.cc_e2e import FAST

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer


@pytest.fixture
def fast_emulator(start_emulator: Callable[..., EmulatorServer]) -> EmulatorServer:
    """An emulator with sub-second device polling and activity processing."""
    return start_emulator(**FAST)


@pytest.fixture
def fast_emulator_with(
    start_emulator: Callable[..., EmulatorServer],
) -> Callable[..., EmulatorServer]:
    """Start a fast emulator with more overrides (``fast_emulator_with(daily_quota=3)``)."""

    def start(**overrides: Any) -> EmulatorServer:
        return start_emulator(**{**FAST, **overrides})

    return start
