"""contacts_json_import: strict validation, truncation, caps, processing and activities."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from cc_tui.emulator.schema import check, definitions
from cc_tui.emulator.server import EmulatorServer
from tests.emulator.emu_helpers import (
    FAST,
    NEWSLETTER,
    VIP,
    StartEmulator,
    api_client,
    import_contacts,
    wait_for_activity,
)

IMPORT = "/activities/contacts_json_import"


def _post(client: httpx.Client, body: Any) -> httpx.Response:
    return client.post(IMPORT, json=body)


def _error_messages(response: httpx.Response) -> list[str]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body, list)
    assert {item["error_key"] for item in body} == {"contacts.api.validation.error"}
    return [item["error_message"] for item in body]


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        ({"email": "a@example.com", "first_name": 5}, "import_data[1].first_name: expected string"),
        ({"email": "a@example.com", "nickname": "Al"}, "import_data[1].nickname: unknown property"),
        ({"email": "a@example.com", "birthday_month": "5"}, "import_data[1].birthday_month: exp"),
        ({"email": "a@example.com", "birthday_month": 5.0}, "import_data[1].birthday_month: exp"),
        ({"email": "a@example.com", "birthday_day": True}, "import_data[1].birthday_day: expec"),
        ({"email": "a@example.com", "cf:shoe_size": "9"}, "import_data[1].cf:shoe_size: no cus"),
        # Custom field names are matched exactly: the account has Größe, not größe.
        ({"email": "a@example.com", "cf:größe": "9"}, "import_data[1].cf:größe: no custom"),
        ({"email": "a@example.com", "cf:loyalty_tier": 3}, "import_data[1].cf:loyalty_tier: ex"),
        ("a@example.com", "import_data[1]: expected object"),
        # null is never allowed: "absent" is said by leaving the key out.
        ({"email": "a@example.com", "first_name": None}, "import_data[1].first_name: null is"),
        ({"email": None, "sms_number": "5555555555"}, "import_data[1].email: null is not"),
        ({"email": "a@example.com", "cf:Größe": None}, "import_data[1].cf:Größe: null is not"),
        ({"email": "a@example.com", "birthday_day": None}, "import_data[1].birthday_day: null"),
        # Nor is an empty or all-blank string.
        ({"email": "a@example.com", "last_name": ""}, "import_data[1].last_name: an empty or"),
        ({"email": "a@example.com", "city": " \t "}, "import_data[1].city: an empty or blank"),
        ({"email": ""}, "import_data[1].email: an empty or blank"),
        # A contact needs an email or an sms_number.
        ({"first_name": "No address"}, "import_data[1]: needs an email or an sms_number"),
        ({}, "import_data[1]: needs an email or an sms_number"),
    ],
)
def test_a_contact_that_breaks_the_structure_is_a_400_naming_its_path(
    api: httpx.Client, fast_emulator: EmulatorServer, contact: Any, expected: str
) -> None:
    body: dict[str, Any] = {
        "import_data": [{"email": "ok@example.com"}, contact],
        "list_ids": [NEWSLETTER],
    }
    if isinstance(contact, dict) and "sms_number" in contact:
        body["sms_permission_to_send"] = "not_set"  # as importing SMS numbers must
    messages = _error_messages(_post(api, body))
    assert any(message.startswith(expected) for message in messages), messages
    assert fast_emulator.stats()["activities_created"] == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"import_data": [{"email": "a@example.com"}]}, "list_ids: required property missing"),
        ({"list_ids": [NEWSLETTER]}, "import_data: required property missing"),
        ({"import_data": [], "list_ids": [NEWSLETTER]}, "import_data: at least 1 contact"),
        ({"import_data": [], "list_ids": []}, "list_ids: fewer than 1 items"),
        ({"import_data": [], "list_ids": ["nope"]}, "list_ids[0]: not a valid UUID"),
        ({"import_data": [], "list_ids": None}, "list_ids: expected array, got null"),
        ({"import_data": [], "list_ids": [NEWSLETTER] * 51}, "list_ids: more than 50 items"),
        ({"import_data": {}, "list_ids": [NEWSLETTER]}, "import_data: expected array"),
        ({"import_data": None, "list_ids": [NEWSLETTER]}, "import_data: expected array"),
        ({"import_data": [], "list_ids": [NEWSLETTER], "x": 1}, "x: unknown property"),
        (
            {"import_data": [], "list_ids": [NEWSLETTER], "sms_permission_to_send": "maybe"},
            "sms_permission_to_send: must be explicit or not_set",
        ),
        (
            {"import_data": [], "list_ids": [NEWSLETTER], "sms_permission_to_send": None},
            "sms_permission_to_send: must be explicit or not_set",
        ),
        (
            {"import_data": [{"sms_number": "5551234567"}], "list_ids": [NEWSLETTER]},
            "sms_permission_to_send: required when contacts have an sms_number",
        ),
        ([], "body: expected object"),
        (
            {
                "import_data": [{"email": "a@example.com"}],
                "list_ids": ["00000000-0000-4000-8000-000000000000"],
            },
            "list_ids[0]: no contact list",
        ),
    ],
)
def test_a_body_that_breaks_the_structure_is_a_400(
    api: httpx.Client, body: Any, expected: str
) -> None:
    messages = _error_messages(_post(api, body))
    assert any(message.startswith(expected) for message in messages), messages


@pytest.mark.parametrize(
    ("permission", "contact"),
    [
        ("not_set", {"sms_number": "5551234567"}),
        ("explicit", {"sms_number": "5551234567", "sms_consent_date": "2024-01-02"}),
    ],
)
def test_sms_contacts_with_their_permission_are_taken(
    api: httpx.Client, permission: str, contact: dict[str, str]
) -> None:
    body = {
        "import_data": [{"email": "a@example.com"}, contact],
        "list_ids": [NEWSLETTER],
        "sms_permission_to_send": permission,
    }
    assert _post(api, body).status_code == 201


def test_malformed_json_wrong_media_type_and_deleted_lists(api: httpx.Client) -> None:
    headers = {"Content-Type": "application/json"}
    assert _error_messages(api.post(IMPORT, content=b"{nope", headers=headers))
    plain = api.post(IMPORT, content=b"{}", headers={"Content-Type": "text/csv"})
    assert plain.status_code == 415
    deleted = api.get("/contact_lists", params={"status": "deleted"}).json()["lists"][0]
    body = {"import_data": [], "list_ids": [deleted["list_id"]]}
    assert _error_messages(_post(api, body))


def test_more_than_25_custom_fields_is_a_400(api: httpx.Client) -> None:
    seeded = api.get("/contact_custom_fields", params={"limit": 100}).json()["custom_fields"]
    for number in range(26 - len(seeded)):
        api.post("/contact_custom_fields", json={"label": f"extra {number}", "type": "string"})
    fields = api.get("/contact_custom_fields", params={"limit": 100}).json()["custom_fields"]
    assert len(fields) == 26
    contact = {"email": "many@example.com", **{f"cf:{f['name']}": "1" for f in fields}}
    contact["cf:shirt_size"], contact["cf:interests"] = "M", "hiking"
    contact["cf:customer_since"] = "2020-01-01"
    messages = _error_messages(_post(api, {"import_data": [contact], "list_ids": [NEWSLETTER]}))
    assert messages == ["import_data[0]: 26 custom fields, at most 25 allowed"]
    contact.pop(f"cf:{fields[-1]['name']}")
    done = import_contacts(api, [contact])
    assert done["status"]["person_count"] == 1, done


def test_import_counts_new_updated_invalid_unsubscribed_and_duplicates(
    api: httpx.Client, fast_emulator: EmulatorServer
) -> None:
    fast_emulator.state.seed_contacts(
        [
            {"email": "gone@example.com", "permission_to_send": "unsubscribed"},
            {"email": "known@example.com", "first_name": "Kay", "last_name": "Known"},
        ]
    )
    contacts: list[dict[str, str | int]] = [
        {"email": "new.one@example.com", "first_name": "New", "cf:loyalty_tier": "gold"},
        {"email": "Known@Example.com", "last_name": "Renamed"},
        {"email": "not-an-email"},
        {"email": "gone@example.com", "first_name": "Gone"},
        {"email": "dup@example.com", "first_name": "First"},
        {"email": "dup@example.com", "first_name": "Last"},
        {"email": "dup@example.com", "first_name": "Refused\tlast"},  # a refused one never wins
        {"email": "half@example.com", "birthday_month": 4},
        {"email": "a..b@example.com"},
    ]
    done = import_contacts(api, contacts, [VIP])
    assert check(done, definitions()["Activity"]) == []
    assert done["state"] == "completed"
    assert done["percent_done"] == 100
    assert done["status"] == {
        "items_total_count": 9,
        "items_completed_count": 9,
        "person_count": 4,
        "error_count": 1,
        "correctable_count": 3,
        "cannot_add_to_list_count": 1,
        "list_count": 1,
    }
    assert len(done["activity_errors"]) == 4
    members = fast_emulator.list_members(VIP)
    assert {"new.one@example.com", "known@example.com", "dup@example.com"} <= members
    assert "gone@example.com" not in members
    known = api.get("/contacts", params={"email": "known@example.com"}).json()["contacts"][0]
    assert (known["first_name"], known["last_name"]) == ("Kay", "Renamed")
    dup = api.get("/contacts", params={"email": "dup@example.com"}).json()["contacts"]
    assert [item["first_name"] for item in dup] == ["Last"]
    new = api.get("/contacts", params={"email": "new.one@example.com", "include": "custom_fields"})
    stored = new.json()["contacts"][0]
    assert stored["email_address"]["permission_to_send"] == "implicit"
    assert stored["email_address"]["opt_in_source"] == "Account"
    assert [field["value"] for field in stored["custom_fields"]] == ["gold"]
    gone = api.get("/contacts", params={"email": "gone@example.com"}).json()["contacts"][0]
    assert gone["email_address"]["permission_to_send"] == "unsubscribed"


def test_import_answers_201_with_an_initialized_activity(api: httpx.Client) -> None:
    response = _post(api, {"import_data": [{"email": "x@example.com"}], "list_ids": [NEWSLETTER]})
    assert response.status_code == 201
    body = response.json()
    assert check(body, definitions()["ActivityImport"]) == []
    assert body["state"] == "initialized"
    assert body["percent_done"] == 0
    assert body["activity_errors"] == []
    assert body["status"]["items_total_count"] == 1
    assert body["status"]["items_completed_count"] == 0
    assert body["_links"]["self"]["href"] == f"/v3/activities/{body['activity_id']}"


def test_the_byte_limit_is_four_million_bytes_the_stricter_megabyte() -> None:
    # "a maximum size of 4 megabytes (MB)": 4,000,000 bytes, not 4 MiB (docs/api-rules.md §3).
    from cc_tui.emulator.settings import EmulatorSettings

    assert EmulatorSettings().max_import_bytes == 4_000_000


def test_a_body_over_the_byte_limit_is_truncated_not_rejected(
    api: httpx.Client, fast_emulator: EmulatorServer
) -> None:
    target = api.post("/contact_lists", json={"name": "Truncation"}).json()["list_id"]
    limit = fast_emulator.settings.max_import_bytes
    items = [
        json.dumps({"email": f"cut{n:06d}@example.com", "street": "x" * 150 + "é"})
        for n in range(26_000)
    ]
    prefix = b'{"import_data": ['
    body = prefix + ",".join(items).encode() + f'], "list_ids": ["{target}"]}}'.encode()
    assert len(body) > 5_000_000
    ends, offset = [], len(prefix)
    for item in items:
        offset += len(item.encode())
        ends.append(offset)
        offset += 1  # the comma
    kept = sum(1 for end in ends if end <= limit)
    response = api.post(IMPORT, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 201
    assert response.json()["status"]["items_total_count"] == kept
    done = wait_for_activity(api, response.json()["activity_id"])
    assert done["status"]["person_count"] == kept
    members = fast_emulator.list_members(target)
    assert len(members) == kept
    assert f"cut{kept - 1:06d}@example.com" in members
    assert f"cut{kept:06d}@example.com" not in members


def test_contacts_past_40000_are_ignored(api: httpx.Client, fast_emulator: EmulatorServer) -> None:
    target = api.post("/contact_lists", json={"name": "Big"}).json()["list_id"]
    contacts = [{"email": f"big{n}@example.com"} for n in range(40_005)]
    done = import_contacts(api, contacts, [target])
    assert done["status"]["items_total_count"] == 40_000
    assert done["status"]["person_count"] == 40_000
    members = fast_emulator.list_members(target)
    assert len(members) == 40_000
    assert "big40000@example.com" not in members


def test_activities_move_through_their_states(start_emulator: StartEmulator) -> None:
    server = start_emulator(activity_start_delay=0.1, processing_rate=200.0, **FAST)
    with api_client(server) as client:
        contacts = [{"email": f"slow{n}@example.com"} for n in range(60)]
        created = _post(client, {"import_data": contacts, "list_ids": [NEWSLETTER]}).json()
        seen: list[dict[str, Any]] = []
        while not seen or seen[-1]["state"] != "completed":
            seen.append(client.get(f"/activities/{created['activity_id']}").json())
            time.sleep(0.02)
    states = [item["state"] for item in seen]
    assert states[0] == "initialized"
    assert states.index("processing") < states.index("completed")
    progress = [item["status"]["items_completed_count"] for item in seen]
    assert progress == sorted(progress)
    assert any(0 < count < 60 for count in progress)
    partial = next(item for item in seen if 0 < item["status"]["items_completed_count"] < 60)
    assert 0 < partial["percent_done"] < 100
    assert "started_at" in partial
    assert "completed_at" in seen[-1]


def test_queued_activity_limit(start_emulator: StartEmulator) -> None:
    server = start_emulator(max_queued_activities=2, processing_rate=1.0, **FAST)
    with api_client(server) as client:
        body = {"import_data": [{"email": "q@example.com"}] * 3, "list_ids": [NEWSLETTER]}
        assert _post(client, body).status_code == 201
        assert _post(client, body).status_code == 201
        refused = _post(client, body)
    assert refused.status_code == 429
    assert refused.json() == [
        {
            "error_key": "activities.api.queue.limit",
            "error_message": "You exceeded 2 queued activities for this user account.",
        }
    ]


def test_activities_listing_and_state_filter(start_emulator: StartEmulator) -> None:
    server = start_emulator(processing_rate=1.0, **FAST)
    with api_client(server) as client:
        ids = []
        for contacts in ([{"email": "a@example.com"}], [{"email": f"{n}@x.com"} for n in range(9)]):
            ids.append(_post(client, {"import_data": contacts, "list_ids": [NEWSLETTER]}).json())
        wait_for_activity(client, ids[0]["activity_id"])
        listing = client.get("/activities").json()
        assert check(listing, definitions()["Activities"]) == []
        assert [item["activity_id"] for item in listing["activities"]] == [
            ids[1]["activity_id"],
            ids[0]["activity_id"],
        ]
        completed = client.get("/activities", params={"state": "completed"}).json()
        assert [item["activity_id"] for item in completed["activities"]] == [ids[0]["activity_id"]]
        paged = client.get("/activities", params={"limit": 1}).json()
        assert len(paged["activities"]) == 1
        assert "next" in paged["_links"]
        assert client.get("/activities", params={"state": "sleeping"}).status_code == 400
        assert client.get("/activities", params={"limit": 501}).status_code == 400
        unknown = client.get("/activities/00000000-0000-4000-8000-000000000000")
        assert unknown.status_code == 404
        assert unknown.json()[0]["error_key"] == "activities.api.not_found"
        assert client.get("/activities/12345").status_code == 400
