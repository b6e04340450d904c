"""What each optional contact field may hold before it is sent (docs/api-rules.md section 3).

A rule turns one field's cleaned text into the value to send (null when the field is left out
of the contact) and says why a value was dropped or changed (a
:class:`~cc_tui.models.reasons.FieldReason`). Everything is vectorised: no
Python runs per row. A value that breaks a rule is never cut or guessed at; it is dropped, and
its contact is still sent.

A rule is planned as steps of helper columns (the parsed date, an SMS number's digits) that
:mod:`cc_tui.engine.mapping` computes once per chunk, so each regular expression runs once per
value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import polars as pl

from cc_tui.models.api_rules import CUSTOM_FIELD_MAX_LENGTH
from cc_tui.models.reasons import FieldReason

if TYPE_CHECKING:  # the client's package (httpx...) is not needed to read these
    from cc_tui.constant_contact.schemas import CustomField

__all__ = [
    "CONTROL_PATTERN",
    "SPECIAL_CHARACTERS",
    "FieldKind",
    "FieldRule",
    "RulePlan",
    "birthday_plans",
    "cleaned_text",
    "custom_field_rule",
    "date_plan",
    "has_control",
    "over_length",
    "rule_plan",
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

# Every digit below is [0-9], never \d: Polars' \d takes the digits of every script
# (Arabic-Indic, full-width...), and a phone, SMS number or number written in them passed the
# rule, was sent, and cost its whole contact at the server (api-rules.md section 3: ASCII).

# The documented date formats, year first or year last, one separator throughout (M and D: 1
# or 2 digits; the ISO forms YYYY-MM-DD and MM/DD/YYYY are among them).
_YEAR_FIRST = r"^[0-9]{4}(?:-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2})$"
_YEAR_LAST = r"^[0-9]{1,2}(?:-[0-9]{1,2}-|/[0-9]{1,2}/)[0-9]{4}$"
# An ISO 8601 date and time (as Spark, Polars and most databases write one): its date is sent.
_ISO_DATE_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?"
    r"(?:[ ]?(?:Z|UTC|[+-][0-9]{2}(?::?[0-9]{2})?))?$"
)
_ISO_DATE_LENGTH = len("YYYY-MM-DD")
# Years Constant Contact is assumed to take (the contract names none; api-rules.md: assumed).
_FIRST_YEAR, _LAST_YEAR = 1900, 2099

# North American numbers: an optional +1 or 1, ten digits with only spaces, - . ( ) between
# them, and an optional extension (x, ext or ext., as the contract spells them) of 1 to 6
# digits.
_NANP = r"^(?:\+?1[ .\-]*)?[ .\-(]*(?:[0-9][ .\-()]*){9}[0-9]"
_PHONE = _NANP + r"(?:[ ]*(?:x|ext\.?)[ ]*[0-9]{1,6})?$"
_SMS = _NANP + r"$"
_SMS_DOCUMENTED = r"^[0-9]{10}$|^[0-9]{3}-[0-9]{3}-[0-9]{4}$"
_PHONE_SEPARATORS = [" ", "-", ".", "(", ")", "+"]
_NANP_DIGITS = 10

_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"
_WHOLE_TEXT = r"^[0-9]+(?:\.0*)?$"  # a whole number, as text or as a float's text ("7.0")
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


@dataclass(frozen=True, slots=True)
class RulePlan:
    """How a rule turns one field's text into the value sent, step by step.

    ``steps`` are helper columns (name -> expression), computed one step after the other over
    the whole chunk, each step able to read the columns of the steps before: an expression used
    twice is computed once (eager Polars would compute it twice). ``value`` (null: left out),
    ``dropped`` (the reason where a present text gives no value: a reason or an expression
    giving one) and ``change`` (True where the value sent differs from the text beyond cleaning;
    None: never) read those columns; ``changed`` is the reason of a change.
    """

    value: pl.Expr
    steps: tuple[dict[str, pl.Expr], ...] = ()
    dropped: FieldReason | pl.Expr | None = None
    change: pl.Expr | None = None
    changed: FieldReason | None = None


def rule_plan(rule: FieldRule, text: str, helper: Callable[[str], str]) -> RulePlan:
    """The plan of ``rule`` for the cleaned, non-empty text in column ``text`` (null: absent).

    ``helper(key)`` names the field's helper columns. Birthdays are planned in pairs, by
    :func:`birthday_plans`.
    """
    column = pl.col(text)
    kind = rule.kind
    if kind is FieldKind.DATE:
        raise ValueError("plan dates with date_plan, which needs the column's type")
    if kind is FieldKind.PHONE:
        return RulePlan(
            pl.when(column.str.contains(_PHONE)).then(column),
            dropped=FieldReason.DROPPED_INVALID_PHONE,
        )
    if kind is FieldKind.SMS_NUMBER:
        # The separators go (the pattern allows nothing else): ten digits, or eleven with the 1.
        digits = column.str.replace_many(_PHONE_SEPARATORS, [""] * len(_PHONE_SEPARATORS))
        step = {
            helper("valid"): column.str.contains(_SMS),
            helper("documented"): column.str.contains(_SMS_DOCUMENTED),
            helper("digits"): digits,
        }
        return RulePlan(
            pl.when(pl.col(helper("valid"))).then(
                pl.col(helper("digits")).str.slice(-_NANP_DIGITS)
            ),
            steps=(step,),
            dropped=FieldReason.DROPPED_INVALID_PHONE,
            change=~pl.col(helper("documented")),
            changed=FieldReason.CHANGED_SMS_NUMBER_FORMAT,
        )
    if kind is FieldKind.NUMBER:
        return _number_plan(rule, column, helper)
    if kind is FieldKind.SINGLE_SELECT:
        chosen = pl.when(column.is_in(list(rule.choices))).then(column)
        return RulePlan(chosen, dropped=FieldReason.DROPPED_INVALID_CHOICE)
    if kind is FieldKind.MULTI_SELECT:
        return _choices_plan(rule.choices, column, helper)
    return RulePlan(column)


def date_plan(text: str, dtype: pl.DataType, helper: Callable[[str], str]) -> RulePlan:
    """A date sent as ``YYYY-MM-DD``, from a Polars Date or Datetime column as it is, or from
    text in a documented format or an ISO date-time (whose date is taken: a change).

    The date must exist (no 30 February, no month 13) and fall from 1900 to 2099.
    """
    column = pl.col(text)
    date = pl.col(helper("date"))
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        parsed = column.cast(pl.Date) if dtype == pl.Date else column.dt.date()
        steps: tuple[dict[str, pl.Expr], ...] = ({helper("date"): parsed},)
        change = None
    else:
        from_time = pl.col(helper("from_time"))
        written = pl.col(helper("written"))
        dashed = written.str.replace_all("/", "-", literal=True)
        steps = (
            {helper("from_time"): column.str.contains(_ISO_DATE_TIME)},
            {
                helper("written"): pl.when(from_time)
                .then(column.str.slice(0, _ISO_DATE_LENGTH))
                .otherwise(column)
            },
            {
                helper("date"): pl.when(written.str.contains(_YEAR_FIRST))
                .then(dashed.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
                .when(written.str.contains(_YEAR_LAST))
                .then(dashed.str.strptime(pl.Date, "%m-%d-%Y", strict=False))
            },
        )
        change = from_time
    in_range = date.dt.year().is_between(_FIRST_YEAR, _LAST_YEAR)
    # A Date's text is its ISO form, YYYY-MM-DD (four-digit years in this range).
    return RulePlan(
        pl.when(in_range).then(date.cast(pl.String)),
        steps=steps,
        dropped=FieldReason.DROPPED_INVALID_DATE,
        change=change,
        changed=FieldReason.CHANGED_DATE_FORMAT if change is not None else None,
    )


def birthday_plans(
    month_text: str,
    day_text: str,
    month_helper: Callable[[str], str],
    day_helper: Callable[[str], str],
) -> tuple[RulePlan, RulePlan]:
    """The plans of ``birthday_month`` and ``birthday_day``: both parts or neither.

    A part given alone is dropped as incomplete; a month or day out of range, not whole, or a
    day the month does not have (30 February, 31 April) drops both as invalid.
    """
    month, day = pl.col(month_helper("number")), pl.col(day_helper("number"))
    has_month, has_day = pl.col(month_text).is_not_null(), pl.col(day_text).is_not_null()
    real = (
        month.is_between(*_MONTHS)
        & day.is_between(*_DAYS)
        & (day <= _days_in_month(month))
        & has_month
        & has_day
    )
    why = (
        pl.when(has_month & has_day)
        .then(pl.lit(FieldReason.DROPPED_INVALID_BIRTHDAY.value))
        .otherwise(pl.lit(FieldReason.DROPPED_INCOMPLETE_BIRTHDAY.value))
    )
    step = {
        month_helper("number"): _whole_number(pl.col(month_text)),
        day_helper("number"): _whole_number(pl.col(day_text)),
    }
    return (
        RulePlan(pl.when(real).then(month), steps=(step,), dropped=why),
        RulePlan(pl.when(real).then(day), dropped=why),
    )


def _days_in_month(month: pl.Expr) -> pl.Expr:
    return (
        pl.when(month == 2)
        .then(_FEBRUARY_DAYS)
        .when(month.is_in(_SHORT_MONTHS))
        .then(30)
        .otherwise(31)
    )


def _whole_number(text: pl.Expr) -> pl.Expr:
    """A whole number written as one (``7``, ``07``) or as a float's text (``7.0``)."""
    whole = text.str.contains(_WHOLE_TEXT)
    return pl.when(whole).then(
        text.str.split_exact(".", 1).struct.field("field_0").str.to_integer(strict=False)
    )


def _number_plan(rule: FieldRule, text: pl.Expr, helper: Callable[[str], str]) -> RulePlan:
    """A plain decimal within the field's sign and decimals, trailing zeros of the fraction
    removed (``3.50`` is ``3.5``, ``-0`` is ``0``: the same number)."""
    trimmed = (
        pl.when(text.str.contains(".", literal=True))
        .then(text.str.strip_chars_end("0").str.strip_chars_end("."))
        .otherwise(text)
    )
    trimmed_column = pl.col(helper("trimmed"))
    norm = pl.col(helper("number"))
    steps = (
        {helper("trimmed"): trimmed, helper("plain"): text.str.contains(_NUMBER)},
        {
            helper("number"): pl.when(trimmed_column.str.contains(r"^-[0.]*$"))
            .then(trimmed_column.str.strip_prefix("-"))
            .otherwise(trimmed_column)
        },
    )
    length = norm.str.len_bytes()
    # From the point to the end: d decimals give d + 1, a whole number 0.
    decimals = length - norm.str.find(".", literal=True).fill_null(length)
    allowed = pl.col(helper("plain")) & (
        decimals <= (rule.max_decimals + 1 if rule.max_decimals else 0)
    )
    if not rule.allow_negative:
        allowed = allowed & ~norm.str.starts_with("-")
    return RulePlan(
        pl.when(allowed).then(norm), steps=steps, dropped=FieldReason.DROPPED_INVALID_NUMBER
    )


def _choices_plan(choices: Sequence[str], text: pl.Expr, helper: Callable[[str], str]) -> RulePlan:
    """Labels separated by commas (spaces around them removed), every one a choice, each once
    (the contract is silent on a choice named twice: the stricter reading refuses it)."""
    labels = pl.col(helper("labels"))
    known = labels.list.eval(pl.element().is_in(list(choices)) & (pl.element().str.len_bytes() > 0))
    once = labels.list.n_unique() == labels.list.len()
    return RulePlan(
        pl.when(known.list.all() & once).then(labels.list.join(",")),
        steps=({helper("labels"): text.str.split(",").list.eval(pl.element().str.strip_chars())},),
        dropped=FieldReason.DROPPED_INVALID_CHOICE,
    )
