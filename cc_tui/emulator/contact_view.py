"""Render stored contacts as ``ContactResource`` JSON objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cc_tui.emulator.contacts import OPT_IN_SOURCES, PERMISSIONS, ContactTable
from cc_tui.emulator.formats import iso_time
from cc_tui.emulator.schema import CF_PREFIX

__all__ = ["INCLUDE_VALUES", "render_contact"]

INCLUDE_VALUES = frozenset(
    {"custom_fields", "list_memberships", "phone_numbers", "street_addresses", "taggings", "notes"}
)
_TOP_LEVEL = ("first_name", "last_name", "job_title", "company_name")
_BIRTHDAY = ("birthday_month", "birthday_day", "anniversary")
# Import keys of phone numbers and their ``kind`` (plain ``phone`` defaults to "other").
_PHONES = {
    "phone": "other",
    "home_phone": "home",
    "work_phone": "work",
    "mobile_phone": "mobile",
    "other_phone": "other",
}
# Address prefixes per kind (plain ``street``... defaults to "home"); the swagger spells the
# home country key "home country".
_ADDRESS_KINDS = {"": "home", "home_": "home", "work_": "work", "other_": "other"}
_ADDRESS_PARTS = {
    "street": "street",
    "street2": "street2",
    "city": "city",
    "state": "state",
    "zip": "postal_code",
    "country": "country",
}


def render_contact(
    table: ContactTable, row: int, include: frozenset[str], custom_field_ids: Mapping[str, str]
) -> dict[str, Any]:
    """One contact; ``include`` adds sub-resources, ``custom_field_ids`` maps name -> id."""
    contact: dict[str, Any] = {"contact_id": table.contact_id(row)}
    email = table.emails[row]
    if email:
        contact["email_address"] = _email_address(table, row, email)
    for name in _TOP_LEVEL + _BIRTHDAY:
        value = table.value(row, name)
        if value is not None:
            contact[name] = value
    contact["create_source"] = "Account"
    contact["created_at"] = iso_time(table.created[row])
    contact["updated_at"] = iso_time(table.updated[row])
    contact["update_source"] = "Account"
    if "custom_fields" in include:
        contact["custom_fields"] = _custom_fields(table, row, custom_field_ids)
    if "list_memberships" in include:
        contact["list_memberships"] = table.list_ids_of(row)
    if "phone_numbers" in include:
        contact["phone_numbers"] = _phones(table, row)
    if "street_addresses" in include:
        contact["street_addresses"] = _addresses(table, row)
    for empty in ("taggings", "notes"):
        if empty in include:
            contact[empty] = []
    return contact


def _email_address(table: ContactTable, row: int, email: str) -> dict[str, Any]:
    created = iso_time(table.created[row])
    address: dict[str, Any] = {
        "address": email,
        "permission_to_send": PERMISSIONS[table.permission[row]],
        "created_at": created,
        "updated_at": iso_time(table.updated[row]),
        "opt_in_source": OPT_IN_SOURCES[table.opt_in_contact[row]],
        "opt_in_date": created,
        "confirm_status": "off",
    }
    opted_out = table.opt_out.get(row)
    if opted_out is not None:
        address["opt_out_source"] = "Contact"
        address["opt_out_date"] = iso_time(opted_out)
    return address


def _custom_fields(
    table: ContactTable, row: int, custom_field_ids: Mapping[str, str]
) -> list[dict[str, Any]]:
    fields = []
    for name, field_id in custom_field_ids.items():
        value = table.value(row, CF_PREFIX + name)
        if value is not None:
            fields.append({"custom_field_id": field_id, "value": value})
    return fields


def _phones(table: ContactTable, row: int) -> list[dict[str, Any]]:
    phones = []
    for name, kind in _PHONES.items():
        value = table.value(row, name)
        if value:
            phones.append({"phone_number": value, "kind": kind})
    return phones


def _addresses(table: ContactTable, row: int) -> list[dict[str, Any]]:
    addresses = []
    for prefix, kind in _ADDRESS_KINDS.items():
        address: dict[str, Any] = {}
        for part, out in _ADDRESS_PARTS.items():
            key = "home country" if prefix == "home_" and part == "country" else prefix + part
            value = table.value(row, key)
            if value:
                address[out] = value
        if address:
            addresses.append({"kind": kind, **address})
    return addresses
