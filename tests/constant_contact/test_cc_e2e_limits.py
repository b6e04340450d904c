"""Rate limits, quota, faults and retries against the emulator."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from cc_tui.constant_contact.api_errors import next_utc_midnight
from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.constant_contact.limiter import RateLimiter
from cc_tui.constant_contact.retry import RetryPolicy
from cc_tui.errors import QuotaExceededError, ServerError, TransportError
from tests.constant_contact.cc_e2e import admin, connection_for, signed_in_client
from tests.constant_contact.cc_fakes import FakeSleep
from tests.constant_contact.sent_times import SentTimes, most_in_any_window

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer

StartFast = Callable[..., "EmulatorServer"]

RATE_LIMIT = 4  # requests per application in any WINDOW seconds (docs/api-rules.md §2)
WINDOW = 1.0


async def test_twenty_concurrent_callers_stay_under_four_per_second(
    fast_emulator: EmulatorServer,
) -> None:
    wire = SentTimes()
    # The process-wide limiter of its key, and httpx's own transport with the test's stamps.
    client, _ = await signed_in_client(fast_emulator, transport=wire)
    async with client:
        results = await asyncio.gather(*(client.account_summary() for _ in range(20)))
    assert len(results) == 20
    # As the client sent them (a throttled one sent again included): never five in a second.
    sent = client.stats.requests
    assert len(wire.sent) == client.limiter.departures == sent == 20 + client.stats.throttled
    assert most_in_any_window(wire.sent, WINDOW) <= RATE_LIMIT
    # As the emulator counted them, later than sent when this machine is busy: strictly (what
    # arrived over the limit in a second was throttled), and every one of them counted.
    stats = fast_emulator.stats()
    assert stats["requests_total"] == sent
    assert stats["throttled"] == client.stats.throttled
    assert stats["throttled"] >= stats["max_requests_in_one_second"] - RATE_LIMIT


async def test_clients_of_one_connection_share_the_limiter(fast_emulator: EmulatorServer) -> None:
    first, store = await signed_in_client(fast_emulator)
    second = ConstantContactClient(connection_for(fast_emulator), store)
    assert first.limiter is second.limiter
    async with first, second:
        await asyncio.gather(
            *(first.account_summary() for _ in range(3)),
            *(second.account_summary() for _ in range(3)),
        )
    assert fast_emulator.stats()["max_requests_in_one_second"] <= 4


async def test_throttled_requests_are_recovered(fast_emulator: EmulatorServer) -> None:
    # A limiter that allows 10 a second against a server that takes 4: some get 429 throttled.
    client, _ = await signed_in_client(fast_emulator, limiter=RateLimiter(max_requests=10))
    async with client:
        results = await asyncio.gather(*(client.account_summary() for _ in range(10)))
    assert len(results) == 10
    assert client.stats.throttled > 0
    assert client.stats.throttled == fast_emulator.stats()["throttled"]
    assert client.stats.requests == 10 + client.stats.throttled


async def test_quota_exceeded_says_when_it_resets(fast_emulator_with: StartFast) -> None:
    server = fast_emulator_with(daily_quota=3)
    client, _ = await signed_in_client(server)
    async with client:
        for _ in range(3):
            await client.account_summary()
        midnight = next_utc_midnight()
        with pytest.raises(QuotaExceededError) as caught:
            await client.account_summary()
    assert caught.value.resets_at in {midnight, next_utc_midnight()}
    assert caught.value.error_key == "quota_exceeded"
    assert client.stats.requests == 4  # not retried


async def test_retries_ride_through_errors_and_dropped_connections(
    fast_emulator_with: StartFast,
) -> None:
    server = fast_emulator_with(error_rate=0.3, drop_rate=0.2, seed=11)
    client, _ = await signed_in_client(server, sleep=FakeSleep())
    async with client:
        for _ in range(6):
            await client.account_summary()
    faults = server.stats()["faults"]
    assert client.stats.retries > 0
    assert client.stats.retries == sum(faults.values())
    assert set(faults) == {"error", "drop"}


async def test_giving_up_after_max_attempts(fast_emulator: EmulatorServer) -> None:
    client, _ = await signed_in_client(
        fast_emulator, sleep=FakeSleep(), retry=RetryPolicy(max_attempts=3)
    )
    async with client:
        admin(fast_emulator, "POST", "settings", {"error_rate": 1.0})
        with pytest.raises(ServerError) as caught:
            await client.account_summary()
        assert caught.value.status == 503
        admin(fast_emulator, "POST", "settings", {"error_rate": 0.0, "drop_rate": 1.0})
        with pytest.raises(TransportError):
            await client.account_summary()
        admin(fast_emulator, "POST", "settings", {"drop_rate": 0.0})
        await client.account_summary()
    assert client.stats.requests == 7
    assert fast_emulator.stats()["faults"] == {"error": 3, "drop": 3}


async def test_tokens_never_reach_the_log(
    fast_emulator_with: StartFast, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # the CLI tests quiet httpx globally
    server = fast_emulator_with(token_lifetime=5, error_rate=0.5, seed=3)
    client, store = await signed_in_client(server, sleep=FakeSleep())
    async with client:
        await client.account_summary()
        await client.contact_lists()
    secrets = [t.access_token for t in store.saved] + [t.refresh_token or "" for t in store.saved]
    # The 5 s tokens are inside the refresh margin: every attempt refreshed first.
    assert client.stats.refreshes == client.stats.requests >= 2
    assert "HTTP Request" in caplog.text  # httpx did log the requests (URLs only)
    for secret in secrets:
        assert secret[-24:] not in caplog.text
