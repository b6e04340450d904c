"""Send batches to Constant Contact and confirm each through its import activity.

Upload workers post batches (at most four requests a second for the whole connection: the
client's limiter sees to that); one poller asks for many activities in a single
``GET /activities`` call rather than one call each. Every state change of a batch is written
to the history before the next step, so a resumed run skips confirmed batches, polls posted
ones and sends only the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import polars as pl

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.constant_contact.schemas import Activity
from cc_tui.engine.batching import Batch
from cc_tui.engine.preparation import REF_EMAIL
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.errors import InputError, ResumeRefusedError
from cc_tui.models import BatchRecord, BatchState
from cc_tui.store.run_history import RunHistory

__all__ = ["DEFAULT_UPLOAD_WORKERS", "BatchSender", "SenderTiming"]

DEFAULT_UPLOAD_WORKERS = 4
MAX_ACTIVITY_ATTEMPTS = 3  # an activity that ends failed/cancelled/timed out is re-sent twice
ACTIVITIES_PAGE = 500
# An activity missing from the recent-activities page (the account may be busy with others)
# is asked for by id after this long.
MISSING_GRACE = 5.0
_ROW_ERROR = re.compile(r"^\s*Row\s+(\d+)\b", re.IGNORECASE)
_EMAIL_IN_TEXT = re.compile(r"[^\s:;,'\"<>()]+@[^\s:;,'\"<>()]+")


@dataclass(frozen=True, slots=True)
class SenderTiming:
    """How often to poll activities.

    While uploads still go, at most every ``poll_busy`` seconds and only when every upload
    worker waits for a batch and the rate limiter has a free slot (a poll that delays an upload
    delays the whole run: the rate limit chains every later request to it). Once the
    uploads are done, every ``poll_idle`` seconds, less often while nothing changes (a real
    import can take minutes, and every poll counts against the daily quota): the wait grows by
    ``backoff`` up to ``poll_max``. A poll too early costs more than a wait: it takes a slot,
    and the next poll waits for the one after.
    """

    poll_busy: float = 4.0
    poll_idle: float = 0.1
    poll_max: float = 10.0
    backoff: float = 1.5


@dataclass(slots=True)
class _Watched:
    batch: Batch
    record: BatchRecord
    since: float


class BatchSender:
    """Posts, checkpoints and confirms the batches of one run."""

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
        self._watched: dict[str, _Watched] = {}
        self._handled: dict[int, str] = {}  # digest of each batch taken, by seq
        self._waiting_workers = 0  # upload workers waiting for a batch
        self._changed = asyncio.Event()
        self._uploads_done = asyncio.Event()

    async def run(self, queue: asyncio.Queue[Batch | None]) -> None:
        """Send every batch from ``queue`` (``None`` ends it) and wait for all confirmations."""
        async with asyncio.TaskGroup() as group:
            workers = [group.create_task(self._worker(queue)) for _ in range(self._workers)]
            group.create_task(self._poller())
            await asyncio.gather(*workers)
            self._uploads_done.set()
            self._changed.set()

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
        if known is not None and known.state in (BatchState.CONFIRMED, BatchState.FAILED):
            self._tracker.add(batches_posted=1, contacts_posted=batch.contacts)
            self._account(batch, known)
            return
        if known is not None and known.state is BatchState.POSTED and known.activity_id:
            self._tracker.add(batches_posted=1, contacts_posted=batch.contacts, in_flight=1)
            self._watch(batch, known)
            return
        await self._post(batch, known, resend=False)

    async def _post(self, batch: Batch, known: BatchRecord | None, *, resend: bool) -> None:
        record = BatchRecord(
            run_id=self._run_id,
            seq=batch.seq,
            state=BatchState.PENDING,
            contacts=batch.contacts,
            bytes=len(batch.body),
            digest=batch.digest,
            attempts=(known.attempts if known else 0) + 1,
        )
        self._history.save_batch(record)
        activity = await self._client.import_contacts_json(batch.body)
        record = replace(
            record,
            state=BatchState.POSTED,
            activity_id=activity.activity_id,
            activity_state=activity.state,
            posted_at=datetime.now(UTC),
        )
        self._history.save_batch(record)
        if resend:
            self._tracker.add(in_flight=1)
        else:
            self._tracker.add(batches_posted=1, contacts_posted=batch.contacts, in_flight=1)
        self._tracker.event(
            f"Batch {batch.seq}: {batch.contacts:,} contacts sent "
            f"(activity {activity.activity_id[:8]})"
        )
        self._watch(batch, record)

    def _watch(self, batch: Batch, record: BatchRecord) -> None:
        assert record.activity_id is not None  # only posted batches are watched
        self._watched[record.activity_id] = _Watched(batch, record, self._clock())
        self._changed.set()

    async def _poller(self) -> None:
        wait = self._timing.poll_idle
        while not (self._uploads_done.is_set() and not self._watched):
            if not self._watched:
                await self._changed.wait()
                self._changed.clear()
                continue
            if self._uploads_done.is_set():
                await asyncio.sleep(wait)
            else:
                # Wake early when the last upload is done: the brisk pace then applies.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._uploads_done.wait(), self._timing.poll_busy)
                if not self._uploads_done.is_set() and not self._uploads_starved():
                    continue  # the slots go to uploads: confirmations can wait
            finished = await self._poll_once()
            slower = min(wait * self._timing.backoff, self._timing.poll_max)
            wait = self._timing.poll_idle if finished else slower

    def _uploads_starved(self) -> bool:
        """True when no upload would want the next rate-limit slot."""
        idle = self._waiting_workers == self._workers
        return idle and self._client.limiter.has_free_slot()

    async def _poll_once(self) -> int:
        """Ask for the recent activities once; returns how many watched ones finished."""
        limit = min(ACTIVITIES_PAGE, max(50, 2 * len(self._watched)))
        recent = {a.activity_id: a for a in await self._client.activities(limit=limit)}
        finished = 0
        for activity_id, watched in list(self._watched.items()):
            activity = recent.get(activity_id)
            if activity is None and self._clock() - watched.since > MISSING_GRACE:
                activity = await self._client.activity(activity_id)
            if activity is not None and activity.is_final:
                del self._watched[activity_id]
                finished += 1
                await self._finish(watched, activity)
        return finished

    async def _finish(self, watched: _Watched, activity: Activity) -> None:
        batch, record = watched.batch, watched.record
        self._tracker.add(in_flight=-1)
        if activity.state != "completed" and record.attempts < MAX_ACTIVITY_ATTEMPTS:
            self._tracker.event(
                f"Batch {batch.seq}: activity {activity.state}; sending it again", level="warning"
            )
            await self._post(batch, record, resend=True)
            return
        final = self._final_record(batch, record, activity)
        self._history.save_batch(final)
        self._account(batch, final)

    def _final_record(self, batch: Batch, record: BatchRecord, activity: Activity) -> BatchRecord:
        now = datetime.now(UTC)
        errors = activity.activity_errors
        if activity.state != "completed":
            return replace(
                record,
                state=BatchState.FAILED,
                activity_state=activity.state,
                failed=batch.contacts,
                errors=errors or (f"activity ended {activity.state}",),
                finished_at=now,
            )
        status = activity.status
        unsubscribed = min(status.cannot_add_to_list_count, batch.contacts)
        failed = min(status.error_count + status.correctable_count, batch.contacts - unsubscribed)
        return replace(
            record,
            state=BatchState.CONFIRMED,
            activity_state=activity.state,
            confirmed=batch.contacts - unsubscribed - failed,
            failed=failed,
            unsubscribed=unsubscribed,
            errors=errors,
            finished_at=now,
        )

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
        indexes, details = _attribute_errors(record.errors, batch.refs)
        if record.state is BatchState.FAILED:
            text = "; ".join(record.errors) or "the import activity failed"
            indexes, details = list(range(batch.contacts)), [text] * batch.contacts
        if indexes:
            rows = batch.refs[indexes]
            self._rejected.write_refused(self._segment_names, rows, details)
        unexplained = record.failed - len(indexes)
        if unexplained > 0:
            self._tracker.event(
                f"Batch {batch.seq}: {unexplained:,} contacts refused without "
                "a per-row reason from Constant Contact",
                level="warning",
            )


def _attribute_errors(errors: Sequence[str], refs: pl.DataFrame) -> tuple[list[int], list[str]]:
    """Map Constant Contact's error lines to rows of the batch: by "Row N", else by e-mail."""
    positions: dict[str, int] | None = None
    indexes: list[int] = []
    details: list[str] = []
    for text in errors:
        match = _ROW_ERROR.match(text)
        index: int | None = None
        if match and 1 <= int(match[1]) <= refs.height:
            index = int(match[1]) - 1
        else:
            if positions is None:
                emails = refs.get_column(REF_EMAIL).to_list()
                positions = {email: i for i, email in enumerate(emails)}
            for candidate in _EMAIL_IN_TEXT.findall(text):
                index = positions.get(candidate.lower())
                if index is not None:
                    break
        if index is not None:
            indexes.append(index)
            details.append(text)
    return indexes, details
