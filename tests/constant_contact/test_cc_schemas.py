"""Lenient parsing of Constant Contact bodies into frozen dataclasses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cc_tui.constant_contact.schemas import (
    AccountSummary,
    Activity,
    Contact,
    ContactList,
    CustomField,
)
from cc_tui.models.api_rules import is_uuid

LIST_ID = "06526938-56dd-11e9-932a-fa163ea075fa"
ACTIVITY_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LIST_ID, True),
        (LIST_ID.upper(), True),
        ("06526938-56dd-11e9-932a-fa163ea075f", False),
        ("06526938-56dd-11e9-932a-fa163ea075faa", False),
        ("06526938_56dd_11e9_932a_fa163ea075fa", False),
        ("zz526938-56dd-11e9-932a-fa163ea075fa", False),
        (f" {LIST_ID}", False),
        (f"{LIST_ID}\n", False),
        ("", False),
        ("../contacts", False),
    ],
)
def test_is_uuid(text: str, expected: bool) -> None:
    assert is_uuid(text) is expected


def test_contact_list_ignores_unknown_keys_and_reads_times() -> None:
    parsed = ContactList.from_json(
        {
            "list_id": LIST_ID,
            "name": "VIP",
            "description": "best customers",
            "favorite": True,
            "membership_count": 12,
            "created_at": "2024-03-01T10:00:00Z",
            "updated_at": "2024-03-02T10:00:00.000Z",
            "brand_new_field": {"anything": 1},
        }
    )
    assert parsed == ContactList(
        list_id=LIST_ID,
        name="VIP",
        membership_count=12,
        description="best customers",
        favorite=True,
        created_at=datetime(2024, 3, 1, 10, tzinfo=UTC),
        updated_at=datetime(2024, 3, 2, 10, tzinfo=UTC),
    )


def test_contact_list_tolerates_missing_and_odd_optional_values() -> None:
    parsed = ContactList.from_json(
        {"list_id": LIST_ID, "name": "x", "created_at": "not a date", "favorite": "yes"}
    )
    assert parsed.membership_count is None
    assert parsed.description == ""
    assert parsed.favorite is False
    assert parsed.created_at is None


def test_missing_id_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="list_id"):
        ContactList.from_json({"name": "no id"})


def test_activity_from_the_import_answer() -> None:
    activity = Activity.from_json(
        {
            "activity_id": ACTIVITY_ID,
            "state": "initialized",
            "created_at": "2024-03-01T10:00:00Z",
            "percent_done": 0,
            "activity_errors": [],
            "status": {"items_total_count": 3, "person_count": 3},
            "_links": {"self": {"href": f"/v3/activities/{ACTIVITY_ID}"}},
        }
    )
    assert activity.activity_id == ACTIVITY_ID
    assert activity.status.items_total_count == 3
    assert activity.status.items_completed_count == 0
    assert activity.started_at is None
    assert not activity.is_final


@pytest.mark.parametrize(
    ("state", "final"),
    [
        ("initialized", False),
        ("processing", False),
        ("completed", True),
        ("cancelled", True),
        ("failed", True),
        ("timed_out", True),
    ],
)
def test_activity_is_final(state: str, final: bool) -> None:
    assert Activity(activity_id=ACTIVITY_ID, state=state).is_final is final


def test_activity_counters_and_errors_are_lenient() -> None:
    activity = Activity.from_json(
        {
            "activity_id": ACTIVITY_ID,
            "state": "completed",
            "percent_done": 100.0,
            "activity_errors": ["row 3: bad email", {"message": "row 9: too long"}],
            "status": {
                "items_total_count": "10",
                "items_completed_count": 10,
                "error_count": None,
                "correctable_count": 2,
                "cannot_add_to_list_count": 1,
                "list_count": 1,
            },
        }
    )
    assert activity.percent_done == 100
    assert activity.activity_errors == ("row 3: bad email", "row 9: too long")
    assert activity.status.items_total_count == 10
    assert activity.status.error_count == 0
    assert activity.status.cannot_add_to_list_count == 1


def test_contact_reads_the_nested_email_address() -> None:
    contact = Contact.from_json(
        {
            "contact_id": ACTIVITY_ID,
            "email_address": {"address": "a@example.com", "permission_to_send": "implicit"},
            "first_name": "Zoë",
            "list_memberships": [LIST_ID, 7],
        }
    )
    assert contact.email == "a@example.com"
    assert contact.permission_to_send == "implicit"
    assert contact.first_name == "Zoë"
    assert contact.last_name == ""
    assert contact.list_memberships == (LIST_ID,)


def test_custom_field_and_account_summary() -> None:
    field = CustomField.from_json(
        {
            "custom_field_id": LIST_ID,
            "name": "loyalty_tier",
            "label": "Loyalty tier",
            "type": "string",
        }
    )
    assert field.name == "loyalty_tier"
    summary = AccountSummary.from_json(
        {"organization_name": "Acme", "contact_email": "o@acme.test"}
    )
    assert summary.organization_name == "Acme"
    assert summary.time_zone_id == ""
    assert AccountSummary.from_json({}) == AccountSummary()
