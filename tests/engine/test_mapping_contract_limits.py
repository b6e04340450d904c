"""A mapping is held to the import's per-contact limits (docs/api-rules.md section 3).

"For each contact, you can import up to three addresses and three phone numbers" (swagger,
``POST /activities/contacts_json_import``); a phone is kept as ``PhoneNumber.phone_number``
(maxLength 25); line two of a street "is automatically appended to" line one, whose
``StreetAddress.street`` keeps 255 characters.
"""

from __future__ import annotations

import polars as pl

from cc_tui.engine.mapping import contact_fields, mapped_fields, mapping_problems
from cc_tui.models.api_rules import ATTRIBUTE_FIELDS, PAIRED_STREET_LINE_MAX
from cc_tui.models.config import FieldMapping
from cc_tui.models.reasons import FieldReason


def _mapping(*names: str) -> FieldMapping:
    return FieldMapping(email="e", attributes={name: name for name in names})


def test_more_than_three_phones_is_a_mapping_problem() -> None:
    assert mapping_problems(_mapping("phone", "home_phone", "mobile_phone"), {}) == []
    problems = mapping_problems(_mapping("phone", "home_phone", "work_phone", "mobile_phone"), {})
    assert len(problems) == 1
    assert "4 phone fields are mapped" in problems[0]
    assert "at most 3 phone numbers per contact. Remove 1." in problems[0]


def test_more_than_three_addresses_is_a_mapping_problem() -> None:
    three = _mapping("street", "other_city", "work_zip", "city")
    assert mapping_problems(three, {}) == []
    four = _mapping("city", "home country", "work_street2", "other_state")
    problems = mapping_problems(four, {})
    assert any("4 addresses are mapped" in problem for problem in problems)


def test_two_addresses_or_phones_of_one_kind_is_a_mapping_problem() -> None:
    """``street...`` is "the default kind", home, as ``home_...`` is; ``phone``'s default kind is
    other, as ``other_phone``'s: a contact would get two of one kind (api-rules.md section 3)."""
    assert mapping_problems(_mapping("street", "work_street", "other_city", "phone",
                                     "home_phone", "mobile_phone"), {}) == []  # fmt: skip
    (address,) = mapping_problems(_mapping("street", "home_city"), {})
    assert "street and home_city are both the home address" in address
    assert "map one of them" in address
    (phone,) = mapping_problems(_mapping("other_phone", "phone"), {})
    assert "phone and other_phone are both the other phone number" in phone


def test_phones_keep_at_most_25_characters() -> None:
    assert {ATTRIBUTE_FIELDS[name] for name in ("phone", "mobile_phone", "other_phone")} == {25}
    field = next(f for f in mapped_fields(_mapping("phone")) if f.field == "phone")
    rows = pl.DataFrame(
        {"e": ["a@example.com", "b@example.com"], "phone": ["+1 (555) 555-5555 ext. 12",
                                                            "+1 (555) 555-5555 ext. 123"]}
    )  # fmt: skip
    result = contact_fields(rows, [mapped_fields(_mapping())[0], field])
    assert result.contacts.get_column("phone").to_list() == ["+1 (555) 555-5555 ext. 12", None]
    assert [row[2] for row in result.problems.iter_rows()] == [FieldReason.DROPPED_TOO_LONG]


def test_both_street_lines_mapped_are_each_held_to_half() -> None:
    alone = {f.field: f.rule.max_length for f in mapped_fields(_mapping("street", "work_street2"))}
    assert alone == {"email": None, "street": 255, "work_street2": 255}
    both = {
        f.field: f.rule.max_length for f in mapped_fields(_mapping("home_street", "home_street2"))
    }
    assert both["home_street"] == both["home_street2"] == PAIRED_STREET_LINE_MAX == 127
    assert PAIRED_STREET_LINE_MAX * 2 + 1 <= 255  # joined with a separator, the pair fits


def test_a_consent_date_without_sms_numbers_is_a_mapping_problem() -> None:
    assert mapping_problems(_mapping("sms_number"), {}) == []
    assert mapping_problems(_mapping("sms_number", "sms_consent_date"), {}) == []
    (problem,) = mapping_problems(_mapping("sms_consent_date"), {})
    assert "Map sms_number with sms_consent_date" in problem
