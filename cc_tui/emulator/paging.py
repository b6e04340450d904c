"""Query parameters and cursor paging shared by the collection routes.

Cursors are opaque to clients: base64url of the query that produced the page plus the offset of
the next one (the real service's cursors decode to something like ``limit=1&next=2`` too). A
request with a cursor uses the cursor's filters; only ``limit`` may be given again.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from cc_tui.emulator.problems import ApiProblem
from cc_tui.emulator.schema import UUID_RE

__all__ = [
    "PAGING_PARAMETERS",
    "Paged",
    "check_parameters",
    "next_link",
    "parse_bool",
    "parse_choice",
    "parse_choices",
    "parse_limit",
    "read_query",
    "require_uuid",
]

Paged = tuple[dict[str, str], int]  # (filters, offset)
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
# What a request that follows a ``_links.next.href`` may carry: the href's own two parameters.
PAGING_PARAMETERS = frozenset({"cursor", "limit"})


def check_parameters(params: QueryParams, documented: frozenset[str]) -> None:
    """400 for a query parameter the swagger does not list for this operation, or a repeated one.

    api-rules section 1 (assumed, strict): the client sends only documented parameters, each
    once; a cursor request (following ``_links.next.href``) carries only ``cursor`` and
    ``limit``, since the cursor already holds the filters.
    """
    keys = [key for key, _ in params.multi_items()]
    unknown = sorted(set(keys) - documented)
    if unknown:
        raise ApiProblem.bad_request(f"{unknown[0]} is not a supported query parameter")
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ApiProblem.bad_request(f"{repeated[0]} may be given only once")
    if "cursor" in params and set(keys) - PAGING_PARAMETERS:
        extra = sorted(set(keys) - PAGING_PARAMETERS)[0]
        raise ApiProblem.bad_request(
            f"{extra} cannot be combined with cursor: follow the _links.next.href as it is"
        )


def read_query(params: QueryParams, resource: str) -> Paged:
    """The filters and offset of a request: from its cursor if it has one."""
    cursor = params.get("cursor")
    if cursor is None:
        filters = {key: value for key, value in params.items() if key != "limit"}
        return filters, 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"==="))
        if data["r"] != resource or not isinstance(data["f"], dict):
            raise ValueError("cursor of another resource")
        offset = int(data["o"])
        if offset < 0:
            raise ValueError("negative offset")
        return {str(key): str(value) for key, value in data["f"].items()}, offset
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error):
        raise ApiProblem.bad_request("cursor is not valid") from None


def next_link(
    path: str, resource: str, filters: Mapping[str, str], offset: int, limit: int
) -> dict[str, Any]:
    """``{"next": {"href": ...}}`` for the page starting at ``offset``."""
    payload = json.dumps({"r": resource, "f": dict(filters), "o": offset}, separators=(",", ":"))
    cursor = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode("ascii")
    return {"next": {"href": f"{path}?{urlencode({'cursor': cursor, 'limit': limit})}"}}


def parse_limit(params: QueryParams, default: int, maximum: int) -> int:
    """``limit``: a plain whole number from 1 to ``maximum`` (the swagger's text); 400 otherwise.

    Only ASCII digits count: Python's ``int`` would also take ``" 5"``, ``"+5"``, ``"5_0"`` and
    other scripts' digits, which a strict server refuses.
    """
    text = params.get("limit")
    if text is None:
        return default
    value = int(text) if _WHOLE_NUMBER.fullmatch(text) else 0
    if not 1 <= value <= maximum:
        raise ApiProblem.bad_request(f"limit must be a whole number from 1 to {maximum}")
    return value


def parse_bool(filters: Mapping[str, str], name: str) -> bool:
    """A ``true``/``false`` parameter, lower case as documented (absent = false); 400 otherwise."""
    text = filters.get(name)
    if text is None:
        return False
    if text not in ("true", "false"):
        raise ApiProblem.bad_request(f"{name} must be true or false")
    return text == "true"


def parse_choice(
    filters: Mapping[str, str], name: str, choices: frozenset[str], default: str | None
) -> str | None:
    """A parameter limited to ``choices``; 400 otherwise."""
    text = filters.get(name)
    if text is None:
        return default
    if text not in choices:
        raise ApiProblem.bad_request(_invalid(name, choices))
    return text


def parse_choices(
    filters: Mapping[str, str], name: str, choices: frozenset[str]
) -> frozenset[str] | None:
    """A comma-separated parameter whose every part is one of ``choices`` (None if absent).

    An empty part (``a,,b``, a trailing comma, an empty value) is not a documented value: 400.
    """
    text = filters.get(name)
    if text is None:
        return None
    parts = text.split(",")
    if not all(part in choices for part in parts):
        raise ApiProblem.bad_request(_invalid(name, choices))
    return frozenset(parts)


def _invalid(name: str, choices: frozenset[str]) -> str:
    allowed = ", ".join(sorted(choices))
    return f"{name} does not have a valid value (one of: {allowed})"


def require_uuid(value: str, what: str) -> str:
    """A path or query id as given (ids match exactly: an upper-case spelling of an existing,
    lower-case id is no id the account knows); 400 if it is not a UUID."""
    if not UUID_RE.fullmatch(value):
        raise ApiProblem.bad_request(f"{what} is not a valid UUID: {value}")
    return value
