"""What one contact value must look like (docs/api-rules.md section 3, the "Values" table).

Pure predicates, one per kind of value; :mod:`cc_tui.emulator.refusals` applies them to whole
columns of an import. Every pattern uses ``[0-9]`` rather than ``\\d`` (which also matches
Arabic-Indic and other digits) and possessive quantifiers where a pattern could backtrack.
Predicates of values that repeat a lot (dates, birthdays, numbers) are cached.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "CONTROL_RE",
    "EMAIL_MAX",
    "EMAIL_RE",
    "PHONE_MAX",
    "PHONE_RE",
    "SMS_NUMBER_RE",
    "birthday_problem",
    "is_documented_date",
    "number_problem",
    "utf16_units",
]

# C0 controls (newline and tab included), DEL and C1 controls: never in a value (assumed).
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")

# RFC 5322-lite: dot-atom local part (no leading, trailing or double dots); a domain of labels
# that neither start nor end with a hyphen; a top-level domain of two or more letters, or an
# ``xn--`` label (an internationalised TLD in its ASCII form, such as ``xn--p1ai``).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]++"
_LABEL = r"(?!-)[A-Za-z0-9-]++(?<!-)"
_TLD = r"(?:[A-Za-z]{2,}+|xn--[A-Za-z0-9-]++(?<!-))"
EMAIL_RE = re.compile(rf"{_ATOM}(?:\.{_ATOM})*+@(?:{_LABEL}\.)++{_TLD}")
EMAIL_MAX = 50

# North American numbers only ("international phone numbers are currently not supported"):
# optional +1 or 1, then ten digits separated only by spaces, dots, hyphens and parentheses,
# then an optional extension (x, ext or ext. and 1-6 digits).
_SEPARATORS = r"[ .()-]"
PHONE_RE = re.compile(
    rf" *+(?:\+?1{_SEPARATORS}*+)?(?:{_SEPARATORS}*+[0-9]){{10}}{_SEPARATORS}*+"
    r"(?:(?:x|ext\.?) *+[0-9]{1,6} *+)?"
)
# JsonImportContact's phones say maxLength 50, but the contact stores them as
# PhoneNumber.phone_number, maxLength 25: the stricter wins (api-rules section 3).
PHONE_MAX = 25
SMS_NUMBER_RE = re.compile(r"[0-9]{10}|[0-9]{3}-[0-9]{3}-[0-9]{4}")

# The documented date formats; M and D are 1 or 2 digits (MM and DD are the 2-digit case).
_DATE_FORMS = (
    re.compile(r"(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})/(?P<y>[0-9]{4})"),  # MM/DD/YYYY, M/D/YYYY
    re.compile(r"(?P<y>[0-9]{4})/(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})"),  # YYYY/MM/DD, YYYY/M/D
    re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"),  # YYYY-MM-DD, YYYY-M-D
    re.compile(r"(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})-(?P<y>[0-9]{4})"),  # M-D-YYYY, M-DD-YYYY
)
FIRST_YEAR, LAST_YEAR = 1900, 2099  # assumed: a four-digit year of this century or the last
# Days per month in a leap year: a birthday has no year, so 29 February is a real day.
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_FEBRUARY = 2
_LEAP_EVERY, _CENTURY, _LEAP_CENTURY = 4, 100, 400
_CACHE_SIZE = 1 << 16

_NUMBER_RE = re.compile(r"(?P<sign>-?)[0-9]++(?:\.(?P<decimals>[0-9]++))?")


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (emoji) count twice."""
    return len(text.encode("utf-16-le")) // 2


def _is_leap(year: int) -> bool:
    return year % _LEAP_EVERY == 0 and (year % _CENTURY != 0 or year % _LEAP_CENTURY == 0)


def _real_day(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= len(_DAYS_IN_MONTH):
        return False
    last = _DAYS_IN_MONTH[month - 1]
    if month == _FEBRUARY and not _is_leap(year):
        last -= 1
    return 1 <= day <= last


@lru_cache(maxsize=_CACHE_SIZE)
def is_documented_date(text: str) -> bool:
    """True for a real calendar date written in one of the documented formats."""
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
            return FIRST_YEAR <= year <= LAST_YEAR and _real_day(year, month, day)
    return False


@lru_cache(maxsize=_CACHE_SIZE)
def birthday_problem(month: int | None, day: int | None) -> str | None:
    """``"half"`` (one part only), ``"impossible"`` (no such day), or None when fine."""
    if month is None and day is None:
        return None
    if month is None or day is None:
        return "half"
    if not 1 <= month <= len(_DAYS_IN_MONTH) or not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        return "impossible"
    return None


@lru_cache(maxsize=_CACHE_SIZE)
def number_problem(
    text: str, allow_negative: bool, whole_only: bool, decimal_places: int
) -> str | None:
    """Why ``text`` is not a number a ``number``/``currency`` field takes, or None."""
    match = _NUMBER_RE.fullmatch(text)
    if match is None:
        return "not a plain decimal number"
    if match["sign"] and not allow_negative:
        return "negative numbers are not allowed"
    decimals = match["decimals"]
    if decimals is not None and whole_only:
        return "whole numbers only"
    if decimals is not None and len(decimals) > decimal_places:
        return f"at most {decimal_places} decimal places"
    return None
