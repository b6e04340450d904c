"""The account's contacts, stored by column so a million of them fit in a few hundred MB.

A contact is a row number. The e-mail, permission and timestamps live in flat arrays; every
other property (``first_name``, ``cf:loyalty_tier``...) gets a column list the first time any
contact uses it. List membership is one byte per contact per list. Contact IDs are derived from
the row number, so they cost nothing to store. Not thread-safe: :class:`EmulatorState` locks.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import compress, repeat
from typing import Any

__all__ = [
    "ACTIVE_PERMISSIONS",
    "PERMISSIONS",
    "UNSUBSCRIBED",
    "ContactTable",
    "ImportBatch",
    "Membership",
    "contact_key",
]

PERMISSIONS = (
    "implicit",
    "explicit",
    "pending_confirmation",
    "unsubscribed",
    "temp_hold",
    "not_set",
)
IMPLICIT = PERMISSIONS.index("implicit")
UNSUBSCRIBED = PERMISSIONS.index("unsubscribed")
ACTIVE_PERMISSIONS = frozenset({IMPLICIT, PERMISSIONS.index("explicit")})
OPT_IN_SOURCES = ("Account", "Contact")
_GROWTH = 4096  # membership bytes added at once
# Columns whose values repeat a lot (names, places, custom-field categories): equal strings
# share one object, which saves ~50 bytes per repeat. A column that turns out to have more than
# _SHARED_VALUES_MAX distinct values stops sharing (its cache would cost more than it saves).
SHARED_VALUE_COLUMNS = frozenset(
    {"first_name", "last_name", "job_title", "company_name", "city", "state", "country"}
)
_SHARED_VALUES_MAX = 100_000


def contact_key(item: Mapping[str, Any]) -> str | None:
    """The upsert key of an import item: the lower-cased e-mail, else ``sms:<number>``."""
    email = item.get("email")
    if email:
        return str(email).lower()
    sms = item.get("sms_number")
    return f"sms:{sms}" if sms else None


class Membership:
    """Which contacts are on one list: a byte per contact and a running count."""

    __slots__ = ("bits", "count")

    def __init__(self) -> None:
        self.bits = bytearray()
        self.count = 0

    def add(self, row: int) -> None:
        """Put contact ``row`` on the list (no-op if it already is)."""
        bits = self.bits
        if row >= len(bits):
            bits.extend(bytes(max(row + 1 - len(bits), len(bits), _GROWTH)))
        if not bits[row]:
            bits[row] = 1
            self.count += 1

    def discard(self, row: int) -> bool:
        """Take contact ``row`` off the list; True when it was on it."""
        if row < len(self.bits) and self.bits[row]:
            self.bits[row] = 0
            self.count -= 1
            return True
        return False

    def rows(self) -> Iterator[int]:
        """The member rows in creation order."""
        return compress(range(len(self.bits)), self.bits)


@dataclass(slots=True)
class ImportBatch:
    """Rows of one import to upsert now, and the counters they produce."""

    items: list[dict[str, Any]]
    keys: list[str | None]  # upsert key per item
    rows: list[int]  # which items to apply (valid, last occurrence of their key)
    lists: list[Membership]
    now: float
    people: int = 0
    refused: int = 0


class ContactTable:
    """Column store of contacts keyed by lower-cased e-mail."""

    def __init__(self, id_prefix: str) -> None:
        self.id_prefix = id_prefix  # 8-4-4-4 hex; the row number is the last 12 hex digits
        self.emails: list[str | None] = []
        self.index: dict[str, int] = {}
        self.permission = bytearray()
        self.opt_in_contact = bytearray()  # 1 where the contact opted in themselves
        self.created = array("d")
        self.updated = array("d")
        self.opt_out: dict[int, float] = {}
        self.columns: dict[str, list[Any]] = {}
        self._shared: dict[str, dict[Any, Any]] = {}
        self.memberships: dict[str, Membership] = {}

    def __len__(self) -> int:
        return len(self.emails)

    def contact_id(self, row: int) -> str:
        """The contact's UUID."""
        return f"{self.id_prefix}-{row:012x}"

    def membership(self, list_id: str) -> Membership:
        """The membership of a list, created empty on first use."""
        found = self.memberships.get(list_id)
        if found is None:
            found = self.memberships[list_id] = Membership()
        return found

    def upsert(
        self, item: dict[str, Any], key: str, lists: Iterable[Membership], now: float
    ) -> bool:
        """Create or update one contact; False when it is unsubscribed and stays off lists."""
        row = self.index.get(key)
        if row is None:
            row = self._create(item, key, now)
        else:
            self._update(item, row, now)
            if self.permission[row] == UNSUBSCRIBED:
                return False
        for membership in lists:
            membership.add(row)
        return True

    def _create(self, item: dict[str, Any], key: str, now: float) -> int:
        row = self._append(item, key)
        self.permission.append(IMPLICIT)
        self.opt_in_contact.append(0)
        self.created.append(now)
        self.updated.append(now)
        return row

    def _append(self, item: dict[str, Any], key: str) -> int:
        # The e-mail, index and property columns of a new contact; the caller adds the rest.
        row = len(self.emails)
        email = item.get("email") or None
        # Share one string object when the address is already lower case.
        self.emails.append(key if email == key else email)
        self.index[key] = row
        columns, shared = self.columns, self._shared
        for name, value in item.items():
            if value is None or name == "email":
                continue
            column = columns.get(name)
            if column is None:
                column = self._new_column(name)
            cache = shared.get(name)
            if cache is not None:
                first = cache.setdefault(value, value)
                if first is value and len(cache) > _SHARED_VALUES_MAX:
                    del shared[name]
                value = first  # noqa: PLW2901 - store the shared copy
            if len(column) != row:
                column.extend(repeat(None, row - len(column)))
            column.append(value)
        return row

    def import_rows(self, batch: ImportBatch) -> None:
        """Upsert ``batch.items[start:stop]``, skipping rows ``batch.skip`` says to skip.

        The hot loop of imports (a million contacts must take seconds, not minutes): locals
        are bound once, and new contacts' fixed-size fields are appended in bulk at the end.
        """
        index, permission, append, update = self.index, self.permission, self._append, self._update
        lists, keys, items, now = batch.lists, batch.keys, batch.items, batch.now
        created = people = refused = 0
        for row in batch.rows:
            key: Any = keys[row]
            found = index.get(key)
            if found is None:
                found = append(items[row], key)
                created += 1
            else:
                update(items[row], found, now)
                if permission[found] == UNSUBSCRIBED:
                    refused += 1
                    people += 1
                    continue
            for membership in lists:
                membership.add(found)
            people += 1
        batch.people += people
        batch.refused += refused
        self.permission.extend(repeat(IMPLICIT, created))
        self.opt_in_contact.extend(bytes(created))
        self.created.extend(repeat(now, created))
        self.updated.extend(repeat(now, created))

    def _update(self, item: dict[str, Any], row: int, now: float) -> None:
        # Only supplied values change. Imports never carry null or "" (a 400 at the door), but
        # the test seeding endpoint may: neither blanks a stored value.
        for name, value in item.items():
            if value is None or value == "" or name == "email":
                continue
            column = self.columns.get(name)
            if column is None:
                column = self._new_column(name)
            if len(column) <= row:
                column.extend(repeat(None, row + 1 - len(column)))
            column[row] = value
        self.updated[row] = now

    def _new_column(self, name: str) -> list[Any]:
        column: list[Any] = []
        self.columns[name] = column
        if name in SHARED_VALUE_COLUMNS or name.startswith("cf:"):
            self._shared[name] = {}
        return column

    def set_permission(self, row: int, permission: str, now: float) -> None:
        """Change a contact's permission (test seeding); unsubscribing records the opt-out."""
        code = PERMISSIONS.index(permission)
        self.permission[row] = code
        if code == UNSUBSCRIBED:
            self.opt_out[row] = now
        else:
            self.opt_out.pop(row, None)
        self.updated[row] = now

    def value(self, row: int, name: str) -> Any:
        """One stored property of a contact (None when never set)."""
        column = self.columns.get(name)
        # Columns are ragged: rows past a column's end never had that property.
        return None if column is None or row >= len(column) else column[row]

    def list_ids_of(self, row: int) -> list[str]:
        """The lists a contact is on."""
        return [
            list_id
            for list_id, membership in self.memberships.items()
            if row < len(membership.bits) and membership.bits[row]
        ]

    def rows(self, list_ids: list[str] | None, permissions: frozenset[int] | None) -> Iterator[int]:
        """Contact rows in creation order, filtered by lists (any of) and permission codes."""
        if list_ids is None:
            candidates: Iterable[int] = range(len(self.emails))
        elif len(list_ids) == 1:
            found = self.memberships.get(list_ids[0])
            candidates = found.rows() if found else ()
        else:
            merged: set[int] = set()
            for list_id in list_ids:
                if list_id in self.memberships:
                    merged.update(self.memberships[list_id].rows())
            candidates = sorted(merged)
        if permissions is None:
            return iter(candidates)
        codes = self.permission
        return (row for row in candidates if codes[row] in permissions)

    def to_dict(self) -> dict[str, Any]:
        """Everything, as JSON-ready data for the state file."""
        return {
            "id_prefix": self.id_prefix,
            "emails": self.emails,
            "permission": list(self.permission),
            "opt_in_contact": list(self.opt_in_contact),
            "created": self.created.tolist(),
            "updated": self.updated.tolist(),
            "opt_out": {str(row): when for row, when in self.opt_out.items()},
            "columns": self.columns,
            "memberships": {
                list_id: list(membership.rows()) for list_id, membership in self.memberships.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContactTable:
        """Rebuild a table saved by :meth:`to_dict`."""
        table = cls(str(data["id_prefix"]))
        table.emails = list(data["emails"])
        table.permission = bytearray(data["permission"])
        table.opt_in_contact = bytearray(data["opt_in_contact"])
        table.created = array("d", data["created"])
        table.updated = array("d", data["updated"])
        table.opt_out = {int(row): float(when) for row, when in data["opt_out"].items()}
        table.columns = {name: list(values) for name, values in data["columns"].items()}
        for row, email in enumerate(table.emails):
            table.index[email.lower() if email else f"sms:{table.value(row, 'sms_number')}"] = row
        for list_id, rows in data["memberships"].items():
            membership = table.membership(list_id)
            for row in rows:
                membership.add(int(row))
        sizes = {len(table.permission), len(table.created), len(table.updated)}
        if sizes - {len(table.emails)} or any(
            len(column) > len(table.emails) for column in table.columns.values()
        ):
            raise ValueError("contact columns have inconsistent lengths")
        return table
