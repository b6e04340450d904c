"""Per-contact checks an import applies while processing (correctable errors, not 400s)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

__all__ = ["EMAIL_RE", "SLOW_CHECK_KEYS", "correctable_reason"]

# RFC 5322-lite: dot-atom local part (no leading, trailing or double dots); a domain of labels
# that neither start nor end with a hyphen; an alphabetic top-level domain of two or more letters.
# Possessive quantifiers and lookarounds keep it from backtracking (it runs once per contact).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]++"
_LABEL = r"(?!-)[A-Za-z0-9-]++(?<!-)"
EMAIL_RE = re.compile(rf"{_ATOM}(?:\.{_ATOM})*+@(?:{_LABEL}\.)++[A-Za-z]{{2,}}+")

_DAY_FIRST = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})")
# Items with any of these keys need the full check, not just the e-mail pattern.
SLOW_CHECK_KEYS = frozenset({"birthday_month", "birthday_day", "anniversary"})
MAX_MONTH = 12
MAX_DAY = 31


def correctable_reason(item: dict[str, Any]) -> str | None:
    """Why a contact cannot be imported as sent (a *correctable* error), or None."""
    email = item.get("email")
    if email:
        if not EMAIL_RE.fullmatch(email):
            return "invalid email address"
    elif not item.get("sms_number"):
        return "no email address or sms_number"
    if "birthday_month" in item or "birthday_day" in item:
        reason = _birthday_reason(item.get("birthday_month"), item.get("birthday_day"))
        if reason:
            return reason
    anniversary = item.get("anniversary")
    if anniversary and not _is_date(anniversary):
        return "invalid anniversary date"
    return None


def _birthday_reason(month: int | None, day: int | None) -> str | None:
    if month is None and day is None:
        return None
    if month is None or day is None:
        return "birthday needs both birthday_month and birthday_day"
    if not (1 <= month <= MAX_MONTH and 1 <= day <= MAX_DAY):
        return "invalid birthday"
    return None


def _is_date(text: str) -> bool:
    match = _DAY_FIRST.fullmatch(text)
    if match:
        month, day, year = (int(part) for part in match.groups())
    else:
        match = _YEAR_FIRST.fullmatch(text)
        if not match:
            return False
        year, month, day = (int(part) for part in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
