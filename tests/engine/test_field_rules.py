"""Field rules (docs/api-rules.md section 3): every optional field, hostile values included.

Each test maps one or two fields, runs :func:`contact_fields` over a small frame and checks the
value that would be sent (None: left out) and the reason recorded for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import polars as pl
import pytest

from cc_tui.constant_contact.schemas import CustomField, CustomFieldMetadata
from cc_tui.engine.field_rules import FieldKind, FieldRule, custom_field_rule
from cc_tui.engine.mapping import MappedField, contact_fields, mapped_fields, with_account_fields
from cc_tui.models.api_rules import ATTRIBUTE_FIELDS
from cc_tui.models.config import FieldMapping
from cc_tui.models.reasons import FieldReason

R = FieldReason
EMAIL = MappedField("email", "e", FieldRule(FieldKind.EMAIL))


def sent_and_reasons(
    field: MappedField, values: Sequence[object], dtype: pl.DataType | None = None
) -> list[tuple[object, str | None]]:
    """(value sent, reason) for each of ``values`` in the column of ``field``."""
    rows = pl.DataFrame(
        {"e": [f"p{i}@example.com" for i in range(len(values))], field.column: values},
        schema_overrides={field.column: dtype} if dtype is not None else None,
        strict=False,
    )
    result = contact_fields(rows, [EMAIL, field])
    reasons = dict.fromkeys(range(len(values)))
    for index, name, reason, _ in result.problems.iter_rows():
        assert name == field.field
        reasons[index] = reason
    sent = result.contacts.get_column(field.field).to_list()
    return list(zip(sent, reasons.values(), strict=True))


def in_digits(text: str, zero: int) -> str:
    """``text`` with its ASCII digits written in the script whose zero is ``zero``."""
    return "".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in text)


def attribute(name: str) -> MappedField:
    return next(f for f in mapped_fields(FieldMapping(email="e", attributes={name: "c"})) if
                f.field == name)  # fmt: skip


def test_every_json_import_field_of_the_swagger_can_be_mapped() -> None:
    swagger = {
        "job_title", "company_name", "birthday_month", "birthday_day", "anniversary", "phone",
        "home_phone", "work_phone", "mobile_phone", "other_phone", "street", "street2", "city",
        "state", "zip", "country", "home_street", "home_street2", "home_city", "home_state",
        "home_zip", "home country", "work_street", "work_street2", "work_city", "work_state",
        "work_zip", "work_country", "other_street", "other_street2", "other_city", "other_state",
        "other_zip", "other_country", "sms_number", "sms_consent_date",
    }  # fmt: skip
    assert set(ATTRIBUTE_FIELDS) == swagger
    kinds = {f.field: f.kind for f in mapped_fields(
        FieldMapping(email="e", attributes={name: "c" for name in swagger}))}  # fmt: skip
    assert kinds["anniversary"] is kinds["sms_consent_date"] is FieldKind.DATE
    assert kinds["sms_number"] is FieldKind.SMS_NUMBER
    assert {kinds[p] for p in ("phone", "home_phone", "work_phone", "mobile_phone",
                               "other_phone")} == {FieldKind.PHONE}  # fmt: skip
    assert kinds["home country"] is FieldKind.TEXT


# --- text: control characters and lengths ------------------------------------------------


def test_newlines_and_tabs_become_one_space_and_control_characters_go() -> None:
    first = attribute("job_title")
    got = sent_and_reasons(first, [
        "Ana\tMaria", "Line1\r\nLine2", "a \n\n b", "Esc\x1b[31mRed", "C1\x9bx\x85y", "\x1b\x07",
        "  plain  ", "\u2028sep\u2029arated", "bell\x07", "del\x7f", "\n\t",
    ])  # fmt: skip
    assert got == [
        ("Ana Maria", R.CHANGED_CONTROL_CHARACTERS),
        ("Line1 Line2", R.CHANGED_CONTROL_CHARACTERS),
        ("a b", R.CHANGED_CONTROL_CHARACTERS),
        ("Esc[31mRed", R.CHANGED_CONTROL_CHARACTERS),
        ("C1x y", R.CHANGED_CONTROL_CHARACTERS),
        (None, R.DROPPED_CONTROL_CHARACTERS),
        ("plain", None),  # trimming is not a change
        ("sep arated", R.CHANGED_CONTROL_CHARACTERS),
        ("bell", R.CHANGED_CONTROL_CHARACTERS),
        ("del", R.CHANGED_CONTROL_CHARACTERS),
        (None, None),  # only whitespace: empty, so absent
    ]


def test_length_is_counted_in_utf16_units_and_long_values_are_dropped_not_cut() -> None:
    first = MappedField("first_name", "c", FieldRule(FieldKind.TEXT, 50))
    got = sent_and_reasons(first, [
        "😀" * 25, "😀" * 30, "😀" * 26, "x" * 50, "x" * 51, "é" * 50, "é" * 51, "😀" + "x" * 49,
    ])  # fmt: skip
    assert got == [
        ("😀" * 25, None),  # 25 characters, 50 UTF-16 units
        (None, R.DROPPED_TOO_LONG),  # 30 characters but 60 units
        (None, R.DROPPED_TOO_LONG),
        ("x" * 50, None),
        (None, R.DROPPED_TOO_LONG),
        ("é" * 50, None),  # 100 bytes, but 50 characters and units
        (None, R.DROPPED_TOO_LONG),
        (None, R.DROPPED_TOO_LONG),  # 50 characters, 51 units
    ]


def test_a_value_made_short_enough_by_cleaning_is_kept() -> None:
    first = MappedField("first_name", "c", FieldRule(FieldKind.TEXT, 5))
    assert sent_and_reasons(first, ["ab\r\n\r\n\r\ncd"]) == [
        ("ab cd", R.CHANGED_CONTROL_CHARACTERS)
    ]


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["anniversary", "sms_consent_date"])
def test_text_dates_in_documented_formats_are_sent_as_year_month_day(name: str) -> None:
    got = sent_and_reasons(attribute(name), [
        "05/11/1995", "5/1/1995", "1995/05/11", "1995/5/1", "1995-05-11", "1995-5-1",
        "5-1-1995", "5-11-1995", "2000-02-29", "2/29/2000",
    ])  # fmt: skip
    assert got == [
        ("1995-05-11", None), ("1995-05-01", None), ("1995-05-11", None), ("1995-05-01", None),
        ("1995-05-11", None), ("1995-05-01", None), ("1995-05-01", None), ("1995-05-11", None),
        ("2000-02-29", None), ("2000-02-29", None),
    ]  # fmt: skip


def test_iso_date_times_are_reduced_to_their_date_and_counted() -> None:
    got = sent_and_reasons(attribute("anniversary"), [
        "1995-05-11 00:00:00.000000000", "1995-05-11T00:00:00", "1995-05-11T23:59:59.123Z",
        "1995-05-11T10:00:00+02:00", "1995-05-11 10:00", "2006-02-30T00:00:00",
    ])  # fmt: skip
    changed = R.CHANGED_DATE_FORMAT
    assert got == [
        ("1995-05-11", changed), ("1995-05-11", changed), ("1995-05-11", changed),
        ("1995-05-11", changed), ("1995-05-11", changed), (None, R.DROPPED_INVALID_DATE),
    ]  # fmt: skip


def test_impossible_or_unrecognised_dates_are_dropped() -> None:
    got = sent_and_reasons(attribute("anniversary"), [
        "2006-13-45", "2006-02-30", "2001-02-29", "1900-02-29", "04/31/2020", "31/12/2020",
        "1995/05-11", "95-05-11", "11 May 1995", "1899-12-31", "2100-01-01", "+1995-05-11",
        "1995-05-11x", "next tuesday", "19950511", "0000-00-00",
    ])  # fmt: skip
    assert got == [(None, R.DROPPED_INVALID_DATE)] * 16


def test_polars_date_and_datetime_columns_become_year_month_day() -> None:
    days = [date(1995, 5, 11), date(2000, 2, 29), None, date(1850, 1, 1)]
    assert sent_and_reasons(attribute("anniversary"), days, pl.Date()) == [
        ("1995-05-11", None), ("2000-02-29", None), (None, None), (None, R.DROPPED_INVALID_DATE),
    ]  # fmt: skip
    times = [datetime(1995, 5, 11, 23, 59), datetime(2024, 2, 29), None]
    for unit in ("ns", "us", "ms"):
        got = sent_and_reasons(attribute("anniversary"), times, pl.Datetime(unit))
        assert got == [("1995-05-11", None), ("2024-02-29", None), (None, None)]


def test_a_date_custom_field_takes_dates_only() -> None:
    rule = custom_field_rule(CustomField("id", "since", type="date"))
    since = MappedField("cf:since", "c", rule)
    assert sent_and_reasons(since, ["2020-01-31", "gold", "1995-05-11 00:00:00", ""]) == [
        ("2020-01-31", None),
        (None, R.DROPPED_INVALID_DATE),
        ("1995-05-11", R.CHANGED_DATE_FORMAT),
        (None, None),
    ]


# --- birthdays --------------------------------------------------------------------------


def test_birthdays_are_both_parts_and_a_real_day_of_the_month() -> None:
    fields = mapped_fields(FieldMapping(
        email="e", attributes={"birthday_month": "m", "birthday_day": "d"}))  # fmt: skip
    rows = pl.DataFrame({
        "e": [f"p{i}@x.com" for i in range(10)],
        "m": ["2", "2", "4", "13", "7", None, "07", "7.0", "x", "0"],
        "d": ["29", "30", "31", "5", None, "3", "01", "31.0", "1", "1"],
    })  # fmt: skip
    result = contact_fields(rows, fields)
    assert result.contacts.select("birthday_month", "birthday_day").rows() == [
        (2, 29), (None, None), (None, None), (None, None), (None, None), (None, None), (7, 1),
        (7, 31), (None, None), (None, None),
    ]  # fmt: skip
    invalid, incomplete = R.DROPPED_INVALID_BIRTHDAY.value, R.DROPPED_INCOMPLETE_BIRTHDAY.value
    assert sorted(result.problems.select("index", "field", "reason").rows()) == [
        (1, "birthday_day", invalid), (1, "birthday_month", invalid),
        (2, "birthday_day", invalid), (2, "birthday_month", invalid),
        (3, "birthday_day", invalid), (3, "birthday_month", invalid),
        (4, "birthday_month", incomplete), (5, "birthday_day", incomplete),
        (8, "birthday_day", invalid), (8, "birthday_month", invalid),
        (9, "birthday_day", invalid), (9, "birthday_month", invalid),
    ]  # fmt: skip


# --- phones -----------------------------------------------------------------------------


def test_phones_are_north_american_and_never_cut() -> None:
    fifty_one = "+1 (555) 555-5555 ext. 123456" + " " * 11 + "-" * 11
    assert len(fifty_one) == 51
    got = sent_and_reasons(attribute("phone"), [
        "555-555-5555", "(555) 555-5555", "+1 555 555 5555", "1-555-555-5555", "555.555.5555",
        "5555555555", "555-555-5555 x12", "555-555-5555 ext. 123456", "555-555-5555ext7",
        "+44 20 7946 0958", "+33 1 23 45 67 89", "1-800-FLOWERS", "555-5555", "555-555-55555",
        "555-555-5555 ext 1234567", "555-555-5555 EXT 7", "555-555-5555 -", "+5 555 555 5555",
        fifty_one, "5" * 51,
    ])  # fmt: skip
    valid = [value for value, reason in got[:9] if reason is None]
    assert valid == ["555-555-5555", "(555) 555-5555", "+1 555 555 5555", "1-555-555-5555",
                     "555.555.5555", "5555555555", "555-555-5555 x12",
                     "555-555-5555 ext. 123456", "555-555-5555ext7"]  # fmt: skip
    assert got[9:18] == [(None, R.DROPPED_INVALID_PHONE)] * 9
    assert got[18:] == [(None, R.DROPPED_TOO_LONG)] * 2


def test_sms_numbers_are_sent_as_ten_digits() -> None:
    got = sent_and_reasons(attribute("sms_number"), [
        "5081231235", "508-123-1235", "(508) 123-1235", "+1 508 123 1235", "15081231235",
        "+44 20 7946 0958", "508-123-1235 x1", "508123123", "five",
    ])  # fmt: skip
    changed = R.CHANGED_SMS_NUMBER_FORMAT
    assert got == [
        ("5081231235", None), ("5081231235", None), ("5081231235", changed),
        ("5081231235", changed), ("5081231235", changed), (None, R.DROPPED_INVALID_PHONE),
        (None, R.DROPPED_INVALID_PHONE), (None, R.DROPPED_INVALID_PHONE),
        (None, R.DROPPED_INVALID_PHONE),
    ]  # fmt: skip


# --- custom fields ----------------------------------------------------------------------


def number_field(**metadata: object) -> MappedField:
    meta = CustomFieldMetadata(**metadata)  # type: ignore[arg-type]
    return MappedField("cf:n", "c", custom_field_rule(CustomField("id", "n", type="number",
                                                                  metadata=meta)))  # fmt: skip


def test_number_custom_fields_follow_sign_and_decimals() -> None:
    values = ["3", "-12.5", "3.50", "3.0", "1.234", "-0", "1e3", "1,000", "+3", ".5", "12.", "abc"]
    plain = sent_and_reasons(number_field(), values)
    bad = R.DROPPED_INVALID_NUMBER
    assert plain == [
        ("3", None), (None, bad), (None, bad), ("3", None), (None, bad), ("0", None),
        (None, bad), (None, bad), (None, bad), (None, bad), (None, bad), (None, bad),
    ]  # fmt: skip
    decimals = sent_and_reasons(number_field(allow_negative=True, decimal_places=2), values)
    assert [value for value, _ in decimals[:6]] == ["3", "-12.5", "3.5", "3", None, "0"]
    whole = sent_and_reasons(number_field(integer=True, decimal_places=2), ["7", "7.5", "7.00"])
    assert whole == [("7", None), (None, bad), ("7", None)]


def test_currency_is_a_number_field() -> None:
    meta = CustomFieldMetadata(decimal_places=2, currency_code="USD")
    rule = custom_field_rule(CustomField("id", "spend", type="currency", metadata=meta))
    assert rule == FieldRule(FieldKind.NUMBER, 255, allow_negative=False, max_decimals=2)


def test_select_custom_fields_take_only_their_choices() -> None:
    single = MappedField("cf:tier", "c", custom_field_rule(CustomField(
        "id", "tier", type="single_select", choices=("Gold", "Silver", "Ünïcode ✓"))))  # fmt: skip
    got = sent_and_reasons(single, ["Gold", "gold", "Ünïcode ✓", "Gold,Silver", " Silver "])
    bad = R.DROPPED_INVALID_CHOICE
    assert got == [("Gold", None), (None, bad), ("Ünïcode ✓", None), (None, bad),
                   ("Silver", None)]  # fmt: skip
    multi = MappedField("cf:tags", "c", custom_field_rule(CustomField(
        "id", "tags", type="multi_select", choices=("a", "b"))))  # fmt: skip
    got = sent_and_reasons(multi, ["a", "a,b", "a , b", "a,c", "a,,b"])
    assert got == [("a", None), ("a,b", None), ("a,b", None), (None, bad), (None, bad)]


def test_a_multi_select_names_each_choice_once() -> None:
    """The contract is silent on a choice named twice; the stricter reading refuses it
    (docs/api-rules.md section 3), so such a value is left out, never sent."""
    multi = MappedField("cf:tags", "c", custom_field_rule(CustomField(
        "id", "tags", type="multi_select", choices=("a", "b"))))  # fmt: skip
    got = sent_and_reasons(multi, ["a,a", "a, b ,a", "b,a"])
    bad = R.DROPPED_INVALID_CHOICE
    assert got == [(None, bad), (None, bad), ("b,a", None)]


def test_string_and_unknown_custom_field_types_are_text_of_255() -> None:
    for kind in ("string", "boolean", "", "something_new"):
        rule = custom_field_rule(CustomField("id", "x", type=kind))
        assert rule == FieldRule(FieldKind.TEXT, 255)
    assert custom_field_rule(None) == FieldRule(FieldKind.TEXT, 255)


def test_account_fields_give_custom_fields_their_rules() -> None:
    fields = mapped_fields(FieldMapping(email="e", attributes={"cf:since": "s", "cf:größe": "g",
                                                               "job_title": "t"}))  # fmt: skip
    account = [CustomField("1", "since", type="date"), CustomField("2", "größe", type="string")]
    typed = with_account_fields(fields, account)
    assert [(f.field, f.kind) for f in typed] == [
        ("email", FieldKind.EMAIL), ("cf:since", FieldKind.DATE), ("cf:größe", FieldKind.TEXT),
        ("job_title", FieldKind.TEXT),
    ]  # fmt: skip
    assert [f.kind for f in fields] == [FieldKind.EMAIL] + [FieldKind.TEXT] * 3


def test_custom_field_json_with_metadata_and_choices_is_read() -> None:
    custom = CustomField.from_json({
        "custom_field_id": "1618ae62-4752-11e9-9c8a-fa163e6b01c1", "name": "tier", "label": "Tier",
        "type": "single_select", "metadata": {"display_type": "dropdown", "allow_negative": True,
                                              "decimal_places": "x"},
        "choices": [{"choice_id": 1, "choice_label": "Gold"}, {"choice_label": "Old",
                    "deleted_at": "2023-12-18"}, {"choice_label": 5}, "junk"],
    })  # fmt: skip
    assert custom.choices == ("Gold",)
    assert custom.metadata == CustomFieldMetadata(allow_negative=True, display_type="dropdown")


# --- reasons and problems ---------------------------------------------------------------


def test_problem_rows_keep_the_value_as_the_segment_held_it() -> None:
    fields = [EMAIL, attribute("anniversary"), MappedField("cf:größe", "g", FieldRule(
        FieldKind.TEXT, 255))]  # fmt: skip
    rows = pl.DataFrame({"e": ["a@x.com", "b@x.com"], "c": ["  2006-13-45 ", "1995-05-11"],
                         "g": [None, "x\ty"]})  # fmt: skip
    result = contact_fields(rows, fields)
    assert result.problems.rows() == [
        (0, "anniversary", "dropped_invalid_date", "  2006-13-45 "),
        (1, "cf:größe", "changed_control_characters", "x\ty"),
    ]
    assert result.contacts.rows() == [("a@x.com", None, None), ("b@x.com", "1995-05-11", "x y")]


def test_results_do_not_depend_on_how_rows_are_chunked() -> None:
    fields = [EMAIL, MappedField("first_name", "c", FieldRule(FieldKind.TEXT, 5))]
    values = ["ok", "a\tb", "toolong", "fine", "😀😀😀"]
    rows = pl.DataFrame({"e": [f"p{i}@x.com" for i in range(5)], "c": values})
    whole = contact_fields(rows, fields).contacts
    parts = pl.concat([contact_fields(rows.slice(i, 1), fields).contacts for i in range(5)])
    assert whole.equals(parts)


def test_every_reason_name_is_stable() -> None:
    assert [reason.value for reason in FieldReason] == [
        "changed_control_characters", "changed_date_format", "changed_sms_number_format",
        "dropped_control_characters", "dropped_too_long", "dropped_invalid_date",
        "dropped_invalid_birthday", "dropped_incomplete_birthday", "dropped_invalid_phone",
        "dropped_invalid_number", "dropped_invalid_choice", "dropped_without_sms_number",
    ]  # fmt: skip
    assert [reason.is_drop for reason in FieldReason] == [False] * 3 + [True] * 9


# --- SMS consent ------------------------------------------------------------------------


def test_a_consent_date_is_sent_only_with_its_sms_number() -> None:
    """The date "that the contact consented to receiving SMS messages" is the consent of the
    number it comes with: without one (none given, or one left out) it is left out too."""
    fields = mapped_fields(FieldMapping(
        email="e", attributes={"sms_number": "s", "sms_consent_date": "d"}))  # fmt: skip
    rows = pl.DataFrame({
        "e": [f"p{i}@x.com" for i in range(6)],
        "s": ["5081231235", "+44 20 7946 0958", None, "5081231235", None, ""],
        "d": ["2024-01-02", "2024-01-02", "2024-01-02", "2024-02-30", "2024-02-30",
              "2024-01-02 10:00:00"],
    })  # fmt: skip
    result = contact_fields(rows, fields)
    assert result.contacts.select("sms_number", "sms_consent_date").rows() == [
        ("5081231235", "2024-01-02"), (None, None), (None, None), ("5081231235", None),
        (None, None), (None, None),
    ]  # fmt: skip
    without = R.DROPPED_WITHOUT_SMS_NUMBER.value
    assert result.problems.select("index", "field", "reason").rows() == [
        (1, "sms_number", R.DROPPED_INVALID_PHONE.value), (1, "sms_consent_date", without),
        (2, "sms_consent_date", without),
        (3, "sms_consent_date", R.DROPPED_INVALID_DATE.value),
        (4, "sms_consent_date", R.DROPPED_INVALID_DATE.value),
        (5, "sms_consent_date", without),  # a drop wins over the date-time's change
    ]  # fmt: skip


# --- digits -----------------------------------------------------------------------------


def test_digits_are_ascii_digits_only() -> None:
    """Polars' ``\\d`` takes every script's digits; the contract's are 0-9 (api-rules.md §3)."""
    arabic, full_width = in_digits("555-555-5555", 0x0660), in_digits("5555555555", 0xFF10)
    for name in ("phone", "sms_number"):
        mixed = "555-555-" + in_digits("5555", 0x0660)
        got = sent_and_reasons(attribute(name), [arabic, full_width, mixed])
        assert got == [(None, R.DROPPED_INVALID_PHONE)] * 3
    number = number_field(allow_negative=True, decimal_places=2)
    numbers = [in_digits("12", 0x0660), "12." + in_digits("5", 0x0660), in_digits("12", 0xFF10),
               "-" + in_digits("3", 0x0660)]  # fmt: skip
    assert sent_and_reasons(number, numbers) == [(None, R.DROPPED_INVALID_NUMBER)] * 4
    year = in_digits("2020", 0x0660)
    dates = [year + "-01-31", "2020-" + in_digits("0", 0x0660) + "1-31",
             in_digits("1", 0xFF10) + "/31/2020", year + "-01-31T10:00:00"]  # fmt: skip
    assert sent_and_reasons(attribute("anniversary"), dates) == [(None, R.DROPPED_INVALID_DATE)] * 4
    fields = mapped_fields(FieldMapping(
        email="e", attributes={"birthday_month": "m", "birthday_day": "d"}))  # fmt: skip
    rows = pl.DataFrame({"e": ["a@x.com", "b@x.com"], "m": [in_digits("2", 0x0660), "2"],
                         "d": ["3", in_digits("3", 0xFF10)]})  # fmt: skip
    result = contact_fields(rows, fields)
    assert result.contacts.select("birthday_month", "birthday_day").rows() == [(None, None)] * 2
