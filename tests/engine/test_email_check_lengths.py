"""Pass 1 holds an e-mail to Constant Contact's length in characters: the pattern admits ASCII
alone, so the length is taken in bytes, and a non-ASCII address is invalid whatever its length."""

from __future__ import annotations

import polars as pl

from cc_tui.engine.email_check import RowClass, email_checks
from cc_tui.models.api_rules import EMAIL_MAX_LENGTH

_DOMAIN = "@example.com"


def _address(length: int) -> str:
    return "a" * (length - len(_DOMAIN)) + _DOMAIN


def _classes(emails: list[str]) -> list[int]:
    frame = pl.LazyFrame({"email": emails})
    return email_checks(frame, "email").collect().get_column("cls").to_list()


def test_an_address_of_the_longest_length_is_valid_and_one_longer_is_not() -> None:
    assert _classes([_address(EMAIL_MAX_LENGTH), _address(EMAIL_MAX_LENGTH + 1)]) == [
        RowClass.SENT.value,
        RowClass.INVALID_EMAIL.value,
    ]


def test_non_ascii_addresses_are_invalid_however_short() -> None:
    assert _classes(["josé@example.com", "zoë@exämple.com", "a@b.co"]) == [
        RowClass.INVALID_EMAIL.value,
        RowClass.INVALID_EMAIL.value,
        RowClass.SENT.value,
    ]
