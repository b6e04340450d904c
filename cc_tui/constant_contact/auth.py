"""The OAuth2 device flow: sign a connection in from a terminal, with no browser redirect.

The app shows a code and a URL; the user approves in any browser; the app polls the token
endpoint until the approval, a denial or the code's expiry. :func:`refresh_tokens` lives in
:mod:`.oauth` and is re-exported here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx

from cc_tui.constant_contact.api_errors import error_fields
from cc_tui.constant_contact.oauth import (
    check_auth_url,
    json_object,
    positive_number,
    post_form,
    refresh_tokens,
    token_set_from_json,
    transient_error,
    utc_now,
)
from cc_tui.errors import DeviceFlowError, ServerError, ThrottledError, TransportError
from cc_tui.models.connection import DEFAULT_SCOPES, TokenSet, mask_secret

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "DEVICE_GRANT_TYPE",
    "DeviceAuthorization",
    "DeviceFlow",
    "DeviceFlowStatus",
    "refresh_tokens",
]

log = logging.getLogger(__name__)

DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_POLL_INTERVAL = 5.0  # RFC 8628's default when the server names no interval
DEFAULT_DEVICE_CODE_LIFETIME = 600.0  # what integrations assume when expires_in is missing
# Bounds on what the server says, so a hostile or broken answer cannot park the sign-in for
# days: a code is not waited for past an hour. The interval is obeyed up to that hour (RFC 8628
# section 3.5: the client MUST wait at least `interval` between polls): a client that polled
# sooner than a long interval was answered slow_down, which lengthens the server's interval by
# as much as its own, so it never caught up and the code expired unapproved.
MAX_DEVICE_CODE_LIFETIME = 3_600.0
MAX_POLL_INTERVAL = MAX_DEVICE_CODE_LIFETIME
SLOW_DOWN_STEP = 5.0  # RFC 8628: add 5 s to the interval on every slow_down
# Transient failures (network, 5xx, 429) tolerated in a row while polling for approval.
MAX_POLL_FAILURES = 5
_WAIT_CODES = frozenset({"authorization_pending", "slow_down"})  # RFC 8628 section 3.5

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
DeviceFlowState = Literal["pending", "slow_down", "approved"]


@dataclass(frozen=True, slots=True)
class DeviceAuthorization:
    """What the user needs to approve the sign-in, and what the app needs to poll."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_at: datetime
    interval: float

    def __repr__(self) -> str:
        return (
            f"DeviceAuthorization(device_code={mask_secret(self.device_code)!r}, "
            f"user_code={self.user_code!r}, verification_uri={self.verification_uri!r}, "
            f"expires_at={self.expires_at.isoformat()!r}, interval={self.interval})"
        )


@dataclass(frozen=True, slots=True)
class DeviceFlowStatus:
    """One step of the wait for approval, for countdowns: state, seconds left, poll interval."""

    state: DeviceFlowState
    seconds_left: float
    interval: float


class DeviceFlow:
    """Sign a connection in without a browser redirect (OAuth 2.0 device authorization grant)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        auth_base_url: str,
        client_id: str,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = utc_now,
    ) -> None:
        check_auth_url(auth_base_url)
        self._http = http
        self._base = auth_base_url.rstrip("/")
        self.client_id = client_id
        self.scopes = tuple(scopes)
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"DeviceFlow(auth_base_url={self._base!r}, client_id={self.client_id!r})"

    async def start(self) -> DeviceAuthorization:
        """Ask for a device code and the user code to show; raises DeviceFlowError if refused."""
        form = {"client_id": self.client_id, "scope": " ".join(self.scopes)}
        response = await post_form(self._http, f"{self._base}/device/authorize", form)
        if not response.is_success:
            code, message = error_fields(response)
            raise DeviceFlowError(
                code,
                f"Constant Contact would not start the sign-in ({code}: {message}). Check the "
                "client id and that the application allows the device flow.",
            )
        try:
            authz = self._authorization(json_object(response))
        except ValueError as exc:
            raise DeviceFlowError("invalid_response", f"Sign-in could not start: {exc}.") from exc
        log.debug("device flow started; user code %s", authz.user_code)
        return authz

    def _authorization(self, data: Mapping[str, Any]) -> DeviceAuthorization:
        values = {key: data.get(key) for key in ("device_code", "user_code", "verification_uri")}
        missing = [key for key, value in values.items() if not isinstance(value, str) or not value]
        if missing:
            raise ValueError(f"the answer lacks {', '.join(missing)}")
        uri = str(values["verification_uri"])
        complete = data.get("verification_uri_complete")
        lifetime = positive_number(
            data, "expires_in", DEFAULT_DEVICE_CODE_LIFETIME, MAX_DEVICE_CODE_LIFETIME
        )
        return DeviceAuthorization(
            device_code=str(values["device_code"]),
            user_code=str(values["user_code"]),
            verification_uri=uri,
            verification_uri_complete=complete if isinstance(complete, str) and complete else uri,
            expires_at=self._clock() + timedelta(seconds=lifetime),
            interval=positive_number(data, "interval", DEFAULT_POLL_INTERVAL, MAX_POLL_INTERVAL),
        )

    def _seconds_left(self, authz: DeviceAuthorization) -> float:
        return (authz.expires_at - self._clock()).total_seconds()

    async def wait_for_tokens(
        self,
        authz: DeviceAuthorization,
        on_status: Callable[[DeviceFlowStatus], None] | None = None,
    ) -> TokenSet:
        """Poll until the user approves; raises DeviceFlowError on denial or expiry.

        Cancelling the awaiting task stops the polling (CancelledError propagates).
        """
        interval = authz.interval
        # RFC 8628 says +5 s; with the sub-second intervals of tests that would stall them, so
        # a tiny interval is doubled instead.
        step = SLOW_DOWN_STEP if authz.interval >= 1.0 else None
        failures = 0
        while True:
            # After failures in a row (network, 5xx, 429) the wait doubles each time (RFC 8628
            # section 3.5: back off exponentially), so a struggling server is not hammered.
            wait = min(interval * 2**failures, max(interval, MAX_POLL_INTERVAL))
            await self._sleep(max(0.0, min(wait, self._seconds_left(authz))))
            try:
                outcome = await self._poll(authz)
            except (TransportError, ServerError, ThrottledError):
                failures += 1
                if failures >= MAX_POLL_FAILURES:
                    raise
                outcome = "authorization_pending"
            else:
                failures = 0
            if isinstance(outcome, TokenSet):
                _report(on_status, "approved", max(0.0, self._seconds_left(authz)), interval)
                return outcome
            if outcome == "slow_down":
                interval += step if step is not None else interval
            left = self._seconds_left(authz)
            if left <= 0:
                raise DeviceFlowError("expired_token", _device_error_message("expired_token", ""))
            _report(on_status, "slow_down" if outcome == "slow_down" else "pending", left, interval)

    async def _poll(self, authz: DeviceAuthorization) -> TokenSet | str:
        form = {
            "client_id": self.client_id,
            "device_code": authz.device_code,
            "grant_type": DEVICE_GRANT_TYPE,
        }
        response = await post_form(self._http, f"{self._base}/token", form)
        code, message = error_fields(response)
        # The RFC 8628 wait codes mean "poll again" whatever status carries them (a 429
        # slow_down, or a 200 with an error body, as some servers send): never a failure.
        if code in _WAIT_CODES:
            return code
        if response.is_success:
            try:
                return token_set_from_json(json_object(response), now=self._clock())
            except ValueError as exc:
                raise DeviceFlowError("invalid_response", f"Sign-in failed: {exc}.") from exc
        transient = transient_error(response, "/token")
        if transient is not None:
            raise transient
        raise DeviceFlowError(code, _device_error_message(code, message))


def _device_error_message(code: str, message: str) -> str:
    if code == "access_denied":
        return "The sign-in was denied in the browser. Sign in again to retry."
    if code == "expired_token":
        return "The sign-in code expired before it was approved. Sign in again."
    return f"The sign-in failed ({code}: {message})."


def _report(
    on_status: Callable[[DeviceFlowStatus], None] | None,
    state: DeviceFlowState,
    seconds_left: float,
    interval: float,
) -> None:
    if on_status is not None:
        on_status(DeviceFlowStatus(state=state, seconds_left=seconds_left, interval=interval))
