"""The OAuth2 token endpoint: token answers, refresh, and what both sign-in paths share.

cc-tui is a public client (no secret): refreshes send ``client_id`` in the form body. Tokens
travel only in form bodies and headers, never in URLs, so httpx's request log lines (which
show URLs) cannot leak them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cc_tui.constant_contact.api_errors import error_fields
from cc_tui.errors import (
    ApiError,
    AuthError,
    InsecureUrlError,
    ServerError,
    SignInRequiredError,
    ThrottledError,
    TransportError,
)
from cc_tui.models.connection import (
    TokenSet,
    mask_secret,
    url_is_secure_enough,
    url_without_credentials,
)

__all__ = [
    "BEARER",
    "DEFAULT_TOKEN_LIFETIME",
    "MAX_TOKEN_LIFETIME",
    "check_auth_url",
    "json_object",
    "positive_number",
    "post_form",
    "refresh_tokens",
    "token_set_from_json",
    "transient_error",
    "utc_now",
]

DEFAULT_TOKEN_LIFETIME = 86_400.0  # Constant Contact's documented access-token lifetime
# A lifetime past this is not believed (a server answering milliseconds, or an epoch timestamp,
# as one SDK's doc string suggests): the token is refreshed after this long, or on a 401.
MAX_TOKEN_LIFETIME = 7 * 86_400.0
BEARER = "Bearer"  # the only token type the API documents ("Authorization: Bearer <token>")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (the default clock)."""
    return datetime.now(UTC)


def check_auth_url(url: str) -> None:
    """Refuse an authorization server reached over plain http on a non-loopback host."""
    if not url_is_secure_enough(url):
        raise InsecureUrlError(
            f"Refusing to sign in through {url_without_credentials(url)}: use https without a "
            "user name or password (plain http is allowed only for localhost / 127.0.0.1, "
            "where the emulator runs)."
        )


def positive_number(
    data: Mapping[str, Any], key: str, default: float, maximum: float = math.inf
) -> float:
    """``data[key]`` as a positive number of at most ``maximum``, else ``default``.

    A numeric string (``"3600"``) counts: some OAuth servers send ``expires_in`` as one. A
    value over ``maximum`` is lowered to it; anything else (null, ``true``, ``"soon"``, zero,
    negative, NaN) gives ``default``.
    """
    value = data.get(key)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return default
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and number > 0:
            return min(number, maximum)
        if number == math.inf and math.isfinite(maximum):
            return maximum
    return default


def token_set_from_json(
    data: Mapping[str, Any], *, now: datetime, previous_refresh_token: str | None = None
) -> TokenSet:
    """A :class:`TokenSet` from a token response; ``expires_in`` is relative seconds.

    A long-lived-token application may answer a refresh without a refresh token: the old
    one then stays valid and is kept.
    """
    access = data.get("access_token")
    if not isinstance(access, str) or not access.strip() or access != access.strip():
        raise ValueError("the token answer has no usable access_token")
    token_type = data.get("token_type")
    if token_type is not None and (
        not isinstance(token_type, str) or token_type.lower() != BEARER.lower()
    ):
        # The API takes bearer tokens only; sending another kind would just be refused.
        raise ValueError(f"the token answer has token_type {token_type!r}, not Bearer")
    refresh = data.get("refresh_token")
    lifetime = positive_number(data, "expires_in", DEFAULT_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME)
    return TokenSet(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else previous_refresh_token,
        expires_at=now + timedelta(seconds=lifetime),
        scope=data["scope"] if isinstance(data.get("scope"), str) else "",
        # Always the documented spelling: a server may answer "bearer", the API wants "Bearer".
        token_type=BEARER,
    )


async def post_form(http: httpx.AsyncClient, url: str, form: Mapping[str, str]) -> httpx.Response:
    """POST a form to the sign-in server; network failures become :class:`TransportError`."""
    try:
        return await http.post(url, data=dict(form), headers={"Accept": "application/json"})
    except httpx.TransportError as exc:
        raise TransportError(
            f"Could not reach the Constant Contact sign-in server ({type(exc).__name__}). "
            "Check the network and try again."
        ) from exc


def json_object(response: httpx.Response) -> Mapping[str, Any]:
    """The answer's JSON object; ``ValueError`` if it is not one."""
    try:
        body = response.json()
    except ValueError as exc:
        raise ValueError("the sign-in server's answer is not JSON") from exc
    if not isinstance(body, Mapping):
        raise ValueError("the sign-in server's answer is not a JSON object")
    return body


def transient_error(response: httpx.Response, path: str) -> ApiError | None:
    """A 5xx or 429 answer of the sign-in server (worth trying again), else None."""
    key, message = error_fields(response)
    if response.status_code == 429:
        return ThrottledError(429, key, message, method="POST", path=path)
    if response.status_code >= 500:
        return ServerError(response.status_code, key, message, method="POST", path=path)
    return None


async def refresh_tokens(
    http: httpx.AsyncClient,
    *,
    auth_base_url: str,
    client_id: str,
    refresh_token: str,
    connection: str = "this connection",
    clock: Clock = utc_now,
) -> TokenSet:
    """Trade a refresh token for new tokens (public client: ``client_id`` in the body).

    ``invalid_grant`` (expired, revoked or already-used refresh token) raises
    :class:`SignInRequiredError`; 5xx and 429 raise :class:`ServerError` / :class:`ThrottledError`
    and network failures :class:`TransportError`, which a caller may retry.
    """
    check_auth_url(auth_base_url)
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    response = await post_form(http, f"{auth_base_url.rstrip('/')}/token", form)
    if response.is_success:
        try:
            return token_set_from_json(
                json_object(response), now=clock(), previous_refresh_token=refresh_token
            )
        except ValueError as exc:
            raise ServerError(response.status_code, "invalid_response", str(exc)) from exc
    transient = transient_error(response, "/token")
    if transient is not None:
        raise transient
    key, message = error_fields(response)
    if key == "invalid_grant":
        raise SignInRequiredError(
            connection, "the refresh token was refused: it expired, was revoked or was used before"
        )
    # Never echo the server's text unfiltered: it could quote the refresh token back.
    raise AuthError(
        response.status_code,
        key,
        message.replace(refresh_token, mask_secret(refresh_token)),
        method="POST",
        path="/token",
    )
