"""The client's token handling: refresh ahead of expiry, once after a 401, single-flight."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine

import httpx
import pytest

from cc_tui.constant_contact.limiter import RateLimiter
from cc_tui.errors import SignInRequiredError
from tests.constant_contact.cc_fakes import (
    MemoryTokenStore,
    MockApi,
    form_of,
    make_client,
    refreshed,
    reply,
    token_set,
)

SUMMARY = reply(200, {"organization_name": "Acme"})
UNAUTHORIZED = reply(401, {"error_key": "unauthorized", "error_message": "Unauthorized"})
TOKEN_PATH = "/oauth2/default/v1/token"


def bearer(request: httpx.Request) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


async def test_no_tokens_means_sign_in_first() -> None:
    api = MockApi().on("GET", "/v3/account/summary", SUMMARY)
    client = make_client(api, MemoryTokenStore(None))
    with pytest.raises(SignInRequiredError) as caught:
        await client.account_summary()
    assert "cc-tui connection login test" in str(caught.value)
    assert api.requests == []


async def test_valid_token_is_sent_as_bearer() -> None:
    api = MockApi().on("GET", "/v3/account/summary", SUMMARY)
    client = make_client(api, MemoryTokenStore(token_set(access="tok-1")))
    summary = await client.account_summary()
    assert summary.organization_name == "Acme"
    assert bearer(api.requests[0]) == "tok-1"
    assert api.requests[0].headers["accept"] == "application/json"
    assert client.stats.refreshes == 0


async def test_expiring_token_is_refreshed_and_saved_before_use() -> None:
    store = MemoryTokenStore(token_set(access="old", refresh="r-old", expires_in=30))

    def summary(request: httpx.Request) -> httpx.Response:
        # The rotated tokens must be in the store before the new access token goes out.
        assert store.tokens is not None
        assert store.tokens.access_token == bearer(request) == "new"
        return httpx.Response(200, json={"organization_name": "Acme"})

    api = MockApi().on("GET", "/v3/account/summary", summary).token(refreshed("new", "r-new"))
    limiter = RateLimiter(max_requests=100)
    client = make_client(api, store, limiter=limiter)
    await client.account_summary()
    assert [t.refresh_token for t in store.saved] == ["r-new"]
    assert form_of(api.calls("POST", TOKEN_PATH)[0])["refresh_token"] == "r-old"
    assert client.stats.refreshes == 1
    # The refresh went to the sign-in server and took no rate-limiter slot.
    assert limiter.acquired == 1
    assert client.stats.requests == 1


async def test_refresh_margin_is_configurable() -> None:
    store = MemoryTokenStore(token_set(access="old", expires_in=30))
    api = MockApi().on("GET", "/v3/account/summary", SUMMARY).token(refreshed("new", "r2"))
    client = make_client(api, store, refresh_margin=10)
    await client.account_summary()
    assert client.stats.refreshes == 0


async def test_401_refreshes_once_and_retries() -> None:
    store = MemoryTokenStore(token_set(access="revoked", refresh="r1"))
    api = MockApi().on("GET", "/v3/account/summary", UNAUTHORIZED, SUMMARY)
    api.token(refreshed("fresh", "r2"))
    client = make_client(api, store)
    assert (await client.account_summary()).organization_name == "Acme"
    sent = [bearer(r) for r in api.api_calls()]
    assert sent == ["revoked", "fresh"]
    assert client.stats.refreshes == 1
    assert client.stats.retries == 1
    assert store.tokens is not None and store.tokens.refresh_token == "r2"


async def test_a_second_401_means_sign_in_again() -> None:
    api = MockApi().on("GET", "/v3/account/summary", UNAUTHORIZED)
    api.token(refreshed("fresh", "r2"))
    client = make_client(api)
    with pytest.raises(SignInRequiredError, match="sign in again"):
        await client.account_summary()
    assert len(api.api_calls()) == 2
    assert len(api.calls("POST", TOKEN_PATH)) == 1


async def test_401_without_refresh_token_means_sign_in_again() -> None:
    api = MockApi().on("GET", "/v3/account/summary", UNAUTHORIZED)
    client = make_client(api, MemoryTokenStore(token_set(refresh=None)))
    with pytest.raises(SignInRequiredError):
        await client.account_summary()


async def test_dead_refresh_token_means_sign_in_again() -> None:
    api = MockApi().on("GET", "/v3/account/summary", SUMMARY)
    api.token(reply(400, {"error": "invalid_grant", "error_description": "reused"}))
    store = MemoryTokenStore(token_set(expires_in=5))
    client = make_client(api, store)
    with pytest.raises(SignInRequiredError, match="sign in again"):
        await client.account_summary()
    assert api.api_calls() == []
    assert store.tokens is None  # dead tokens are dropped: the connection shows signed out
    with pytest.raises(SignInRequiredError):  # and stays so, without asking the server again
        await client.account_summary()
    assert len(api.calls("POST", TOKEN_PATH)) == 1


async def test_concurrent_callers_share_one_refresh() -> None:
    store = MemoryTokenStore(token_set(access="old", refresh="r1", expires_in=5))
    refreshes: list[str] = []

    async def slow_refresh(request: httpx.Request) -> httpx.Response:
        refreshes.append(form_of(request)["refresh_token"])
        await asyncio.sleep(0.05)  # long enough for every caller to pile up behind it
        return httpx.Response(
            200, json={"access_token": "new", "refresh_token": "r2", "expires_in": 3600}
        )

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return await slow_refresh(request)
        assert bearer(request) == "new"
        return httpx.Response(200, json={"organization_name": "Acme"})

    client = make_client(httpx.MockTransport(handler), store)
    await asyncio.gather(*(client.account_summary() for _ in range(20)))
    assert refreshes == ["r1"]
    assert client.stats.refreshes == 1
    assert len(store.saved) == 1


async def test_two_clients_of_one_connection_do_not_both_refresh() -> None:
    store = MemoryTokenStore(token_set(access="old", refresh="r1", expires_in=5))
    api = MockApi().on("GET", "/v3/account/summary", SUMMARY)
    # Rotating tokens: the second use of r1 would be refused.
    api.token(refreshed("new", "r2"), reply(400, {"error": "invalid_grant"}))
    first, second = make_client(api, store), make_client(api, store)
    # Both read the expiring token, both want to refresh; the second finds r2 saved and uses it.
    await asyncio.gather(first.account_summary(), second.account_summary())
    await asyncio.gather(first.account_summary(), second.account_summary())
    assert len(api.calls("POST", TOKEN_PATH)) == 1
    assert {bearer(r) for r in api.api_calls()} == {"new"}
    assert (first.stats.refreshes, second.stats.refreshes) in {(1, 0), (0, 1)}


async def test_a_transient_refresh_failure_is_retried() -> None:
    store = MemoryTokenStore(token_set(access="old", refresh="r1", expires_in=5))
    api = MockApi().on("GET", "/v3/account/summary", SUMMARY)
    api.token(reply(503, text="maintenance"), refreshed("new", "r2"))
    client = make_client(api, store)
    assert (await client.account_summary()).organization_name == "Acme"
    assert client.stats.retries == 1
    assert [bearer(r) for r in api.api_calls()] == ["new"]


async def test_signing_out_elsewhere_is_respected_at_the_next_refresh() -> None:
    store = MemoryTokenStore(token_set(access="old", expires_in=5))
    api = MockApi().on("GET", "/v3/account/summary", SUMMARY).token(refreshed("new", "r2"))
    client = make_client(api, store)
    store.tokens = None  # `cc-tui connection remove` in another window
    with pytest.raises(SignInRequiredError):
        await client.account_summary()


def slow_token_handler(
    refreshes: list[str], started: asyncio.Event | None = None
) -> Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            refreshes.append(form_of(request)["refresh_token"])
            if started is not None:
                started.set()
            await asyncio.sleep(0.05)
            body = {"access_token": "new", "refresh_token": "r2", "expires_in": 3600}
            return httpx.Response(200, json=body)
        return httpx.Response(200, json={"organization_name": "Acme"})

    return handler


async def test_a_cancelled_caller_lets_its_refresh_finish_and_be_saved() -> None:
    store = MemoryTokenStore(token_set(access="old", refresh="r1", expires_in=5))
    refreshes: list[str] = []
    started = asyncio.Event()
    handler = slow_token_handler(refreshes, started)
    client = make_client(httpx.MockTransport(handler), store)
    task = asyncio.create_task(client.account_summary())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Abandoning the refresh would have left the server holding r2 and us holding dead r1.
    assert store.tokens is not None and store.tokens.refresh_token == "r2"
    assert refreshes == ["r1"]


def test_refreshes_are_single_flight_across_threads_and_loops() -> None:
    store = MemoryTokenStore(token_set(access="old", refresh="r1", expires_in=5))
    refreshes: list[str] = []
    handler = slow_token_handler(refreshes)

    def run_client() -> None:
        async def main() -> None:
            client = make_client(httpx.MockTransport(handler), store)
            async with client:
                await asyncio.gather(*(client.account_summary() for _ in range(5)))

        asyncio.run(main())

    threads = [threading.Thread(target=run_client) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refreshes == ["r1"]
    assert [t.refresh_token for t in store.saved] == ["r2"]
