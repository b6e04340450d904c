"""Send batches to Constant Contact exactly once and confirm each through its import activity.

Upload workers post batches (at most four requests a second for the whole connection: the
client's limiter sees to that); one poller asks for many activities in a single
``GET /activities`` call rather than one call each. Every state change of a batch is written
to the history before the next step (``pending → uploading → posted → confirmed | failed``,
see :class:`~cc_tui.models.BatchState`), so a resumed run skips confirmed batches, polls
posted ones and sends only the rest.

Exactly once: a batch is marked ``uploading``, with the send time, before its import request
goes out, and the client is asked not to retry an import whose outcome is unknown. When the
answer is lost (killed during the upload, an ambiguous 5xx, a dropped connection, a timeout)
the batch is settled by :class:`~cc_tui.engine.reconciler.ImportReconciler`: its activity is
looked for among the account's recent activities and claimed if found; only a batch whose
import is not there once the list has had time to show it is sent again. Two imports of the
same contact count are never in flight at once, so an activity found by its count can belong
to one batch only. A batch counts once: it is accounted from the activity that completed, and
sent again only after an activity of it ended failed, cancelled or timed out (kills and lost
answers use none of its attempts).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.constant_contact.schemas import Activity
from cc_tui.engine.activity_outcome import (
    COMPLETED,
    final_record,
    named_rows,
    posted_record,
    unfinished_detail,
)
from cc_tui.engine.batching import Batch
from cc_tui.engine.poll_budget import PollBudget
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.reconciler import (
    DEFAULT_CLOCK_SKEW,
    DEFAULT_CREATION_WINDOW,
    DEFAULT_VISIBILITY_WAIT,
    ImportReconciler,
    Settlement,
)
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.errors import (
    ActivityDeadlineError,
    ConstantContactError,
    InputError,
    OutcomeUnknownError,
    ResumeRefusedError,
)
from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.store.run_history import RunHistory

__all__ = [
    "DEFAULT_ACTIVITY_DEADLINE",
    "DEFAULT_UPLOAD_WORKERS",
    "MAX_ACTIVITY_ATTEMPTS",
    "BatchSender",
    "SenderTiming",
]

DEFAULT_UPLOAD_WORKERS = 4
MAX_ACTIVITY_ATTEMPTS = 3  # activities per batch: one that ends badly is followed by another
MAX_UNCLEAR_UPLOADS = 5  # uploads in a row without a clear answer before the run stops
DEFAULT_ACTIVITY_DEADLINE = 2 * 3600.0  # seconds one activity may take, per process
ACTIVITIES_PAGE = 500
MIN_ACTIVITIES_PAGE = 50
# An activity missing from the recent-activities page (the account may be busy with others)
# is asked for by id after this long.
MISSING_GRACE = 5.0

Sleep = Callable[[float], Awaitable[None]]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SenderTiming:
    """How often to poll activities, how long to wait for them, and how to settle lost answers.

    While uploads still go, polls come at most every ``poll_busy`` seconds and only when every
    upload worker waits for a batch and the rate limiter has a free slot (a poll that delays an
    upload delays the whole run: the rate limit chains every later request to it). Once the
    uploads are done, the first poll waits ``poll_idle`` seconds and each poll that finds
    nothing finished waits ``backoff`` times longer, up to ``poll_max``.

    Whatever happens, polling spends at most ``poll_burst`` requests at once and one more every
    ``poll_refill`` seconds (:class:`~cc_tui.engine.poll_budget.PollBudget`): with the defaults
    at most 30 + 60 = **90 requests in any hour and 1,470 in any day, under 15% of Constant
    Contact's 10,000-request daily quota**, however many activities are watched. After the
    first few minutes of polling without progress there are at least 60 s between polls. An
    activity not final ``activity_deadline`` seconds after this process began watching it
    (2 h: at most 150 poll requests) stops the run, resumable, naming it.

    ``visibility_wait``, ``clock_skew`` and ``creation_window`` size the search for an import
    whose answer was lost (:mod:`cc_tui.engine.reconciler`); each such search reads the
    activity list at most eight times in the 30 s it may wait (more only to page back).
    """

    poll_busy: float = 4.0
    poll_idle: float = 0.1
    poll_max: float = 60.0
    backoff: float = 1.5
    poll_burst: int = 30
    poll_refill: float = 60.0
    activity_deadline: float = DEFAULT_ACTIVITY_DEADLINE
    visibility_wait: float = DEFAULT_VISIBILITY_WAIT
    clock_skew: float = DEFAULT_CLOCK_SKEW
    creation_window: float = DEFAULT_CREATION_WINDOW


@dataclass(slots=True)
class _Watched:
    batch: Batch
    record: BatchRecord
    since: float
    activity: Activity | None = None  # as last seen


class BatchSender:
    """Posts, checkpoints, reconciles and confirms the batches of one run."""

    def __init__(
        self,
        client: ConstantContactClient,
        history: RunHistory,
        run_id: str,
        *,
        tracker: ProgressTracker,
        rejected: RejectedRowsWriter,
        segment_names: Sequence[str],
        checkpoints: dict[int, BatchRecord],
        workers: int = DEFAULT_UPLOAD_WORKERS,
        timing: SenderTiming = SenderTiming(),
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._client = client
        self._history = history
        self._run_id = run_id
        self._tracker = tracker
        self._rejected = rejected
        self._segment_names = list(segment_names)
        self._checkpoints = checkpoints
        self._workers = workers
        self._timing = timing
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._reconciler = ImportReconciler(
            client,
            history,
            visibility_wait=timing.visibility_wait,
            clock_skew=timing.clock_skew,
            creation_window=timing.creation_window,
            now=now,
            sleep=sleep,
        )
        self._budget = PollBudget(timing.poll_burst, timing.poll_refill, clock)
        self._watched: dict[str, _Watched] = {}
        self._overdue: list[_Watched] = []
        self._handled: dict[int, str] = {}  # digest of each batch taken, by seq
        self._waiting_workers = 0  # upload workers waiting for a batch
        self._resending = 0  # batches being sent again after an activity ended badly
        # One import of a given contact count in flight at a time: see the module docstring.
        self._size_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._changed = asyncio.Event()
        self._uploads_done = asyncio.Event()
        self._group: asyncio.TaskGroup | None = None

    async def run(self, queue: asyncio.Queue[Batch | None]) -> None:
        """Send every batch from ``queue`` (``None`` ends it) and wait for all confirmations.

        Batches a killed run left ``uploading`` are settled first, before anything is sent.
        """
        await self._settle_doubts()
        async with asyncio.TaskGroup() as group:
            self._group = group
            workers = [group.create_task(self._worker(queue)) for _ in range(self._workers)]
            group.create_task(self._poller())
            await asyncio.gather(*workers)
            self._uploads_done.set()
            self._changed.set()
        if self._overdue:
            raise _deadline_error(self._overdue, self._timing.activity_deadline)

    async def _settle_doubts(self) -> None:
        doubtful = [r for r in self._checkpoints.values() if r.state is BatchState.UPLOADING]
        if not doubtful:
            return
        self._tracker.event(
            f"{len(doubtful)} batch(es) were being uploaded when the run stopped: looking for "
            "their imports among Constant Contact's recent activities before sending anything"
        )
        for settlement in await self._reconciler.settle(sorted(doubtful, key=lambda r: r.seq)):
            self._checkpoints[settlement.record.seq] = settlement.record
            if settlement.record.state is BatchState.POSTED:  # it did reach Constant Contact
                self._tracker.add(batches_posted=1, contacts_posted=settlement.record.contacts)
            self._report_settlement(settlement)
        self._tracker.rebase_rate()

    async def _worker(self, queue: asyncio.Queue[Batch | None]) -> None:
        while True:
            self._waiting_workers += 1
            try:
                batch = await queue.get()
            finally:
                self._waiting_workers -= 1
            if batch is None:
                await queue.put(None)  # let the other workers see the end too
                return
            await self._handle(batch)

    async def _handle(self, batch: Batch) -> None:
        taken = self._handled.get(batch.seq)
        if taken is not None:  # the head start's batch, now built again by pass 2
            if taken != batch.digest:
                raise InputError(
                    f"Batch {batch.seq} came out different the second time it was built: a "
                    "segment changed while the run read it. Run the export again once the "
                    "segment files are complete."
                )
            return
        self._handled[batch.seq] = batch.digest
        known = self._checkpoints.get(batch.seq)
        if known is not None and known.digest != batch.digest:
            raise ResumeRefusedError(
                f"Batch {batch.seq} came out different from the interrupted run's (its inputs "
                "changed); run again with --restart to start over."
            )
        # A resumed run's tracker starts from its checkpoints (already posted and final
        # batches are counted there): only what happens now is added.
        if known is not None and known.state in (BatchState.CONFIRMED, BatchState.FAILED):
            if known.failed:  # rejected.csv is written anew by every attempt
                self._write_refused(batch, known)
            return
        if known is not None and known.state is BatchState.POSTED and known.activity_id:
            self._tracker.add(in_flight=1)
            self._watch(batch, known)
            return
        record = await self._send(batch, known)
        self._tracker.add(batches_posted=1, contacts_posted=batch.contacts, in_flight=1)
        self._watch(batch, record)

    async def _send(self, batch: Batch, known: BatchRecord | None) -> BatchRecord:
        """Upload ``batch`` until Constant Contact holds one activity of it; its record then."""
        record = known or BatchRecord(
            run_id=self._run_id,
            seq=batch.seq,
            state=BatchState.PENDING,
            contacts=batch.contacts,
            bytes=len(batch.body),
            digest=batch.digest,
        )
        async with self._size_locks[batch.contacts]:
            for _ in range(MAX_UNCLEAR_UPLOADS):
                record = replace(
                    record,
                    state=BatchState.UPLOADING,
                    sent_at=self._now(),
                    uploads=record.uploads + 1,
                )
                self._history.save_batch(record)
                try:
                    activity = await self._client.import_contacts_json(
                        batch.body, retry_ambiguous=False
                    )
                except OutcomeUnknownError as exc:
                    self._tracker.event(
                        f"Batch {batch.seq}: {exc} Looking for its import among recent "
                        "activities before sending anything again",
                        level="warning",
                    )
                    [settlement] = await self._reconciler.settle([record])
                    self._report_settlement(settlement)
                    record = settlement.record
                    if record.state is BatchState.POSTED:
                        return record
                    continue
                except ConstantContactError:
                    # A clear refusal (or retries that never reached the server): no activity.
                    unsent = replace(record, state=BatchState.PENDING, sent_at=None)
                    self._history.save_batch(unsent)
                    raise
                record = posted_record(record, activity, self._now())
                self._history.record_answer(record)
                self._tracker.event(
                    f"Batch {batch.seq}: {batch.contacts:,} contacts sent "
                    f"(activity {activity.activity_id[:8]})"
                )
                return record
        raise OutcomeUnknownError(
            f"Batch {batch.seq}: {MAX_UNCLEAR_UPLOADS} import requests in a row got no clear "
            "answer and none of them is among Constant Contact's recent activities."
        )

    def _report_settlement(self, settlement: Settlement) -> None:
        record = settlement.record
        if settlement.activity is not None:
            extra = (
                f" ({len(settlement.duplicates)} more copies of it arrived too)"
                if settlement.duplicates
                else ""
            )
            self._tracker.event(
                f"Batch {record.seq}: its import did reach Constant Contact (activity "
                f"{settlement.activity.activity_id[:8]}, {settlement.activity.state}){extra}; "
                "not sending it again"
            )
        elif settlement.disputed:
            self._tracker.event(
                f"Batch {record.seq}: activities {', '.join(settlement.disputed)} could hold it "
                "or another batch whose answer was lost; none is claimed, and the batch is "
                "sent again",
                level="warning",
            )
        else:
            self._tracker.event(
                f"Batch {record.seq}: its import is not among Constant Contact's recent "
                f"activities after {settlement.waited:.0f} s: it never arrived, and will be sent",
                level="warning",
            )

    def _watch(self, batch: Batch, record: BatchRecord) -> None:
        assert record.activity_id is not None  # only posted batches are watched
        self._watched[record.activity_id] = _Watched(batch, record, self._clock())
        self._changed.set()

    def _work_left(self) -> bool:
        return not self._uploads_done.is_set() or bool(self._watched) or self._resending > 0

    async def _poller(self) -> None:
        wait = self._timing.poll_idle
        while self._work_left():
            if not self._watched:
                self._changed.clear()
                await self._changed.wait()
                continue
            if self._uploads_done.is_set():
                await self._sleep(max(wait, self._budget.wait()))
            else:
                # Wake early when the last upload is done: the brisk pace then applies.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._uploads_done.wait(), self._timing.poll_busy)
                busy = not self._uploads_done.is_set() and not self._uploads_starved()
                if busy or self._budget.available() < 1:
                    continue  # the slots go to uploads: confirmations can wait
            if not self._watched or self._budget.available() < 1:
                continue
            finished = await self._poll_once()
            self._check_deadlines()
            slower = min(wait * self._timing.backoff, self._timing.poll_max)
            wait = self._timing.poll_idle if finished else slower

    def _uploads_starved(self) -> bool:
        """True when no upload would want the next rate-limit slot."""
        idle = self._waiting_workers == self._workers
        return idle and self._client.limiter.has_free_slot()

    async def _poll_once(self) -> int:
        """Ask for the recent activities once; returns how many watched ones finished."""
        limit = min(ACTIVITIES_PAGE, max(MIN_ACTIVITIES_PAGE, 2 * len(self._watched)))
        self._budget.spend()
        recent = {a.activity_id: a for a in await self._client.activities(limit=limit)}
        finished = 0
        for activity_id, watched in list(self._watched.items()):
            activity = recent.get(activity_id)
            missing_long = self._clock() - watched.since > MISSING_GRACE
            if activity is None and missing_long and self._budget.available() >= 1:
                self._budget.spend()
                activity = await self._client.activity(activity_id)
            if activity is None:
                continue
            watched.activity = activity
            if activity.is_final:
                del self._watched[activity_id]
                finished += 1
                self._finish(watched, activity)
        return finished

    def _check_deadlines(self) -> None:
        """Stop watching activities past their deadline; the run stops once the rest is done."""
        deadline = self._timing.activity_deadline
        for activity_id, watched in list(self._watched.items()):
            if self._clock() - watched.since >= deadline:
                del self._watched[activity_id]
                self._overdue.append(watched)
                self._tracker.add(in_flight=-1)
                self._tracker.event(
                    f"Batch {watched.batch.seq}: activity {activity_id} is not final after "
                    f"{_duration(deadline)}; no longer polled in this run",
                    level="warning",
                )

    def _finish(self, watched: _Watched, activity: Activity) -> None:
        batch = watched.batch
        record = replace(
            watched.record,
            activity_state=activity.state,
            errors=activity.activity_errors,
        )
        self._tracker.add(in_flight=-1)
        if activity.state != COMPLETED and record.attempts < MAX_ACTIVITY_ATTEMPTS:
            self._history.save_batch(record)
            self._tracker.event(
                f"Batch {batch.seq}: activity {activity.activity_id[:8]} ended {activity.state}; "
                f"sending the batch again (activity {record.attempts + 1} of "
                f"{MAX_ACTIVITY_ATTEMPTS})",
                level="warning",
            )
            assert self._group is not None  # the poller runs inside the task group
            self._resending += 1
            self._group.create_task(self._resend(batch, record))
            return
        final = final_record(record, activity, self._now())
        self._history.save_batch(final)
        self._account(batch, final)

    async def _resend(self, batch: Batch, record: BatchRecord) -> None:
        try:
            fresh = await self._send(batch, record)
            self._tracker.add(in_flight=1)
            self._watch(batch, fresh)
        finally:
            self._resending -= 1
            self._changed.set()

    def _account(self, batch: Batch, record: BatchRecord) -> None:
        self._tracker.add(
            batches_done=1,
            confirmed=record.confirmed,
            failed=record.failed,
            unsubscribed=record.unsubscribed,
        )
        if record.failed:
            self._write_refused(batch, record)
        level = "warning" if record.failed else "info"
        self._tracker.event(
            f"Batch {batch.seq} {record.state.value}: {record.confirmed:,} added or updated, "
            f"{record.unsubscribed:,} unsubscribed, {record.failed:,} refused",
            level=level,
        )

    def _write_refused(self, batch: Batch, record: BatchRecord) -> None:
        """rejected.csv rows for the batch's refused contacts: never more than counted."""
        if record.state is BatchState.FAILED:
            # No activity of the batch completed: every contact of it is unconfirmed.
            indexes = list(range(batch.contacts))
            details = [unfinished_detail(record)] * batch.contacts
        else:
            indexes, details = named_rows(record.errors, batch.refs, record.failed)
        if indexes:
            self._rejected.write_refused(self._segment_names, batch.refs[indexes], details)
        unexplained = record.failed - len(indexes)
        if unexplained > 0:
            self._tracker.event(
                f"Batch {batch.seq}: {unexplained:,} contacts refused (activity "
                f"{record.activity_id}) without Constant Contact naming which; they are "
                "counted, not listed in rejected.csv",
                level="warning",
            )


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _deadline_error(overdue: list[_Watched], deadline: float) -> ActivityDeadlineError:
    parts = []
    for watched in overdue:
        seen = watched.activity
        state = f"{seen.state}, {seen.percent_done}% done" if seen else "not listed yet"
        parts.append(
            f"activity {watched.record.activity_id} of batch {watched.batch.seq} "
            f"({watched.batch.contacts:,} contacts; {state})"
        )
    return ActivityDeadlineError(
        f"Constant Contact did not finish {'; '.join(parts)} within {_duration(deadline)}. "
        "Nothing was sent again. Check the activity in Constant Contact; resuming the run "
        "waits for it again (a longer wait: --activity-deadline).",
        activity_ids=tuple(w.record.activity_id or "" for w in overdue),
    )
