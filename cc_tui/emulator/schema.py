"""The packaged Constant Contact definitions and the checkers compiled from them.

``cc-v3-definitions.schema.json`` is copied unchanged from Constant Contact's swagger. Two
checkers are built from it:

* :func:`check` - a small validator for the subset of JSON Schema the definitions use (type,
  properties, required, items, min/maxItems, maxLength, format uuid, ``$ref``). Tests use it to
  check response shapes; it is too slow for 40,000 contacts.
* :class:`ImportChecker` - the strict, fast checker of the *structure* of ``ContactsJsonImport``
  bodies (what refuses the whole request). It checks whole columns at C speed first and only
  walks the contacts one by one (to name the first bad paths) when something is wrong. Values
  that refuse one contact are :mod:`cc_tui.emulator.refusals`' job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, partial
from importlib import resources
from itertools import repeat
from operator import is_not
from typing import Any

__all__ = [
    "CF_PREFIX",
    "MAX_CUSTOM_FIELDS_PER_CONTACT",
    "UUID_RE",
    "ImportChecker",
    "PropertySpec",
    "check",
    "definitions",
]

SCHEMA_FILE = "cc-v3-definitions.schema.json"
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
CF_PREFIX = "cf:"
# The schema names custom fields with this placeholder; real bodies use ``cf:<field name>``.
CF_PLACEHOLDER = "cf:custom_field_name"
MAX_CUSTOM_FIELDS_PER_CONTACT = 25
MAX_ERRORS = 10  # a 400 names this many problems at most
SMS_PERMISSIONS = ("explicit", "not_set")
NULL_PROBLEM = "null is not allowed (leave the key out)"
BLANK_PROBLEM = "an empty or blank string is not allowed (leave the key out)"

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}
_JSON_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean"}
_JSON_NAMES.update({dict: "object", list: "array", type(None): "null"})


@cache
def definitions() -> Mapping[str, Any]:
    """The ``definitions`` object of the packaged schema (loaded once)."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    defs: Mapping[str, Any] = json.loads(text)["definitions"]
    return defs


def json_type_name(value: Any) -> str:
    """The JSON name of a Python value's type (``integer``, ``null``...)."""
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _type_ok(value: Any, type_name: str) -> bool:
    if type_name in ("integer", "number") and type(value) is bool:
        return False
    return isinstance(value, _PY_TYPES.get(type_name, (object,)))


def check(instance: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Every violation of ``schema`` (a definition or ``{"$ref": ...}``) as ``path: problem``."""
    return list(_walk(instance, schema, path))


def _walk(value: Any, schema: Mapping[str, Any], path: str) -> Iterator[str]:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        yield from _walk(value, definitions()[name], path)
        return
    type_name = schema.get("type")
    if type_name and not _type_ok(value, type_name):
        yield f"{path}: expected {type_name}, got {json_type_name(value)}"
        return
    if isinstance(value, str):
        yield from _string_problems(value, schema, path)
    elif isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            yield f"{path}: fewer than {schema['minItems']} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            yield f"{path}: more than {schema['maxItems']} items"
        for index, item in enumerate(value):
            yield from _walk(item, schema.get("items", {}), f"{path}[{index}]")
    elif isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                yield f"{path}.{name}: required property missing"
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                yield from _walk(item, properties[name], f"{path}.{name}")


def _string_problems(value: str, schema: Mapping[str, Any], path: str) -> Iterator[str]:
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        yield f"{path}: longer than {schema['maxLength']} characters"
    if schema.get("format") == "uuid" and not UUID_RE.fullmatch(value):
        yield f"{path}: not a valid UUID"


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """What one contact property accepts: a JSON type and an optional maxLength."""

    type_name: str
    py_type: type
    max_length: int | None

    @classmethod
    def from_schema(cls, schema: Mapping[str, Any]) -> PropertySpec:
        """Compile one property of ``JsonImportContact``."""
        type_name = str(schema.get("type", "string"))
        return cls(type_name, _PY_TYPES[type_name][0], schema.get("maxLength"))

    def problem(self, value: Any) -> str | None:
        """Why ``value`` breaks the structure (a 400), or None.

        ``null`` and empty or all-blank strings are refused: "absent" is said by leaving the
        key out (api-rules section 3). Lengths and formats are value rules, checked per contact
        by :mod:`cc_tui.emulator.refusals`.
        """
        if value is None:
            return NULL_PROBLEM
        if type(value) is not self.py_type:
            return f"expected {self.type_name}, got {json_type_name(value)}"
        if isinstance(value, str) and not value.strip():
            return BLANK_PROBLEM
        return None


class ImportChecker:
    """Strict checker of the structure of ``ContactsJsonImport`` bodies (a violation is a 400).

    Structure (api-rules section 3): the top-level keys, ``import_data`` of 1 or more objects,
    ``list_ids`` of 1-50 UUIDs, ``sms_permission_to_send`` of ``explicit`` or ``not_set``; in
    each contact only ``JsonImportContact`` keys and ``cf:<name>`` of an existing custom field
    (at most 25), no ``null``, no empty or blank string, strings everywhere but the two
    integer birthday parts, and an ``email`` or an ``sms_number``.
    """

    def __init__(self, defs: Mapping[str, Any] | None = None) -> None:
        defs = definitions() if defs is None else defs
        body = defs["ContactsJsonImport"]
        self.top_level = frozenset(body["properties"])
        self.required = tuple(body["required"])
        self.list_ids_schema: Mapping[str, Any] = body["properties"]["list_ids"]
        contact = defs["JsonImportContact"]["properties"]
        self.cf_spec = PropertySpec.from_schema(contact[CF_PLACEHOLDER])
        self.specs = {
            name: PropertySpec.from_schema(prop)
            for name, prop in contact.items()
            if name != CF_PLACEHOLDER
        }
        self.fixed_names = frozenset(self.specs)

    @property
    def max_lengths(self) -> dict[str, int | None]:
        """Every fixed contact property and its maxLength, in the swagger's order."""
        return {name: spec.max_length for name, spec in self.specs.items()}

    def check_document(self, doc: Any) -> list[str]:
        """Problems with the top level (not the contacts): keys, ``list_ids`` shape."""
        if not isinstance(doc, dict):
            return [f"body: expected object, got {json_type_name(doc)}"]
        problems = [
            f"{name}: required property missing" for name in self.required if name not in doc
        ]
        problems += [f"{name}: unknown property" for name in doc if name not in self.top_level]
        if "list_ids" in doc:
            problems += check(doc["list_ids"], self.list_ids_schema, "list_ids")
        if "import_data" in doc:
            data = doc["import_data"]
            if not isinstance(data, list):
                problems.append(f"import_data: expected array, got {json_type_name(data)}")
            elif not data:
                problems.append("import_data: at least 1 contact is required")
        if "sms_permission_to_send" in doc:
            permission = doc["sms_permission_to_send"]
            if permission not in SMS_PERMISSIONS or not isinstance(permission, str):
                allowed = " or ".join(SMS_PERMISSIONS)
                problems.append(f"sms_permission_to_send: must be {allowed}")
        problems += _sms_consent_problems(doc)
        return problems[:MAX_ERRORS]

    def check_contacts(self, items: list[Any], cf_names: frozenset[str]) -> list[str]:
        """Problems with the contacts, as ``import_data[i].key: problem`` (empty when fine)."""
        if self._columns_fit(items, cf_names):
            return []
        return self._row_problems(items, cf_names)

    def _columns_fit(self, items: list[Any], cf_names: frozenset[str]) -> bool:
        # Whole-column checks run in C (set unions, map, all): 40,000 contacts take milliseconds.
        if not items:
            return True
        if set(map(type, items)) != {dict} or not all(map(_has_address, items)):
            return False
        present: set[str] = set().union(*items)
        cf_keys = {name for name in present if name.startswith(CF_PREFIX)}
        known = (present - cf_keys) <= self.fixed_names and all(
            key[len(CF_PREFIX) :] in cf_names for key in cf_keys
        )
        if not known or (cf_keys and max(map(len, items)) > MAX_CUSTOM_FIELDS_PER_CONTACT):
            return False
        return all(self._column_fits(items, key) for key in present)

    def _column_fits(self, items: list[dict[str, Any]], key: str) -> bool:
        spec = self.cf_spec if key.startswith(CF_PREFIX) else self.specs[key]
        column = list(filter(_is_present, map(dict.get, items, repeat(key), repeat(_ABSENT))))
        if set(map(type, column)) != {spec.py_type}:
            return False  # a null, or a value of another type (bool is not int: its own type)
        return spec.py_type is not str or all(map(str.strip, column))

    def _row_problems(self, items: list[Any], cf_names: frozenset[str]) -> list[str]:
        problems: list[str] = []
        for index, item in enumerate(items):
            problems += self._item_problems(index, item, cf_names)
            if len(problems) >= MAX_ERRORS:
                break
        return problems[:MAX_ERRORS]

    def _item_problems(self, index: int, item: Any, cf_names: frozenset[str]) -> list[str]:
        where = f"import_data[{index}]"
        if not isinstance(item, dict):
            return [f"{where}: expected object, got {json_type_name(item)}"]
        problems: list[str] = []
        if not _has_address(item):
            problems.append(f"{where}: needs an email or an sms_number")
        custom = 0
        for key, value in item.items():
            spec = self.specs.get(key)
            if spec is None and key.startswith(CF_PREFIX):
                custom += 1
                spec = self.cf_spec
                if key[len(CF_PREFIX) :] not in cf_names:
                    problems.append(
                        f"{where}.{key}: no custom field named {key[len(CF_PREFIX) :]!r}"
                    )
                    continue
            if spec is None:
                problems.append(f"{where}.{key}: unknown property")
                continue
            problem = spec.problem(value)
            if problem:
                problems.append(f"{where}.{key}: {problem}")
        if custom > MAX_CUSTOM_FIELDS_PER_CONTACT:
            limit = MAX_CUSTOM_FIELDS_PER_CONTACT
            problems.append(f"{where}: {custom} custom fields, at most {limit} allowed")
        return problems


_ABSENT = object()  # dict.get's default: tells a missing key from an explicit null


# A C-level predicate (no Python call per value): "this value is not _ABSENT".
_is_present = partial(is_not, _ABSENT)


def _has_address(item: dict[str, Any]) -> bool:
    return "email" in item or "sms_number" in item


def _sms_consent_problems(doc: Mapping[str, Any]) -> list[str]:
    """api-rules section 3: a body importing ``sms_number``s must set
    ``sms_permission_to_send``: the swagger's text says "you must set" it, and also that it
    "defaults to not_set"; the stricter reading is taken. (``explicit`` without a contact's
    ``sms_consent_date`` refuses that contact: see the contact rules.)"""
    data = doc.get("import_data")
    if not isinstance(data, list) or "sms_permission_to_send" in doc:
        return []
    if any(isinstance(item, dict) and "sms_number" in item for item in data):
        return [
            "sms_permission_to_send: required when contacts have an sms_number "
            "(explicit or not_set)"
        ]
    return []
