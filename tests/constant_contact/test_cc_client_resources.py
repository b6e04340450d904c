"""Lists, custom fields, contacts, activities and imports over a mocked API, with paging."""

from __future__ import annotations

import json

import httpx
import pytest

from cc_tui.errors import BadRequestError, ConstantContactError, UsageError
from tests.constant_contact.cc_fakes import MockApi, make_client, reply

LIST_IDS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(7)]
ACTIVITY_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"


def lists_page(ids: list[str], next_href: str | None) -> dict[str, object]:
    body: dict[str, object] = {
        "lists": [{"list_id": i, "name": f"List {i[-2:]}", "membership_count": 3} for i in ids],
        "lists_count": len(LIST_IDS),
    }
    if next_href:
        body["_links"] = {"next": {"href": next_href}}
    return body


def paged_lists(request: httpx.Request) -> httpx.Response:
    cursor = request.url.params.get("cursor")
    pages = {
        None: (LIST_IDS[:3], "/v3/contact_lists?cursor=c2&limit=500"),
        "c2": (LIST_IDS[3:6], "/v3/contact_lists?cursor=c3&limit=500"),
        "c3": (LIST_IDS[6:], None),
    }
    ids, href = pages[cursor]
    return httpx.Response(200, json=lists_page(ids, href))


async def test_contact_lists_follows_every_page() -> None:
    api = MockApi().on("GET", "/v3/contact_lists", paged_lists)
    client = make_client(api)
    lists = await client.contact_lists()
    assert [item.list_id for item in lists] == LIST_IDS
    assert lists[0].membership_count == 3
    first, second, third = api.requests
    assert dict(first.url.params) == {"limit": "500", "include_membership_count": "all"}
    assert second.url.params["cursor"] == "c2"
    assert str(third.url).startswith("https://api.example.test/v3/contact_lists?cursor=c3")
    assert client.stats.requests == 3


async def test_membership_counts_are_optional() -> None:
    api = MockApi().on("GET", "/v3/contact_lists", reply(200, lists_page(LIST_IDS[:1], None)))
    await make_client(api).contact_lists(include_membership_count=False)
    assert dict(api.requests[0].url.params) == {"limit": "500"}


async def test_a_paging_link_to_another_host_is_not_followed() -> None:
    href = "https://evil.example.net/v3/contact_lists?cursor=2"
    api = MockApi().on("GET", "/v3/contact_lists", reply(200, lists_page(LIST_IDS[:1], href)))
    with pytest.raises(ConstantContactError, match="another host"):
        await make_client(api).contact_lists()
    assert len(api.requests) == 1


async def test_a_paging_loop_is_stopped() -> None:
    href = "/v3/contact_lists?cursor=same"
    api = MockApi().on("GET", "/v3/contact_lists", reply(200, lists_page(LIST_IDS[:1], href)))
    with pytest.raises(ConstantContactError, match=r"loops|repeats the same page"):
        await make_client(api).contact_lists()
    assert len(api.requests) == 2


async def test_one_contact_list() -> None:
    body = {"list_id": LIST_IDS[0], "name": "VIP", "membership_count": 9}
    api = MockApi().on("GET", f"/v3/contact_lists/{LIST_IDS[0]}", reply(200, body))
    found = await make_client(api).contact_list(LIST_IDS[0])
    assert (found.name, found.membership_count) == ("VIP", 9)


async def test_create_contact_list() -> None:
    body = {"list_id": LIST_IDS[1], "name": "New", "favorite": False}
    api = MockApi().on("POST", "/v3/contact_lists", reply(201, body))
    created = await make_client(api).create_contact_list("New", "from a test")
    assert created.list_id == LIST_IDS[1]
    sent = api.requests[0]
    assert json.loads(sent.content) == {
        "name": "New",
        "description": "from a test",
        "favorite": False,
    }
    assert sent.headers["content-type"] == "application/json"


async def test_a_duplicate_list_name_is_a_bad_request() -> None:
    conflict = reply(409, [{"error_key": "conflict", "error_message": "Name already exists"}])
    api = MockApi().on("POST", "/v3/contact_lists", conflict)
    with pytest.raises(BadRequestError, match="Name already exists"):
        await make_client(api).create_contact_list("Taken")


async def test_custom_fields_pages() -> None:
    def fields(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor") == "p2":
            return httpx.Response(
                200, json={"custom_fields": [{"custom_field_id": LIST_IDS[1], "name": "b"}]}
            )
        return httpx.Response(
            200,
            json={
                "custom_fields": [{"custom_field_id": LIST_IDS[0], "name": "a", "label": "A"}],
                "_links": {"next": {"href": "/v3/contact_custom_fields?cursor=p2"}},
            },
        )

    api = MockApi().on("GET", "/v3/contact_custom_fields", fields)
    found = await make_client(api).custom_fields()
    assert [f.name for f in found] == ["a", "b"]
    assert api.requests[0].url.params["limit"] == "100"


async def test_contacts_filters_and_pages() -> None:
    contact = {
        "contact_id": ACTIVITY_ID,
        "email_address": {"address": "a@example.com", "permission_to_send": "implicit"},
        "list_memberships": [LIST_IDS[0]],
    }
    api = MockApi().on("GET", "/v3/contacts", reply(200, {"contacts": [contact]}))
    found = await make_client(api).contacts(
        email="a@example.com", list_id=LIST_IDS[0], status="all"
    )
    assert found[0].list_memberships == (LIST_IDS[0],)
    assert dict(api.requests[0].url.params) == {
        "limit": "500",
        "include": "list_memberships",
        "email": "a@example.com",
        "lists": LIST_IDS[0],
        "status": "all",
    }


async def test_import_posts_the_body_as_is() -> None:
    payload = (
        b'{"import_data":[{"email":"a@example.com"}],"list_ids":["' + LIST_IDS[0].encode() + b'"]}'
    )
    answer = {
        "activity_id": ACTIVITY_ID,
        "state": "initialized",
        "status": {"items_total_count": 1},
        "_links": {"self": {"href": f"/v3/activities/{ACTIVITY_ID}"}},
    }
    api = MockApi().on("POST", "/v3/activities/contacts_json_import", reply(201, answer))
    client = make_client(api)
    activity = await client.import_contacts_json(payload)
    assert activity.activity_id == ACTIVITY_ID
    assert api.requests[0].content == payload
    assert api.requests[0].headers["content-type"] == "application/json"
    assert client.stats.bytes_sent == len(payload)
    assert client.stats.bytes_received > 0


async def test_activity_and_recent_activities() -> None:
    done = {"activity_id": ACTIVITY_ID, "state": "completed", "percent_done": 100}
    api = MockApi().on("GET", f"/v3/activities/{ACTIVITY_ID}", reply(200, done))
    api.on(
        "GET",
        "/v3/activities",
        reply(200, {"activities": [done], "_links": {"next": {"href": "/v3/activities?c=2"}}}),
    )
    client = make_client(api)
    assert (await client.activity(ACTIVITY_ID)).is_final
    recent = await client.activities(state="completed", limit=9_999)
    assert [a.activity_id for a in recent] == [ACTIVITY_ID]
    assert dict(api.requests[1].url.params) == {"limit": "500", "state": "completed"}
    assert len(api.requests) == 2  # the first page only


@pytest.mark.parametrize("bad_id", ["../contact_lists", "", "act-1", ACTIVITY_ID + "x"])
async def test_a_malformed_activity_id_is_refused_without_a_request(bad_id: str) -> None:
    # The emulator (like a strict server) answers 400 to a non-UUID activity id; the client
    # says so itself, and nothing can escape the /activities/ path.
    api = MockApi()
    with pytest.raises(UsageError, match="activity id"):
        await make_client(api).activity(bad_id)
    assert api.requests == []


async def test_a_list_without_id_is_a_clear_error() -> None:
    api = MockApi().on("GET", "/v3/contact_lists", reply(200, {"lists": [{"name": "x"}]}))
    with pytest.raises(ConstantContactError, match="list_id"):
        await make_client(api).contact_lists()
