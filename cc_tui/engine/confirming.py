"""Confirm posted batches: follow their import activities until each is final, and account.

The sender (:mod:`cc_tui.engine.sending`) hands every posted batch to one :class:`Confirmer`,
which asks for many activities in a single ``GET /activities`` call rather than one call each,
within a stated share of the daily quota (:class:`~cc_tui.engine.poll_budget.PollBudget`).
A final activity is checkpointed before anything else happens (``posted → confirmed |
failed``, see :class:`~cc_tui.models.batch.BatchState`): a batch whose activity completed is
accounted from that activity's counters and its refused contacts go to ``rejected.csv``; one
whose activity ended failed, cancelled or timed out is handed back to the sender to be sent
again, up to :data:`MAX_ACTIVITY_ATTEMPTS` activities. An activity not final within the
deadline is no longer polled, and the run stops, resumable, naming it.

An activity Constant Contact says it does not know (404 by id) is not a failure: a young one
may not be served yet (nothing promises that an activity is readable by id the moment its
import is answered), so it is asked for again, within the deadline; one older than the
account keeps activities (:data:`ACTIVITY_RETENTION`, a run resumed days later) is gone with
its counters, so its batch is sent again and accounted from the new activity (importing the
same contacts again changes nothing in the account).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.constant_contact.schemas import Activity
from cc_tui.engine.activity_outcome import (
    COMPLETED,
    final_record,
    named_rows,
    unfinished_detail,
)
from cc_tui.engine.batching import Batch
from cc_tui.engine.poll_budget import PollBudget
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.engine.run_options import SenderTiming
from cc_tui.errors import ActivityDeadlineError, NotFoundError
from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.store.run_history import RunHistory

__all__ = ["ACTIVITY_RETENTION", "MAX_ACTIVITY_ATTEMPTS", "Confirmer", "Resend", "Sleep"]

MAX_ACTIVITY_ATTEMPTS = 3  # activities per batch: one that ends badly is followed by another
ACTIVITIES_PAGE = 500
MIN_ACTIVITIES_PAGE = 50
# An activity missing from the recent-activities page (the account may be busy with others)
# is asked for by id after this long.
MISSING_GRACE = 5.0
# "GET /activities lists the account's activities of the last 10 days" (docs/api-rules.md
# section 4); an activity not found after 9 days is taken as gone, so that a clock hours off
# still tells it from a young activity not served yet.
ACTIVITY_RETENTION = timedelta(days=10)
PURGE_MARGIN = timedelta(days=1)
PURGED = "purged"  # the activity_state of a batch whose activity Constant Contact no longer has

Sleep = Callable[[float], Awaitable[None]]
# Send a batch again after an activity of it ended badly; its new posted record.
Resend = Callable[[Batch, BatchRecord], Awaitable[BatchRecord]]


@dataclass(slots=True)
class _Watched:
    batch: Batch
    record: BatchRecord
    since: float
    activity: Activity | None = None  # as last seen


class Confirmer:
    """Follows the activities of one run's posted batches until each is final.

    ``resend`` uploads a batch again (the sender's upload, with its checkpoints and lost-answer
    settling); ``uploads_idle`` says whether every upload worker is waiting for a batch, so a
    poll never takes a rate-limit slot an upload wants.
    """

    def __init__(
        self,
        client: ConstantContactClient,
        history: RunHistory,
        *,
        tracker: ProgressTracker,
        rejected: RejectedRowsWriter,
        segment_names: Sequence[str],
        timing: SenderTiming,
        resend: Resend,
        uploads_idle: Callable[[], bool],
        clock: Callable[[], float],
        sleep: Sleep,
        now: Callable[[], datetime],
    ) -> None:
        self._client = client
        self._history = history
        self._tracker = tracker
        self._rejected = rejected
        self._segment_names = list(segment_names)
        self._timing = timing
        self._resend_upload = resend
        self._uploads_idle = uploads_idle
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._budget = PollBudget(timing.poll_burst, timing.poll_refill, clock)
        self._watched: dict[str, _Watched] = {}
        self._overdue: list[_Watched] = []
        self._resending = 0  # batches being sent again after an activity ended badly
        self._changed = asyncio.Event()
        self._uploads_done = asyncio.Event()
        self._group: asyncio.TaskGroup | None = None

    def watch(self, batch: Batch, record: BatchRecord) -> None:
        """Follow the activity of ``batch``, posted as ``record``, until it is final."""
        assert record.activity_id is not None  # only posted batches are watched
        self._watched[record.activity_id] = _Watched(batch, record, self._clock())
        self._changed.set()

    def uploads_finished(self) -> None:
        """No batch will be posted any more (but those sent again): poll at the idle pace."""
        self._uploads_done.set()
        self._changed.set()

    async def run(self) -> None:
        """Poll until every watched activity is final or overdue and no batch is sent again."""
        async with asyncio.TaskGroup() as group:
            self._group = group
            await self._poll()

    def raise_if_overdue(self) -> None:
        """Stop the run, resumable, if any activity was not final within its deadline."""
        if self._overdue:
            raise _deadline_error(self._overdue, self._timing.activity_deadline)

    def write_refused(self, batch: Batch, record: BatchRecord) -> None:
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

    def _work_left(self) -> bool:
        return not self._uploads_done.is_set() or bool(self._watched) or self._resending > 0

    async def _poll(self) -> None:
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
        return self._uploads_idle() and self._client.limiter.has_free_slot()

    async def _poll_once(self) -> int:
        """Ask for the recent activities once; returns how many watched ones finished."""
        limit = min(ACTIVITIES_PAGE, max(MIN_ACTIVITIES_PAGE, 2 * len(self._watched)))
        self._budget.spend()
        recent = {a.activity_id: a for a in await self._client.activities(limit=limit)}
        finished = 0
        for activity_id, watched in list(self._watched.items()):
            activity = recent.get(activity_id)
            missing_long = self._clock() - watched.since > MISSING_GRACE
            # A listed activity may come without its counters and texts (the swagger requires
            # none of its properties): a final one is asked for by id before it is accounted.
            wanted = missing_long if activity is None else activity.is_final
            if wanted and (activity is None or not activity.has_details):
                if self._budget.available() < 1:
                    continue  # the next poll asks again
                self._budget.spend()
                try:
                    activity = await self._client.activity(activity_id)
                except NotFoundError:
                    if self._gone(watched):
                        del self._watched[activity_id]
                        self._send_again_purged(watched)
                    continue  # a young one not served yet: asked again, within the deadline
            if activity is None:
                continue
            watched.activity = activity
            if activity.is_final and _accountable(activity):
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

    def _gone(self, watched: _Watched) -> bool:
        """True when the batch's activity is older than Constant Contact keeps activities."""
        posted = watched.record.posted_at or watched.record.sent_at
        return posted is not None and self._now() - posted >= ACTIVITY_RETENTION - PURGE_MARGIN

    def _send_again_purged(self, watched: _Watched) -> None:
        """Send a batch again whose activity Constant Contact no longer has: its outcome is
        known only from a new one (a purge is not a bad ending: no attempt limit applies)."""
        batch, record = watched.batch, replace(watched.record, activity_state=PURGED)
        self._history.save_batch(record)
        self._tracker.add(in_flight=-1)
        self._tracker.event(
            f"Batch {batch.seq}: activity {record.activity_id} is no longer kept by Constant "
            f"Contact (activities are kept {ACTIVITY_RETENTION.days} days), so its outcome "
            "cannot be read; sending the batch again to learn it (importing the same contacts "
            "again changes nothing in the account)",
            level="warning",
        )
        assert self._group is not None  # the poller runs inside the task group
        self._resending += 1
        self._group.create_task(self._resend(batch, record))

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
            fresh = await self._resend_upload(batch, record)
            self._tracker.add(in_flight=1)
            self.watch(batch, fresh)
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
            self.write_refused(batch, record)
        level = "warning" if record.failed else "info"
        self._tracker.event(
            f"Batch {batch.seq} {record.state.value}: {record.confirmed:,} added or updated, "
            f"{record.unsubscribed:,} unsubscribed, {record.failed:,} refused",
            level=level,
        )


def _accountable(activity: Activity) -> bool:
    """A final activity whose outcome is known: one that ended badly accounts nothing, a
    completed one only by its counters (zeros read from an answer without them would count
    every contact confirmed)."""
    return activity.state != COMPLETED or activity.status.reported


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
