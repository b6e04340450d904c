"""What each optional contact field may hold before it is sent (docs/api-rules.md section 3).

A rule turns one field's trimmed text into two Polars expressions: the value to send (null when
the field is left out of the contact) and the reason (a :class:`~cc_tui.models.FieldReason`
value, null when the value goes as it was given, trimming aside). Everything is vectorised: no
Python runs per row. A value that breaks a rule is never cut or guessed at; it is dropped, and
its contact is still sent.

The expressions read helper columns that :mod:`cc_tui.engine.mapping` computes once per chunk
(the cleaned text, the parsed date), so each regular expression runs once per value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import polars as pl

from cc_tui.models import CUSTOM_FIELD_MAX_LENGTH, FieldReason

if TYPE_CHECKING:  # the client's package (httpx...) is not needed to read these
    from cc_tui.constant_contact.schemas import CustomField

__all__ = [
    "CONTROL_PATTERN",
    "SPECIAL_CHARACTERS",
    "FieldKind",
    "FieldRule",
    "birthday_exprs",
    "cleaned_text",
    "custom_field_rule",
    "date_exprs",
    "has_control",
    "has_special",
    "over_length",
    "rule_exprs",
    "special_in",
]

# C0, DEL and C1 control characters, and the Unicode line and paragraph separators.
CONTROL_PATTERN = r"[\x00-\x1F\x7F-\x9F\x{2028}\x{2029}]"
# Control characters and line separators, and the characters a JSON string escapes (the quote
# and the backslash): one scan of a column tells whether it needs cleaning or escaping at all.
# A list of characters (Aho-Corasick) scans about a quarter faster than a regular expression.
SPECIAL_CHARACTERS = (
    *map(chr, range(0x20)),
    *map(chr, range(0x7F, 0xA0)),
    "\u2028",
    "\u2029",
    '"',
    "\\",
)
# A run of line breaks and tabs (with the spaces around them) becomes one space...
_BREAKS = r"(?:[ ]*[\t\n\x0B\x0C\r\x{85}\x{2028}\x{2029}])+[ ]*"
# ...and every other control character is removed.
_OTHER_CONTROL = r"[\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]"
# Characters outside the Basic Multilingual Plane take two UTF-16 code units.
_ASTRAL = r"[\x{10000}-\x{10FFFF}]"

# The documented date formats, year first or year last, one separator throughout (M and D: 1
# or 2 digits; the ISO forms YYYY-MM-DD and MM/DD/YYYY are among them).
_YEAR_FIRST = r"^\d{4}(?:-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2})$"
_YEAR_LAST = r"^\d{1,2}(?:-\d{1,2}-|/\d{1,2}/)\d{4}$"
# An ISO 8601 date and time (as Spark, Polars and most databases write one): its date is sent.
_ISO_DATE_TIME = (
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?"
    r"(?:[ ]?(?:Z|UTC|[+-]\d{2}(?::?\d{2})?))?$"
)
_ISO_DATE_LENGTH = len("YYYY-MM-DD")
# Years Constant Contact is assumed to take (the contract names none; api-rules.md: assumed).
_FIRST_YEAR, _LAST_YEAR = 1900, 2099
_DATE_FORMAT = "%Y-%m-%d"

# North American numbers: an optional +1 or 1, ten digits with only spaces, - . ( ) between
# them, and an optional extension (x, ext, ext.) of 1 to 6 digits.
_PHONE = r"(?i)^(?:\+?1[ .\-]*)?[ .\-()]*(?:\d[ .\-()]*){10}(?:(?:x|ext\.?)[ ]*\d{1,6})?$"
_SMS = r"^(?:\+?1[ .\-]*)?[ .\-()]*(?:\d[ .\-()]*){10}$"
_SMS_DOCUMENTED = r"^\d{10}$|^\d{3}-\d{3}-\d{4}$"
_PHONE_SEPARATORS = [" ", "-", ".", "(", ")", "+"]
_NANP_DIGITS = 10

_NUMBER = r"^-?\d+(?:\.\d+)?$"
_WHOLE_TEXT = r"^\d+(?:\.0*)?$"  # a whole number, as text or as a float's text ("7.0")
_MONTHS = (1, 12)
_DAYS = (1, 31)
# Birthdays have no year, so 29 February is a real one.
_FEBRUARY_DAYS = 29
_SHORT_MONTHS = (4, 6, 9, 11)


class FieldKind(StrEnum):
    """Which rule a mapped field follows."""

    EMAIL = "email"
    TEXT = "text"
    BIRTHDAY_MONTH = "birthday_month"
    BIRTHDAY_DAY = "birthday_day"
    DATE = "date"
    PHONE = "phone"
    SMS_NUMBER = "sms_number"
    NUMBER = "number"
    SINGLE_SELECT = "single_select"
    MULTI_SELECT = "multi_select"


@dataclass(frozen=True, slots=True)
class FieldRule:
    """A field's kind and the limits its values are held to.

    ``max_length`` is checked on the value as given (after cleaning), in characters and in
    UTF-16 code units; dates and SMS numbers are sent in a short fixed form instead, so they
    have none. ``choices``, ``allow_negative`` and ``max_decimals`` come from a custom field.
    """

    kind: FieldKind
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    allow_negative: bool = False
    max_decimals: int = 0


_CUSTOM_KINDS = {
    "date": FieldKind.DATE,
    "number": FieldKind.NUMBER,
    "currency": FieldKind.NUMBER,
    "single_select": FieldKind.SINGLE_SELECT,
    "multi_select": FieldKind.MULTI_SELECT,
}


def custom_field_rule(custom: CustomField | None) -> FieldRule:
    """The rule of a ``cf:`` field, from the account's definition of it.

    Unknown (a dry run does not ask the account) or any other type: text of at most 255.
    Numbers: negative only when ``metadata.allow_negative`` says so (the swagger's default is
    no); whole only when ``metadata.integer``; otherwise at most ``metadata.decimal_places``
    decimals, and none when the metadata names no count (assumed: the stricter reading).
    """
    if custom is None:
        return FieldRule(FieldKind.TEXT, CUSTOM_FIELD_MAX_LENGTH)
    kind = _CUSTOM_KINDS.get(custom.type.strip().lower(), FieldKind.TEXT)
    if kind is FieldKind.DATE:
        return FieldRule(kind)
    meta = custom.metadata
    decimals = 0 if meta.integer else max(0, meta.decimal_places or 0)
    return FieldRule(
        kind,
        CUSTOM_FIELD_MAX_LENGTH,
        choices=custom.choices,
        allow_negative=meta.allow_negative is True,
        max_decimals=decimals,
    )


def has_control(text: pl.Expr) -> pl.Expr:
    """True where ``text`` holds a control character or a line separator."""
    return text.str.contains(CONTROL_PATTERN)


def has_special(text: str) -> bool:
    """True when ``text`` holds a control character, a line separator, a quote or a backslash."""
    return any(character in text for character in SPECIAL_CHARACTERS)


def special_in(text: pl.Expr) -> pl.Expr:
    """True where ``text`` holds a control character, a line separator, a quote or a backslash."""
    return text.str.contains_any(list(SPECIAL_CHARACTERS))


def cleaned_text(text: pl.Expr) -> pl.Expr:
    """``text`` with line breaks and tabs as single spaces, other control characters removed,
    trimmed again."""
    return text.str.replace_all(_BREAKS, " ").str.replace_all(_OTHER_CONTROL, "").str.strip_chars()


def over_length(text: pl.Expr, limit: int) -> pl.Expr:
    """True where ``text`` is longer than ``limit`` in characters or UTF-16 code units.

    UTF-16 units are never fewer than characters, so they decide; a value of at most ``limit``
    bytes is never too long (every character takes at least as many bytes as units), so only
    long ones are counted exactly.
    """
    units = text.str.len_chars() + text.str.count_matches(_ASTRAL)
    return (text.str.len_bytes() > limit) & (units > limit)


def date_exprs(text: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """The date in ``text`` (a ``pl.Date``, null when there is none) and whether it had to be
    taken out of a date-time text (so it was not sent as given).

    A Polars Date or Datetime column gives its date as it is. Text must be a documented format
    or an ISO date-time; then the date must exist (no 30 February, no month 13) and fall from
    1900 to 2099.
    """
    if dtype == pl.Date:
        date = text.cast(pl.Date)
        from_time = pl.lit(False)
    elif isinstance(dtype, pl.Datetime):
        date = text.dt.date()
        from_time = pl.lit(False)
    else:
        from_time = text.str.contains(_ISO_DATE_TIME)
        written = pl.when(from_time).then(text.str.slice(0, _ISO_DATE_LENGTH)).otherwise(text)
        dashed = written.str.replace_all("/", "-", literal=True)
        date = (
            pl.when(written.str.contains(_YEAR_FIRST))
            .then(dashed.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
            .when(written.str.contains(_YEAR_LAST))
            .then(dashed.str.strptime(pl.Date, "%m-%d-%Y", strict=False))
        )
    in_range = date.dt.year().is_between(_FIRST_YEAR, _LAST_YEAR)
    return pl.when(in_range).then(date), from_time


def _days_in_month(month: pl.Expr) -> pl.Expr:
    return (
        pl.when(month == 2)
        .then(_FEBRUARY_DAYS)
        .when(month.is_in(_SHORT_MONTHS))
        .then(30)
        .otherwise(31)
    )


def _whole_number(text: pl.Expr) -> pl.Expr:
    whole = text.str.contains(_WHOLE_TEXT)
    return pl.when(whole).then(text.str.replace(r"\.0*$", "").str.to_integer(strict=False))


def birthday_exprs(month_text: pl.Expr, day_text: pl.Expr) -> tuple[pl.Expr, ...]:
    """Month, day, month reason and day reason of a birthday: both parts or neither.

    A part given alone is dropped as incomplete; a month or day out of range, not whole, or a
    day the month does not have (30 February, 31 April) drops both as invalid.
    """
    month, day = _whole_number(month_text), _whole_number(day_text)
    has_month, has_day = month_text.is_not_null(), day_text.is_not_null()
    real = (
        month.is_between(*_MONTHS)
        & day.is_between(*_DAYS)
        & (day <= _days_in_month(month))
        & has_month
        & has_day
    )
    problem = (
        pl.when(real)
        .then(pl.lit(None, pl.String))
        .when(has_month & has_day)
        .then(pl.lit(FieldReason.DROPPED_INVALID_BIRTHDAY.value))
        .otherwise(pl.lit(FieldReason.DROPPED_INCOMPLETE_BIRTHDAY.value))
    )
    return (
        pl.when(real).then(month),
        pl.when(real).then(day),
        pl.when(has_month).then(problem),
        pl.when(has_day).then(problem),
    )


def rule_exprs(
    rule: FieldRule, text: pl.Expr, date: pl.Expr | None, from_time: pl.Expr | None
) -> tuple[pl.Expr, pl.Expr | None, pl.Expr | None]:
    """The value to send, the reason it was dropped and the reason it was changed by the rule
    (reasons null where they do not apply; None when the rule never gives one).

    ``text`` is the cleaned, non-empty text (null when absent); ``date`` and ``from_time`` the
    results of :func:`date_exprs` for a DATE rule.
    """
    kind = rule.kind
    if kind is FieldKind.DATE:
        assert date is not None and from_time is not None  # the caller parses dates first
        value = date.dt.strftime(_DATE_FORMAT)
        return (
            value,
            _dropped(value, text, FieldReason.DROPPED_INVALID_DATE),
            _changed(value, from_time, FieldReason.CHANGED_DATE_FORMAT),
        )
    if kind is FieldKind.SMS_NUMBER:
        digits = text.str.replace_many(_PHONE_SEPARATORS, [""] * len(_PHONE_SEPARATORS))
        value = pl.when(text.str.contains(_SMS)).then(
            digits.str.slice(digits.str.len_bytes() - _NANP_DIGITS)
        )
        reformatted = ~text.str.contains(_SMS_DOCUMENTED)
        return (
            value,
            _dropped(value, text, FieldReason.DROPPED_INVALID_PHONE),
            _changed(value, reformatted, FieldReason.CHANGED_SMS_NUMBER_FORMAT),
        )
    checked: dict[FieldKind, tuple[pl.Expr, FieldReason]] = {
        FieldKind.PHONE: (
            pl.when(text.str.contains(_PHONE)).then(text),
            FieldReason.DROPPED_INVALID_PHONE,
        ),
        FieldKind.NUMBER: (_number(rule, text), FieldReason.DROPPED_INVALID_NUMBER),
        FieldKind.SINGLE_SELECT: (
            pl.when(text.is_in(list(rule.choices))).then(text),
            FieldReason.DROPPED_INVALID_CHOICE,
        ),
        FieldKind.MULTI_SELECT: (
            _choices(rule.choices, text),
            FieldReason.DROPPED_INVALID_CHOICE,
        ),
    }
    if kind in checked:
        value, reason = checked[kind]
        return value, _dropped(value, text, reason), None
    return text, None, None


def _dropped(value: pl.Expr, text: pl.Expr, reason: FieldReason) -> pl.Expr:
    return pl.when(text.is_not_null() & value.is_null()).then(pl.lit(reason.value))


def _changed(value: pl.Expr, change: pl.Expr, reason: FieldReason) -> pl.Expr:
    return pl.when(value.is_not_null() & change).then(pl.lit(reason.value))


def _number(rule: FieldRule, text: pl.Expr) -> pl.Expr:
    """A plain decimal within the field's sign and decimals, trailing zeros of the fraction
    removed (``3.50`` is ``3.5``, ``-0`` is ``0``: the same number)."""
    fraction = text.str.contains(".", literal=True)
    value = (
        pl.when(fraction)
        .then(text.str.strip_chars_end("0").str.strip_chars_end("."))
        .otherwise(text)
    )
    value = (
        pl.when(value.str.contains(r"^-[0.]*$")).then(value.str.strip_prefix("-")).otherwise(value)
    )
    decimals = value.str.len_bytes() - value.str.find(".", literal=True).fill_null(
        value.str.len_bytes()
    )
    # ``decimals`` counts the point too: a value with d decimals has d + 1 there, 0 has 0.
    allowed = text.str.contains(_NUMBER) & (
        decimals <= (rule.max_decimals + 1 if rule.max_decimals else 0)
    )
    if not rule.allow_negative:
        allowed = allowed & ~value.str.starts_with("-")
    return pl.when(allowed).then(value)


def _choices(choices: Sequence[str], text: pl.Expr) -> pl.Expr:
    """Labels separated by commas (spaces around them removed), every one a choice."""
    labels = text.str.split(",").list.eval(pl.element().str.strip_chars())
    known = labels.list.eval(pl.element().is_in(list(choices)) & (pl.element().str.len_bytes() > 0))
    return pl.when(known.list.all()).then(labels.list.join(","))
