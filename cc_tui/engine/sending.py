"""Send batches to Constant Contact exactly once, and hand each posted one to be confirmed.

Upload workers post batches (at most four requests a second for the whole connection: the
client's limiter sees to that) and hand every posted batch to the run's
:class:`~cc_tui.engine.confirming.Confirmer`, which follows its activity. Every state change of
a batch is written to the history before the next step (``pending → uploading → posted``, then
the confirmer's ``confirmed | failed``, see :class:`~cc_tui.models.batch.BatchState`), so a
resumed run skips confirmed batches, polls posted ones and sends only the rest.

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
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.engine.activity_outcome import posted_record
from cc_tui.engine.batching import Batch
from cc_tui.engine.confirming import Confirmer, Sleep
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.reconciler import ImportReconciler, Settlement
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.engine.run_options import DEFAULT_UPLOAD_WORKERS, SenderTiming
from cc_tui.errors import (
    ConstantContactError,
    InputError,
    OutcomeUnknownError,
    ResumeRefusedError,
)
from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.run_words import counted, noun
from cc_tui.store.run_history import RunHistory

__all__ = ["BatchSender"]

MAX_UNCLEAR_UPLOADS = 5  # uploads in a row without a clear answer before the run stops


def _utc_now() -> datetime:
    return datetime.now(UTC)


class BatchSender:
    """Posts, checkpoints and reconciles the batches of one run; its confirmer confirms them."""

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
        self._checkpoints = checkpoints
        self._workers = workers
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
        self._confirmer = Confirmer(
            client,
            history,
            tracker=tracker,
            rejected=rejected,
            segment_names=segment_names,
            timing=timing,
            resend=self._send,
            uploads_idle=self._uploads_idle,
            clock=clock,
            sleep=sleep,
            now=now,
        )
        self._handled: dict[int, str] = {}  # digest of each batch taken, by seq
        self._waiting_workers = 0  # upload workers waiting for a batch
        # One import of a given contact count in flight at a time: see the module docstring.
        self._size_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def run(self, queue: asyncio.Queue[Batch | None]) -> None:
        """Send every batch from ``queue`` (``None`` ends it) and wait for all confirmations.

        Batches a killed run left ``uploading`` are settled first, before anything is sent.
        """
        await self._settle_doubts()
        async with asyncio.TaskGroup() as group:
            workers = [group.create_task(self._worker(queue)) for _ in range(self._workers)]
            group.create_task(self._confirmer.run())
            await asyncio.gather(*workers)
            self._confirmer.uploads_finished()
        self._confirmer.raise_if_overdue()

    async def _settle_doubts(self) -> None:
        doubtful = [r for r in self._checkpoints.values() if r.state is BatchState.UPLOADING]
        if not doubtful:
            return
        self._tracker.event(
            f"{counted(len(doubtful), 'batch', 'batches')} {noun(len(doubtful), 'was', 'were')} "
            "being uploaded when the run stopped: looking for "
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
                self._confirmer.write_refused(batch, known)
            return
        if known is not None and known.state is BatchState.POSTED and known.activity_id:
            self._tracker.add(in_flight=1)
            self._confirmer.watch(batch, known)
            return
        record = await self._send(batch, known)
        self._tracker.add(batches_posted=1, contacts_posted=batch.contacts, in_flight=1)
        self._confirmer.watch(batch, record)

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

    def _uploads_idle(self) -> bool:
        """True when every upload worker waits for a batch."""
        return self._waiting_workers == self._workers
