"""Pass 1: every row gets exactly one class, by vectorised rules."""

from __future__ import annotations

import polars as pl
import pytest

from cc_tui.engine.email_check import Classification, RowClass, classify, email_checks
from cc_tui.models.reasons import REJECT_REASONS


def checked(emails: list[str | None]) -> pl.DataFrame:
    frame = pl.DataFrame({"email": emails}, schema={"email": pl.String}).lazy()
    return email_checks(frame, "email").collect()


def classes(result: Classification) -> list[RowClass]:
    return [RowClass(value) for value in result.classes.to_list()]


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ana@example.com", RowClass.SENT),
        ("  Ana.Lopez+news@Example.CO.UK\t", RowClass.SENT),
        ("o'brien@example.ie", RowClass.SENT),
        (None, RowClass.MISSING_EMAIL),
        ("", RowClass.MISSING_EMAIL),
        ("   ", RowClass.MISSING_EMAIL),
        ("ana", RowClass.INVALID_EMAIL),
        ("ana@", RowClass.INVALID_EMAIL),
        ("@example.com", RowClass.INVALID_EMAIL),
        ("ana@@example.com", RowClass.INVALID_EMAIL),
        ("ana..lopez@example.com", RowClass.INVALID_EMAIL),
        (".ana@example.com", RowClass.INVALID_EMAIL),
        ("ana lopez@example.com", RowClass.INVALID_EMAIL),
        ("ana@example", RowClass.INVALID_EMAIL),
        ("ana@example.c", RowClass.INVALID_EMAIL),
        ("ana@-example.com", RowClass.INVALID_EMAIL),
        ("ana@example.123", RowClass.INVALID_EMAIL),
        # 51 characters: longer than the swagger's maxLength of 50 for an import's email.
        ("a" * 39 + "@example.com", RowClass.INVALID_EMAIL),
        ("a" * 38 + "@example.com", RowClass.SENT),
        # Internationalised domains in their ASCII form: any label, the TLD included.
        ("ana@xn--bcher-kva.example", RowClass.SENT),
        ("ana@example.xn--p1ai", RowClass.SENT),
        ("ana@xn--80ak6aa92e.xn--p1ai", RowClass.SENT),
        ("ana@example.xn--", RowClass.INVALID_EMAIL),
        ("ana@example.xn--p1ai-", RowClass.INVALID_EMAIL),
        ("ana@example.x1", RowClass.INVALID_EMAIL),
        # The Kelvin sign is the one character whose lower case is ASCII ("k"): the address
        # given is not a valid one, and must not be sent as another person's kate@.
        ("\u212aate@example.com", RowClass.INVALID_EMAIL),
        ("kate@example.\u212az", RowClass.INVALID_EMAIL),
        ("KATE@EXAMPLE.COM", RowClass.SENT),
    ],
)
def test_single_email_rules(email: str | None, expected: RowClass) -> None:
    assert classes(classify([checked([email])], cap=10)) == [expected]


def test_duplicates_across_segments_first_occurrence_wins() -> None:
    first = checked(["a@x.com", "B@x.com", "a@x.com", None, "bad"])
    second = checked([" b@X.com", "c@x.com", "A@x.com", "bad"])
    result = classify([first, second], cap=100)
    assert classes(result) == [
        RowClass.SENT, RowClass.SENT, RowClass.DUPLICATE_EMAIL, RowClass.MISSING_EMAIL,
        RowClass.INVALID_EMAIL,
        RowClass.DUPLICATE_EMAIL, RowClass.SENT, RowClass.DUPLICATE_EMAIL,
        RowClass.INVALID_EMAIL,
    ]  # fmt: skip
    assert result.segment_rows == (5, 4)
    assert result.for_segment(1).to_list() == [3, 0, 3, 2]


def test_cap_counts_only_new_contacts_and_duplicates_stay_duplicates() -> None:
    frame = checked(["a@x.com", "b@x.com", "a@x.com", "c@x.com", "d@x.com", "c@x.com", "e"])
    result = classify([frame], cap=2)
    assert classes(result) == [
        RowClass.SENT, RowClass.SENT, RowClass.DUPLICATE_EMAIL, RowClass.OVER_CAP,
        RowClass.OVER_CAP, RowClass.DUPLICATE_EMAIL, RowClass.INVALID_EMAIL,
    ]  # fmt: skip


def test_accounting_identity_holds() -> None:
    frame = checked(["a@x.com", None, "b@x.com", "b@x.com", "oops", "c@x.com"] * 50)
    result = classify([frame], cap=2)
    counts = result.counts()
    assert sum(counts.values()) == result.rows_read == 300
    assert counts[RowClass.SENT] == 2
    assert counts[RowClass.OVER_CAP] == 1
    assert counts[RowClass.MISSING_EMAIL] == 50
    assert counts[RowClass.INVALID_EMAIL] == 50
    assert counts[RowClass.DUPLICATE_EMAIL] == 300 - 2 - 1 - 100


def test_empty_input_is_a_clean_zero() -> None:
    result = classify([checked([])], cap=10)
    assert result.rows_read == 0
    assert all(count == 0 for count in result.counts().values())


def test_real_cap_of_one_million() -> None:
    emails = pl.select(pl.format("user{}@example.com", pl.int_range(0, 1_000_005)).alias("email"))
    result = classify([email_checks(emails.lazy(), "email").collect()], cap=1_000_000)
    counts = result.counts()
    assert counts[RowClass.SENT] == 1_000_000
    assert counts[RowClass.OVER_CAP] == 5
    assert result.classes[-1] == RowClass.OVER_CAP


def test_duplicates_and_cap_match_a_plain_reading() -> None:
    """Keys seen once and keys repeated (found apart) give the answer of a plain reading."""
    emails = [None if i % 17 == 0 else f"User{(i * 7919) % 61}@Example.com " for i in range(400)]
    emails[5] = "not an address"
    cap = 40
    seen: set[str] = set()
    expected = []
    for email in emails:
        normal = (email or "").strip().lower()
        if not normal:
            expected.append(RowClass.MISSING_EMAIL)
        elif "@" not in normal:
            expected.append(RowClass.INVALID_EMAIL)
        elif normal in seen:
            expected.append(RowClass.DUPLICATE_EMAIL)
        else:
            seen.add(normal)
            expected.append(RowClass.SENT if len(seen) <= cap else RowClass.OVER_CAP)
    parts = [checked(emails[:150]), checked(emails[150:])]  # two segments
    assert classes(classify(parts, cap=cap)) == expected


def test_every_rejected_class_names_one_reject_reason() -> None:
    reasons = [row_class.reason for row_class in RowClass if row_class is not RowClass.SENT]
    assert reasons == list(REJECT_REASONS)
