"""What Constant Contact accepts, shared by the client, the engine and the emulator: ids,
the list cap of one import, contact fields and their lengths (docs/api-rules.md).
"""

from __future__ import annotations

import re

__all__ = [
    "ADDRESS_GROUPS",
    "ATTRIBUTE_FIELDS",
    "CUSTOM_FIELD_MAX_LENGTH",
    "CUSTOM_FIELD_PREFIX",
    "EMAIL_MAX_LENGTH",
    "HOME_COUNTRY_FIELD",
    "MAX_ADDRESSES_PER_CONTACT",
    "MAX_CUSTOM_FIELDS_PER_CONTACT",
    "MAX_LISTS_PER_EXPORT",
    "MAX_PHONES_PER_CONTACT",
    "NAME_FIELDS",
    "PAIRED_STREET_LINE_MAX",
    "PHONE_FIELDS",
    "STREET_PAIRS",
    "is_attribute_field",
    "is_uuid",
]

CUSTOM_FIELD_PREFIX = "cf:"
MAX_CUSTOM_FIELDS_PER_CONTACT = 25
CUSTOM_FIELD_MAX_LENGTH = 255
EMAIL_MAX_LENGTH = 50
MAX_LISTS_PER_EXPORT = 50  # list_ids of one JSON import: 1 to 50
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
HOME_COUNTRY_FIELD = "home country"
# JsonImportContact's phones say maxLength 50, but a contact keeps them as
# PhoneNumber.phone_number, maxLength 25: the stricter wins (docs/api-rules.md section 3).
PHONE_MAX_LENGTH = 25
PHONE_FIELDS = ("phone", "home_phone", "work_phone", "mobile_phone", "other_phone")
# "For each contact, you can import up to three addresses and three phone numbers" (SPEC-text).
MAX_PHONES_PER_CONTACT = 3
MAX_ADDRESSES_PER_CONTACT = 3
_ADDRESS_PREFIXES = ("", "home_", "work_", "other_")  # the default kind (home), then the kinds
_ADDRESS_PARTS = ("street", "street2", "city", "state", "zip", "country")
# Line two of a street "is automatically appended to" line one (SPEC-text), and the result is a
# StreetAddress.street (maxLength 255): when both lines are sent, each is held to half, so any
# pair joined with a separator fits (docs/api-rules.md section 3).
STREET_MAX_LENGTH = 255
PAIRED_STREET_LINE_MAX = (STREET_MAX_LENGTH - 1) // 2
STREET_PAIRS = tuple((f"{prefix}street", f"{prefix}street2") for prefix in _ADDRESS_PREFIXES)
# Contact fields of a JSON import besides email/first_name/last_name, with their maximum length
# (None: not a free-text field), as the swagger's JsonImportContact defines them: every one of
# its fields can be mapped.
ATTRIBUTE_FIELDS: dict[str, int | None] = {
    "job_title": 50,
    "company_name": 50,
    "birthday_month": None,
    "birthday_day": None,
    "anniversary": None,
    **dict.fromkeys(PHONE_FIELDS, PHONE_MAX_LENGTH),
    **{
        f"{prefix}{part}": (STREET_MAX_LENGTH if part.startswith("street") else 50)
        for prefix in _ADDRESS_PREFIXES
        for part in _ADDRESS_PARTS
        if f"{prefix}{part}" != "home_country"
    },
    # The swagger spells this one with a space, beside work_country and other_country; it may be
    # a typo there, but it is the only spelling the contract documents, so it is the one sent
    # (docs/api-rules.md section 3). A mapping names it as written: "home country".
    HOME_COUNTRY_FIELD: 50,
    # SMS: the US number (sent as 1231231234) and the date its owner consented.
    "sms_number": 16,
    "sms_consent_date": 16,
}
NAME_FIELDS = {"first_name": 50, "last_name": 50}
# The fields of each address a contact can have (at most MAX_ADDRESSES_PER_CONTACT of them).
ADDRESS_GROUPS: tuple[frozenset[str], ...] = tuple(
    frozenset(
        HOME_COUNTRY_FIELD if f"{prefix}{part}" == "home_country" else f"{prefix}{part}"
        for part in _ADDRESS_PARTS
    )
    for prefix in _ADDRESS_PREFIXES
)


def is_uuid(text: str) -> bool:
    """True for an 8-4-4-4-12 hexadecimal id, the form of every Constant Contact id."""
    return isinstance(text, str) and _UUID.fullmatch(text) is not None


def is_attribute_field(name: str) -> bool:
    """True for a Constant Contact contact field or a custom field ``cf:<name>``."""
    if name.startswith(CUSTOM_FIELD_PREFIX):
        return len(name) > len(CUSTOM_FIELD_PREFIX)
    return name in ATTRIBUTE_FIELDS
