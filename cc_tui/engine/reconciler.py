"""Find a batch's import whose answer was lost, among the account's recent activities.

Constant Contact's import has no idempotency key: sending a batch again makes a second
activity. So a batch ``uploading`` without a recorded answer (the process was killed during
the upload, or the request got an ambiguous 5xx, a dropped connection, a timeout) is settled
here before it may be sent again:

* ``GET /activities`` (newest first, paged back to the send time) is read; an activity is a
  *candidate* for the batch when no batch of any run has recorded it, it was created inside the
  batch's *window* (from the send time minus ``clock_skew``, the difference allowed between our
  clock and Constant Contact's, to ``creation_window`` after it, the longest a request may take
  to become an activity), and its ``status.items_total_count`` equals the batch's contacts.
* A candidate that no other batch could own (same contact count, any run, its window holding
  the candidate's creation time: a batch in doubt now, or an upload of another batch that was
  given up on, whose import may have shown up since) is the batch's: it is *claimed*
  (recorded against the batch, in the same transaction as the batch's new state, and only if
  nobody recorded it first), so a second crash never claims it twice. More such candidates are
  earlier lost requests of the same batch that did arrive: recorded as its duplicates.
* A new activity may take a while to show in the list, so the list is read again, at growing
  intervals, until ``visibility_wait`` seconds after the doubt arose (not past the window's end
  plus that wait). Only then is "not there" believed: the batch goes back to ``pending`` and is
  sent again, and the lost upload's send time is kept: if its import shows up later, it is
  this batch's (a duplicate) and never claimable by another batch. Candidates other batches
  could own are then *disputed*: recorded so that no batch ever claims them, and the batch is sent
  again (a possible duplicate, never a wrong claim that would leave another batch's contacts
  unsent).
* Constant Contact's clock against ours is measured, so the windows of all batches shift by
  one offset, and an import sent after another batch's upload was given up on is not that
  upload's rival: the ``Date`` headers of the client's answers tell it to a few seconds from
  the run's first request (:mod:`cc_tui.constant_contact.server_clock`), and the activities
  our own answered imports made tell it to the millisecond (each was created between its
  request's send and its answer). Both are taken together; when they disagree, the span of
  both. ``clock_skew`` bounds it only when neither has measured anything (a server that
  dates no answer, before any import was answered), and always widens how far back the
  list is read.
* An activity in the window whose contact count is not readable yet (0 while unfinished) might
  be the batch's: if one is still there at the end, the run stops resumable rather than guess.

Within one process the sender never has two imports of the same contact count in flight, and
it settles the doubts a killed run left before it sends anything, so its own batches never
compete for one activity; the rival check covers other processes and older runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cc_tui.constant_contact.schemas import Activity
from cc_tui.constant_contact.server_clock import OffsetRange
from cc_tui.engine.activity_outcome import COMPLETED, posted_record
from cc_tui.errors import NotFoundError, OutcomeUnknownError
from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.store.run_history import LostUpload, RunHistory

__all__ = [
    "DEFAULT_CLOCK_SKEW",
    "DEFAULT_CREATION_WINDOW",
    "DEFAULT_VISIBILITY_WAIT",
    "ActivitySource",
    "ImportReconciler",
    "Settlement",
]

# Sized for the real service, where the API contract only says a new activity "may take a
# while (seconds)" to be listed: half a minute covers that many times over.
DEFAULT_VISIBILITY_WAIT = 30.0
# Our clock against Constant Contact's: a machine without time sync drifts by seconds a day.
DEFAULT_CLOCK_SKEW = 60.0
# From the first byte of a request to its activity: a 4 MB upload on a slow uplink plus the
# server's own handling (our HTTP timeout alone is 60 s between bytes).
DEFAULT_CREATION_WINDOW = 600.0
# How precise Constant Contact's creation times are: milliseconds when any shows them (the
# swagger's examples do), else whole seconds (some examples have none).
FINE_PRECISION = timedelta(milliseconds=1)
COARSE_PRECISION = timedelta(seconds=1)
FIRST_LOOK_GAP = 0.5  # seconds before the second look; doubled after each look
MAX_LOOK_GAP = 8.0

Sleep = Callable[[float], Awaitable[None]]
_Key = tuple[str, int]
_STATE_RANK = {COMPLETED: 0, "initialized": 1, "processing": 1}
_BAD_END_RANK = 2


class ActivitySource(Protocol):
    """Where recent activities come from (the API client)."""

    async def activities_since(self, since: datetime) -> list[Activity]:
        """Activities created at or after ``since``, newest first."""
        ...

    async def activity(self, activity_id: str) -> Activity:
        """One activity with everything its answer states (counters included)."""
        ...

    def clock_offset(self) -> OffsetRange | None:
        """Constant Contact's clock minus ours as its answers dated them; None if unknown."""
        ...


@dataclass(frozen=True, slots=True)
class Settlement:
    """How one batch in doubt was settled."""

    record: BatchRecord
    """``posted`` with the claimed activity, or ``pending``: to be sent again."""
    activity: Activity | None = None
    """The activity claimed, if one was."""
    duplicates: tuple[str, ...] = ()
    """Other activities found holding the same batch (recorded as its too)."""
    disputed: tuple[str, ...] = ()
    """Candidates another batch in doubt could own: left to nobody."""
    waited: float = 0.0
    """Seconds spent looking."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _key(record: BatchRecord) -> _Key:
    return (record.run_id, record.seq)


class ImportReconciler:
    """Settles batches in doubt against the account's recent activities (module docstring)."""

    def __init__(
        self,
        source: ActivitySource,
        history: RunHistory,
        *,
        visibility_wait: float = DEFAULT_VISIBILITY_WAIT,
        clock_skew: float = DEFAULT_CLOCK_SKEW,
        creation_window: float = DEFAULT_CREATION_WINDOW,
        now: Callable[[], datetime] = _utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._source = source
        self._history = history
        self._visibility_wait = timedelta(seconds=visibility_wait)
        self._skew = timedelta(seconds=clock_skew)
        self._creation_window = timedelta(seconds=creation_window)
        self._now = now
        self._sleep = sleep
        # How Constant Contact's clock may stand against ours (its minus ours): as measured
        # (see _measured_offsets), or the allowed skew while nothing has measured it.
        self._allowed: OffsetRange = (-self._skew, self._skew)
        self._offsets = self._allowed

    async def settle(self, records: Sequence[BatchRecord]) -> list[Settlement]:
        """Claim each batch's activity, or decide to send it again; one result per record.

        Every outcome is checkpointed before this returns. Raises OutcomeUnknownError when an
        activity that might be a batch's never showed its contact count.
        """
        started = self._now()
        waiting = {_key(record): record for record in records}
        settled: dict[_Key, Settlement] = {}
        gap = FIRST_LOOK_GAP
        known: dict[str, Activity] = {}  # final activities asked for by id: they never change
        self._offsets = self._source.clock_offset() or self._allowed
        reread = False
        while waiting:
            oldest = min(self._sent(record) for record in waiting.values())
            since = self._read_back_to(oldest)
            recent = await self._source.activities_since(since)
            recorded = self._history.recorded_activities([a.activity_id for a in recent])
            self._offsets = self._measured_offsets(recent, recorded)
            if not reread and self._read_back_to(oldest) < since:
                reread = True  # the list's own answer showed a clock further behind
                continue
            free = await self._counted([a for a in recent if a.activity_id not in recorded], known)
            now = self._now()
            for key, record in list(waiting.items()):
                last_look = now >= self._look_until(record, started)
                outcome = self._judge(record, free, last_look, now, now - started)
                if outcome is None:
                    continue
                settled[key] = outcome
                del waiting[key]
                taken = {*outcome.duplicates, *outcome.disputed}
                if outcome.activity is not None:
                    taken.add(outcome.activity.activity_id)
                free = [a for a in free if a.activity_id not in taken]
            if waiting:
                next_look = min(self._look_until(r, started) for r in waiting.values())
                await self._sleep(min(gap, max(0.0, (next_look - now).total_seconds())))
                gap = min(gap * 2, MAX_LOOK_GAP)
        return [settled[_key(record)] for record in records]

    async def _counted(self, listed: list[Activity], known: dict[str, Activity]) -> list[Activity]:
        """``listed`` with each activity listed without its counters asked for by id.

        The swagger requires no property of a listed activity; an import found by its contact
        count needs the count, and only ``GET /activities/{id}`` is sure to state it.
        """
        counted: list[Activity] = []
        for activity in listed:
            if activity.status.reported:
                counted.append(activity)
                continue
            found = known.get(activity.activity_id)
            if found is None:
                try:
                    found = await self._source.activity(activity.activity_id)
                except NotFoundError:
                    # Listed, but not served by id yet: its count stays unknown for this look
                    # (the next look asks again; the last one stops rather than guess).
                    counted.append(activity)
                    continue
            if found.is_final and found.status.reported:
                known[found.activity_id] = found
            counted.append(found)
        return counted

    def _read_back_to(self, oldest: datetime) -> datetime:
        """How far back the list is read: the allowed skew at least before the oldest send,
        further when Constant Contact's clock is measured further behind ours."""
        return oldest + min(self._offsets[0], -self._skew)

    def _sent(self, record: BatchRecord) -> datetime:
        assert record.sent_at is not None  # written before the request went out
        return record.sent_at

    def _window(self, record: BatchRecord) -> tuple[datetime, datetime]:
        return self._window_of(self._sent(record))

    def _window_of(self, sent: datetime) -> tuple[datetime, datetime]:
        """When an import sent at ``sent`` may have been created, by Constant Contact's clock."""
        behind, ahead = self._offsets
        return sent + behind, sent + self._creation_window + ahead

    def _lost_window(self, upload: LostUpload) -> tuple[datetime, datetime]:
        """When a given-up upload's import may have been created: its request had ended (and
        the list been read for ``visibility_wait`` seconds) by the time it was given up on."""
        behind, ahead = self._offsets
        return upload.sent_at + behind, upload.given_up_at + ahead

    def _measured_offsets(self, recent: Sequence[Activity], recorded: set[str]) -> OffsetRange:
        """Constant Contact's clock minus ours, as a range: what the answers' ``Date`` headers
        say, narrowed by what the activities of our own answered imports say.

        One offset holds for every window; left at the allowed skew either way, it would let
        an import sent after another batch's upload was given up on fall in that upload's
        window, and the batch it belongs to be sent again; and a clock further off than the
        skew would put a batch's own import outside its window. When the two measures
        disagree, the range spans both (a wide window costs a possible duplicate; a wrong
        narrow one could let a batch claim another's import). The allowed skew only when
        neither measured anything.
        """
        by_date = self._source.clock_offset()
        by_imports = self._import_offsets(recent, recorded)
        if by_date is None or by_imports is None:
            return by_date or by_imports or self._allowed
        low, high = max(by_date[0], by_imports[0]), min(by_date[1], by_imports[1])
        if low <= high:
            return low, high
        return min(by_date[0], by_imports[0]), max(by_date[1], by_imports[1])

    def _import_offsets(self, recent: Sequence[Activity], recorded: set[str]) -> OffsetRange | None:
        """The range the activities our own answered requests named allow, each created
        between its request's send and its answer; widened by the precision of the creation
        times (whole seconds unless one shows milliseconds). None when no activity measures
        it, or the measures disagree."""
        timed = [a for a in recent if a.activity_id in recorded and a.created_at is not None]
        answered = self._history.answered_times([a.activity_id for a in timed])
        if not answered:
            return None
        precise = any(a.created_at is not None and a.created_at.microsecond for a in recent)
        precision = FINE_PRECISION if precise else COARSE_PRECISION
        behind: timedelta | None = None
        ahead: timedelta | None = None
        for activity in timed:
            times = answered.get(activity.activity_id)
            if times is None:
                continue
            assert activity.created_at is not None  # filtered above
            sent, answer = times
            low = activity.created_at - answer - precision
            high = activity.created_at - sent + precision
            behind = low if behind is None else max(behind, low)
            ahead = high if ahead is None else min(ahead, high)
        if behind is None or ahead is None or behind > ahead:
            return None
        return behind, ahead

    def _look_until(self, record: BatchRecord, started: datetime) -> datetime:
        """Look until the list has had time to show the import; once at least."""
        window_end = self._sent(record) + self._creation_window + self._visibility_wait
        return max(started, min(started + self._visibility_wait, window_end))

    def _judge(
        self,
        record: BatchRecord,
        free: list[Activity],
        last_look: bool,
        now: datetime,
        spent: timedelta,
    ) -> Settlement | None:
        """The settlement of ``record`` from one look, or None to look again."""
        lost = self._history.lost_uploads(record.contacts, self._sent(record) - 2 * self._skew)
        # Where this batch's import may be: its current upload, and earlier ones of it that
        # were given up on (an import that appeared too late for them is still its own).
        windows = [self._window(record)] + [
            self._lost_window(upload)
            for upload in lost
            if (upload.run_id, upload.seq) == _key(record)
        ]
        in_window = [a for a in free if any(_created_within(a, *w) for w in windows)]
        matching = [a for a in in_window if a.status.items_total_count == record.contacts]
        # Where another batch's import of the same size may be: its upload in doubt now, or
        # one of its uploads given up on earlier (whose import may have appeared since).
        rivals = [
            self._window(other)
            for other in self._history.in_doubt(record.contacts)
            if _key(other) != _key(record) and other.sent_at is not None
        ] + [
            self._lost_window(upload)
            for upload in lost
            if (upload.run_id, upload.seq) != _key(record)
        ]
        own = [a for a in matching if not any(_created_within(a, *w) for w in rivals)]
        waited = spent.total_seconds()
        if own:
            best, *others = sorted(own, key=_preference)
            duplicates = tuple(a.activity_id for a in others)
            claimed = posted_record(record, best, now, duplicates)
            if not self._history.claim(claimed, duplicates=duplicates):
                return None  # recorded by someone else a moment ago: look again
            return Settlement(claimed, best, duplicates, waited=waited)
        if not last_look:
            return None
        unreadable = [
            a
            for a in in_window
            if a.status.items_total_count == 0 and (not a.is_final or not a.status.reported)
        ]
        if unreadable:
            raise OutcomeUnknownError(
                f"Batch {record.seq}: activity {unreadable[0].activity_id}, created after the "
                "batch's lost upload, does not show its contact count yet, so cc-tui cannot "
                "tell whether it holds this batch. Nothing was sent again; resume in a few "
                "minutes."
            )
        disputed = tuple(a.activity_id for a in matching)
        again = replace(record, state=BatchState.PENDING, sent_at=None)
        self._history.give_up(record, again, disputed, given_up_at=now)
        return Settlement(again, disputed=disputed, waited=waited)


def _created_within(activity: Activity, low: datetime, high: datetime) -> bool:
    # An activity without a creation time cannot be ruled out.
    created = activity.created_at
    return created is None or low <= created <= high


def _preference(activity: Activity) -> tuple[int, datetime]:
    """Completed first, then unfinished, then those that ended badly; older first."""
    rank = _STATE_RANK.get(activity.state, _BAD_END_RANK)
    return rank, activity.created_at or datetime.min.replace(tzinfo=UTC)
