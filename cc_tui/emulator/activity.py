"""Import activities and how they progress over time.

Nothing runs in the background: every read calls :meth:`ImportQueue.advance`, which works out
from the clock how far the queue would have got and really applies those contacts, in order.
Activities of the account are processed one after another (a queue, as the "1,000 queued
activities" limit suggests): each waits ``activity_start_delay`` after its creation and for the
one before it, then processes ``processing_rate`` contacts per second.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from cc_tui.emulator.contacts import ContactTable, ImportBatch, contact_key
from cc_tui.emulator.formats import iso_time
from cc_tui.emulator.rules import EMAIL_RE, SLOW_CHECK_KEYS, correctable_reason

__all__ = ["FINAL_STATES", "RETENTION_SECONDS", "ImportActivity", "ImportQueue"]

FINAL_STATES = frozenset({"completed", "failed", "cancelled", "timed_out"})
RETENTION_SECONDS = 10 * 86_400  # CC keeps activity records for 10 days
FAILED_MESSAGE = "Activity failed after {done} of {total} items: internal error while importing"


@dataclass(slots=True, eq=False)
class ImportActivity:
    """One ``contacts_json_import`` activity with its counters and unprocessed items."""

    activity_id: str
    created_at: float
    list_ids: tuple[str, ...]
    items: list[dict[str, Any]] | None
    total: int
    fail_after: int | None = None  # set when this activity was drawn to fail
    state: str = "initialized"
    started_at: float | None = None
    completed_at: float | None = None
    updated_at: float = 0.0
    done: int = 0
    person_count: int = 0
    error_count: int = 0
    correctable_count: int = 0
    cannot_add_to_list_count: int = 0
    errors: list[str] = field(default_factory=list)
    keys: list[str | None] | None = None  # upsert key of each item, while processing
    last_row: dict[str | None, int] | None = None  # upsert key -> its last row in this import

    @property
    def stop_at(self) -> int:
        """How many items get processed before the activity ends."""
        return self.total if self.fail_after is None else min(self.fail_after, self.total)

    def to_json(self) -> dict[str, Any]:
        """An ``ActivityImport`` / ``Activity`` object."""
        body: dict[str, Any] = {
            "activity_id": self.activity_id,
            "state": self.state,
            "created_at": iso_time(self.created_at),
            "updated_at": iso_time(self.updated_at or self.created_at),
        }
        if self.started_at is not None:
            body["started_at"] = iso_time(self.started_at)
        if self.completed_at is not None:
            body["completed_at"] = iso_time(self.completed_at)
        body["percent_done"] = self._percent_done()
        body["activity_errors"] = list(self.errors)
        body["status"] = {
            "items_total_count": self.total,
            "items_completed_count": self.done,
            "person_count": self.person_count,
            "error_count": self.error_count,
            "correctable_count": self.correctable_count,
            "cannot_add_to_list_count": self.cannot_add_to_list_count,
            "list_count": len(self.list_ids),
        }
        body["_links"] = {"self": {"href": f"/v3/activities/{self.activity_id}"}}
        return body

    def _percent_done(self) -> int:
        if self.total == 0:
            return 100 if self.state == "completed" else 0
        return self.done * 100 // self.total

    def to_dict(self) -> dict[str, Any]:
        """State-file form (unprocessed items included)."""
        data = asdict(self)
        data["list_ids"] = list(self.list_ids)
        data.pop("last_row")
        data.pop("keys")
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportActivity:
        """Rebuild from :meth:`to_dict`."""
        values = dict(data)
        values["list_ids"] = tuple(values["list_ids"])
        activity = cls(**values)
        if activity.state == "processing" and activity.items is not None:
            _index_keys(activity)
        return activity


class ImportQueue:
    """All activities (oldest first) and the clock of the queue that processes them."""

    def __init__(self) -> None:
        self.activities: dict[str, ImportActivity] = {}
        self._pending: deque[ImportActivity] = deque()
        self._clock = 0.0  # how far processing has been simulated

    def add(self, activity: ImportActivity) -> None:
        """Queue a new activity."""
        self.activities[activity.activity_id] = activity
        if activity.state not in FINAL_STATES:
            self._pending.append(activity)

    def newest_first(self) -> Iterator[ImportActivity]:
        """Activities, most recently created first."""
        return reversed(self.activities.values())

    def advance(self, now: float, rate: float, delay: float, table: ContactTable) -> None:
        """Process everything that would have been processed by ``now``."""
        clock = max(self._clock, 0.0)
        while self._pending:
            activity = self._pending[0]
            if activity.started_at is None:
                start = max(clock, activity.created_at + delay)
                if start > now:
                    break
                _start(activity, start)
                clock = start
            remaining = activity.stop_at - activity.done
            count = remaining if math.isinf(rate) else min(remaining, int((now - clock) * rate))
            if count > 0:
                clock += 0.0 if math.isinf(rate) else count / rate
                _apply(activity, activity.done + count, clock, table)
            if activity.done < activity.stop_at:
                self._clock = clock
                return
            _finish(activity, clock)
            self._pending.popleft()
        self._clock = now
        self._prune(now)

    def unfinished(self, now: float, rate: float, delay: float) -> int:
        """How many activities would still be queued or processing at ``now``."""
        clock = self._clock
        for position, activity in enumerate(self._pending):
            start = activity.started_at
            start = clock if start is not None else max(clock, activity.created_at + delay)
            clock = start + (activity.stop_at - activity.done) / rate
            if clock > now:
                return len(self._pending) - position
        return 0

    def _prune(self, now: float) -> None:
        old = [
            key
            for key, activity in self.activities.items()
            if activity.state in FINAL_STATES and activity.created_at < now - RETENTION_SECONDS
        ]
        for key in old:
            del self.activities[key]

    def to_dict(self) -> dict[str, Any]:
        """State-file form."""
        return {
            "clock": self._clock,
            "activities": [activity.to_dict() for activity in self.activities.values()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportQueue:
        """Rebuild from :meth:`to_dict`."""
        queue = cls()
        for item in data["activities"]:
            queue.add(ImportActivity.from_dict(item))
        queue._clock = float(data["clock"])
        return queue


def _start(activity: ImportActivity, when: float) -> None:
    activity.state = "processing"
    activity.started_at = activity.updated_at = when
    _index_keys(activity)


def _index_keys(activity: ImportActivity) -> None:
    keys = activity.keys = list(map(contact_key, activity.items or []))
    # Duplicates inside one import: the last occurrence wins and counts once.
    activity.last_row = dict(zip(keys, range(len(keys)), strict=True))


def _apply(activity: ImportActivity, stop: int, when: float, table: ContactTable) -> None:
    items = activity.items or []
    keys = activity.keys or []
    last_row = activity.last_row or {}
    valid_email = EMAIL_RE.fullmatch
    rows: list[int] = []
    for row in range(activity.done, stop):
        item = items[row]
        email = item.get("email")
        # Most items only need the e-mail pattern; the rest get the full check.
        if not (email and valid_email(email)) or not SLOW_CHECK_KEYS.isdisjoint(item):
            reason = correctable_reason(item)
            if reason is not None:
                activity.correctable_count += 1
                activity.errors.append(f"Row {row + 1}: {reason}: {email or ''}")
                continue
        key = keys[row]
        if key is not None and last_row[key] == row:
            rows.append(row)
    lists = [table.membership(list_id) for list_id in activity.list_ids]
    batch = ImportBatch(items, keys, rows, lists, when)
    table.import_rows(batch)
    activity.person_count += batch.people
    activity.cannot_add_to_list_count += batch.refused
    activity.done = stop
    activity.updated_at = when


def _finish(activity: ImportActivity, when: float) -> None:
    activity.completed_at = activity.updated_at = when
    if activity.fail_after is not None:
        activity.state = "failed"
        activity.error_count = activity.total - activity.done
        activity.errors.append(FAILED_MESSAGE.format(done=activity.done, total=activity.total))
    else:
        activity.state = "completed"
    activity.items = activity.keys = None
    activity.last_row = None
