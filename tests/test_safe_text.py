"""cc_tui.safe_text.visible: control characters become visible stand-ins, nothing else moves."""

from __future__ import annotations

import pytest

from cc_tui.safe_text import CELL_CHARACTERS, SHOWN_CHARACTERS, visible
from tests.hostile import HOSTILE, SHOWN_AS, SHOWN_LITERALLY, assert_harmless


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_come_out_harmless(text: str) -> None:
    assert_harmless(visible(text))
    assert_harmless(visible(text, multiline=True))


def test_stand_ins_show_what_was_there() -> None:
    shown = " ".join(visible(text) for text in HOSTILE)
    for text in (*SHOWN_LITERALLY, *SHOWN_AS):
        assert text in shown
    assert visible("before\rafter") == "before␍after"
    assert visible("\x00\x7f") == "␀␡"


def test_plain_text_is_returned_unchanged() -> None:
    text = "Prix été 2024 · Zoë <zoe@example.com> [vip] 東京"
    assert visible(text) is text


def test_line_feeds_and_tabs_stay_only_in_multiline_text() -> None:
    assert visible("a\tb\nc") == "a␉b␊c"
    assert visible("a\tb\nc", multiline=True) == "a\tb\nc"
    assert visible("a\x1bb\nc", multiline=True) == "a␛b\nc"


def test_invisible_format_characters_are_named() -> None:
    assert visible("\ufeffEmail") == "<U+FEFF>Email"
    assert visible("x\u2066y\u2069") == "x<U+2066>y<U+2069>"
    assert visible("a\u2028b") == "a<U+2028>b"


def test_file_name_bytes_that_are_not_utf8_show_as_bytes() -> None:
    name = b"caf\xe9.csv".decode("utf-8", "surrogateescape")
    shown = visible(name)
    assert shown == "caf\\xe9.csv"
    shown.encode("utf-8")  # an encoder no longer fails on it


def test_non_strings_are_shown_through_str() -> None:
    assert visible(42) == "42"
    assert visible(None) == "None"


def test_long_text_is_cut_and_the_cut_says_how_much_it_left_out() -> None:
    header = "\x00" * 5_000_000  # a "column name" from a file with no line break
    shown = visible(header, limit=CELL_CHARACTERS)
    assert shown == "␀" * CELL_CHARACTERS + f"… ({5_000_000 - CELL_CHARACTERS:,} more)"
    assert visible("x" * SHOWN_CHARACTERS) == "x" * SHOWN_CHARACTERS  # at the limit: whole
    assert visible("x" * (SHOWN_CHARACTERS + 1)).endswith("… (1 more)")
