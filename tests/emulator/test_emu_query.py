"""Query parameters (api-rules section 1): limits as the swagger's text says, documented values.

Every collection endpoint refuses, with a 400 in the array shape, a ``limit`` outside its
documented range or that is not a plain whole number, and an enumerated parameter with a value
the text does not list.
"""

from __future__ import annotations

import httpx
import pytest

from tests.emulator.emu_helpers import VIP

# (path, documented maximum of limit)
COLLECTIONS = [
    ("/contact_lists", 500),
    ("/contacts", 500),
    ("/activities", 500),
    ("/contact_custom_fields", 100),
]
NOT_WHOLE_NUMBERS = ["x", "5.0", " 5", "5 ", "+5", "5_0", "-1", "", "\u0665", "1e2", "0x10"]


def _assert_validation_error(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body, list)
    assert body[0]["error_key"] == "contacts.api.validation.error"


@pytest.mark.parametrize(("path", "maximum"), COLLECTIONS)
def test_limit_within_the_documented_range(api: httpx.Client, path: str, maximum: int) -> None:
    for limit in (1, maximum):
        assert api.get(path, params={"limit": limit}).status_code == 200, limit
    for limit in (0, maximum + 1, 1000, 10**12):
        response = api.get(path, params={"limit": limit})
        _assert_validation_error(response)
        assert response.json()[0]["error_message"] == (
            f"limit must be a whole number from 1 to {maximum}"
        )


@pytest.mark.parametrize(("path", "maximum"), COLLECTIONS)
@pytest.mark.parametrize("text", NOT_WHOLE_NUMBERS)
def test_limit_must_be_a_plain_whole_number(
    api: httpx.Client, path: str, maximum: int, text: str
) -> None:
    _assert_validation_error(api.get(path, params={"limit": text}))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/contact_lists", {"status": "gone"}),
        ("/contact_lists", {"status": "active,"}),
        ("/contact_lists", {"status": "Active"}),
        ("/contact_lists", {"include_membership_count": "some"}),
        ("/contact_lists", {"include_membership_count": ""}),
        ("/contact_lists", {"channel_type": "fax"}),
        ("/contact_lists", {"include_count": "True"}),
        ("/contact_lists", {"include_count": "yes"}),
        ("/contact_lists", {"include_sms_membership_count": "1"}),
        (f"/contact_lists/{VIP}", {"include_membership_count": "some"}),
        ("/contacts", {"status": "bogus"}),
        ("/contacts", {"status": "active,,unsubscribed"}),
        ("/contacts", {"include": "bogus"}),
        ("/contacts", {"include": "custom_fields,"}),
        ("/contacts", {"sms_status": "maybe"}),
        ("/contacts", {"include_count": "1"}),
        ("/activities", {"state": "initialized"}),  # a state, but not a documented filter
        ("/activities", {"state": "sleeping"}),
        ("/activities", {"state": "completed,failed"}),
    ],
)
def test_undocumented_values_are_refused(
    api: httpx.Client, path: str, params: dict[str, str]
) -> None:
    _assert_validation_error(api.get(path, params=params))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/contact_lists", {"status": "active,deleted", "include_membership_count": "active"}),
        ("/contact_lists", {"channel_type": "email", "include_count": "false"}),
        ("/contacts", {"status": "active,unsubscribed", "include": "custom_fields,notes"}),
        ("/contacts", {"sms_status": "explicit,not_set", "include_count": "true"}),
        ("/activities", {"state": "timed_out"}),
    ],
)
def test_documented_values_are_accepted(
    api: httpx.Client, path: str, params: dict[str, str]
) -> None:
    assert api.get(path, params=params).status_code == 200


def test_comma_separated_statuses_combine(api: httpx.Client) -> None:
    def count(status: str) -> int:
        params = {"status": status, "include_count": "true"}
        counted: int = api.get("/contacts", params=params).json()["contacts_count"]
        return counted

    assert count("active,unsubscribed") == count("active") + count("unsubscribed")
    assert count("all,unsubscribed") == count("all")


def test_the_account_has_no_sms_lists(api: httpx.Client) -> None:
    assert api.get("/contact_lists", params={"channel_type": "sms"}).json()["lists"] == []
