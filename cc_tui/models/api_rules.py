"""What Constant Contact accepts, shared by the client, the engine and the emulator: ids,
the list cap of one import, contact fields and their lengths (docs/api-rules.md).
"""

from __future__ import annotations

import re

__all__ = [
    "ATTRIBUTE_FIELDS",
    "CUSTOM_FIELD_MAX_LENGTH",
    "CUSTOM_FIELD_PREFIX",
    "EMAIL_MAX_LENGTH",
    "HOME_COUNTRY_FIELD",
    "MAX_CUSTOM_FIELDS_PER_CONTACT",
    "MAX_LISTS_PER_EXPORT",
    "NAME_FIELDS",
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
# Contact fields of a JSON import besides email/first_name/last_name, with their maximum length
# (None: not a free-text field), as the swagger's JsonImportContact defines them: every one of
# its fields can be mapped.
ATTRIBUTE_FIELDS: dict[str, int | None] = {
    "job_title": 50,
    "company_name": 50,
    "birthday_month": None,
    "birthday_day": None,
    "anniversary": None,
    "phone": 50,
    "home_phone": 50,
    "work_phone": 50,
    "mobile_phone": 50,
    "other_phone": 50,
    **{
        f"{prefix}{part}": (255 if part.startswith("street") else 50)
        for prefix in ("", "home_", "work_", "other_")
        for part in ("street", "street2", "city", "state", "zip", "country")
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


def is_uuid(text: str) -> bool:
    """True for an 8-4-4-4-12 hexadecimal id, the form of every Constant Contact id."""
    return isinstance(text, str) and _UUID.fullmatch(text) is not None


def is_attribute_field(name: str) -> bool:
    """True for a Constant Contact contact field or a custom field ``cf:<name>``."""
    if name.startswith(CUSTOM_FIELD_PREFIX):
        return len(name) > len(CUSTOM_FIELD_PREFIX)
    return name in ATTRIBUTE_FIELDS
