"""Test doubles for the Constant Contact client: a token store, a fake sleep, a mock API."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.constant_contact.limiter import RateLimiter
from cc_tui.models.connection import Connection, TokenSet

__all__ = [
    "API",
    "AUTH",
    "FakeSleep",
    "MemoryTokenStore",
    "MockApi",
    "form_of",
    "json_body",
    "make_client",
    "make_connection",
    "refreshed",
    "reply",
    "token_set",
]

API = "https://api.example.test/v3"
AUTH = "https://auth.example.test/oauth2/default/v1"
Handler = Callable[[httpx.Request], httpx.Response]


class MemoryTokenStore:
    """A TokenStore in memory that remembers every save."""

    def __init__(self, tokens: TokenSet | None = None) -> None:
        self.tokens = tokens
        self.saved: list[TokenSet] = []

    def load(self) -> TokenSet | None:
        return self.tokens

    def save(self, tokens: TokenSet) -> None:
        self.tokens = tokens
        self.saved.append(tokens)

    def forget(self) -> None:
        self.tokens = None


class FakeSleep:
    """Records requested delays and only yields to the loop: backoff tests stay instant."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def token_set(
    access: str = "access-token-AAAA-0001",
    refresh: str | None = "refresh-token-RRRR-0001",
    expires_in: float = 3600.0,
) -> TokenSet:
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        scope="contact_data account_read offline_access",
    )


def make_connection(
    *, api: str = API, auth: str = AUTH, name: str = "test", client_id: str = "client-123"
) -> Connection:
    return Connection(
        name=name,
        display_name=name.title(),
        client_id=client_id,
        api_base_url=api,
        auth_base_url=auth,
    )


def reply(
    status: int = 200,
    body: Any = None,
    *,
    text: str | None = None,
    headers: dict[str, str] | None = None,
) -> Handler:
    """A handler answering ``status`` with a JSON ``body`` (or raw ``text``)."""

    def handle(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handle


def form_of(request: httpx.Request) -> dict[str, str]:
    """The url-encoded form body of a request, one value per key."""
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


class MockApi:
    """Routes ``(method, path)`` to queued handlers; the last handler of a route repeats."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Handler]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *handlers: Handler) -> MockApi:
        self.routes.setdefault((method, path), []).extend(handlers)
        return self

    def token(self, *handlers: Handler) -> MockApi:
        """Handlers of the OAuth token endpoint."""
        return self.on("POST", "/oauth2/default/v1/token", *handlers)

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def api_calls(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.startswith("/v3/")]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return httpx.Response(404, json=[{"error_key": "not_found", "error_message": "?"}])
        handler = queue.pop(0) if len(queue) > 1 else queue[0]
        return handler(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def refreshed(access: str, refresh: str | None, expires_in: int = 3600) -> Handler:
    """A token-endpoint handler issuing the given tokens."""
    body: dict[str, Any] = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
    }
    if refresh is not None:
        body["refresh_token"] = refresh
    return reply(200, body)


def make_client(
    api: MockApi | httpx.AsyncBaseTransport,
    store: MemoryTokenStore | None = None,
    **overrides: Any,
) -> ConstantContactClient:
    """A client over a mock transport, with no rate-limit waits and a fake sleep."""
    transport = api.transport() if isinstance(api, MockApi) else api
    options: dict[str, Any] = {
        "transport": transport,
        "limiter": RateLimiter(max_requests=10_000),
        "sleep": FakeSleep(),
        "rng": random.Random(7),
    }
    options.update(overrides)
    connection = options.pop("connection", None) or make_connection()
    return ConstantContactClient(connection, store or MemoryTokenStore(token_set()), **options)


def json_body(request: httpx.Request) -> Any:
    return json.loads(request.content)
