"""Turn Constant Contact's error answers into the typed errors of :mod:`cc_tui.errors`.

Error bodies come in several shapes: a JSON array of ``{error_key, error_message}`` (most
endpoints), a single such object (rate limits, authorization), the OAuth server's
``{error, error_description}``, or no JSON at all (proxies, load balancers). All are read here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from cc_tui.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    NotFoundError,
    QuotaExceededError,
    ServerError,
    ThrottledError,
)

__all__ = [
    "QUOTA_EXCEEDED",
    "THROTTLED",
    "api_error",
    "error_fields",
    "next_utc_midnight",
    "retry_after_seconds",
]

THROTTLED = "throttled"  # 429 body key: more than 4 requests in a second
QUOTA_EXCEEDED = "quota_exceeded"  # 429 body key: the daily request quota is spent
# Longest piece of a non-JSON error body quoted in a message (HTML error pages are long).
_MAX_TEXT = 200
# Markup of an HTML error page (a proxy's 502): tags, and scripts or styles with their content.
_HTML_NOISE = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_MAX_SCAN = 16_384  # characters of a non-JSON body read for the message (bounds the regex work)
# 400, 409, 415 and any other 4xx not listed: the request itself is wrong.
_BY_STATUS: dict[int, type[ApiError]] = {404: NotFoundError, 401: AuthError, 403: AuthError}
# 408 Request Timeout (a proxy or load balancer that gave up on a slow upload) is not: RFC 9110
# section 15.5.9 lets the client repeat it, so it is retried like a 5xx, and an import it ends
# is in doubt.
_REQUEST_TIMEOUT = 408


def next_utc_midnight(now: datetime | None = None) -> datetime:
    """The next 00:00:00 UTC after ``now``: when Constant Contact's daily quota resets."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def _decode(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _from_item(item: Mapping[str, Any]) -> tuple[str, str]:
    key = item.get("error_key") or item.get("error") or ""
    message = item.get("error_message") or item.get("error_description") or item.get("message")
    return str(key), str(message or "")


def error_fields(response: httpx.Response) -> tuple[str, str]:
    """``(error_key, error_message)`` from any error body shape, never empty."""
    body = _decode(response)
    key, message = "", ""
    if isinstance(body, list):
        items = [_from_item(item) for item in body if isinstance(item, Mapping)]
        if items:
            key = items[0][0]
            message = "; ".join(text for _, text in items if text)
    elif isinstance(body, Mapping):
        key, message = _from_item(body)
    else:
        # Not JSON: a proxy's or load balancer's page. Quote its words, not its markup.
        text = _HTML_NOISE.sub(" ", response.text[:_MAX_SCAN])
        message = " ".join(text.split())[:_MAX_TEXT]
    if not key:
        key = f"http_{response.status_code}"
    if not message:
        message = response.reason_phrase or "no details given"
    return key, message


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds (number or HTTP date), if present and sane."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "nan", "inf" and negative numbers parse as floats but are no delay (RFC 9110:
        # delta-seconds is a non-negative integer); the caller then uses its own pause.
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def api_error(response: httpx.Response, *, method: str, path: str) -> ApiError:
    """The typed error for an unsuccessful answer to ``method path``."""
    status = response.status_code
    key, message = error_fields(response)
    where = {"method": method, "path": path}
    if status == 429:
        if key == QUOTA_EXCEEDED:
            return QuotaExceededError(status, key, message, resets_at=next_utc_midnight(), **where)
        # `throttled`, and also the bulk-queue limit (1,000 queued activities), whose body shape
        # is undocumented: the client retries both, the queue limit with a slower backoff.
        return ThrottledError(status, key, message, **where)
    if status >= 500 or status == _REQUEST_TIMEOUT:
        return ServerError(status, key, message, **where)
    kind = _BY_STATUS.get(status, BadRequestError if 400 <= status < 500 else ApiError)
    return kind(status, key, message, **where)
