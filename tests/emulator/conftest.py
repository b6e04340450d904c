"""Fixtures of the emulator tests (the emulator itself comes from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cc_tui.emulator.server import EmulatorServer
from tests.emulator.emu_helpers import FAST, StartEmulator, api_client


@pytest.fixture
def fast_emulator(start_emulator: StartEmulator) -> EmulatorServer:
    """Default settings except a rate limit high enough never to matter."""
    return start_emulator(**FAST)


@pytest.fixture
def api(fast_emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A signed-in /v3 client on :func:`fast_emulator`."""
    with api_client(fast_emulator) as client:
        yield client
