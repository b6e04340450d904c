"""The emulated account: lists, custom fields, contacts and import activities.

Every public method takes the one lock, so routes (running in worker threads) and tests can call
them at any time. Reads first advance the import queue to "now", so what they return is what the
real service would show at that moment.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from cc_tui.emulator.activity import ImportActivity, ImportQueue
from cc_tui.emulator.contact_view import render_contact
from cc_tui.emulator.contacts import ACTIVE_PERMISSIONS, PERMISSIONS, ContactTable
from cc_tui.emulator.problems import ApiProblem
from cc_tui.emulator.records import Account, ContactList, CustomField, custom_field_name
from cc_tui.emulator.settings import EmulatorSettings

__all__ = ["MAX_CUSTOM_FIELDS", "ContactQuery", "EmulatorState", "Page"]

MAX_CUSTOM_FIELDS = 100  # per account
QUEUE_LIMIT_KEY = "activities.api.queue.limit"
QUEUE_LIMIT_MESSAGE = "You exceeded {limit:,} queued activities for this user account."
DEFAULT_ID_PREFIX = "5c0e7a3d-91b2-4c6e-8f10"


@dataclass(frozen=True, slots=True)
class ContactQuery:
    """Filters of ``GET /contacts``."""

    email: str | None = None
    list_ids: list[str] | None = None
    permissions: frozenset[int] | None = None  # None = every contact that is not deleted
    include: frozenset[str] = frozenset()
    include_count: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """One page of results; ``count`` only when asked for."""

    items: list[dict[str, Any]]
    more: bool
    count: int | None = None


class EmulatorState:
    """Thread-safe account data; ``settings`` is read for processing speed and limits."""

    def __init__(
        self,
        settings: Callable[[], EmulatorSettings],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self.clock = clock
        self.lock = threading.RLock()
        self.account = Account()
        self.lists: dict[str, ContactList] = {}
        self.custom_fields: dict[str, CustomField] = {}  # by name
        self.contacts = ContactTable(DEFAULT_ID_PREFIX)
        self.queue = ImportQueue()

    # -- lifecycle -----------------------------------------------------------------------

    def clear(self, id_prefix: str = DEFAULT_ID_PREFIX) -> None:
        """Forget every list, field, contact and activity."""
        with self.lock:
            self.lists = {}
            self.custom_fields = {}
            self.contacts = ContactTable(id_prefix)
            self.queue = ImportQueue()

    def advance(self) -> None:
        """Apply the imports that would have been processed by now."""
        settings = self._settings()
        with self.lock:
            self.queue.advance(
                self.clock(),
                settings.processing_rate,
                settings.activity_start_delay,
                self.contacts,
            )

    # -- lists ----------------------------------------------------------------------------

    def add_list(self, record: ContactList) -> None:
        """Store a list record as it is (seeding and state files)."""
        with self.lock:
            self.lists[record.list_id] = record

    def create_list(self, name: str, description: str, favorite: bool) -> dict[str, Any]:
        """``POST /contact_lists``: 409 when a list of that name exists."""
        with self.lock:
            if any(
                found.name == name and found.deleted_at is None for found in self.lists.values()
            ):
                raise ApiProblem.conflict(f"A list named {name!r} already exists")
            now = self.clock()
            record = ContactList(str(uuid.uuid4()), name, description, favorite, now, now)
            self.lists[record.list_id] = record
            return record.to_json()

    def find_lists(
        self, statuses: frozenset[str], name: str | None, membership: str | None
    ) -> list[dict[str, Any]]:
        """Lists in creation order, as JSON, filtered by statuses (any of) and exact name."""
        with self.lock:
            if membership:
                self.advance()
            found = [
                record
                for record in self.lists.values()
                if _status_matches(record, statuses) and (name is None or record.name == name)
            ]
            return [record.to_json(self._members(record, membership)) for record in found]

    def get_list(self, list_id: str, membership: str | None) -> dict[str, Any] | None:
        """One list as JSON, or None."""
        with self.lock:
            record = self.lists.get(list_id)
            if record is None:
                return None
            if membership:
                self.advance()
            return record.to_json(self._members(record, membership))

    def _members(self, record: ContactList, membership: str | None) -> int | None:
        if not membership:
            return None
        found = self.contacts.memberships.get(record.list_id)
        if found is None:
            return 0
        if membership == "all":
            return found.count
        codes = self.contacts.permission
        return sum(1 for row in found.rows() if codes[row] in ACTIVE_PERMISSIONS)

    def list_members(self, list_id: str) -> set[str]:
        """Lower-cased e-mails of a list's members (after applying due imports)."""
        with self.lock:
            self.advance()
            found = self.contacts.memberships.get(list_id)
            if found is None:
                return set()
            emails = self.contacts.emails
            return {email.lower() for email in map(emails.__getitem__, found.rows()) if email}

    def drop_members(self, list_id: str, emails: Iterable[str] | None, count: int | None) -> int:
        """Take members off a list, as if they were removed in Constant Contact (test only):
        the given e-mails, else the first ``count`` members. Returns how many were dropped."""
        with self.lock:
            self.advance()
            found = self.contacts.memberships.get(list_id)
            if found is None:
                return 0
            if emails is not None:
                index = self.contacts.index
                rows = [index[e.lower()] for e in emails if e.lower() in index]
            else:
                rows = list(islice(found.rows(), count or 0))
            return sum(1 for row in rows if found.discard(row))

    # -- custom fields -----------------------------------------------------------------------

    def add_custom_field(self, record: CustomField) -> None:
        """Store a custom field as it is (seeding and state files)."""
        with self.lock:
            self.custom_fields[record.name] = record

    def create_custom_field(
        self,
        label: str,
        field_type: str,
        metadata: Mapping[str, Any] | None = None,
        choices: Iterable[str] = (),
    ) -> dict[str, Any]:
        """``POST /contact_custom_fields``: name derived from the label; 409 on a duplicate."""
        with self.lock:
            name = custom_field_name(label)
            if name in self.custom_fields:
                raise ApiProblem.conflict(f"A custom field named {name!r} already exists")
            if len(self.custom_fields) >= MAX_CUSTOM_FIELDS:
                raise ApiProblem.bad_request(
                    f"An account can have at most {MAX_CUSTOM_FIELDS} custom fields"
                )
            now = self.clock()
            record = CustomField(
                str(uuid.uuid4()),
                label.strip(),
                name,
                field_type,
                now,
                now,
                dict(metadata or {}),
                list(choices),
            )
            self.custom_fields[name] = record
            return record.to_json()

    def list_custom_fields(self) -> list[dict[str, Any]]:
        """Every custom field as JSON, in creation order."""
        with self.lock:
            return [record.to_json() for record in self.custom_fields.values()]

    # -- contacts ------------------------------------------------------------------------------

    def find_contacts(self, query: ContactQuery, offset: int, limit: int) -> Page:
        """One page of ``GET /contacts``."""
        with self.lock:
            self.advance()
            field_ids = {name: f.custom_field_id for name, f in self.custom_fields.items()}
            rows = list(islice(self._rows(query), offset, offset + limit + 1))
            items = [
                render_contact(self.contacts, row, query.include, field_ids) for row in rows[:limit]
            ]
            count = sum(1 for _ in self._rows(query)) if query.include_count else None
            return Page(items, len(rows) > limit, count)

    def _rows(self, query: ContactQuery) -> Iterator[int]:
        table = self.contacts
        if query.email is None:
            return table.rows(query.list_ids, query.permissions)
        row = table.index.get(query.email.lower())
        if row is None or not self._row_matches(row, query):
            return iter(())
        return iter((row,))

    def _row_matches(self, row: int, query: ContactQuery) -> bool:
        table = self.contacts
        if query.permissions is not None and table.permission[row] not in query.permissions:
            return False
        return query.list_ids is None or bool(set(query.list_ids) & set(table.list_ids_of(row)))

    def contact_count(self) -> int:
        """How many contacts the account holds (after applying due imports)."""
        with self.lock:
            self.advance()
            return len(self.contacts)

    def seed_contacts(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Create or update contacts directly (test endpoint); returns how many."""
        with self.lock:
            self.advance()
            now = self.clock()
            count = 0
            for entry in entries:
                self._seed_one(entry, now)
                count += 1
            return count

    def _seed_one(self, entry: Mapping[str, Any], now: float) -> None:
        item = {key: value for key, value in entry.items() if key not in _SEED_CONTROL_KEYS}
        email = item.get("email")
        if not isinstance(email, str) or not email:
            raise ApiProblem.bad_request("every contact needs an email")
        key = email.lower()
        permission = entry.get("permission_to_send")
        if permission is not None and permission not in PERMISSIONS:
            raise ApiProblem.bad_request(
                f"permission_to_send must be one of {', '.join(PERMISSIONS)}"
            )
        lists = [str(list_id) for list_id in entry.get("list_ids", ())]
        unknown = [list_id for list_id in lists if list_id not in self.lists]
        if unknown:
            raise ApiProblem.bad_request(f"unknown list_ids: {', '.join(unknown)}")
        self.contacts.upsert(item, key, (), now)
        row = self.contacts.index[key]
        if permission is not None:
            self.contacts.set_permission(row, str(permission), now)
        if entry.get("opt_in_source") == "Contact":
            self.contacts.opt_in_contact[row] = 1
        for list_id in lists:
            self.contacts.membership(list_id).add(row)

    # -- imports ---------------------------------------------------------------------------

    def import_targets(self) -> tuple[frozenset[str], dict[str, CustomField]]:
        """Ids of the lists an import may target (not deleted) and the custom fields by name."""
        with self.lock:
            lists = frozenset(k for k, found in self.lists.items() if found.deleted_at is None)
            return lists, dict(self.custom_fields)

    def create_import(self, activity: ImportActivity) -> dict[str, Any]:
        """Queue an import activity (its ``created_at`` is set now); 429 when too many wait."""
        settings = self._settings()
        with self.lock:
            now = self.clock()
            limit = settings.max_queued_activities
            queued = self.queue.unfinished(
                now, settings.processing_rate, settings.activity_start_delay
            )
            if queued >= limit:
                raise ApiProblem(429, QUEUE_LIMIT_KEY, QUEUE_LIMIT_MESSAGE.format(limit=limit))
            activity.created_at = activity.updated_at = now
            self.queue.add(activity)
            return activity.to_json()

    def get_activity(self, activity_id: str) -> dict[str, Any] | None:
        """One activity as JSON, or None (also for one younger than ``activity_by_id_lag``)."""
        with self.lock:
            self.advance()
            found = self.queue.activities.get(activity_id)
            served_until = self.clock() - self._settings().activity_by_id_lag
            return None if found is None or found.created_at > served_until else found.to_json()

    def find_activities(self, state: str | None) -> list[dict[str, Any]]:
        """Activities, newest first, optionally of one state.

        An activity shows here only ``activity_list_lag`` seconds after its creation (the
        listing lags behind, as on a real service); ``get_activity`` finds it at once. With
        ``brief_activity_list`` the listing leaves out each activity's counters and texts; with
        ``activities_oldest_first`` it lists the oldest first.
        """
        settings = self._settings()
        with self.lock:
            self.advance()
            shown_until = self.clock() - settings.activity_list_lag
            found = [
                activity.to_json(brief=settings.brief_activity_list)
                for activity in self.queue.newest_first()
                if activity.created_at <= shown_until and (state is None or activity.state == state)
            ]
        return found[::-1] if settings.activities_oldest_first else found


_SEED_CONTROL_KEYS = frozenset({"list_ids", "permission_to_send", "opt_in_source"})


def _status_matches(record: ContactList, statuses: frozenset[str]) -> bool:
    if "all" in statuses:
        return True
    return ("deleted" if record.deleted_at is not None else "active") in statuses
