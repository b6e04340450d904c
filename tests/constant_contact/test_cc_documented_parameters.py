"""Every request the client makes stays within the swagger's documented TEXT (docs/api-rules.md
§1): page sizes (lists 1-500 although the schema says 1000, custom fields 1-100, contacts and
activities 1-500), enumerated values, and no parameter the text does not list.

The API here is a mock that refuses, with 400, whatever that text refuses; every public method
of the client is run against it, and a guard fails when a new method is not."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.constant_contact.limiter import RateLimiter
from tests.constant_contact.cc_fakes import API, make_client

LIST_ID = "00000000-0000-4000-8000-000000000001"
ACTIVITY_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"
SECOND_ID = "00000000-0000-4000-8000-000000000002"
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_MAX_LIST_IDS = 25  # GET /contacts: "lists" takes up to 25 list ids


def _limit(maximum: int) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        return value.isdigit() and 1 <= int(value) <= maximum

    return check


def _one_of(*allowed: str) -> Callable[[str], bool]:
    return lambda value: value in allowed


def _each_of(*allowed: str) -> Callable[[str], bool]:
    return lambda value: all(part in allowed for part in value.split(","))


def _list_ids(value: str) -> bool:
    ids = value.split(",")
    return 1 <= len(ids) <= _MAX_LIST_IDS and all(re.fullmatch(_UUID, i) for i in ids)


def _boolean(value: str) -> bool:
    return value in {"true", "false"}


def _anything(value: str) -> bool:
    return bool(value)


# Query parameters the swagger's text documents for each endpoint the client uses, and what
# the text allows for each (the stricter of text and schema).
_MEMBERSHIP = _one_of("all", "active")
DOCUMENTED: dict[tuple[str, str], dict[str, Callable[[str], bool]]] = {
    ("GET", "/contact_lists"): {
        "limit": _limit(500),  # the text; the schema's maximum says 1000
        "include_count": _boolean,
        "include_membership_count": _MEMBERSHIP,
        "name": _anything,
        "status": _one_of("all", "active", "deleted"),
        "cursor": _anything,
    },
    ("GET", "/contact_lists/{id}"): {"include_membership_count": _MEMBERSHIP},
    ("POST", "/contact_lists"): {},
    ("GET", "/contact_custom_fields"): {"limit": _limit(100), "cursor": _anything},
    ("GET", "/contacts"): {
        "limit": _limit(500),
        "status": _one_of(
            "all",
            "active",
            "deleted",
            "not_set",
            "pending_confirmation",
            "temp_hold",
            "unsubscribed",
        ),
        "email": _anything,
        "lists": _list_ids,
        "include": _each_of(
            "custom_fields",
            "list_memberships",
            "phone_numbers",
            "street_addresses",
            "taggings",
            "notes",
        ),
        "include_count": _boolean,
        "cursor": _anything,
    },
    ("GET", "/activities"): {
        "limit": _limit(500),
        "state": _one_of("processing", "completed", "cancelled", "failed", "timed_out"),
        "cursor": _anything,
    },
    ("GET", "/activities/{id}"): {},
    ("POST", "/activities/contacts_json_import"): {},
    ("GET", "/account/summary"): {},
}


def _route(path: str) -> str:
    return re.sub(f"/{_UUID}$", "/{id}", path.removeprefix("/v3"))


def _refused(message: str) -> httpx.Response:
    body = [{"error_key": "contacts.api.validation.error", "error_message": message}]
    return httpx.Response(400, json=body)


class StrictApi:
    """Answers like Constant Contact when the query is within the documented text; 400 when
    not. Collections come in two pages, the second behind a ``_links.next`` cursor."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = _route(request.url.path)
        allowed = DOCUMENTED.get((request.method, route))
        if allowed is None:
            return httpx.Response(404, json=[{"error_key": "not_found", "error_message": route}])
        for name, value in request.url.params.multi_items():
            check = allowed.get(name)
            if check is None:
                return _refused(f"{name} is not a parameter of {request.method} {route}")
            if not check(value):
                return _refused(f"{name}={value!r} is not allowed for {request.method} {route}")
        return httpx.Response(200 if request.method == "GET" else 201, json=self._body(request))

    def _body(self, request: httpx.Request) -> Mapping[str, Any]:
        route = _route(request.url.path)
        cursor = request.url.params.get("cursor")
        page: Mapping[str, Any] = {}
        if cursor is None and request.method == "GET" and "limit" in DOCUMENTED[("GET", route)]:
            # The next page's link keeps the page size, as a server's cursor link does.
            query = httpx.QueryParams({"cursor": "page-2", **dict(request.url.params)})
            page = {"_links": {"next": {"href": f"/v3{route}?{query}"}}}
        one_list = {"list_id": LIST_ID, "name": "News"}
        if request.method == "POST" and route == "/contact_lists":
            return one_list
        # The second page holds other items, as a real one does (a page that repeats the one
        # before is refused by the client as a paging loop).
        item_id = LIST_ID if cursor is None else SECOND_ID
        activity_id = ACTIVITY_ID if cursor is None else SECOND_ID
        bodies: dict[str, Mapping[str, Any]] = {
            "/contact_lists": {"lists": [{**one_list, "list_id": item_id}], **page},
            "/contact_lists/{id}": one_list,
            "/contact_custom_fields": {
                "custom_fields": [{"custom_field_id": item_id, "name": "size", "type": "string"}],
                **page,
            },
            "/contacts": {"contacts": [{"contact_id": item_id}], **page},
            "/activities": {"activities": [{"activity_id": activity_id}], **page},
            "/activities/{id}": {"activity_id": ACTIVITY_ID, "state": "completed"},
            "/activities/contacts_json_import": {"activity_id": ACTIVITY_ID},
            "/account/summary": {"organization_name": "Test"},
        }
        return bodies[route]


Call = Callable[[ConstantContactClient], Awaitable[object]]
BODY = json.dumps({"import_data": [{"email": "a@example.com"}], "list_ids": [LIST_ID]}).encode()

# Every way the client's methods are called (connection login/test, lists, the export form and
# runs all go through them), with the arguments that change what they send.
CALLS: dict[str, list[Call]] = {
    "account_summary": [lambda c: c.account_summary()],
    "contact_lists": [
        lambda c: c.contact_lists(),
        lambda c: c.contact_lists(include_membership_count=False),
    ],
    "contact_list": [lambda c: c.contact_list(LIST_ID)],
    "create_contact_list": [lambda c: c.create_contact_list("News", "the newsletter")],
    "custom_fields": [lambda c: c.custom_fields()],
    "import_contacts_json": [lambda c: c.import_contacts_json(BODY)],
    "activity": [lambda c: c.activity(ACTIVITY_ID)],
    "activities": [
        lambda c: c.activities(),
        lambda c: c.activities(state="completed"),
        *(
            (lambda c, n=limit: c.activities(limit=n))
            for limit in (-5, 0, 1, 50, 500, 501, 1000, 10**9)
        ),
    ],
    "activities_since": [
        lambda c: c.activities_since(datetime(2026, 1, 1, tzinfo=UTC)),
        *(
            (lambda c, n=limit: c.activities_since(datetime(2026, 1, 1, tzinfo=UTC), page_limit=n))
            for limit in (-5, 0, 1, 500, 501, 10**9)
        ),
    ],
    "contacts": [
        lambda c: c.contacts(),
        lambda c: c.contacts(email="a@example.com", list_id=LIST_ID, status="unsubscribed"),
    ],
}


def test_every_api_method_of_the_client_is_exercised() -> None:
    methods = {
        name
        for name, member in inspect.getmembers(ConstantContactClient, inspect.iscoroutinefunction)
        if not name.startswith("_") and name != "aclose"
    }
    assert methods == set(CALLS)


PARAMS = [
    pytest.param(call, id=f"{name}-{n}")
    for name, calls in CALLS.items()
    for n, call in enumerate(calls)
]


@pytest.mark.parametrize("call", PARAMS)
async def test_every_request_stays_within_the_documented_text(call: Call) -> None:
    api = StrictApi()
    limiter = RateLimiter(max_requests=10_000)
    async with make_client(httpx.MockTransport(api), limiter=limiter) as client:
        await call(client)  # a refused request raises BadRequestError
    assert api.requests
    assert limiter.departures == len(api.requests)  # each passed the limiter's wire check


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/contact_lists", "limit=1000"),  # what the swagger's schema allows
        ("/contact_lists", "limit=501"),
        ("/contact_lists", "include_membership_count=yes"),
        ("/contact_custom_fields", "limit=101"),
        ("/contacts", "limit=0"),
        ("/contacts", "include=everything"),
        ("/activities", "limit=501"),
        ("/activities", "state=done"),
        ("/activities", "page=2"),
    ],
)
def test_the_strict_api_refuses_what_the_text_refuses(path: str, query: str) -> None:
    response = StrictApi()(httpx.Request("GET", f"{API}{path}?{query}"))
    assert response.status_code == 400
