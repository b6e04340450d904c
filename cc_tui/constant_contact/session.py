"""One API request, done right: fresh token, rate-limiter slot, retries, typed errors, paging.

Every attempt (retries included) first takes a slot from the connection's rate limiter, and
passes the limiter's check again when its first byte is written (see :mod:`.limiter`: the
server counts arrivals, not bookings). What happens after an unsuccessful answer:

* 401: refresh the token once (single-flight) and send again; a second 401 means the
  connection must sign in again (SignInRequiredError).
* 429 ``throttled``: wait (Retry-After, else about 1 s) and send again, up to a generous cap.
* 429 ``quota_exceeded``: QuotaExceededError at once (nothing to gain before 00:00 UTC).
* other 429 (bulk-queue limit), 5xx, timeouts, dropped connections: exponential backoff, at
  most ``max_attempts`` attempts, then ServerError / ThrottledError / TransportError.
* anything else: the typed error at once.

A caller that must not repeat a request blindly (an import: there is no idempotency key, so a
second POST is a second activity) passes ``retry_ambiguous=False``: a 5xx, or a transport error
after the request may have gone out, then raises OutcomeUnknownError at once, and the caller
decides. What certainly never reached the server (connection refused, connect timeout, no free
pooled connection) and answers that say the request was not taken (401, 429) are still retried.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from cc_tui.constant_contact.api_errors import THROTTLED, api_error, retry_after_seconds
from cc_tui.constant_contact.limiter import Departure, RateLimiter
from cc_tui.constant_contact.oauth import BEARER
from cc_tui.constant_contact.retry import ClientStats, RetryPolicy
from cc_tui.constant_contact.server_clock import ServerClock
from cc_tui.constant_contact.tokens import TokenKeeper
from cc_tui.errors import (
    ConstantContactError,
    OutcomeUnknownError,
    ServerError,
    SignInRequiredError,
    ThrottledError,
    TransportError,
)
from cc_tui.models.connection import TokenSet

__all__ = ["ApiSession"]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Params = Mapping[str, str | int]
_API_PREFIX = "/v3"
# Transport errors raised before any byte of the request could reach the server.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(slots=True)
class _Tries:
    """Budget of one call across its attempts."""

    failures: int = 0
    throttles: int = 0
    reauthorised: bool = False
    retry_ambiguous: bool = True


class _Retry(Exception):  # a signal inside the request loop, never seen outside
    """Raised by one attempt when the call should be tried again."""

    def __init__(
        self, error: ConstantContactError | None, *, kind: str, retry_after: float | None = None
    ) -> None:
        super().__init__(kind)
        self.error = error
        self.kind = kind  # "throttle", "failure" or "reauth"
        self.retry_after = retry_after


class ApiSession:
    """Sends requests to one connection's API with everything the client promises.

    ``wire_trace`` says the transport reports a request's first byte through httpx's ``trace``
    extension (httpx's own transport does); with other transports (test doubles) a request
    passes the limiter's wire check when it is handed to the transport.
    """

    def __init__(
        self,
        *,
        base_url: str,
        http: httpx.AsyncClient,
        keeper: TokenKeeper,
        limiter: RateLimiter,
        retry: RetryPolicy,
        stats: ClientStats,
        sleep: Sleep,
        rng: random.Random,
        server_clock: ServerClock,
        wire_trace: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = urlsplit(self.base_url)[:2]
        self._http = http
        self._keeper = keeper
        self.limiter = limiter
        self._retry = retry
        self.stats = stats
        self._sleep = sleep
        self._rng = rng
        self.server_clock = server_clock
        self._wire_trace = wire_trace

    def url(self, path: str) -> str:
        """The absolute URL of an API path such as ``/contact_lists``."""
        return f"{self.base_url}{path}"

    def resolve_link(self, href: str) -> str:
        """An absolute URL for a ``_links`` href (``/v3/...``); other hosts are refused."""
        base_path = urlsplit(self.base_url).path
        if href.startswith(f"{_API_PREFIX}/") and base_path.endswith(_API_PREFIX):
            url = f"{self.base_url}{href[len(_API_PREFIX) :]}"
        else:
            url = urljoin(f"{self.base_url}/", href)
        if urlsplit(url)[:2] != self._origin:
            # Following it would send the access token to another host.
            raise ConstantContactError(
                f"Constant Contact sent a paging link to another host ({url}); not followed."
            )
        return url

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        content: bytes | None = None,
        retry_ambiguous: bool = True,
    ) -> httpx.Response:
        """Send until a successful answer; raise the typed error when that cannot happen.

        With ``retry_ambiguous=False`` an answer that leaves the outcome unknown raises
        OutcomeUnknownError instead of being retried (see the module docstring).
        """
        tries = _Tries(retry_ambiguous=retry_ambiguous)
        while True:
            try:
                return await self._attempt(method, url, params, content, tries)
            except _Retry as retry:
                delay = self._delay(retry, tries)
                kind = retry.kind
            self.stats.retries += 1
            log.debug("%s %s: retrying (%s) in %.2f s", method, _path(url), kind, delay)
            if delay > 0:
                await self._sleep(delay)

    def _delay(self, retry: _Retry, tries: _Tries) -> float:
        """Seconds before the next attempt; re-raises the error once the budget is spent."""
        if retry.kind == "reauth":
            return 0.0
        assert retry.error is not None
        if retry.kind == "throttle":
            tries.throttles += 1
            if tries.throttles > self._retry.max_throttled:
                raise retry.error from retry.__cause__
            return self._retry.throttle_wait(self._rng, retry.retry_after)
        tries.failures += 1
        if tries.failures >= self._retry.max_attempts:
            raise retry.error from retry.__cause__
        return self._retry.backoff(tries.failures, self._rng, retry.retry_after)

    async def _tokens(self, rejected: TokenSet | None = None) -> TokenSet:
        try:
            if rejected is not None:
                return await self._keeper.replace(rejected)
            return await self._keeper.current()
        except (TransportError, ServerError, ThrottledError) as exc:
            # The sign-in server failed transiently: retry the call like any other failure.
            raise _Retry(exc, kind="failure") from exc

    async def _attempt(
        self, method: str, url: str, params: Params | None, content: bytes | None, tries: _Tries
    ) -> httpx.Response:
        # Wait for the rate-limit slot first: a token checked before a long wait could expire
        # during it (short-lived tokens), and the API would answer 401.
        departure = await self.limiter.acquire()
        tokens = await self._tokens()
        response = await self._send(
            method,
            url,
            params,
            content,
            tokens,
            departure=departure,
            retry_ambiguous=tries.retry_ambiguous,
        )
        if response.is_success:
            return response
        if response.status_code == 401 and not tries.reauthorised:
            await self._tokens(rejected=tokens)
            tries.reauthorised = True  # only once the refresh worked: a failed one is retried
            raise _Retry(None, kind="reauth")
        if response.status_code == 401:
            raise SignInRequiredError(
                self._keeper.connection, "Constant Contact refused even a freshly refreshed token"
            )
        error = api_error(response, method=method, path=_path(url))
        if isinstance(error, ServerError) and not tries.retry_ambiguous:
            raise OutcomeUnknownError(
                f"{error} Constant Contact may or may not have acted on the request."
            ) from error
        if isinstance(error, ThrottledError | ServerError):
            kind = "throttle" if error.error_key == THROTTLED else "failure"
            if kind == "throttle":
                self.stats.throttled += 1
                self.limiter.throttled()
            raise _Retry(error, kind=kind, retry_after=retry_after_seconds(response))
        raise error

    async def _send(
        self,
        method: str,
        url: str,
        params: Params | None,
        content: bytes | None,
        tokens: TokenSet,
        *,
        departure: Departure,
        retry_ambiguous: bool,
    ) -> httpx.Response:
        # Always the documented scheme, whatever spelling the token answer (or an old token
        # file) carries: a strict server takes "Bearer" only (docs/api-rules.md section 6).
        headers = {"Authorization": f"{BEARER} {tokens.access_token}"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        self.stats.requests += 1
        self.stats.bytes_sent += len(content or b"")
        extensions: dict[str, Any] = {}
        if self._wire_trace:
            extensions["trace"] = departure.trace
        else:
            await departure.at_wire()
        sent = self.server_clock.now()
        try:
            response = await self._http.request(
                method, url, params=params, content=content, headers=headers, extensions=extensions
            )
        except httpx.TransportError as exc:
            if not retry_ambiguous and not isinstance(exc, _NEVER_SENT):
                raise OutcomeUnknownError(
                    f"{method} {_path(url)} got no answer ({type(exc).__name__}): Constant "
                    "Contact may or may not have acted on it."
                ) from exc
            error = TransportError(
                f"Constant Contact could not be reached for {method} {_path(url)} "
                f"({type(exc).__name__}); tried again and gave up."
            )
            raise _Retry(error, kind="failure") from exc
        departure.answered()
        self.server_clock.observe(sent, self.server_clock.now(), response.headers.get("Date"))
        self.stats.bytes_received += len(response.content)
        log.debug("%s %s -> %d", method, _path(url), response.status_code)
        return response

    async def get_json(self, url: str, params: Params | None = None) -> Mapping[str, Any]:
        """GET ``url`` and return its JSON object."""
        return self.json_of(await self.request("GET", url, params=params), "GET")

    def json_of(self, response: httpx.Response, method: str) -> Mapping[str, Any]:
        """The JSON object of a successful answer, or a clear error if it is not one."""
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, Mapping):
            raise ConstantContactError(
                f"Constant Contact answered {method} {_path(str(response.url))} with something "
                "that is not a JSON object."
            )
        return body

    async def pages(
        self, path: str, params: Params, items_key: str
    ) -> AsyncGenerator[list[Mapping[str, Any]], None]:
        """Yield the items of every page, following ``_links.next.href`` to the end.

        The href is followed exactly as sent (it carries its own cursor and limit); nothing is
        added to it. The walk ends at a page without a next link, or at an empty page; a link
        back to a page already read, or a page that repeats the one before, is an error.
        """
        url: str | None = self.url(path)
        page_params: Params | None = params
        seen: set[str] = set()
        previous: list[Mapping[str, Any]] | None = None
        while url is not None:
            body = await self.get_json(url, page_params)
            items = body.get(items_key)
            page = (
                [item for item in items if isinstance(item, Mapping)]
                if isinstance(items, list)
                else []
            )
            if page == previous:
                # A fresh cursor that serves the same items again would never end either.
                raise ConstantContactError(
                    f"Constant Contact's paging of {path} repeats the same page; stopped."
                )
            previous = page
            yield page
            if not page:
                # An empty page ends the walk even if it carries a next link: a server that
                # always sends one (with a fresh cursor each time) would otherwise never end.
                return
            href = _next_href(body)
            url, page_params = (self.resolve_link(href) if href else None), None
            if url is not None and url in seen:
                raise ConstantContactError(f"Constant Contact's paging of {path} loops; stopped.")
            seen.add(url or "")


def _next_href(body: Mapping[str, Any]) -> str | None:
    links = body.get("_links")
    nxt = links.get("next") if isinstance(links, Mapping) else None
    href = nxt.get("href") if isinstance(nxt, Mapping) else None
    return href if isinstance(href, str) and href else None


def _path(url: str) -> str:
    """The path of a URL without its query: enough to say where, never a token."""
    return urlsplit(url).path
