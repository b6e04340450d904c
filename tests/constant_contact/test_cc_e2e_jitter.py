"""The rate limit holds as the server counts it, on a jittery network: the emulator counts each
request 0-80 ms late and answers 20-150 ms late (docs/api-rules.md §2), over a real loopback
socket, while several tasks share the connection's process-wide limiter."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from cc_tui.constant_contact.client import ConstantContactClient
from tests.constant_contact.cc_e2e import signed_in_client

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer

StartFast = Callable[..., "EmulatorServer"]

JITTERY = {"arrival_jitter": 0.08, "latency": 0.02, "latency_max": 0.15, "seed": 8}
TASKS = 4
REQUESTS_PER_TASK = 6
RATE_LIMIT = 4


def _requests(client: ConstantContactClient, task: int) -> list[Callable[[], Awaitable[object]]]:
    """A mix of small GETs and POSTs, as the UI, a run and the scheduler would send."""
    return [
        client.account_summary,
        lambda: client.create_contact_list(f"Jitter {task}-a"),
        client.contact_lists,
        client.custom_fields,
        lambda: client.create_contact_list(f"Jitter {task}-b"),
        client.activities,
    ]


async def test_no_more_than_four_arrive_in_any_second_and_nothing_is_throttled(
    fast_emulator_with: StartFast,
) -> None:
    server = fast_emulator_with(**JITTERY)
    client, _ = await signed_in_client(server)  # the process-wide limiter of its connection

    async def task(number: int) -> int:
        for request in _requests(client, number):
            await request()
        return number

    async with client:
        done = await asyncio.gather(*(task(n) for n in range(TASKS)))
    assert done == list(range(TASKS))
    stats = server.stats()
    total = TASKS * REQUESTS_PER_TASK
    assert stats["requests_total"] == total
    assert stats["throttled"] == 0
    assert stats["max_requests_in_one_second"] <= RATE_LIMIT
    assert stats["tightest_span_per_application"]["e2e-app"] >= 1.0
    assert (client.stats.requests, client.stats.throttled) == (total, 0)
    # Every request passed the limiter's check at its first byte (httpx's trace extension).
    assert client.limiter.departures == total
