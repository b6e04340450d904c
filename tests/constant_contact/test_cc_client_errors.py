"""Error bodies, typed errors, throttling, quota and bounded retries (MockTransport)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from cc_tui.constant_contact.api_errors import next_utc_midnight
from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.constant_contact.retry import THROTTLE_DELAY, RetryPolicy
from cc_tui.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    ConstantContactError,
    InsecureUrlError,
    NotFoundError,
    QuotaExceededError,
    ServerError,
    ThrottledError,
    TransportError,
    UsageError,
)
from tests.constant_contact.cc_fakes import FakeSleep, MockApi, make_client, make_connection, reply

SUMMARY_PATH = "/v3/account/summary"
SUMMARY = reply(200, {"organization_name": "Acme"})
THROTTLED = reply(429, {"error_key": "throttled", "error_message": "Too Many Requests"})
QUEUE_FULL = reply(
    429, [{"error_key": "too_many_requests", "error_message": "You exceeded 1,000 queued"}]
)


def fake_sleep_of(client: ConstantContactClient) -> FakeSleep:
    sleep = client._session._sleep
    assert isinstance(sleep, FakeSleep)
    return sleep


@pytest.mark.parametrize(
    ("status", "body", "kind", "key", "message"),
    [
        (
            400,
            [
                {"error_key": "json.field.invalid", "error_message": "list_ids is required"},
                {"error_key": "json.field.invalid", "error_message": "email too long"},
            ],
            BadRequestError,
            "json.field.invalid",
            "list_ids is required; email too long",
        ),
        (
            404,
            [{"error_key": "contacts.api.not_found", "error_message": "No list"}],
            NotFoundError,
            "contacts.api.not_found",
            "No list",
        ),
        (
            409,
            {"error_key": "conflict", "error_message": "Name taken"},
            BadRequestError,
            "conflict",
            "Name taken",
        ),
        (
            415,
            {"error": "unsupported", "error_description": "JSON only"},
            BadRequestError,
            "unsupported",
            "JSON only",
        ),
        (
            403,
            {"error_key": "unauthorized", "error_message": "Missing scope"},
            AuthError,
            "unauthorized",
            "Missing scope",
        ),
        (422, [], BadRequestError, "http_422", "Unprocessable Entity"),
    ],
)
async def test_error_bodies_become_typed_errors(
    status: int, body: object, kind: type[ApiError], key: str, message: str
) -> None:
    api = MockApi().on("GET", SUMMARY_PATH, reply(status, body))
    client = make_client(api)
    with pytest.raises(kind) as caught:
        await client.account_summary()
    assert (caught.value.status, caught.value.error_key) == (status, key)
    assert caught.value.error_message == message
    assert caught.value.path == SUMMARY_PATH
    assert caught.value.method == "GET"
    assert len(api.requests) == 1  # never retried


async def test_a_non_json_error_body_is_quoted_briefly() -> None:
    page = "<html><body>" + "Bad gateway " * 100 + "</body></html>"
    api = MockApi().on("GET", SUMMARY_PATH, reply(400, text=page))
    with pytest.raises(BadRequestError) as caught:
        await make_client(api).account_summary()
    assert caught.value.error_key == "http_400"
    assert caught.value.error_message.startswith("Bad gateway Bad gateway")  # words, no tags
    assert len(caught.value.error_message) <= 200


async def test_throttled_answers_wait_and_retry() -> None:
    api = MockApi().on("GET", SUMMARY_PATH, THROTTLED, THROTTLED, THROTTLED, SUMMARY)
    client = make_client(api)
    assert (await client.account_summary()).organization_name == "Acme"
    assert client.stats.throttled == 3
    assert client.stats.retries == 3
    assert client.stats.requests == 4
    delays = fake_sleep_of(client).delays
    assert len(delays) == 3
    # A short pause; the retry then also waits for a fresh rate-limiter slot.
    assert all(THROTTLE_DELAY <= d <= THROTTLE_DELAY * 1.25 for d in delays)


async def test_retry_after_is_honoured() -> None:
    wait = reply(
        429, {"error_key": "throttled", "error_message": "slow"}, headers={"Retry-After": "7"}
    )
    api = MockApi().on("GET", SUMMARY_PATH, wait, SUMMARY)
    client = make_client(api)
    await client.account_summary()
    assert fake_sleep_of(client).delays == [7.0]


async def test_throttling_does_not_use_up_the_attempts_but_has_a_cap() -> None:
    api = MockApi().on("GET", SUMMARY_PATH, *[THROTTLED] * 8, SUMMARY)
    client = make_client(api)
    await client.account_summary()  # 8 throttles > max_attempts (5): still fine
    stuck = MockApi().on("GET", SUMMARY_PATH, THROTTLED)
    client = make_client(stuck)
    with pytest.raises(ThrottledError):
        await client.account_summary()
    assert client.stats.requests == 21  # the first try + 20 throttled retries
    assert client.stats.throttled == 21


async def test_quota_exceeded_stops_at_once_with_the_reset_time() -> None:
    quota = reply(429, {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"})
    api = MockApi().on("GET", SUMMARY_PATH, quota)
    before = next_utc_midnight()
    with pytest.raises(QuotaExceededError) as caught:
        await make_client(api).account_summary()
    assert caught.value.resets_at in {before, next_utc_midnight()}
    assert caught.value.resets_at.tzinfo is not None
    assert caught.value.exit_code == 3
    assert "00:00 UTC" in str(caught.value)
    assert len(api.requests) == 1


def test_next_utc_midnight() -> None:
    late = datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC)
    assert next_utc_midnight(late) == datetime(2026, 11, 30, tzinfo=UTC)
    plus_two = datetime(2026, 11, 30, 1, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    assert next_utc_midnight(plus_two) == datetime(2026, 12, 1, tzinfo=UTC)


async def test_a_full_activity_queue_backs_off_and_retries() -> None:
    api = MockApi().on("GET", SUMMARY_PATH, QUEUE_FULL, SUMMARY)
    client = make_client(api)
    await client.account_summary()
    assert client.stats.throttled == 0
    assert client.stats.retries == 1
    assert 0.375 <= fake_sleep_of(client).delays[0] <= 0.625


async def test_server_errors_are_retried_with_growing_delays() -> None:
    busy = reply(503, text="Service Unavailable")
    api = MockApi().on("GET", SUMMARY_PATH, busy, busy, busy, SUMMARY)
    client = make_client(api)
    await client.account_summary()
    delays = fake_sleep_of(client).delays
    for failures, delay in enumerate(delays, start=1):
        nominal = 0.5 * 2 ** (failures - 1)
        assert nominal * 0.75 <= delay <= nominal * 1.25
    assert client.stats.retries == 3


async def test_server_errors_give_up_after_max_attempts() -> None:
    api = MockApi().on("GET", SUMMARY_PATH, reply(500, [{"error_key": "x", "error_message": "y"}]))
    client = make_client(api)
    with pytest.raises(ServerError) as caught:
        await client.account_summary()
    assert caught.value.status == 500
    assert client.stats.requests == 5
    assert len(fake_sleep_of(client).delays) == 4


async def test_backoff_is_capped_by_max_delay() -> None:
    api = MockApi().on("GET", SUMMARY_PATH, reply(502, text="bad gateway"))
    policy = RetryPolicy(max_attempts=8, base_delay=1.0, max_delay=3.0)
    client = make_client(api, retry=policy)
    with pytest.raises(ServerError):
        await client.account_summary()
    assert max(fake_sleep_of(client).delays) <= 3.0
    assert client.stats.requests == 8


def dropping(times: int) -> httpx.MockTransport:
    calls = {"n": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] <= times:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json={"organization_name": "Acme"})

    return httpx.MockTransport(handle)


async def test_dropped_connections_are_retried() -> None:
    client = make_client(dropping(2))
    assert (await client.account_summary()).organization_name == "Acme"
    assert client.stats.retries == 2


async def test_dropped_connections_give_up_with_a_transport_error() -> None:
    client = make_client(dropping(100))
    with pytest.raises(TransportError) as caught:
        await client.account_summary()
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert "RemoteProtocolError" in str(caught.value)
    assert client.stats.requests == 5


async def test_timeouts_are_retried() -> None:
    calls: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={})

    client = make_client(httpx.MockTransport(handle))
    await client.account_summary()
    assert len(calls) == 2


async def test_an_unreadable_success_body_is_a_clear_error() -> None:
    api = MockApi().on("GET", SUMMARY_PATH, reply(200, text="<html>login</html>"))
    with pytest.raises(ConstantContactError, match="not a JSON object"):
        await make_client(api).account_summary()


async def test_a_malformed_list_id_is_refused_locally() -> None:
    api = MockApi()
    client = make_client(api)
    with pytest.raises(UsageError) as caught:
        await client.contact_list("not-a-list-id")
    text = str(caught.value)
    assert "'not-a-list-id'" in text
    assert "8-4-4-4-12" in text
    with pytest.raises(UsageError):
        await client.contacts(list_id="../../account/summary")
    assert api.requests == []


@pytest.mark.parametrize(
    ("api_url", "auth_url", "allowed"),
    [
        ("http://example.com/v3", "https://auth.example.com/v1", False),
        ("https://api.cc.email/v3", "http://authz.example.com/v1", False),
        ("ftp://api.cc.email/v3", "https://authz.example.com/v1", False),
        ("http://127.0.0.1:8911/v3", "http://127.0.0.1:8911/oauth2/default/v1", True),
        ("http://localhost:8911/v3", "http://localhost:8911/oauth2/default/v1", True),
        ("http://[::1]:8911/v3", "http://[::1]:8911/oauth2/default/v1", True),
        ("https://api.cc.email/v3", "https://authz.constantcontact.com/oauth2/default/v1", True),
    ],
)
def test_https_is_required_except_for_loopback(api_url: str, auth_url: str, allowed: bool) -> None:
    connection = make_connection(api=api_url, auth=auth_url)
    if allowed:
        make_client(MockApi(), connection=connection)
    else:
        with pytest.raises(InsecureUrlError, match="https"):
            make_client(MockApi(), connection=connection)
