"""Import activities and how they progress over time.

Nothing runs in the background: every read calls :meth:`ImportQueue.advance`, which works out
from the clock how far the queue would have got and really applies those contacts, in order.
Activities of the account are processed one after another (a queue, as the "1,000 queued
activities" limit suggests): each waits ``activity_start_delay`` after its creation and for the
one before it, then processes ``processing_rate`` contacts per second.

An activity drawn to end early (``outcome`` ``failed``, ``cancelled`` or ``timed_out``) stops
after ``stop_after`` contacts; the contacts it never processed count in ``error_count``, so the
counters of every final activity add up: ``items_total_count`` = ``person_count`` +
``correctable_count`` + ``error_count`` + duplicates folded into their last occurrence. An
activity drawn never to finish (``outcome`` ``unfinished``) stops there too but stays
``processing`` for ever; it leaves the queue, so the activities after it still run.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from cc_tui.emulator.contacts import ContactTable, ImportBatch, contact_key
from cc_tui.emulator.error_texts import contact_error, ending_error
from cc_tui.emulator.formats import iso_time
from cc_tui.emulator.refusals import Reason, Refusal

__all__ = [
    "EARLY_ENDINGS",
    "FINAL_STATES",
    "RETENTION_SECONDS",
    "UNFINISHED",
    "ImportActivity",
    "ImportQueue",
]

FINAL_STATES = frozenset({"completed", "failed", "cancelled", "timed_out"})
EARLY_ENDINGS = ("failed", "cancelled", "timed_out")  # final states that stop part-way
UNFINISHED = "unfinished"  # the outcome of an activity that never finishes
COMPLETED = "completed"
RETENTION_SECONDS = 10 * 86_400  # CC keeps activity records for 10 days
DEFAULT_MAX_ERRORS = 1_000
MORE_ERRORS = "{count} more errors were not listed"


@dataclass(slots=True, eq=False)
class ImportActivity:
    """One ``contacts_json_import`` activity with its counters and unprocessed items."""

    activity_id: str
    created_at: float
    list_ids: tuple[str, ...]
    items: list[dict[str, Any]] | None
    total: int
    stop_after: int | None = None  # set when this activity was drawn to end early
    outcome: str = COMPLETED  # the state it ends in, or UNFINISHED
    refusals: dict[int, Refusal] = field(default_factory=dict)  # refused rows, while queued
    text_seed: int = 0  # picks the wording of its activity_errors
    max_errors: int = DEFAULT_MAX_ERRORS
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
    errors_not_listed: int = 0
    stalled: bool = False  # an unfinished activity that has stopped making progress
    keys: list[str | None] | None = None  # upsert key of each item, while processing
    last_row: dict[str | None, int] | None = None  # upsert key -> its last accepted row

    @property
    def stop_at(self) -> int:
        """How many items get processed before the activity ends (or stalls)."""
        return self.total if self.stop_after is None else min(self.stop_after, self.total)

    def to_json(self, *, brief: bool = False) -> dict[str, Any]:
        """An ``ActivityImport`` / ``Activity`` object; ``brief``: without ``status`` and
        ``activity_errors`` (the swagger requires neither in a listed activity)."""
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
        body["_links"] = {"self": {"href": f"/v3/activities/{self.activity_id}"}}
        if brief:
            return body
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
        return body

    def _percent_done(self) -> int:
        if self.total == 0:
            return 100 if self.state == COMPLETED else 0
        return self.done * 100 // self.total

    def to_dict(self) -> dict[str, Any]:
        """State-file form (unprocessed items and their refusals included)."""
        data = asdict(self)
        data["list_ids"] = list(self.list_ids)
        data["refusals"] = [
            [row, refusal.reason.value, refusal.field] for row, refusal in self.refusals.items()
        ]
        data.pop("last_row")
        data.pop("keys")
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportActivity:
        """Rebuild from :meth:`to_dict` (or from a state file of before outcomes existed)."""
        values = dict(data)
        values["list_ids"] = tuple(values["list_ids"])
        if "fail_after" in values:  # version 1 files: only failures ended early
            values["stop_after"] = values.pop("fail_after")
            values["outcome"] = COMPLETED if values["stop_after"] is None else "failed"
        values["refusals"] = {
            int(row): Refusal(Reason(reason), str(name))
            for row, reason, name in values.get("refusals", ())
        }
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
        if activity.state not in FINAL_STATES and not activity.stalled:
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
            if activity.outcome == UNFINISHED:
                _stall(activity, clock)
            else:
                _finish(activity, clock)
            self._pending.popleft()
        self._clock = now
        self._prune(now)

    def unfinished(self, now: float, rate: float, delay: float) -> int:
        """How many activities would still be queued or processing at ``now``."""
        stalled = sum(1 for activity in self.activities.values() if activity.stalled)
        clock = self._clock
        for position, activity in enumerate(self._pending):
            start = activity.started_at
            start = clock if start is not None else max(clock, activity.created_at + delay)
            clock = start + (activity.stop_at - activity.done) / rate
            if clock > now:
                return stalled + len(self._pending) - position
        return stalled

    def _prune(self, now: float) -> None:
        old = [
            key
            for key, activity in self.activities.items()
            if (activity.state in FINAL_STATES or activity.stalled)
            and activity.created_at < now - RETENTION_SECONDS
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
    items = activity.items or []
    keys = activity.keys = list(map(contact_key, items))
    # Duplicates inside one import: the last accepted occurrence wins and counts once; a
    # refused occurrence never wins.
    refused = activity.refusals
    if not refused:
        activity.last_row = dict(zip(keys, range(len(keys)), strict=True))
        return
    last_row: dict[str | None, int] = {}
    for row, key in enumerate(keys):
        if row not in refused:
            last_row[key] = row
    activity.last_row = last_row


def _apply(activity: ImportActivity, stop: int, when: float, table: ContactTable) -> None:
    items = activity.items or []
    keys = activity.keys or []
    last_row = activity.last_row or {}
    refused = activity.refusals
    rows: list[int] = []
    for row in range(activity.done, stop):
        if refused:
            refusal = refused.get(row)
            if refusal is not None:
                _count_refusal(activity, row, refusal, items[row])
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


def _count_refusal(
    activity: ImportActivity, row: int, refusal: Refusal, item: dict[str, Any]
) -> None:
    if refusal.correctable:
        activity.correctable_count += 1
    else:
        activity.error_count += 1
    if len(activity.errors) < activity.max_errors:
        who = str(item.get("email") or item.get("sms_number") or "")
        activity.errors.append(contact_error(activity.text_seed, row, refusal, who))
    else:
        activity.errors_not_listed += 1


def _release(activity: ImportActivity) -> None:
    activity.items = activity.keys = None
    activity.last_row = None
    activity.refusals = {}


def _stall(activity: ImportActivity, when: float) -> None:
    """An unfinished activity stops here and stays ``processing`` for ever."""
    activity.stalled = True
    activity.updated_at = when
    _release(activity)


def _finish(activity: ImportActivity, when: float) -> None:
    activity.completed_at = activity.updated_at = when
    if activity.errors_not_listed:
        activity.errors.append(MORE_ERRORS.format(count=activity.errors_not_listed))
    if activity.stop_after is not None and activity.outcome in EARLY_ENDINGS:
        activity.state = activity.outcome
        activity.error_count += activity.total - activity.done
        text = ending_error(activity.text_seed, activity.state, activity.done, activity.total)
        activity.errors.append(text)
    else:
        activity.state = COMPLETED
    _release(activity)
