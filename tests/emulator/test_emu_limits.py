"""Rate limit, daily quota and the request statistics."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from cc_tui.emulator.server import EmulatorServer
from tests.emulator.emu_helpers import HTTP, StartEmulator, sign_in


async def _burst(server: EmulatorServer, token: str, count: int) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.api_base_url, headers=headers, verify=False) as c:
        return list(await asyncio.gather(*(c.get("/account/summary") for _ in range(count))))


async def test_six_at_once_get_four_answers_and_two_throttled(emulator: EmulatorServer) -> None:
    token = sign_in(emulator)["access_token"]
    responses = await _burst(emulator, token, 6)
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 4, 429: 2}
    throttled = next(response for response in responses if response.status_code == 429)
    assert throttled.json() == {"error_key": "throttled", "error_message": "Too Many Requests"}
    stats = emulator.stats()
    assert stats["throttled"] == 2
    assert stats["max_requests_in_one_second"] == 6  # throttled arrivals count too
    assert stats["by_status"] == {"200": 4, "429": 2}
    assert stats["max_requests_in_one_second_per_application"] == {"test-app": 6}


async def test_applications_are_limited_separately(emulator: EmulatorServer) -> None:
    one = sign_in(emulator, client_id="app-one")["access_token"]
    two = sign_in(emulator, client_id="app-two")["access_token"]
    both = await asyncio.gather(_burst(emulator, one, 4), _burst(emulator, two, 4))
    assert {response.status_code for batch in both for response in batch} == {200}
    assert emulator.stats()["max_requests_in_one_second"] == 4


async def test_daily_quota_is_checked_before_the_rate(start_emulator: StartEmulator) -> None:
    server = start_emulator(daily_quota=3)
    token = sign_in(server)["access_token"]
    responses = await _burst(server, token, 6)
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 3, 429: 3}
    refused = [response.json() for response in responses if response.status_code == 429]
    assert refused == [{"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}] * 3
    stats = server.stats()
    assert stats["quota_exceeded"] == 3
    assert stats["throttled"] == 0


def test_statistics_count_paths_tokens_and_contacts(emulator: EmulatorServer) -> None:
    tokens = sign_in(emulator)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    base = emulator.api_base_url
    HTTP.get(base + "/contact_lists/00000000-0000-4000-8000-000000000000", headers=headers)
    HTTP.get(base + "/contact_lists", headers=headers)
    HTTP.get(base + "/contact_lists")
    stats = HTTP.get(emulator.url + "/__emulator/stats").json()
    assert stats == emulator.stats()
    assert stats["requests_total"] == 3
    assert stats["by_status"] == {"200": 1, "401": 1, "404": 1}
    assert stats["by_path"] == {
        "GET /v3/contact_lists": 2,
        "GET /v3/contact_lists/{list_id}": 1,
    }
    assert stats["token_requests"] == 1
    assert stats["device_authorizations"] == 1
    assert stats["contacts_stored"] == 360
    assert stats["faults"] == {}
