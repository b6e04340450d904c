"""Device flow and token refresh against a mocked authorization server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cc_tui.constant_contact.auth import (
    DEVICE_GRANT_TYPE,
    DeviceFlow,
    DeviceFlowStatus,
    refresh_tokens,
)
from cc_tui.errors import (
    AuthError,
    DeviceFlowError,
    InsecureUrlError,
    ServerError,
    SignInRequiredError,
    TransportError,
)
from tests.constant_contact.cc_fakes import AUTH, MockApi, form_of, reply

DEVICE_PATH = "/oauth2/default/v1/device/authorize"
TOKEN_PATH = "/oauth2/default/v1/token"
DEVICE_CODE = "device-code-SECRET-0123456789"


class WallClock:
    """A UTC clock moved only by the fake sleep."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += timedelta(seconds=delay)
        await asyncio.sleep(0)


def device_answer(interval: float = 2, expires_in: float = 600) -> Any:
    return reply(
        200,
        {
            "device_code": DEVICE_CODE,
            "user_code": "WDJB-MJHT",
            "verification_uri": "https://auth.example.test/activate",
            "verification_uri_complete": "https://auth.example.test/activate?user_code=WDJB-MJHT",
            "expires_in": expires_in,
            "interval": interval,
        },
    )


def oauth_error(code: str, status: int = 400) -> Any:
    return reply(status, {"error": code, "error_description": f"{code} happened"})


TOKENS = reply(
    200,
    {
        "access_token": "access-SECRET-xyz",
        "refresh_token": "refresh-SECRET-xyz",
        "token_type": "Bearer",
        "expires_in": 86400,
        "scope": "contact_data offline_access",
    },
)


def flow_for(api: MockApi, clock: WallClock) -> DeviceFlow:
    http = httpx.AsyncClient(transport=api.transport())
    return DeviceFlow(
        http, auth_base_url=AUTH, client_id="client-123", sleep=clock.sleep, clock=clock
    )


async def test_start_sends_client_id_and_scopes() -> None:
    clock = WallClock()
    api = MockApi().on("POST", DEVICE_PATH, device_answer(expires_in=300))
    authz = await flow_for(api, clock).start()
    form = form_of(api.requests[0])
    assert form == {"client_id": "client-123", "scope": "contact_data account_read offline_access"}
    assert authz.user_code == "WDJB-MJHT"
    assert authz.expires_at == clock.now + timedelta(seconds=300)
    assert authz.interval == 2
    assert DEVICE_CODE not in repr(authz)
    assert "WDJB-MJHT" in repr(authz)


async def test_start_refused_is_a_device_flow_error() -> None:
    api = MockApi().on("POST", DEVICE_PATH, oauth_error("invalid_client", 401))
    with pytest.raises(DeviceFlowError) as caught:
        await flow_for(api, WallClock()).start()
    assert caught.value.code == "invalid_client"
    assert "client id" in str(caught.value)


async def test_pending_then_slow_down_then_approved() -> None:
    clock = WallClock()
    api = MockApi().on("POST", DEVICE_PATH, device_answer(interval=2))
    api.token(oauth_error("authorization_pending"), oauth_error("slow_down"), TOKENS)
    flow = flow_for(api, clock)
    seen: list[DeviceFlowStatus] = []
    tokens = await flow.wait_for_tokens(await flow.start(), on_status=seen.append)
    assert tokens.access_token == "access-SECRET-xyz"
    assert tokens.refresh_token == "refresh-SECRET-xyz"
    assert tokens.expires_at == clock.now + timedelta(seconds=86400)
    # Poll at the interval; slow_down adds 5 s for good.
    assert clock.sleeps == [2, 2, 7]
    assert [s.state for s in seen] == ["pending", "slow_down", "approved"]
    assert seen[1].interval == 7
    assert seen[0].seconds_left == pytest.approx(598)
    poll = form_of(api.calls("POST", TOKEN_PATH)[0])
    assert poll == {
        "client_id": "client-123",
        "device_code": DEVICE_CODE,
        "grant_type": DEVICE_GRANT_TYPE,
    }


@pytest.mark.parametrize("status", [429, 401, 200])
async def test_the_wait_codes_mean_poll_again_whatever_status_carries_them(status: int) -> None:
    # RFC 8628 sends them as 400; a 429 slow_down, or a 200 with an error body, is the same.
    clock = WallClock()
    api = MockApi().on("POST", DEVICE_PATH, device_answer(interval=2))
    api.token(oauth_error("authorization_pending", status), oauth_error("slow_down", status))
    api.token(TOKENS)
    tokens = await flow_for(api, clock).wait_for_tokens(await flow_for(api, clock).start())
    assert tokens.access_token == "access-SECRET-xyz"
    assert clock.sleeps == [2, 2, 7]  # slow_down added its 5 s


async def test_failures_while_polling_back_off_exponentially() -> None:
    # RFC 8628 section 3.5: a struggling sign-in server is not polled at the same pace.
    clock = WallClock()
    api = MockApi().on("POST", DEVICE_PATH, device_answer(interval=2))
    api.token(reply(503, text="busy"), reply(502, text="busy"), reply(429, text="slow"))
    api.token(oauth_error("authorization_pending"), TOKENS)
    flow = flow_for(api, clock)
    await flow.wait_for_tokens(await flow.start())
    assert clock.sleeps == [2, 4, 8, 16, 2]  # back to the interval once answered


async def test_a_long_interval_is_obeyed_so_the_sign_in_completes() -> None:
    """RFC 8628: a poll sooner than the interval earns slow_down and 5 s more on the server's
    side too; a client that shortened a 120 s interval never caught up."""
    clock = WallClock()
    interval = [120.0]  # the server's, lengthened by every slow_down
    polls: list[datetime] = []

    def token(request: httpx.Request) -> httpx.Response:
        last = polls[-1] if polls else None
        polls.append(clock.now)
        if last is None:
            answer: Any = oauth_error("authorization_pending")
        elif (clock.now - last).total_seconds() < interval[0]:
            interval[0] += 5
            answer = oauth_error("slow_down")
        else:
            answer = TOKENS
        response: httpx.Response = answer(request)
        return response

    api = MockApi().on("POST", DEVICE_PATH, device_answer(interval=120, expires_in=900))
    api.token(token)
    flow = flow_for(api, clock)
    tokens = await flow.wait_for_tokens(await flow.start())
    assert tokens.access_token == "access-SECRET-xyz"
    assert clock.sleeps == [120, 120]


async def test_slow_down_doubles_a_tiny_interval() -> None:
    clock = WallClock()
    api = MockApi().on("POST", DEVICE_PATH, device_answer(interval=0.1))
    api.token(oauth_error("slow_down"), oauth_error("slow_down"), TOKENS)
    flow = flow_for(api, clock)
    await flow.wait_for_tokens(await flow.start())
    assert clock.sleeps == pytest.approx([0.1, 0.2, 0.4])


@pytest.mark.parametrize("code", ["access_denied", "expired_token", "invalid_grant"])
async def test_final_errors_stop_the_wait(code: str) -> None:
    clock = WallClock()
    api = MockApi().on("POST", DEVICE_PATH, device_answer())
    api.token(oauth_error("authorization_pending"), oauth_error(code))
    flow = flow_for(api, clock)
    with pytest.raises(DeviceFlowError) as caught:
        await flow.wait_for_tokens(await flow.start())
    assert caught.value.code == code
    assert len(api.calls("POST", TOKEN_PATH)) == 2
    assert DEVICE_CODE not in str(caught.value)


async def test_the_code_expires_while_the_server_keeps_saying_pending() -> None:
    clock = WallClock()
    api = MockApi().on("POST", DEVICE_PATH, device_answer(interval=4, expires_in=10))
    api.token(oauth_error("authorization_pending"))
    flow = flow_for(api, clock)
    with pytest.raises(DeviceFlowError) as caught:
        await flow.wait_for_tokens(await flow.start())
    assert caught.value.code == "expired_token"
    assert "expired" in str(caught.value)
    # 4 + 4 + the 2 seconds that were left: never past the expiry.
    assert clock.sleeps == [4, 4, 2]


async def test_transient_failures_while_polling_are_tolerated() -> None:
    clock = WallClock()
    api = MockApi().on("POST", DEVICE_PATH, device_answer())
    api.token(reply(503, text="busy"), oauth_error("authorization_pending"), TOKENS)
    flow = flow_for(api, clock)
    tokens = await flow.wait_for_tokens(await flow.start())
    assert tokens.access_token == "access-SECRET-xyz"


async def test_a_dead_server_ends_the_wait() -> None:
    clock = WallClock()
    api = MockApi().on("POST", DEVICE_PATH, device_answer())
    api.token(reply(503, text="busy"))
    flow = flow_for(api, clock)
    with pytest.raises(ServerError):
        await flow.wait_for_tokens(await flow.start())
    assert len(api.calls("POST", TOKEN_PATH)) == 5


async def test_waiting_is_cancellable() -> None:
    api = MockApi().on("POST", DEVICE_PATH, device_answer(interval=30))
    api.token(oauth_error("authorization_pending"))
    http = httpx.AsyncClient(transport=api.transport())
    flow = DeviceFlow(http, auth_base_url=AUTH, client_id="client-123")
    task = asyncio.create_task(flow.wait_for_tokens(await flow.start()))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert api.calls("POST", TOKEN_PATH) == []


def test_device_flow_refuses_plain_http_to_a_remote_host() -> None:
    with pytest.raises(InsecureUrlError):
        DeviceFlow(httpx.AsyncClient(), auth_base_url="http://example.com/oauth2", client_id="c")


async def refresh(api: MockApi, token: str = "refresh-OLD-SECRET") -> Any:
    http = httpx.AsyncClient(transport=api.transport())
    return await refresh_tokens(
        http, auth_base_url=AUTH, client_id="client-123", refresh_token=token, connection="acme"
    )


async def test_refresh_is_a_public_client_form_post() -> None:
    api = MockApi().token(TOKENS)
    tokens = await refresh(api)
    request = api.requests[0]
    assert form_of(request) == {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-OLD-SECRET",
        "client_id": "client-123",
    }
    assert "authorization" not in request.headers
    assert "SECRET" not in str(request.url)
    assert tokens.refresh_token == "refresh-SECRET-xyz"


async def test_refresh_keeps_the_old_refresh_token_when_none_comes_back() -> None:
    api = MockApi().token(reply(200, {"access_token": "new-access", "expires_in": 60}))
    before = datetime.now(UTC)
    tokens = await refresh(api)
    assert tokens.refresh_token == "refresh-OLD-SECRET"
    assert before + timedelta(seconds=59) < tokens.expires_at < before + timedelta(seconds=62)


async def test_invalid_grant_means_sign_in_again() -> None:
    api = MockApi().token(oauth_error("invalid_grant"))
    with pytest.raises(SignInRequiredError) as caught:
        await refresh(api)
    assert "cc-tui connection login acme" in str(caught.value)
    assert "SECRET" not in str(caught.value)


async def test_other_refresh_errors() -> None:
    echo = reply(400, {"error": "invalid_client", "error_description": "bad refresh-OLD-SECRET"})
    with pytest.raises(AuthError) as caught:
        await refresh(MockApi().token(echo))
    assert caught.value.error_key == "invalid_client"
    assert "refresh-OLD-SECRET" not in str(caught.value)
    with pytest.raises(ServerError):
        await refresh(MockApi().token(reply(502, text="<html>bad gateway</html>")))


async def test_refresh_network_failure_is_a_transport_error() -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(TransportError):
        await refresh(MockApi().token(drop))
