"""Per-contact value rules (api-rules section 3 "Values"): a bad value refuses that contact only.

Each refused contact is counted once, in ``correctable_count`` (e-mail, birthday, anniversary)
or in ``error_count`` (everything else), is not imported, and the rest of the import goes on.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cc_tui.emulator.records import CustomField
from cc_tui.emulator.refusals import ContactValueChecker, Reason
from cc_tui.emulator.schema import ImportChecker
from cc_tui.emulator.seed import SEED_FIELDS
from cc_tui.emulator.server import EmulatorServer
from tests.emulator.emu_helpers import NEWSLETTER, import_contacts

# (contact, reason it is refused for, or None when it is imported)
HOSTILE: list[tuple[dict[str, Any], str | None]] = [
    # Correctable: e-mail, birthday, anniversary.
    ({"email": "not-an-email"}, "invalid_email"),
    ({"email": "a..b@example.com"}, "invalid_email"),
    ({"email": "x" * 44 + "@ex.com"}, "invalid_email"),  # 51 characters
    ({"email": "x" * 43 + "@ex.com"}, None),  # 50 characters
    (
        {"email": "feb30@example.com", "birthday_month": 2, "birthday_day": 30},
        "impossible_birthday",
    ),
    (
        {"email": "apr31@example.com", "birthday_month": 4, "birthday_day": 31},
        "impossible_birthday",
    ),
    ({"email": "m13@example.com", "birthday_month": 13, "birthday_day": 1}, "impossible_birthday"),
    ({"email": "half@example.com", "birthday_month": 4}, "half_birthday"),
    ({"email": "halfday@example.com", "birthday_day": 4}, "half_birthday"),
    ({"email": "ann1@example.com", "anniversary": "2006-13-45"}, "invalid_anniversary"),
    (
        {"email": "ann2@example.com", "anniversary": "1995-05-11 00:00:00.000000000"},
        "invalid_anniversary",
    ),
    ({"email": "ann3@example.com", "anniversary": "2/30/2020"}, "invalid_anniversary"),
    # A contact with several problems counts once, as the first (the e-mail comes first).
    ({"email": "bad@", "first_name": "Tab\there"}, "invalid_email"),
    # Errors: lengths counted in characters and UTF-16 units, control characters, phones...
    ({"email": "emoji@example.com", "first_name": "😀" * 30}, "too_long"),  # 60 units
    ({"email": "long@example.com", "last_name": "x" * 51}, "too_long"),
    ({"email": "street@example.com", "street": "é" * 256}, "too_long"),
    ({"email": "tab@example.com", "first_name": "Ann\tMarie"}, "control_character"),
    ({"email": "nl@example.com", "street": "1 Main St\nApt 2"}, "control_character"),
    ({"email": "del@example.com", "city": "Bos\x7fton"}, "control_character"),
    ({"email": "c1@example.com", "company_name": "Acme\x85Corp"}, "control_character"),
    ({"email": "intl@example.com", "phone": "+44 20 7946 0958"}, "invalid_phone"),
    ({"email": "short@example.com", "home_phone": "555-5555"}, "invalid_phone"),
    ({"email": "longphone@example.com", "work_phone": "5" * 51}, "too_long"),
    ({"email": "sms@example.com", "sms_number": "(555) 555-5555"}, "invalid_sms_number"),
    # PhoneNumber.phone_number keeps 25 characters, though JsonImportContact says 50.
    ({"email": "phone26@example.com", "phone": "+1 (555) 555-5555 ext. 123"}, "too_long"),
    # "up to three addresses and three phone numbers" per contact.
    (
        {
            "email": "fourphones@example.com",
            "phone": "5555555551",
            "home_phone": "5555555552",
            "work_phone": "5555555553",
            "mobile_phone": "5555555554",
        },
        "too_many_phones",
    ),
    (
        {
            "email": "fouraddresses@example.com",
            "city": "Boston",
            "home_city": "Salem",
            "work_street": "1 Main St",
            "other_zip": "02101",
        },
        "too_many_addresses",  # counted before the kinds
    ),
    # One address and one phone number of each kind: street... and home_... are both the home
    # address, phone and other_phone both the other phone (the swagger's default kinds).
    ({"email": "twohomes@example.com", "street": "1 Main St", "home_city": "Salem"}, "kind_twice"),
    (
        {"email": "twoothers@example.com", "phone": "5555555551", "other_phone": "5555555552"},
        "kind_twice",
    ),
    # Line two is appended to line one; the joined street keeps 255 characters.
    ({"email": "street2@example.com", "street": "a" * 200, "street2": "b" * 55}, "too_long"),
    (
        {
            "email": "consent@example.com",
            "sms_number": "5555555555",
            "sms_consent_date": "2/30/2024",
        },
        "invalid_date",
    ),
    # A consent date is the consent of the number it comes with.
    (
        {"email": "consent2@example.com", "sms_consent_date": "07-03-2024"},
        "consent_without_sms_number",
    ),
    ({"email": "cfdate@example.com", "cf:customer_since": "last spring"}, "invalid_date"),
    ({"email": "cfdate2@example.com", "cf:customer_since": "2006-13-45"}, "invalid_date"),
    ({"email": "cfneg@example.com", "cf:lifetime_value": "-5.00"}, "invalid_number"),
    ({"email": "cfdec@example.com", "cf:lifetime_value": "5.125"}, "invalid_number"),
    ({"email": "cfint@example.com", "cf:store_visits": "2.5"}, "invalid_number"),
    ({"email": "cftext@example.com", "cf:balance": "about ten"}, "invalid_number"),
    ({"email": "cfsel@example.com", "cf:shirt_size": "XXL"}, "invalid_choice"),
    ({"email": "cfsel2@example.com", "cf:shirt_size": "M,L"}, "invalid_choice"),
    ({"email": "cfmulti@example.com", "cf:interests": "hiking,skiing"}, "invalid_choice"),
    ({"email": "cfmulti2@example.com", "cf:interests": "hiking, camping"}, "invalid_choice"),
    ({"email": "cfmulti3@example.com", "cf:interests": "hiking,hiking"}, "invalid_choice"),
    ({"email": "cflong@example.com", "cf:loyalty_tier": "g" * 256}, "too_long"),
    ({"email": "cfemoji@example.com", "cf:Größe": "📏" * 128}, "too_long"),  # 256 units
    ({"email": "cftab@example.com", "cf:Größe": "1,80\tm"}, "control_character"),
    # Accepted: the edges of every rule.
    ({"email": "fine@xn--mller-kva.de", "first_name": "😀" * 25}, None),
    ({"email": "idn@xn--80ak6aa92e.xn--p1ai", "cf:Größe": "1,80 m"}, None),
    ({"email": "leap@example.com", "birthday_month": 2, "birthday_day": 29}, None),
    ({"email": "dates@example.com", "anniversary": "2/29/2024"}, None),
    ({"email": "dates2@example.com", "anniversary": "2006-1-5"}, None),
    ({"email": "phones@example.com", "phone": "+1 (555) 555-5555 ext. 12"}, None),  # 25
    (
        {
            "email": "threeaddresses@example.com",
            "street": "a" * 127,
            "street2": "b" * 127,  # joined with a space: 255
            "other_city": "Salem",
            "work_zip": "02101",
            "phone": "5555555551",
            "home_phone": "5555555552",
            "work_phone": "5555555553",
        },
        None,
    ),
    (
        {
            "email": "phones2@example.com",
            "mobile_phone": "555.555.5555",
            "other_phone": "5555555555",
        },
        None,
    ),
    ({"sms_number": "555-555-5555", "sms_consent_date": "07-03-2024"}, None),
    (
        {
            "email": "typed@example.com",
            "cf:lifetime_value": "12.50",
            "cf:store_visits": "7",
            "cf:balance": "-3.25",
            "cf:shirt_size": "M",
            "cf:interests": "hiking,camping",
            "cf:customer_since": "2019-04-01",
            "cf:loyalty_tier": "g" * 255,
        },
        None,
    ),
]
CORRECTABLE = {"invalid_email", "impossible_birthday", "half_birthday", "invalid_anniversary"}


def test_hostile_values_refuse_only_their_contact(
    api: httpx.Client, fast_emulator: EmulatorServer
) -> None:
    contacts = [contact for contact, _ in HOSTILE]
    done = import_contacts(api, contacts, sms_permission_to_send="not_set")  # SMS numbers in
    reasons = [reason for _, reason in HOSTILE if reason is not None]
    status = done["status"]
    assert done["state"] == "completed"
    assert status["correctable_count"] == sum(1 for r in reasons if r in CORRECTABLE)
    assert status["error_count"] == sum(1 for r in reasons if r not in CORRECTABLE)
    assert status["person_count"] == len(HOSTILE) - len(reasons)
    assert status["items_total_count"] == (
        status["person_count"] + status["correctable_count"] + status["error_count"]
    )
    assert len(done["activity_errors"]) == len(reasons)
    members = fast_emulator.list_members(NEWSLETTER)
    for contact, reason in HOSTILE:
        email = contact.get("email")
        if email:
            assert (email.lower() in members) is (reason is None), contact
    expected: dict[str, int] = {}
    for reason in reasons:
        expected[reason] = expected.get(reason, 0) + 1
    assert fast_emulator.stats()["contacts_refused"] == dict(sorted(expected.items()))


def test_accepted_values_are_stored_as_sent(api: httpx.Client) -> None:
    contact = {
        "email": "grosse@example.com",
        "first_name": "😀" * 25,
        "cf:Größe": "1,80 m",
        "cf:interests": "hiking,camping",
    }
    done = import_contacts(api, [contact])
    assert done["status"]["person_count"] == 1
    params = {"email": "grosse@example.com", "include": "custom_fields"}
    stored = api.get("/contacts", params=params).json()["contacts"][0]
    assert stored["first_name"] == "😀" * 25
    fields = {item["custom_field_id"]: item["value"] for item in stored["custom_fields"]}
    by_name = {
        item["name"]: item["custom_field_id"]
        for item in api.get("/contact_custom_fields").json()["custom_fields"]
    }
    assert fields[by_name["Größe"]] == "1,80 m"
    assert fields[by_name["interests"]] == "hiking,camping"


def test_explicit_sms_permission_needs_a_consent_date(api: httpx.Client) -> None:
    contacts = [
        {"email": "email.only@example.com"},
        {"sms_number": "5555555555"},
        {"sms_number": "5555555556", "sms_consent_date": "2024-07-03"},
    ]
    done = import_contacts(api, contacts, sms_permission_to_send="explicit")
    assert done["status"]["error_count"] == 1
    assert done["status"]["person_count"] == 2
    not_set = import_contacts(api, contacts[1:2], sms_permission_to_send="not_set")
    assert not_set["status"]["error_count"] == 0


def test_typed_custom_fields_follow_the_account_not_the_name(api: httpx.Client) -> None:
    metadata = {"allow_negative": True, "integer": False, "decimal_places": 3}
    created = api.post(
        "/contact_custom_fields",
        json={"label": "Höhe über NN", "type": "number", "metadata": metadata},
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Höhe_über_NN"
    contacts = [
        {"email": "h1@example.com", "cf:Höhe_über_NN": "-12.125"},
        {"email": "h2@example.com", "cf:Höhe_über_NN": "-12.1255"},
    ]
    done = import_contacts(api, contacts)
    assert (done["status"]["person_count"], done["status"]["error_count"]) == (1, 1)


_VALUE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["2006-11-15", "2/30/2020", "555-555-5555", "+44 20 7946 0958", "M", "S,M"]),
    st.sampled_from(["a@b.co", "a..b@c.co", "12.5", "-1", "hiking,camping", "😀" * 26]),
)
_KEYS = st.sampled_from(
    ["email", "first_name", "anniversary", "phone", "sms_number", "cf:shirt_size",
     "cf:interests", "cf:lifetime_value", "cf:Größe", "sms_consent_date", "street"]
)  # fmt: skip
_BIRTHDAY = st.fixed_dictionaries(
    {}, optional={"birthday_month": st.integers(0, 13), "birthday_day": st.integers(0, 32)}
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.dictionaries(_KEYS, _VALUE, max_size=5), _BIRTHDAY).map(
            lambda pair: {**pair[0], **pair[1]}
        ),
        max_size=8,
    )
)
def test_the_column_checks_agree_with_checking_each_contact_alone(
    items: list[dict[str, Any]],
) -> None:
    fields = {
        seeded.label.replace(" ", "_"): CustomField(
            "id", seeded.label, seeded.label.replace(" ", "_"), seeded.type, 0.0, 0.0,
            dict(seeded.metadata), list(seeded.choices),
        )
        for seeded in SEED_FIELDS
    }  # fmt: skip
    checker = ContactValueChecker(ImportChecker().max_lengths, fields)
    together = checker.refusals(items, "explicit")
    alone = {}
    for row, item in enumerate(items):
        found = checker.refusals([item], "explicit")
        if found:
            alone[row] = found[0]
    assert together == alone


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_a_counter(reason: Reason) -> None:
    from cc_tui.emulator.refusals import Refusal

    refusal = Refusal(reason, "field")
    assert refusal.correctable is (reason.value in CORRECTABLE)
