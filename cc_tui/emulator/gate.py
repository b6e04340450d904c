"""The outermost ASGI layer of /v3: arrival time, token, limits, scope, faults, statistics.

Pure ASGI (no request object, no body read) so the arrival time is taken the moment uvicorn
hands the request over (after the headers, before the body), plus the simulated network's
arrival jitter when that is on, before anything that could wait on a busy event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import anyio
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cc_tui.emulator.faults import DROP_AFTER_CREATE, drop_connection
from cc_tui.emulator.limits import Verdict
from cc_tui.emulator.network import NetworkTiming
from cc_tui.emulator.problems import error_array, error_object
from cc_tui.emulator.runtime import Emulator
from cc_tui.emulator.stats import DROPPED, Stats

__all__ = ["API_PREFIX", "ApiGate"]

logger = logging.getLogger(__name__)

API_PREFIX = "/v3"
ACCOUNT_SCOPE_PATHS = frozenset({"/v3/account/summary"})
IMPORT_PATH = "/v3/activities/contacts_json_import"
_LIMIT_BODIES = {
    Verdict.THROTTLED: ("throttled", "Too Many Requests"),
    Verdict.QUOTA_EXCEEDED: ("quota_exceeded", "Limit Exceeded"),
}
# The one scheme the API documents, spelt as documented ("Authorization: Bearer <token>"):
# RFC 7235 makes schemes case-insensitive, but the strict reading takes the documented case.
BEARER = "Bearer"
# Media ranges that admit the API's only representation, application/json (SPEC ``produces``).
JSON_RANGES = frozenset({"application/json", "application/*", "*/*"})
NOT_ACCEPTABLE_KEY = "not.acceptable"
UNAVAILABLE_KEY = "service.unavailable"
UNAVAILABLE_MESSAGE = "Our internal service is temporarily unavailable."


class ApiGate:
    """Wraps the app; only /v3 requests are gated, counted and subject to faults."""

    def __init__(self, app: ASGIApp, emulator: Emulator, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.emulator = emulator
        self.routes = routes
        self._network = NetworkTiming(emulator.settings.seed)
        # The headroom the clients' spacing kept at arrival: the shortest time in which one
        # more request than the limit arrived.
        emulator.stats.include("tightest_span_per_application", emulator.limiter.tightest_spans)
        self._network_epoch = (emulator.settings.seed, emulator.limiter.resets)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == API_PREFIX or path.startswith("/v3/")):
            await self.app(scope, receive, send)
            return
        arrived = await self._arrive()
        outcome = _Outcome(self.emulator.stats, self._route_name(scope))

        async def send_counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                outcome.record()  # before the client can see the end of the answer
            await send(message)

        try:
            await self._gate(scope, receive, send_counted, arrived, outcome)
        except Exception:
            outcome.record(500)  # Starlette's error middleware answers it outside this layer
            raise
        finally:
            outcome.record()

    async def _gate(
        self, scope: Scope, receive: Receive, send: Send, arrived: float, outcome: _Outcome
    ) -> None:
        emulator = self.emulator
        settings = emulator.settings
        grant = emulator.oauth.authenticate(_bearer(scope))
        if grant is None:
            await error_object(401, "unauthorized", "Unauthorized")(scope, receive, send)
            return
        if not _accepts_json(scope):
            message = "The API answers application/json only; the Accept header excludes it."
            await error_array(406, NOT_ACCEPTABLE_KEY, message)(scope, receive, send)
            return
        verdict = emulator.limiter.admit(
            grant.client_id,
            arrived,
            emulator.clock(),  # the quota's UTC day is the server's
            settings.rate_limit_per_second,
            settings.daily_quota,
        )
        if verdict is not Verdict.ACCEPTED:
            emulator.stats.event(verdict.value)
            emulator.stats.application_event(grant.client_id, verdict.value)
            key, message = _LIMIT_BODIES[verdict]
            await error_object(429, key, message)(scope, receive, send)
            return
        needed = "account_read" if scope["path"] in ACCOUNT_SCOPE_PATHS else "contact_data"
        if needed not in grant.scopes:
            await error_object(403, "forbidden", "Forbidden")(scope, receive, send)
            return
        if await self._fault(scope, receive, send, outcome):
            return
        scope.setdefault("state", {})["client_id"] = grant.client_id
        await self.app(scope, receive, send)

    async def _fault(self, scope: Scope, receive: Receive, send: Send, outcome: _Outcome) -> bool:
        """Inject a drop or an error; add latency. True when the request was answered."""
        emulator = self.emulator
        settings = emulator.settings

        def count_drop() -> None:
            emulator.stats.fault("drop")
            outcome.record(DROPPED)

        if emulator.faults.happens(settings.drop_rate):
            if scope["path"] == IMPORT_PATH and emulator.faults.happens(
                settings.drop_after_create_share
            ):  # the import route hangs up once the activity exists
                scope.setdefault("state", {})[DROP_AFTER_CREATE] = count_drop
            elif await drop_connection(receive, count_drop):
                return True
        if emulator.faults.happens(settings.error_rate):
            emulator.stats.fault("error")
            logger.debug("fault: 503 for %s", scope["path"])
            await error_array(503, UNAVAILABLE_KEY, UNAVAILABLE_MESSAGE)(scope, receive, send)
            return True
        delay = self._timing().answer_delay(settings)
        if delay > 0:
            emulator.stats.fault("latency")
            await anyio.sleep(delay)
        return False

    async def _arrive(self) -> float:
        """When the request counts as arrived: now, or after the network's arrival jitter.

        The clock is read after the jitter's sleep, so a busy event loop makes arrivals late
        (and bunched) as a busy real server would.
        """
        delay = self._timing().arrival_delay(self.emulator.settings)
        if delay > 0:
            await anyio.sleep(delay)
        return time.monotonic()

    def _timing(self) -> NetworkTiming:
        """The network timing, started again from the seed after a reset or a new seed."""
        emulator = self.emulator
        epoch = (emulator.settings.seed, emulator.limiter.resets)
        if epoch != self._network_epoch:
            self._network_epoch = epoch
            self._network.reseed(emulator.settings.seed)
        return self._network

    def _route_name(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return f"{scope['method']} {getattr(route, 'path', scope['path'])}"
        return f"{scope['method']} (unknown route)"


class _Outcome:
    """Counts one /v3 request exactly once, as soon as its fate is known."""

    __slots__ = ("recorded", "route", "stats", "status")

    def __init__(self, stats: Stats, route: str) -> None:
        self.stats = stats
        self.route = route
        self.status: int | str = DROPPED
        self.recorded = False

    def record(self, status: int | str | None = None) -> None:
        if not self.recorded:
            self.recorded = True
            self.stats.api_request(self.route, self.status if status is None else status)


def _bearer(scope: Scope) -> str:
    """The access token of ``Authorization: Bearer <token>`` (exactly one space), else ""."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token if scheme == BEARER and token and " " not in token else ""
    return ""


def _accepts_json(scope: Scope) -> bool:
    """True without an Accept header, or when one of its ranges admits application/json.

    A range with ``q=0`` (or an unreadable ``q``) refuses; other parameters do not matter.
    """
    values = [value for name, value in scope.get("headers", ()) if name == b"accept"]
    if not values:
        return True
    for header in values:
        for entry in header.decode("latin-1").split(","):
            media, *params = (part.strip() for part in entry.split(";"))
            if media.lower() in JSON_RANGES and _quality(params) > 0:
                return True
    return False


def _quality(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
