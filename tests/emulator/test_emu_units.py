"""Unit tests of the pieces with no server: body parsing, schema checks, e-mail rules, paging."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cc_tui.emulator.bodyparse import parse_import_body
from cc_tui.emulator.limits import RequestLimiter, Verdict
from cc_tui.emulator.oauth_codes import normalize_user_code
from cc_tui.emulator.rules import (
    EMAIL_RE,
    PHONE_RE,
    SMS_NUMBER_RE,
    birthday_problem,
    is_documented_date,
    number_problem,
    utf16_units,
)
from cc_tui.emulator.schema import ImportChecker, check, definitions

LIST_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"


def test_packaged_schema_loads() -> None:
    defs = definitions()
    assert {"ContactsJsonImport", "JsonImportContact", "ActivityImport"} <= set(defs)
    assert check([{"error_key": "k", "error_message": "m"}], defs["APIErrorSchema"]) == []
    assert check({"list_id": 5}, defs["ContactList"]) == [
        "$.name: required property missing",
        "$.list_id: expected string, got integer",
    ]


def _body(items: list[Any], tail: str = "") -> bytes:
    return json.dumps({"import_data": items, "list_ids": [LIST_ID]}).encode() + tail.encode()


def test_a_body_within_the_limit_is_parsed_whole() -> None:
    body = _body([{"email": "a@b.cd"}])
    assert parse_import_body(body, len(body)) == (json.loads(body), None)


@pytest.mark.parametrize("limit", [40, 60, 61, 62, 80, 200])
def test_only_items_wholly_inside_the_limit_are_kept(limit: int) -> None:
    items = [{"email": f"n{n}@ex.com", "first_name": "Zoë"} for n in range(5)]
    text = (
        '{ "import_data" : [ ' + " , ".join(json.dumps(i) for i in items) + ' ] , "list_ids": []}'
    )
    body = text.encode()
    doc, kept = parse_import_body(body, limit)
    assert doc == json.loads(body)
    ends = []
    for item in items:
        ends.append(body.index(json.dumps(item).encode()) + len(json.dumps(item).encode()))
    assert kept == sum(1 for end in ends if end <= limit)


def test_multi_byte_characters_straddling_the_limit() -> None:
    body = '{"import_data":[{"first_name":"ééé"}],"list_ids":[]}'.encode()
    end = body.index(b"}") + 1
    assert parse_import_body(body, end)[1] == 1
    assert parse_import_body(body, end - 1)[1] == 0


@pytest.mark.parametrize(
    "body",
    [b'{"import_data":[1,]}', b'{"import_data":[1] "x":2}', b'{"a":1}}', b"{1:2}", b"\xff\xfe"],
)
def test_malformed_large_bodies_raise_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_import_body(body + b" " * 10, 4)


def test_non_object_large_bodies_are_returned_for_the_checker() -> None:
    assert parse_import_body(b"[1, 2, 3]   ", 2) == ([1, 2, 3], None)


@pytest.mark.parametrize(
    "email",
    [
        *("a@b.co", "first.last@sub.example.org", "x+tag@ex-ample.com", "o'neil@example.ie"),
        # Internationalised domains in their ASCII form, an xn-- top-level domain included.
        *("info@xn--mller-kva.de", "anna@xn--80ak6aa92e.xn--p1ai", "a@b.xn--p1ai"),
    ],
)
def test_valid_emails(email: str) -> None:
    assert EMAIL_RE.fullmatch(email)


@pytest.mark.parametrize(
    "email",
    [
        *("plain", "a@b", "a@b.c", "a@b.c0m", ".a@b.co", "a.@b.co", "a..b@c.co", "a@-b.co"),
        *("a@b-.co", "a@b..co", "a b@c.co", "a@b.co.", "@b.co", "a@@b.co", "a@b.xn--"),
        *("a@b.xn--p1ai-", "jörg@example.de", "a@müller.de", "a@b.co\n", "a\t@b.co"),
    ],
)
def test_invalid_emails(email: str) -> None:
    assert not EMAIL_RE.fullmatch(email)


@pytest.mark.parametrize(
    "text",
    [
        *("11/15/2006", "1/5/2006", "2006/11/15", "2006/1/5", "2006-11-15", "2006-1-5"),
        *("7-3-2024", "07-03-2024", "7-31-2024", "2/29/2024", "1900-01-01", "2099-12-31"),
    ],
)
def test_documented_dates(text: str) -> None:
    assert is_documented_date(text)


@pytest.mark.parametrize(
    "text",
    [
        *("2006-13-45", "1995-05-11 00:00:00.000000000", "2006-11-15T00:00:00", "2/30/2020"),
        *("4/31/2020", "2/29/2023", "2006/11-15", "15.11.2006", "06-11-15", "1899-12-31"),
        *("2100-01-01", "2006-011-15", "yesterday", " 2006-11-15", "2006-11-15\n"),
        *("11/15/06", "20061115", "\uff12\uff10\uff10\uff16-11-15"),  # full-width digits
    ],
)
def test_undocumented_or_impossible_dates(text: str) -> None:
    assert not is_documented_date(text)


@pytest.mark.parametrize(
    ("month", "day", "problem"),
    [
        (2, 29, None),
        (12, 31, None),
        (None, None, None),
        (2, 30, "impossible"),
        (4, 31, "impossible"),
        (13, 1, "impossible"),
        (0, 5, "impossible"),
        (6, 0, "impossible"),
        (5, None, "half"),
        (None, 5, "half"),
    ],
)
def test_birthdays(month: int | None, day: int | None, problem: str | None) -> None:
    assert birthday_problem(month, day) == problem


@pytest.mark.parametrize(
    "phone",
    [
        *("555-555-5555", "(555) 555-5555", "555.555.5555", "5555555555", "+1 555 555 5555"),
        *("1-555-555-5555", "+1(555)555-5555", "555-555-5555 x123", "555-555-5555 ext. 12"),
        *("555 555 5555 ext 123456", "15555555555", "555-555-5555x1"),
    ],
)
def test_north_american_phones(phone: str) -> None:
    assert PHONE_RE.fullmatch(phone)


@pytest.mark.parametrize(
    "phone",
    [
        *("+44 20 7946 0958", "+33 1 42 68 53 00", "0044 20 7946 0958", "555-5555"),
        *("555-555-55555", "+2 555 555 5555", "555/555/5555", "555-555-5555 x1234567"),
        *("555-555-5555 Ext. 1", "555-555-5555 #12", "phone: 555-555-5555", "+1 555 555 5555 5"),
        "١٢٣٤٥٦٧٨٩٠",
    ],
)
def test_other_phones_are_refused(phone: str) -> None:
    assert not PHONE_RE.fullmatch(phone)


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        *(("1231231234", True), ("123-123-1234", True), ("(123) 123-1234", False)),
        *(("123.123.1234", False), ("+11231231234", False), ("11231231234", False)),
        *(("\uff11231231234", False), ("123-123-123\u0664", False)),  # other scripts' digits
    ],
)
def test_sms_numbers(number: str, ok: bool) -> None:
    assert bool(SMS_NUMBER_RE.fullmatch(number)) is ok


@pytest.mark.parametrize(
    ("text", "negative", "whole", "places", "problem"),
    [
        ("12.5", False, False, 2, None),
        ("3", False, True, 0, None),
        ("-12.5", True, False, 1, None),
        ("-12.5", False, False, 1, "negative numbers are not allowed"),
        ("12.5", False, True, 0, "whole numbers only"),
        ("12.345", False, False, 2, "at most 2 decimal places"),
        *(("1e3", False, False, 2, "not a plain decimal number"),),
        *(("+3", True, False, 2, "not a plain decimal number"),),
        *((".5", False, False, 2, "not a plain decimal number"),),
        *(("3.", False, False, 2, "not a plain decimal number"),),
        *(("1,5", False, False, 2, "not a plain decimal number"),),
        *(("\u0661\u0662", False, False, 2, "not a plain decimal number"),),  # Arabic-Indic 12
        *(("1.\uff15", False, False, 2, "not a plain decimal number"),),  # full-width 5
    ],
)
def test_numbers(text: str, negative: bool, whole: bool, places: int, problem: str | None) -> None:
    assert number_problem(text, negative, whole, places) == problem


def test_utf16_units_count_emoji_twice() -> None:
    assert utf16_units("abc") == 3
    assert utf16_units("Größe") == 5
    assert utf16_units("😀" * 30) == 60


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 40),
    st.text(max_size=60),
    st.lists(st.integers(), max_size=2),
)
_KEYS = st.sampled_from(
    ["email", "first_name", "birthday_day", "street", "sms_number", "cf:tier", "cf:nope", "zzz"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=4), max_size=6))
def test_the_fast_column_check_agrees_with_the_row_check(items: list[dict[str, Any]]) -> None:
    checker = ImportChecker()
    names = frozenset({"tier"})
    fast = checker.check_contacts(items, names)
    assert (fast == []) == (checker._row_problems(items, names) == [])


def test_the_sliding_window_counts_any_one_second() -> None:
    limiter = RequestLimiter()
    verdicts = [limiter.admit("app", at, 0.0, 2, 100) for at in (0.0, 0.5, 0.9, 1.0, 1.49, 1.51)]
    assert verdicts == [
        Verdict.ACCEPTED,
        Verdict.ACCEPTED,
        Verdict.THROTTLED,
        Verdict.ACCEPTED,
        Verdict.THROTTLED,
        Verdict.ACCEPTED,
    ]
    # 0.5, 0.9, 1.0 and 1.49 arrived within one second (throttled ones count).
    assert limiter.max_requests_in_one_second() == (4, {"app": 4})


def test_throttled_requests_take_no_slot() -> None:
    limiter = RequestLimiter()
    arrivals = (0.0, 0.1, 0.2, 0.3, 1.15, 1.2, 1.25)
    verdicts = "".join(limiter.admit("app", at, 0.0, 2, 100).value[0] for at in arrivals)
    # Had the throttled 0.2 and 0.3 taken slots, 1.15 would be throttled too.
    assert verdicts == "aattaat"


def test_the_daily_quota_resets_at_utc_midnight() -> None:
    limiter = RequestLimiter()
    day = 86_400.0
    assert limiter.admit("app", 0.0, day - 1, 10, 1) is Verdict.ACCEPTED
    assert limiter.admit("app", 2.0, day - 0.5, 10, 1) is Verdict.QUOTA_EXCEEDED
    assert limiter.admit("app", 4.0, day + 0.5, 10, 1) is Verdict.ACCEPTED


@pytest.mark.parametrize(
    ("typed", "normal"), [("bcdf-ghjk", "BCDF-GHJK"), ("BCDF GHJK", "BCDF-GHJK"), ("", "")]
)
def test_user_codes_are_normalised(typed: str, normal: str) -> None:
    assert normalize_user_code(typed) == normal
