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
from cc_tui.emulator.rules import EMAIL_RE, correctable_reason
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
    ["a@b.co", "first.last@sub.example.org", "x+tag@ex-ample.com", "o'neil@example.ie"],
)
def test_valid_emails(email: str) -> None:
    assert EMAIL_RE.fullmatch(email)


@pytest.mark.parametrize(
    "email",
    [
        *("plain", "a@b", "a@b.c", "a@b.c0m", ".a@b.co", "a.@b.co", "a..b@c.co", "a@-b.co"),
        *("a@b-.co", "a@b..co", "a b@c.co", "a@b.co.", "@b.co", "a@@b.co"),
    ],
)
def test_invalid_emails(email: str) -> None:
    assert not EMAIL_RE.fullmatch(email)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"email": "a@b.co"}, None),
        ({"sms_number": "5551234567"}, None),
        ({"first_name": "x"}, "no email address or sms_number"),
        ({"email": "a@b.co", "birthday_month": 2, "birthday_day": 29}, None),
        ({"email": "a@b.co", "birthday_day": 3}, "birthday needs both"),
        ({"email": "a@b.co", "birthday_month": 13, "birthday_day": 3}, "invalid birthday"),
        ({"email": "a@b.co", "anniversary": "2006-11-15"}, None),
        ({"email": "a@b.co", "anniversary": "11/15/2006"}, None),
        ({"email": "a@b.co", "anniversary": "2-30-2020"}, "invalid anniversary date"),
        ({"email": "a@b.co", "anniversary": "yesterday"}, "invalid anniversary date"),
    ],
)
def test_correctable_reasons(item: dict[str, Any], reason: str | None) -> None:
    found = correctable_reason(item)
    assert found == reason if reason is None else (found or "").startswith(reason)


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
