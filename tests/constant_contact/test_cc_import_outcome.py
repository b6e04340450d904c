"""Imports whose outcome is unknown are not retried blindly; recent activities are paged back
to a given time (MockTransport)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cc_tui.errors import BadRequestError, OutcomeUnknownError, ServerError
from tests.constant_contact.cc_fakes import MockApi, make_client, reply

Handler = Callable[[httpx.Request], httpx.Response]
IMPORT = "/v3/activities/contacts_json_import"
BODY = b'{"import_data":[{"email":"a@example.com"}],"list_ids":["x"]}'
CREATED = {"activity_id": "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a", "state": "initialized"}
SERVER_ERROR = reply(500, [{"error_key": "server_error", "error_message": "internal"}])
THROTTLED = reply(429, {"error_key": "throttled", "error_message": "Too Many Requests"})


def raising(error: type[httpx.TransportError]) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        raise error("no answer", request=request)

    return handle


@pytest.mark.parametrize(
    "failure",
    [
        SERVER_ERROR,
        raising(httpx.RemoteProtocolError),
        raising(httpx.ReadTimeout),
        raising(httpx.ReadError),
        raising(httpx.WriteTimeout),
    ],
    ids=["500", "dropped", "read-timeout", "read-error", "write-timeout"],
)
async def test_an_ambiguous_failure_of_an_import_is_left_to_the_caller(failure: Handler) -> None:
    api = MockApi().on("POST", IMPORT, failure, reply(201, CREATED))
    client = make_client(api)
    with pytest.raises(OutcomeUnknownError, match="may or may not"):
        await client.import_contacts_json(BODY, retry_ambiguous=False)
    assert len(api.calls("POST", IMPORT)) == 1 and client.stats.retries == 0


@pytest.mark.parametrize(
    "first",
    [THROTTLED, raising(httpx.ConnectError), raising(httpx.ConnectTimeout)],
    ids=["throttled", "refused", "connect-timeout"],
)
async def test_what_never_reached_the_server_is_still_retried(first: Handler) -> None:
    api = MockApi().on("POST", IMPORT, first, reply(201, CREATED))
    activity = await make_client(api).import_contacts_json(BODY, retry_ambiguous=False)
    assert activity.activity_id == CREATED["activity_id"]
    assert len(api.calls("POST", IMPORT)) == 2


async def test_a_clear_refusal_is_raised_as_it_is() -> None:
    bad = reply(400, [{"error_key": "json.field.invalid", "error_message": "list_ids"}])
    api = MockApi().on("POST", IMPORT, bad)
    with pytest.raises(BadRequestError):
        await make_client(api).import_contacts_json(BODY, retry_ambiguous=False)


async def test_other_calls_still_retry_server_errors() -> None:
    api = MockApi().on("POST", IMPORT, SERVER_ERROR, reply(201, CREATED))
    await make_client(api).import_contacts_json(BODY)  # the default: the session retries
    assert len(api.calls("POST", IMPORT)) == 2
    api = MockApi().on("POST", IMPORT, SERVER_ERROR)
    with pytest.raises(ServerError):
        await make_client(api).import_contacts_json(BODY)


async def test_activities_since_pages_back_until_an_older_activity() -> None:
    since = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)

    def activity(n: int, minutes: float) -> dict[str, object]:
        created = (since + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
        return {"activity_id": f"00000000-0000-0000-0000-{n:012d}", "state": "completed",
                "created_at": created}  # fmt: skip

    pages = [
        {"activities": [activity(1, 5), activity(2, 4)],
         "_links": {"next": {"href": "/v3/activities?cursor=2"}}},
        {"activities": [activity(3, 1), activity(4, -1)],
         "_links": {"next": {"href": "/v3/activities?cursor=3"}}},
        {"activities": [activity(5, -2)]},
    ]  # fmt: skip
    api = MockApi().on("GET", "/v3/activities", *(reply(200, page) for page in pages))
    found = await make_client(api).activities_since(since, page_limit=2)
    assert [a.activity_id[-1] for a in found] == ["1", "2", "3"]
    assert len(api.calls("GET", "/v3/activities")) == 2  # the third page is older still
    assert api.requests[0].url.params["limit"] == "2"


async def test_activities_since_reads_on_when_they_are_not_listed_newest_first() -> None:
    # The swagger states no order: oldest first, the new ones are on the last pages.
    since = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)

    def activity(n: int, minutes: float) -> dict[str, object]:
        created = (since + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
        return {"activity_id": f"00000000-0000-0000-0000-{n:012d}", "state": "completed",
                "created_at": created}  # fmt: skip

    pages = [
        {"activities": [activity(1, -9), activity(2, -8)],
         "_links": {"next": {"href": "/v3/activities?cursor=2"}}},
        {"activities": [activity(3, -1), activity(4, 2)],
         "_links": {"next": {"href": "/v3/activities?cursor=3"}}},
        {"activities": [activity(5, 3)]},
    ]  # fmt: skip
    api = MockApi().on("GET", "/v3/activities", *(reply(200, page) for page in pages))
    found = await make_client(api).activities_since(since, page_limit=2)
    assert [a.activity_id[-1] for a in found] == ["4", "5"]
    assert len(api.calls("GET", "/v3/activities")) == 3


async def test_a_408_from_a_proxy_is_retried_and_leaves_an_import_in_doubt() -> None:
    # RFC 9110 15.5.9: the client may repeat a request that timed out; an import it ended may
    # still have been queued behind the proxy, so it is looked for, never re-sent blindly.
    timeout = reply(408, text="<html><body><h1>408 Request Time-out</h1></body></html>")
    api = MockApi().on("GET", "/v3/account/summary", timeout, reply(200, {}))
    await make_client(api).account_summary()
    assert len(api.calls("GET", "/v3/account/summary")) == 2
    api = MockApi().on("POST", IMPORT, timeout)
    with pytest.raises(OutcomeUnknownError, match="408"):
        await make_client(api).import_contacts_json(BODY, retry_ambiguous=False)
    assert len(api.calls("POST", IMPORT)) == 1
