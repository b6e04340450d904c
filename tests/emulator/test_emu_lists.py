"""Lists, custom fields, contacts and the account summary: shapes, filters and paging."""

from __future__ import annotations

from typing import Any

import httpx

from cc_tui.emulator.records import custom_field_name
from cc_tui.emulator.schema import check, definitions
from cc_tui.emulator.seed import DELETED_LIST, SEED_FIELDS, SEED_LISTS, list_id_for
from cc_tui.emulator.server import EmulatorServer
from tests.emulator.emu_helpers import HTTP, NEWSLETTER, VIP


def _shape_problems(body: Any, definition: str) -> list[str]:
    return check(body, definitions()[definition])


def test_lists_page_through_cursors_with_membership_counts(
    api: httpx.Client, fast_emulator: EmulatorServer
) -> None:
    params: dict[str, str | int] = {
        "limit": 4,
        "include_membership_count": "all",
        "include_count": "true",
    }
    first = api.get("/contact_lists", params=params)
    assert first.status_code == 200
    body = first.json()
    assert _shape_problems(body, "ContactListArray") == []
    assert body["lists_count"] == len(SEED_LISTS)
    assert len(body["lists"]) == 4
    href = body["_links"]["next"]["href"]
    assert href.startswith("/v3/contact_lists?cursor=")
    second = HTTP.get(fast_emulator.url + href, headers=api.headers).json()
    assert "_links" not in second
    names = [item["name"] for item in body["lists"] + second["lists"]]
    assert names == [name for name, _ in SEED_LISTS]
    for item in body["lists"] + second["lists"]:
        assert item["membership_count"] == len(fast_emulator.list_members(item["list_id"]))
        assert item["list_id"] == list_id_for(item["name"])


def test_list_filters_and_errors(api: httpx.Client) -> None:
    by_name = api.get("/contact_lists", params={"name": "VIP customers"}).json()["lists"]
    assert [item["list_id"] for item in by_name] == [VIP]
    assert "membership_count" not in by_name[0]
    deleted = api.get("/contact_lists", params={"status": "deleted"}).json()["lists"]
    assert [item["name"] for item in deleted] == [DELETED_LIST[0]]
    assert "deleted_at" in deleted[0]
    every = api.get("/contact_lists", params={"status": "all"}).json()["lists"]
    assert len(every) == len(SEED_LISTS) + 1
    for params in ({"limit": 0}, {"limit": 501}, {"limit": "x"}, {"status": "gone"}):
        bad = api.get("/contact_lists", params=params)
        assert bad.status_code == 400
        assert bad.json()[0]["error_key"] == "contacts.api.validation.error"
    assert api.get("/contact_lists", params={"cursor": "garbage!"}).status_code == 400
    # The swagger's schema says 1000, its text says 500: the text wins (api-rules section 1).
    refused = api.get("/contact_lists", params={"limit": 1000})
    assert refused.status_code == 400
    assert refused.json()[0]["error_message"] == "limit must be a whole number from 1 to 500"
    assert api.get("/contact_lists", params={"limit": 500}).status_code == 200
    both = api.get("/contact_lists", params={"status": "active,deleted"}).json()["lists"]
    assert len(both) == len(every)


def test_one_list_and_creating_lists(api: httpx.Client) -> None:
    one = api.get(f"/contact_lists/{VIP}", params={"include_membership_count": "active"})
    assert one.status_code == 200
    assert one.json()["favorite"] is True
    assert one.json()["membership_count"] > 0
    assert api.get("/contact_lists/not-a-uuid").status_code == 400
    missing = api.get("/contact_lists/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.json()[0]["error_key"] == "contacts.api.not_found"
    created = api.post("/contact_lists", json={"name": "Autumn promo", "description": "Fall"})
    assert created.status_code == 201
    assert _shape_problems(created.json(), "ContactList") == []
    assert created.json()["favorite"] is False
    again = api.post("/contact_lists", json={"name": "Autumn promo"})
    assert again.status_code == 409
    assert isinstance(again.json(), list)
    assert api.post("/contact_lists", json={"description": "no name"}).status_code == 400
    as_text = api.post("/contact_lists", content=b"name=x", headers={"Content-Type": "text/plain"})
    assert as_text.status_code == 415


def test_custom_fields(api: httpx.Client) -> None:
    body = api.get("/contact_custom_fields").json()
    assert _shape_problems(body, "CustomFields") == []
    names = [item["name"] for item in body["custom_fields"]]
    assert names == [custom_field_name(seeded.label) for seeded in SEED_FIELDS]
    assert names[:3] == ["loyalty_tier", "favorite_store", "customer_since"]
    created = api.post("/contact_custom_fields", json={"label": "Shoe size EU", "type": "string"})
    assert created.status_code == 201
    assert created.json()["name"] == "Shoe_size_EU"
    assert created.json()["label"] == "Shoe size EU"
    duplicate = api.post("/contact_custom_fields", json={"label": "Shoe size EU", "type": "string"})
    assert duplicate.status_code == 409
    paged = api.get("/contact_custom_fields", params={"limit": 2}).json()
    assert len(paged["custom_fields"]) == 2
    assert "next" in paged["_links"]
    assert api.get("/contact_custom_fields", params={"limit": 101}).status_code == 400
    assert api.post("/contact_custom_fields", json={"label": "x"}).status_code == 400


def test_custom_fields_have_types_metadata_and_choices(api: httpx.Client) -> None:
    fields = {
        item["name"]: item
        for item in api.get("/contact_custom_fields", params={"limit": 100}).json()["custom_fields"]
    }
    assert {item["type"] for item in fields.values()} >= {
        "string", "date", "number", "currency", "single_select", "multi_select"
    }  # fmt: skip
    assert fields["customer_since"]["type"] == "date"
    assert fields["lifetime_value"]["metadata"] == {
        "allow_negative": False,
        "integer": False,
        "decimal_places": 2,
    }
    assert fields["store_visits"]["metadata"]["integer"] is True
    sizes = fields["shirt_size"]
    assert sizes["type"] == "single_select"
    assert [choice["choice_label"] for choice in sizes["choices"]] == ["XS", "S", "M", "L", "XL"]
    assert [choice["display_order"] for choice in sizes["choices"]] == [1, 2, 3, 4, 5]
    assert fields["interests"]["type"] == "multi_select"
    assert "choices" not in fields["loyalty_tier"]
    grosse = fields["Größe"]
    assert (grosse["label"], grosse["type"]) == ("Größe", "string")


def test_creating_typed_custom_fields(api: httpx.Client) -> None:
    choices = [{"choice_label": "Yes", "display_order": 1}, {"choice_label": "No"}]
    made = api.post(
        "/contact_custom_fields",
        json={"label": "Newsletter opt", "type": "single_select", "choices": choices},
    )
    assert made.status_code == 201, made.text
    assert [item["choice_label"] for item in made.json()["choices"]] == ["Yes", "No"]
    assert _shape_problems(made.json(), "CustomField") == []
    number = {"label": "Weight", "type": "number", "metadata": {"decimal_places": 1}}
    assert api.post("/contact_custom_fields", json=number).status_code == 201
    for bad in (
        {"label": "A", "type": "single_select"},  # choices are required
        {"label": "B", "type": "single_select", "choices": []},
        {"label": "C", "type": "single_select", "choices": [{"choice_label": ""}]},
        {"label": "D", "type": "multi_select", "choices": [{"choice_label": "x"}] * 2},
        {"label": "E", "type": "string", "choices": [{"choice_label": "x"}]},
        {"label": "F", "type": "number", "metadata": {"decimal_places": "2"}},
        {"label": "G", "type": "number", "metadata": {"decimal_places": 5}},
        {"label": "H", "type": "number", "metadata": {"integer": False}},
        {"label": "I", "type": "number", "metadata": {"colour": "red"}},
        {"label": "J", "type": "number", "metadata": []},
    ):
        refused = api.post("/contact_custom_fields", json=bad)
        assert refused.status_code == 400, bad
        assert refused.json()[0]["error_key"] == "contacts.api.validation.error"


def test_custom_fields_are_capped_at_100(api: httpx.Client) -> None:
    for number in range(100 - len(SEED_FIELDS)):
        api.post("/contact_custom_fields", json={"label": f"Field {number}", "type": "string"})
    refused = api.post("/contact_custom_fields", json={"label": "One too many", "type": "string"})
    assert refused.status_code == 400
    assert "100" in refused.json()[0]["error_message"]


def test_account_summary(api: httpx.Client) -> None:
    body = api.get("/account/summary").json()
    assert _shape_problems(body, "Customer") == []
    assert body["organization_name"] == "Riverside Outfitters"
    assert body["encoded_account_id"]


def test_contacts_filters_and_paging(api: httpx.Client, fast_emulator: EmulatorServer) -> None:
    members = fast_emulator.list_members(NEWSLETTER)
    params: dict[str, str | int] = {
        "lists": NEWSLETTER,
        "limit": 50,
        "include_count": "true",
        "include": "list_memberships",
    }
    first = api.get("/contacts", params=params).json()
    assert first["contacts_count"] == len(members)
    seen = [item["email_address"]["address"] for item in first["contacts"]]
    href = first["_links"]["next"]["href"]
    while href:
        page = HTTP.get(fast_emulator.url + href, headers=api.headers).json()
        seen += [item["email_address"]["address"] for item in page["contacts"]]
        assert all(NEWSLETTER in item["list_memberships"] for item in page["contacts"])
        href = page.get("_links", {}).get("next", {}).get("href")
    assert sorted(seen) == sorted(members)
    one_email = sorted(members)[0]
    found = api.get("/contacts", params={"email": one_email.upper(), "include": "custom_fields"})
    contact = found.json()["contacts"][0]
    assert contact["email_address"]["address"] == one_email
    assert {field["custom_field_id"] for field in contact["custom_fields"]}
    assert api.get("/contacts", params={"limit": 501}).status_code == 400
    assert api.get("/contacts", params={"include": "bogus"}).status_code == 400
    assert api.get("/contacts", params={"lists": "not-a-uuid"}).status_code == 400


def test_contact_status_filter(api: httpx.Client) -> None:
    unsubscribed = api.get("/contacts", params={"status": "unsubscribed", "limit": 500}).json()
    addresses = [item["email_address"] for item in unsubscribed["contacts"]]
    assert addresses
    assert {item["permission_to_send"] for item in addresses} == {"unsubscribed"}
    assert all("opt_out_date" in item for item in addresses)
    active = api.get("/contacts", params={"status": "active", "include_count": "true"}).json()
    every = api.get("/contacts", params={"include_count": "true"}).json()
    assert active["contacts_count"] + len(addresses) == every["contacts_count"]
    assert api.get("/contacts", params={"status": "deleted"}).json()["contacts"] == []


def test_unknown_api_paths_answer_in_the_array_shape(api: httpx.Client) -> None:
    missing = api.get("/no_such_thing")
    assert missing.status_code == 404
    assert missing.json()[0]["error_key"] == "contacts.api.not_found"


def test_one_list_with_membership_count_and_members_dropped_for_tests(
    api: httpx.Client, fast_emulator: EmulatorServer
) -> None:
    members = sorted(fast_emulator.list_members(VIP))
    assert len(members) >= 3
    url = f"/contact_lists/{VIP}"
    counted = api.get(url, params={"include_membership_count": "all"}).json()
    assert counted["membership_count"] == len(members)
    assert "membership_count" not in api.get(url).json()
    for value in ("yes", "ALL", ""):
        refused = api.get(url, params={"include_membership_count": value})
        assert refused.status_code == 400, value

    drop = fast_emulator.url + f"/__emulator/lists/{VIP}/drop"
    assert HTTP.post(drop, json={"emails": members[:2]}).json() == {"dropped": 2}
    assert HTTP.post(drop, json={"emails": members[:2]}).json() == {"dropped": 0}
    after = api.get(url, params={"include_membership_count": "all"}).json()
    assert after["membership_count"] == len(members) - 2
    found = api.get("/contacts", params={"email": members[0], "include": "list_memberships"})
    (contact,) = found.json()["contacts"]
    assert VIP not in contact.get("list_memberships", [])
    assert HTTP.post(drop, json={"count": 1}).json() == {"dropped": 1}
    for body in ({}, {"count": -1}, {"emails": "a@b.example"}):
        assert HTTP.post(drop, json=body).status_code == 400, body
    unknown = fast_emulator.url + "/__emulator/lists/00000000-0000-0000-0000-000000000000/drop"
    assert HTTP.post(unknown, json={"count": 1}).status_code == 404


def test_ids_match_exactly_in_the_lower_case_form_the_api_gives(api: httpx.Client) -> None:
    # docs/api-rules.md section 3 (assumed, strict): an upper-case spelling of an existing id is
    # no id the account knows, and an import naming one list twice is refused.
    assert NEWSLETTER.islower()
    assert api.get(f"/contact_lists/{NEWSLETTER}").status_code == 200
    assert api.get(f"/contact_lists/{NEWSLETTER.upper()}").status_code == 404
    contact = {"email": "case@example.com"}
    for list_ids, status in (
        ([NEWSLETTER.upper()], 400),
        ([NEWSLETTER, NEWSLETTER], 400),
        ([NEWSLETTER, VIP], 201),
    ):
        answer = api.post(
            "/activities/contacts_json_import",
            json={"import_data": [contact], "list_ids": list_ids},
        )
        assert answer.status_code == status, (list_ids, answer.text)


def test_a_new_list_says_no_description_by_leaving_the_key_out(api: httpx.Client) -> None:
    for description in ("", "   "):
        answer = api.post("/contact_lists", json={"name": "Blank", "description": description})
        assert answer.status_code == 400, description
    assert api.post("/contact_lists", json={"name": "Blank"}).status_code == 201
