"""Mapping: checks before a run, and the cleaning applied to every contact."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from cc_tui.engine.mapping import (
    contact_fields,
    custom_field_problems,
    mapped_fields,
    mapping_problems,
)
from cc_tui.models.config import FieldMapping

MAPPING = FieldMapping(
    email="Email",
    first_name="First",
    last_name="Last",
    attributes={
        "job_title": "Title",
        "cf:tier": "Tier",
        "birthday_month": "BM",
        "birthday_day": "BD",
    },
)


def test_fields_are_ordered_email_first() -> None:
    assert [f.field for f in mapped_fields(MAPPING)] == [
        "email", "first_name", "last_name", "job_title", "cf:tier", "birthday_month",
        "birthday_day",
    ]  # fmt: skip


def test_missing_columns_are_named_per_segment() -> None:
    problems = mapping_problems(MAPPING, {
        "vip": ["Email", "First", "Last", "Title", "Tier", "BM", "BD"],
        "new": ["Email", "First"],
    })  # fmt: skip
    assert len(problems) == 1
    assert "Segment 'new'" in problems[0] and "'Last'" in problems[0] and "'Tier'" in problems[0]
    assert "its columns are: Email, First" in problems[0]


def test_more_than_25_custom_fields_and_half_birthdays_are_refused() -> None:
    many = FieldMapping(email="e", attributes={f"cf:f{i}": f"c{i}" for i in range(26)} | {
        "birthday_month": "m"})  # fmt: skip
    problems = mapping_problems(many, {})
    assert any("at most 25" in p for p in problems)
    assert any("birthday_month and birthday_day together" in p for p in problems)


def test_unknown_custom_fields_are_named() -> None:
    assert custom_field_problems(MAPPING, {"tier", "other"}) == []
    problems = custom_field_problems(MAPPING, {"other"})
    assert "cf:tier" in problems[0] and "other" in problems[0]


def test_values_are_trimmed_emptied_dropped_when_long_and_birthdays_paired() -> None:
    rows = pl.DataFrame({
        "Email": ["  Ana@X.com ", "bo@x.com"],
        "First": ["  Ana ", "   "],
        "Last": ["L" * 60, None],
        "Title": ["CEO", ""],
        "Tier": ["gold", "t" * 300],
        "BM": ["7", "13"],
        "BD": ["14", "2"],
    })  # fmt: skip
    fields = mapped_fields(MAPPING)
    expected = pl.DataFrame({
        "email": ["ana@x.com", "bo@x.com"],
        "first_name": ["Ana", None],
        "last_name": [None, None],  # too long: left out, never cut
        "job_title": ["CEO", None],
        "cf:tier": ["gold", None],
        "birthday_month": [7, None],
        "birthday_day": [14, None],
    }, schema_overrides={"last_name": pl.String})  # fmt: skip
    result = contact_fields(rows, fields)
    assert_frame_equal(result.contacts, expected)
    assert sorted(result.problems.drop("value").rows()) == [
        (0, "last_name", "dropped_too_long"),
        (1, "birthday_day", "dropped_invalid_birthday"),
        (1, "birthday_month", "dropped_invalid_birthday"),
        (1, "cf:tier", "dropped_too_long"),
    ]
