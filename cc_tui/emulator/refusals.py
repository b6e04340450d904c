"""Which contacts of an import are refused, and why (docs/api-rules.md section 3, "Values").

A refused contact is not imported; the rest of the import goes on. Each refused contact is
counted once, in one of the activity's two error counters, as the swagger describes them:

* ``correctable_count`` ("invalid email address format, birthday or anniversary format error,
  or does not have minimal contact information"): an e-mail that is not a valid address or is
  longer than 50 characters, a half or impossible birthday, an anniversary that is not a real
  date in a documented format. (A contact with neither ``email`` nor ``sms_number`` never gets
  this far: api-rules makes it a 400 for the whole request.)
* ``error_count`` (every other "non-correctable" error): a value longer than its maximum
  (counted in characters and in UTF-16 code units, the stricter wins), a control character, a
  phone that is not a North American number, an ``sms_number`` in neither documented form, an
  ``sms_consent_date`` that is not a documented date (or missing for ``explicit`` SMS
  permission, or given without an ``sms_number``), a custom field value its type does not
  take, more than three phone numbers or three addresses ("For each contact, you can import up
  to three addresses and three phone numbers"), two of one kind (``street...`` and
  ``home_...`` are both the home address, ``phone`` and ``other_phone`` both the other phone:
  the swagger's "default kind"), and a street line two that, appended to line one ("This
  value is automatically appended to the street value") with a space, makes a street longer
  than ``StreetAddress.street``'s 255.

A contact with several problems counts once, under the first in this order: e-mail, birthday,
anniversary, then the other fields in the swagger's order, then custom fields by name, then the
SMS consent rule, then the phone and address counts, then the appended streets. The checks run
over whole columns at C speed (joins, ``map``, ``max``) and only walk values one by one in a
column that has a problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import repeat
from typing import Any, Protocol

from cc_tui.emulator.records import NUMBER_TYPES, SELECT_TYPES, CustomField
from cc_tui.emulator.rules import (
    CONTROL_RE,
    EMAIL_MAX,
    EMAIL_RE,
    PHONE_MAX,
    PHONE_RE,
    SMS_NUMBER_RE,
    birthday_problem,
    is_documented_date,
    number_problem,
    utf16_units,
)
from cc_tui.emulator.schema import CF_PREFIX

__all__ = [
    "CORRECTABLE_REASONS",
    "ContactValueChecker",
    "Reason",
    "Refusal",
]

CF_MAX_LENGTH = 255  # every custom field value, whatever its type (SPEC-schema)
PHONE_KEYS = ("phone", "home_phone", "work_phone", "mobile_phone", "other_phone")
BIRTHDAY_KEYS = ("birthday_month", "birthday_day")
# "For each contact, you can import up to three addresses and three phone numbers" (SPEC-text).
MAX_PHONES = 3
MAX_ADDRESSES = 3
# The address groups of JsonImportContact: the default kind (home), then home_, work_, other_.
ADDRESS_GROUPS: tuple[frozenset[str], ...] = tuple(
    frozenset(
        "home country" if f"{prefix}{part}" == "home_country" else f"{prefix}{part}"
        for part in ("street", "street2", "city", "state", "zip", "country")
    )
    for prefix in ("", "home_", "work_", "other_")
)
# Line two is appended to line one; the result is a StreetAddress.street (maxLength 255).
STREET_PAIRS = tuple((f"{p}street", f"{p}street2") for p in ("", "home_", "work_", "other_"))
# Fields that give a contact the same kind of address or phone: "Use this field to add the
# default kind ... The default kind is home" (street...), "Default kind is other" (phone).
# A contact holds one of each kind (assumed, strict: a server keeping one per kind would
# otherwise keep only one of the two, or refuse them).
SAME_KIND_PHONES = frozenset({"phone", "other_phone"})
SAME_KIND_ADDRESSES = (ADDRESS_GROUPS[0], ADDRESS_GROUPS[1])  # the default kind and home_
APPENDED_STREET_MAX = 255
STREET_JOINER = " "  # assumed: the strictest separator that still separates
EXPLICIT_SMS = "explicit"
MULTI_SELECT = "multi_select"
MULTI_SELECT_SEPARATOR = ","


class Reason(StrEnum):
    """Why a contact was refused; the statistics count contacts per reason."""

    INVALID_EMAIL = "invalid_email"
    HALF_BIRTHDAY = "half_birthday"
    IMPOSSIBLE_BIRTHDAY = "impossible_birthday"
    INVALID_ANNIVERSARY = "invalid_anniversary"
    TOO_LONG = "too_long"
    CONTROL_CHARACTER = "control_character"
    INVALID_PHONE = "invalid_phone"
    INVALID_SMS_NUMBER = "invalid_sms_number"
    INVALID_DATE = "invalid_date"
    NO_SMS_CONSENT_DATE = "no_sms_consent_date"
    CONSENT_WITHOUT_NUMBER = "consent_without_sms_number"
    TOO_MANY_PHONES = "too_many_phones"
    TOO_MANY_ADDRESSES = "too_many_addresses"
    KIND_TWICE = "kind_twice"
    INVALID_NUMBER = "invalid_number"
    INVALID_CHOICE = "invalid_choice"


CORRECTABLE_REASONS = frozenset(
    {
        Reason.INVALID_EMAIL,
        Reason.HALF_BIRTHDAY,
        Reason.IMPOSSIBLE_BIRTHDAY,
        Reason.INVALID_ANNIVERSARY,
    }
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """One refused contact: the reason and the field that caused it."""

    reason: Reason
    field: str

    @property
    def correctable(self) -> bool:
        """True when it counts in ``correctable_count``, else in ``error_count``."""
        return self.reason in CORRECTABLE_REASONS


class _ColumnRule(Protocol):
    def problems(self, values: Sequence[Any]) -> Iterator[tuple[int, Reason]]:
        """``(index in values, reason)`` for every value the rule refuses."""


@dataclass(frozen=True, slots=True)
class _TextRule:
    """Any string: no control character, and at most ``max_length`` characters and units."""

    max_length: int | None

    def problems(self, values: Sequence[Any]) -> Iterator[tuple[int, Reason]]:
        if CONTROL_RE.search("".join(values)):
            for index, value in enumerate(values):
                if CONTROL_RE.search(value):
                    yield index, Reason.CONTROL_CHARACTER
        limit = self.max_length
        # A string of n characters has at most 2n UTF-16 units: most columns stop here.
        if limit is None or max(map(len, values)) * 2 <= limit:
            return
        for index, value in enumerate(values):
            if len(value) > limit or (not value.isascii() and utf16_units(value) > limit):
                yield index, Reason.TOO_LONG


@dataclass(frozen=True, slots=True)
class _PatternRule:
    """A string that must match ``pattern`` whole and be at most ``max_length`` long."""

    pattern: Callable[[str], Any]
    max_length: int
    reason: Reason

    def problems(self, values: Sequence[Any]) -> Iterator[tuple[int, Reason]]:
        matches = list(map(self.pattern, values))
        if all(matches) and max(map(len, values)) <= self.max_length:
            return
        for index, (value, match) in enumerate(zip(values, matches, strict=True)):
            if match is None or len(value) > self.max_length:
                yield index, self.reason


@dataclass(frozen=True, slots=True)
class _PredicateRule:
    """A string for which ``accepts`` is true (dates, numbers, choices)."""

    accepts: Callable[[str], bool]
    reason: Reason

    def problems(self, values: Sequence[Any]) -> Iterator[tuple[int, Reason]]:
        verdicts = list(map(self.accepts, values))
        if all(verdicts):
            return
        for index, verdict in enumerate(verdicts):
            if not verdict:
                yield index, self.reason


def _number_rule(metadata: Mapping[str, Any]) -> _PredicateRule:
    # Assumed where the metadata is silent: not negative, and whole numbers only.
    allow_negative = metadata.get("allow_negative") is True
    whole_only = metadata.get("integer") is True
    places = metadata.get("decimal_places")
    places = places if isinstance(places, int) and not isinstance(places, bool) else 0

    def accepts(text: str) -> bool:
        return number_problem(text, allow_negative, whole_only, places) is None

    return _PredicateRule(accepts, Reason.INVALID_NUMBER)


def _select_rule(field_type: str, choices: Sequence[str]) -> _PredicateRule:
    labels = frozenset(choices)
    if field_type != MULTI_SELECT:
        return _PredicateRule(labels.__contains__, Reason.INVALID_CHOICE)

    def accepts(text: str) -> bool:
        # Each a choice, each once (the contract is silent on a choice named twice: refused).
        parts = text.split(MULTI_SELECT_SEPARATOR)
        return all(part in labels for part in parts) and len(set(parts)) == len(parts)

    return _PredicateRule(accepts, Reason.INVALID_CHOICE)


def _custom_field_rules(field: CustomField) -> tuple[_ColumnRule, ...]:
    text = _TextRule(CF_MAX_LENGTH)
    if field.type == "date":
        return text, _PredicateRule(is_documented_date, Reason.INVALID_DATE)
    if field.type in NUMBER_TYPES:
        return text, _number_rule(field.metadata)
    if field.type in SELECT_TYPES:
        return text, _select_rule(field.type, field.choices)
    return (text,)  # string, and any type the contract does not describe


def _fixed_rules(max_lengths: Mapping[str, int | None]) -> dict[str, tuple[_ColumnRule, ...]]:
    rules: dict[str, tuple[_ColumnRule, ...]] = {
        name: (_TextRule(limit),) for name, limit in max_lengths.items()
    }
    rules["email"] = (_PatternRule(EMAIL_RE.fullmatch, EMAIL_MAX, Reason.INVALID_EMAIL),)
    rules["anniversary"] = (_PredicateRule(is_documented_date, Reason.INVALID_ANNIVERSARY),)
    for name in PHONE_KEYS:
        phone = _PatternRule(PHONE_RE.fullmatch, PHONE_MAX, Reason.INVALID_PHONE)
        rules[name] = (_TextRule(PHONE_MAX), phone)
    sms_max = max_lengths.get("sms_number") or 0
    sms = _PatternRule(SMS_NUMBER_RE.fullmatch, sms_max, Reason.INVALID_SMS_NUMBER)
    rules["sms_number"] = (_TextRule(sms_max), sms)
    consent = _PredicateRule(is_documented_date, Reason.INVALID_DATE)
    rules["sms_consent_date"] = (_TextRule(max_lengths.get("sms_consent_date")), consent)
    for name in BIRTHDAY_KEYS:
        rules.pop(name, None)  # integers, checked as a pair
    return rules


class ContactValueChecker:
    """Finds the refused contacts of one import, for the account's custom fields."""

    def __init__(
        self, max_lengths: Mapping[str, int | None], custom_fields: Mapping[str, CustomField]
    ) -> None:
        """``max_lengths``: every ``JsonImportContact`` property (but ``cf:``) and its maxLength."""
        self._fixed = _fixed_rules(max_lengths)
        self._order = {name: position for position, name in enumerate(max_lengths)}
        self._custom = {
            CF_PREFIX + name: _custom_field_rules(field) for name, field in custom_fields.items()
        }

    def refusals(self, items: Sequence[dict[str, Any]], sms_permission: Any) -> dict[int, Refusal]:
        """Refused contacts by index in ``items`` (contacts already checked for structure)."""
        found: dict[int, Refusal] = {}
        if not items:
            return found
        present: set[str] = set().union(*items)
        self._check_key("email", present, items, found)
        self._check_birthdays(present, items, found)
        rest = sorted(present - {"email", *BIRTHDAY_KEYS}, key=self._rank)
        for key in rest:
            self._check_key(key, present, items, found)
        if sms_permission == EXPLICIT_SMS and "sms_number" in present:
            for row, item in enumerate(items):
                if "sms_number" in item and "sms_consent_date" not in item:
                    found.setdefault(row, Refusal(Reason.NO_SMS_CONSENT_DATE, "sms_consent_date"))
        if "sms_consent_date" in present:
            # The date "that the contact consented to receiving SMS messages": of the number it
            # comes with; without one it consents to nothing (assumed, strict).
            for row, item in enumerate(items):
                if "sms_consent_date" in item and "sms_number" not in item:
                    found.setdefault(row, Refusal(Reason.CONSENT_WITHOUT_NUMBER, "sms_number"))
        _check_counts(present, items, found)
        _check_streets(present, items, found)
        return found

    def _rank(self, key: str) -> tuple[int, str]:
        # Fixed fields in the swagger's order (anniversary comes first of them), then cf: keys.
        if key == "anniversary":
            return -1, key
        return self._order.get(key, len(self._order)), key

    def _check_key(
        self,
        key: str,
        present: set[str],
        items: Sequence[dict[str, Any]],
        found: dict[int, Refusal],
    ) -> None:
        if key not in present:
            return
        rules = self._custom.get(key) if key.startswith(CF_PREFIX) else self._fixed.get(key)
        if not rules:
            return  # the structural check already refused keys that have no rule
        column = list(map(dict.get, items, repeat(key)))
        if None in column:  # a sparse column: keep the rows that have the key
            rows = [row for row, value in enumerate(column) if value is not None]
            values = [column[row] for row in rows]
        else:
            rows, values = list(range(len(column))), column
        for rule in rules:
            for index, reason in rule.problems(values):
                found.setdefault(rows[index], Refusal(reason, key))

    def _check_birthdays(
        self, present: set[str], items: Sequence[dict[str, Any]], found: dict[int, Refusal]
    ) -> None:
        if present.isdisjoint(BIRTHDAY_KEYS):
            return
        months = map(dict.get, items, repeat(BIRTHDAY_KEYS[0]))
        days = map(dict.get, items, repeat(BIRTHDAY_KEYS[1]))
        verdicts = list(map(birthday_problem, months, days))
        if not any(verdicts):
            return
        for row, verdict in enumerate(verdicts):
            if verdict is not None:
                reason = Reason.HALF_BIRTHDAY if verdict == "half" else Reason.IMPOSSIBLE_BIRTHDAY
                found.setdefault(row, Refusal(reason, "birthday"))


def _check_counts(
    present: set[str], items: Sequence[dict[str, Any]], found: dict[int, Refusal]
) -> None:
    """At most three phone numbers and three addresses per contact, one of each kind."""
    phones = present.intersection(PHONE_KEYS)
    groups = [group for group in ADDRESS_GROUPS if not present.isdisjoint(group)]
    same_phones = present >= SAME_KIND_PHONES
    same_addresses = all(not present.isdisjoint(group) for group in SAME_KIND_ADDRESSES)
    if (
        len(phones) <= MAX_PHONES
        and len(groups) <= MAX_ADDRESSES
        and not same_phones
        and not same_addresses
    ):
        return  # the import as a whole has too few kinds for any contact to break a rule
    for row, item in enumerate(items):
        if len(phones.intersection(item)) > MAX_PHONES:
            found.setdefault(row, Refusal(Reason.TOO_MANY_PHONES, "phone"))
        elif sum(not group.isdisjoint(item) for group in groups) > MAX_ADDRESSES:
            found.setdefault(row, Refusal(Reason.TOO_MANY_ADDRESSES, "street"))
        elif same_phones and item.keys() >= SAME_KIND_PHONES:
            found.setdefault(row, Refusal(Reason.KIND_TWICE, "other_phone"))
        elif same_addresses and all(not g.isdisjoint(item) for g in SAME_KIND_ADDRESSES):
            found.setdefault(row, Refusal(Reason.KIND_TWICE, "home_street"))


def _check_streets(
    present: set[str], items: Sequence[dict[str, Any]], found: dict[int, Refusal]
) -> None:
    """Line one and line two of a street, joined, fit ``StreetAddress.street``."""
    for first, second in STREET_PAIRS:
        if first not in present or second not in present:
            continue
        for row, item in enumerate(items):
            one, two = item.get(first), item.get(second)
            if not isinstance(one, str) or not isinstance(two, str):
                continue
            joined = one + STREET_JOINER + two
            if len(joined) > APPENDED_STREET_MAX or utf16_units(joined) > APPENDED_STREET_MAX:
                found.setdefault(row, Refusal(Reason.TOO_LONG, second))
