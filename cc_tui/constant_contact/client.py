"""The async Constant Contact V3 client that the CLI, the engine and the TUI share.

One client talks to one connection. It refreshes tokens before they expire (and once after a
401), waits for the connection's process-wide rate limiter before every request, retries what
is worth retrying, and raises the typed errors of :mod:`cc_tui.errors` for the rest; see
:mod:`.session` for the rules. Tokens never appear in logs, reprs or error messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import httpx

from cc_tui import __version__
from cc_tui.constant_contact.limiter import RateLimiter, limiter_for
from cc_tui.constant_contact.oauth import refresh_tokens
from cc_tui.constant_contact.retry import ClientStats, RetryPolicy
from cc_tui.constant_contact.schemas import (
    AccountSummary,
    Activity,
    Contact,
    ContactList,
    CustomField,
)
from cc_tui.constant_contact.server_clock import OffsetRange, ServerClock
from cc_tui.constant_contact.session import ApiSession, Params
from cc_tui.constant_contact.tokens import (
    DEFAULT_REFRESH_MARGIN,
    TokenKeeper,
    TokenStore,
    refresh_gate_for,
)
from cc_tui.errors import (
    ConstantContactError,
    InsecureUrlError,
    OutcomeUnknownError,
    UsageError,
)
from cc_tui.models.api_rules import is_uuid
from cc_tui.models.connection import (
    Connection,
    TokenSet,
    url_is_secure_enough,
    url_without_credentials,
)

__all__ = [
    "ACTIVITIES_MAX_LIMIT",
    "CONTACTS_PAGE_LIMIT",
    "CUSTOM_FIELDS_PAGE_LIMIT",
    "DEFAULT_TIMEOUT",
    "LISTS_PAGE_LIMIT",
    "ClientStats",
    "ConstantContactClient",
    "RetryPolicy",
    "TokenStore",
    "connection_key",
]

DEFAULT_TIMEOUT = 60.0  # seconds; a 4 MB import on a slow uplink needs a while
DEFAULT_RETRY = RetryPolicy()
# Page sizes: the largest each endpoint's documented text allows, so paging costs as few
# rate-limit slots as possible, and never more (docs/api-rules.md §1). Lists: the swagger's text
# says 1-500 while its schema says 1000; a server that enforces the text refuses 1000.
LISTS_PAGE_LIMIT = 500
CUSTOM_FIELDS_PAGE_LIMIT = 100
CONTACTS_PAGE_LIMIT = 500
ACTIVITIES_MAX_LIMIT = 500
# Looking for one lost import among recent activities: small pages (an activity can carry a long
# activity_errors array), and a bounded walk back (100 pages of 50 is 5,000 activities).
ACTIVITIES_SEARCH_PAGE = 50
ACTIVITIES_SEARCH_MAX_PAGES = 100
_EXAMPLE_ID = "06526938-56dd-11e9-932a-fa163ea075fa"
# The documented values of enumerated query parameters (swagger 3.0.178, each operation's enum);
# anything else is refused here, before a strict server answers 400 (docs/api-rules.md §1).
ACTIVITY_STATE_FILTERS = frozenset({"processing", "completed", "cancelled", "failed", "timed_out"})
CONTACT_STATUS_FILTERS = frozenset(
    {"all", "active", "deleted", "not_set", "pending_confirmation", "temp_hold", "unsubscribed"}
)
MAX_LIST_NAME = 255  # ListInput.name maxLength

Sleep = Callable[[float], Awaitable[None]]
_T = TypeVar("_T")


def connection_key(connection: Connection) -> str:
    """What identifies a rate limit and a refresh gate in this process.

    Constant Contact counts requests per application (API key), so connections that share a
    client ID against the same host share one limiter.
    """
    return f"{connection.client_id}|{urlsplit(connection.api_base_url).netloc}"


def _check_urls(connection: Connection) -> None:
    for label, url in (("API", connection.api_base_url), ("sign-in", connection.auth_base_url)):
        if not url_is_secure_enough(url):
            raise InsecureUrlError(
                f"Connection '{connection.name}': the {label} URL "
                f"{url_without_credentials(url)} must use https without a user name or "
                "password (plain http is allowed only for localhost / 127.0.0.1, where the "
                "emulator runs)."
            )


def _checked_id(value: str, what: str) -> str:
    """``value`` in the lower-case form the API gives ids (a strict server matches ids
    exactly); a UsageError if it is not a UUID."""
    if not is_uuid(value):
        raise UsageError(
            f"'{value}' is not a valid Constant Contact {what}: expected a UUID of the form "
            f"8-4-4-4-12 hexadecimal digits, like {_EXAMPLE_ID}."
        )
    return value.lower()


def _checked_choice(value: str, allowed: frozenset[str], what: str) -> str:
    if value not in allowed:
        raise UsageError(
            f"'{value}' is not a {what} Constant Contact documents; use one of: "
            f"{', '.join(sorted(allowed))}."
        )
    return value


def _checked_email(value: str) -> str:
    # GET /contacts takes "a specific email address": one, never a list (docs/api-rules.md §5).
    if not value.strip() or "," in value or "@" not in value or value != value.strip():
        raise UsageError(
            f"'{value}' is not one e-mail address: Constant Contact looks contacts up by one "
            "address a request."
        )
    return value


def _parse(reader: Callable[[Mapping[str, Any]], _T], data: Mapping[str, Any], what: str) -> _T:
    try:
        return reader(data)
    except ValueError as exc:
        raise ConstantContactError(
            f"Constant Contact sent a {what} cc-tui cannot read: {exc}."
        ) from exc


class ConstantContactClient:
    """Async client of the Constant Contact V3 API for one connection."""

    def __init__(
        self,
        connection: Connection,
        tokens: TokenStore,
        *,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Sleep = asyncio.sleep,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        rng: random.Random | None = None,
        server_clock: ServerClock | None = None,
    ) -> None:
        _check_urls(connection)
        self.connection = connection
        self.stats = ClientStats()
        key = connection_key(connection)
        # TLS verification stays on (httpx's default); redirects are not followed, so the
        # Authorization header only ever goes to the configured host.
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": f"cc-tui/{__version__}"},
        )
        self._keeper = TokenKeeper(
            connection.name,
            tokens,
            self._refresh,
            gate=refresh_gate_for(key),
            margin=refresh_margin,
            on_refresh=self._count_refresh,
        )
        self._session = ApiSession(
            base_url=connection.api_base_url,
            http=self._http,
            keeper=self._keeper,
            limiter=limiter if limiter is not None else limiter_for(key),
            retry=retry,
            stats=self.stats,
            sleep=sleep,
            rng=rng if rng is not None else random.Random(),
            server_clock=server_clock if server_clock is not None else ServerClock(),
            # httpx's own transport reports each request's first byte to the limiter.
            wire_trace=transport is None or isinstance(transport, httpx.AsyncHTTPTransport),
        )

    def __repr__(self) -> str:
        return (
            f"ConstantContactClient(connection={self.connection.name!r}, "
            f"api_base_url={self.connection.api_base_url!r})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    @property
    def limiter(self) -> RateLimiter:
        """The rate limiter every request of this client waits for."""
        return self._session.limiter

    def clock_offset(self) -> OffsetRange | None:
        """Constant Contact's clock minus ours, as far as its answers' ``Date`` headers have
        told it (see :mod:`.server_clock`); None before any answer stated its date."""
        return self._session.server_clock.offset()

    async def _refresh(self, refresh_token: str) -> TokenSet:
        return await refresh_tokens(
            self._http,
            auth_base_url=self.connection.auth_base_url,
            client_id=self.connection.client_id,
            refresh_token=refresh_token,
            connection=self.connection.name,
        )

    def _count_refresh(self) -> None:
        self.stats.refreshes += 1

    async def _get(self, path: str, params: Params | None = None) -> Mapping[str, Any]:
        return await self._session.get_json(self._session.url(path), params)

    async def _post(
        self, path: str, body: bytes, *, retry_ambiguous: bool = True
    ) -> Mapping[str, Any]:
        response = await self._session.request(
            "POST", self._session.url(path), content=body, retry_ambiguous=retry_ambiguous
        )
        return self._session.json_of(response, "POST")

    async def _all(self, path: str, params: Params, items_key: str) -> list[Mapping[str, Any]]:
        items: list[Mapping[str, Any]] = []
        async for page in self._session.pages(path, params, items_key):
            items.extend(page)
        return items

    async def account_summary(self) -> AccountSummary:
        """Who this connection is signed in as (needs the ``account_read`` scope)."""
        return AccountSummary.from_json(await self._get("/account/summary"))

    async def contact_lists(self, *, include_membership_count: bool = True) -> list[ContactList]:
        """Every contact list of the account, all pages."""
        params: dict[str, str | int] = {"limit": LISTS_PAGE_LIMIT}
        if include_membership_count:
            params["include_membership_count"] = "all"
        items = await self._all("/contact_lists", params, "lists")
        return [_parse(ContactList.from_json, item, "contact list") for item in items]

    async def contact_list(self, list_id: str) -> ContactList:
        """One contact list; a malformed id is refused here, without calling the API."""
        list_id = _checked_id(list_id, "list id")
        body = await self._get(f"/contact_lists/{list_id}", {"include_membership_count": "all"})
        return _parse(ContactList.from_json, body, "contact list")

    async def create_contact_list(self, name: str, description: str = "") -> ContactList:
        """Create a list (a name already in use is a BadRequestError, 409)."""
        if not name.strip() or len(name) > MAX_LIST_NAME:
            raise UsageError(
                f"A list name must be 1 to {MAX_LIST_NAME} characters; got {len(name)}."
            )
        payload: dict[str, str | bool] = {"name": name, "favorite": False}
        if description.strip():  # "no description" is said by leaving the key out
            payload["description"] = description
        body = await self._post("/contact_lists", json.dumps(payload).encode())
        return _parse(ContactList.from_json, body, "contact list")

    async def custom_fields(self) -> list[CustomField]:
        """Every custom contact field of the account, all pages."""
        params = {"limit": CUSTOM_FIELDS_PAGE_LIMIT}
        items = await self._all("/contact_custom_fields", params, "custom_fields")
        return [_parse(CustomField.from_json, item, "custom field") for item in items]

    async def import_contacts_json(self, body: bytes, *, retry_ambiguous: bool = True) -> Activity:
        """Start a JSON import; ``body`` is the ready-made ``{"import_data":..,"list_ids":..}``.

        There is no idempotency key: a retry after an ambiguous failure (5xx, connection dropped
        after sending, timeout) may create a second activity. With ``retry_ambiguous=False``
        such a failure raises OutcomeUnknownError instead, so the caller can look for the
        activity before sending again (the engine's sender does).
        """
        response = await self._session.request(
            "POST",
            self._session.url("/activities/contacts_json_import"),
            content=body,
            retry_ambiguous=retry_ambiguous,
        )
        try:
            answer = self._session.json_of(response, "POST")
            return _parse(Activity.from_json, answer, "import activity")
        except ConstantContactError as exc:
            if retry_ambiguous:
                raise
            # A success answer (201, or 202 through a gateway) that is empty, not JSON or names
            # no activity: the import was taken, so its activity may exist; never send blindly.
            raise OutcomeUnknownError(
                f"{exc} It was a success answer ({response.status_code}), so the import may "
                "have been queued."
            ) from exc

    async def activity(self, activity_id: str) -> Activity:
        """The current state of a bulk activity; a malformed id is refused without a call."""
        activity_id = _checked_id(activity_id, "activity id")
        body = await self._get(f"/activities/{activity_id}")
        return _parse(Activity.from_json, body, "activity")

    async def activities(
        self, *, state: str | None = None, limit: int = ACTIVITIES_MAX_LIMIT
    ) -> list[Activity]:
        """The most recent activities (the first page only), optionally of one state."""
        params: dict[str, str | int] = {"limit": max(1, min(limit, ACTIVITIES_MAX_LIMIT))}
        if state:
            params["state"] = _checked_choice(
                state, ACTIVITY_STATE_FILTERS, "activity state filter"
            )
        body = await self._get("/activities", params)
        items = body.get("activities")
        return [
            _parse(Activity.from_json, item, "activity")
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, Mapping)
        ]

    async def activities_since(
        self,
        since: datetime,
        *,
        page_limit: int = ACTIVITIES_SEARCH_PAGE,
        max_pages: int = ACTIVITIES_SEARCH_MAX_PAGES,
    ) -> list[Activity]:
        """The account's activities created at or after ``since`` (timezone-aware), as listed.

        The swagger does not say in which order ``GET /activities`` lists them. While the pages
        read so far are newest first (as a real account's are seen to be), the walk stops at the
        first activity created before ``since``: the rest are older. In any other order every
        page is read, never more than ``max_pages`` of them. Activities without a
        ``created_at`` are kept (the caller decides what they may be).
        """
        params: dict[str, str | int] = {"limit": max(1, min(page_limit, ACTIVITIES_MAX_LIMIT))}
        found: list[Activity] = []
        newest_first = True
        last: datetime | None = None  # the creation time of the last activity read
        pages = self._session.pages("/activities", params, "activities")
        async with contextlib.aclosing(pages):
            read = 0
            async for page in pages:
                read += 1
                batch = [_parse(Activity.from_json, item, "activity") for item in page]
                found.extend(a for a in batch if a.created_at is None or a.created_at >= since)
                times = [t for t in (a.created_at for a in batch) if t is not None]
                for when in times:
                    newest_first = newest_first and (last is None or when <= last)
                    last = when
                older = any(when < since for when in times)
                if (older and newest_first) or not batch or read >= max_pages:
                    break
        return found

    async def contacts(
        self, *, email: str | None = None, list_id: str | None = None, status: str | None = None
    ) -> list[Contact]:
        """Contacts matching the filters, all pages, with their list memberships."""
        params: dict[str, str | int] = {
            "limit": CONTACTS_PAGE_LIMIT,
            "include": "list_memberships",
        }
        if email:
            params["email"] = _checked_email(email)
        if list_id:
            params["lists"] = _checked_id(list_id, "list id")
        if status:
            for part in status.split(","):
                _checked_choice(part, CONTACT_STATUS_FILTERS, "contact status")
            params["status"] = status
        items = await self._all("/contacts", params, "contacts")
        return [_parse(Contact.from_json, item, "contact") for item in items]
