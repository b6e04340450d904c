"""One attempt at an export run: check e-mails, build and send, then account for the result.

The stages are modules of their own (``email_check``, ``building``, ``sending`` with
``confirming``); the figures of the account come from :mod:`cc_tui.engine.accounting`.

:class:`RunExecution` is what :class:`~cc_tui.engine.runner.ExportRunner` starts once the run
record exists, handing it all it needs (the history, the run's files, a client factory): it
never calls back into the runner. Polars work runs in worker threads; the event loop only
awaits HTTP calls and moves batches from a bounded queue (the preparation thread blocks when the
uploaders fall behind, so memory stays bounded however slow Constant Contact is). Progress
snapshots go to the observer about ten times a second.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.engine.accounting import (
    checkpoint_counts,
    checkpoint_figures,
    classified_figures,
    row_figures,
    uncounted_figures,
)
from cc_tui.engine.batching import Batch
from cc_tui.engine.building import Builder
from cc_tui.engine.email_check import Classification, StopRequested, check_emails
from cc_tui.engine.failures import run_outcome
from cc_tui.engine.field_problems import FieldProblemsWriter
from cc_tui.engine.head_start import head_start_batches
from cc_tui.engine.progress import (
    PROGRESS_INTERVAL,
    EventObserver,
    Phase,
    ProgressTracker,
    RunObserver,
)
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.engine.resolution import ResolvedRun, segments_changed_since
from cc_tui.engine.run_files import (
    disk_full_stops_the_run,
    open_private,
    release_space,
    reserve_space,
)
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.sending import BatchSender
from cc_tui.errors import CcTuiError, InputError, StorageFullError
from cc_tui.models.batch import BatchRecord
from cc_tui.models.connection import Connection
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.paths import RunPaths
from cc_tui.run_words import closing_sentence, counted, resume_sentence
from cc_tui.store.run_history import RunHistory

__all__ = ["ClientFactory", "RunExecution"]

# Opens the API client of a connection (the runner's, with its transport and tokens).
ClientFactory = Callable[[Connection], ConstantContactClient]

# Logged under the runner's name: one logger for everything a run says, whichever module.
log = logging.getLogger("cc_tui.engine.runner")
_QUEUE_PUT_TIMEOUT = 0.2  # seconds between stop checks while the queue is full
# Seconds between saves of a running run's figures to the history: `cc-tui history` in another
# terminal shows them, and a killed attempt's active time is known to within this.
_SAVE_INTERVAL = 1.0


class RunExecution:
    """One attempt at a run: its tracker, threads, tasks and final accounting."""

    def __init__(
        self,
        resolved: ResolvedRun,
        run: RunRecord,
        *,
        history: RunHistory,
        files: RunPaths,
        open_client: ClientFactory,
        checkpoints: dict[int, BatchRecord],
        options: RunOptions,
        on_progress: RunObserver | None,
        on_event: EventObserver | None,
    ) -> None:
        self.resolved = resolved
        self.history = history
        self.files = files
        self._open_client = open_client
        self.run = run
        self.checkpoints = checkpoints
        self.options = options
        self.on_progress = on_progress
        self.tracker = ProgressTracker(run.run_id, run.export, dry_run=run.dry_run)
        # A resumed run starts from what its checkpoints say: the figures go on from there.
        self.tracker.update(
            attempt=run.attempts,
            earlier_active=run.active_s or 0.0,
            batches_cut=max(checkpoints, default=0),
            **checkpoint_counts(checkpoints.values()),
        )
        if on_event is not None:
            self.tracker.on_event(on_event)
        self.stop = threading.Event()
        self.client: ConstantContactClient | None = None
        self.writer: RejectedRowsWriter | None = None
        self.field_problems: FieldProblemsWriter | None = None
        self.classification: Classification | None = None
        self.batches_built = 0
        self.cut_complete = False  # pass 2 cut every batch
        self._producer: concurrent.futures.Future[None] | None = None
        self.ended_by: CcTuiError | None = None
        """The error that ended this attempt, if one did (its exit code is the face's)."""
        self.on_batch: Callable[[Batch], None] | None = None
        """Called (in the preparation thread) with every batch built: e-mails to verify."""

    async def execute(self) -> RunRecord:
        """Run to the end (or to an interruption) and return the recorded result."""
        if self.run.attempts > 1:
            self.tracker.event(resume_sentence(self._figures_now(self.run)), milestone=True)
        publisher = asyncio.create_task(self._publish())
        status, error = RunStatus.SUCCEEDED, None
        run_dir = self.files.folder
        try:
            reserve_space(run_dir)
            async with self._client_context():
                await self._prepare_and_send()
        except asyncio.CancelledError:
            self.stop.set()
            release_space(run_dir)
            self._finish(RunStatus.INTERRUPTED, "cancelled")
            raise
        except (CcTuiError, StopRequested) as exc:
            # Resumable only when a later retry can fix it; see cc_tui.errors for the table.
            self.ended_by = exc if isinstance(exc, CcTuiError) else None
            account = self.resolved.account
            status, error = run_outcome(
                exc,
                self.resolved.export,
                granted_scope=account.granted_scope if account else "",
                steps=self.options.steps,
            )
        except Exception as exc:  # a bug must still leave an honest record behind
            log.exception("run %s failed", self.run.run_id)
            status, error = RunStatus.FAILED, f"unexpected error: {exc!r}"
        finally:
            self.stop.set()
            publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publisher
        # The final record must find room even on a full disk (see reserve_space).
        release_space(run_dir)
        record = self._finish(status, error)
        if self.on_progress is not None:
            self.on_progress(self.tracker.snapshot())
        return record

    def _figures_now(self, run: RunRecord) -> RunRecord:
        """``run`` with the figures the tracker holds now (the last save's, at most a second
        old, are replaced)."""
        state = self.tracker.current()
        run = replace(
            run,
            posted=state.contacts_posted,
            confirmed=state.confirmed,
            failed=state.failed,
            unsubscribed=state.unsubscribed,
            batches=max(run.batches, state.batches_cut),
        )
        if self.classification is not None:
            return classified_figures(run, self.classification)
        return uncounted_figures(run)

    @contextlib.asynccontextmanager
    async def _client_context(self) -> AsyncIterator[None]:
        if self.options.dry_run:
            yield
            return
        # The account (sign-in, lists, custom fields) was checked before the run began.
        assert self.resolved.connection is not None  # a real run always has a connection
        async with self._open_client(self.resolved.connection) as client:
            self.client = client
            yield

    async def _classify(self, queue: asyncio.Queue[Batch | None]) -> Classification:
        self.tracker.update(phase=Phase.CHECKING_EMAILS)
        self.tracker.event(f"Checking e-mails in {counted(len(self.resolved.segments), 'segment')}")
        classification = await asyncio.to_thread(
            self._head_start_and_check, queue, asyncio.get_running_loop()
        )
        self.classification = classification
        to_send, rejected = row_figures(classification)
        # How many batches there will be is known only once pass 2 has cut them all (the 4 MB
        # limit cuts some short): until then the faces say how many so far.
        self.tracker.update(
            rows_total=classification.rows_read,
            contacts_total=to_send,
            rejected=rejected,
            phase=Phase.SENDING,
        )
        self.tracker.event(
            f"{classification.rows_read:,} rows read: {to_send:,} contacts to "
            f"send, {classification.rows_read - to_send:,} rejected"
        )
        return classification

    def _head_start_and_check(
        self, queue: asyncio.Queue[Batch | None], loop: asyncio.AbstractEventLoop
    ) -> Classification:
        """Pass 1, after queueing the head start's batches (a fresh, real run only)."""
        if self.client is not None and not self.checkpoints:
            options = self.options
            head = head_start_batches(
                self.resolved.segments,
                self.resolved.fields,
                self.resolved.export.mapping.email,
                self.resolved.export.list_ids,
                cap=self.resolved.cap,
                max_contacts=options.max_batch_contacts,
                max_bytes=options.max_batch_bytes,
                stop=self.stop,
            )
            if head:
                self.tracker.event(
                    f"Head start: sending {_batch_range(head)} from the first rows of "
                    f"{self.resolved.segments[0].name} while the rest is checked"
                )
            for batch in head:
                self._put(queue, batch, loop)
        return check_emails(
            self.resolved.segments,
            self.resolved.export.mapping.email,
            cap=self.resolved.cap,
            stop=self.stop,
        )

    async def _prepare_and_send(self) -> None:
        """Classify, prepare and send; the sender starts first, to take the head start."""
        writer = RejectedRowsWriter(
            self.files.rejected_rows, [f.column for f in self.resolved.fields]
        )
        self.writer = writer
        field_problems = FieldProblemsWriter(self.files.field_problems)
        self.field_problems = field_problems
        queue: asyncio.Queue[Batch | None] = asyncio.Queue(maxsize=2 * self.options.workers)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._consume(queue))
                group.create_task(self._feed(queue, writer))
        except BaseExceptionGroup as group_error:
            raise _first_error(group_error) from None
        finally:
            self.stop.set()
            # The thread stops within one chunk once told to; wait so nothing writes after close.
            if self._producer is not None:
                with contextlib.suppress(BaseException):
                    await asyncio.wrap_future(self._producer)
            writer.close()
            field_problems.close()

    async def _feed(self, queue: asyncio.Queue[Batch | None], writer: RejectedRowsWriter) -> None:
        """Pass 1, then pass 2 in its own thread, putting batches on ``queue``."""
        classification = await self._classify(queue)
        await asyncio.to_thread(self._require_unchanged, "while its e-mails were checked")
        preparer = Builder(
            self.resolved.segments,
            self.resolved.fields,
            classification,
            self.resolved.export.list_ids,
            writer,
            self.tracker,
            max_contacts=self.options.max_batch_contacts,
            max_bytes=self.options.max_batch_bytes,
            field_problems=self.field_problems,
        )
        self._producer = _start_thread(self._produce, preparer, queue, asyncio.get_running_loop())
        await asyncio.wrap_future(self._producer)

    def _produce(
        self,
        preparer: Builder,
        queue: asyncio.Queue[Batch | None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        try:
            for batch in preparer.batches(self.stop):
                self.batches_built += 1
                self._put(queue, batch, loop)
            self._require_unchanged("while its contacts were read")
            self.cut_complete = True
            self.tracker.update(batches_total=self.batches_built)
        finally:
            with contextlib.suppress(StopRequested):
                self._put(queue, None, loop)

    def _require_unchanged(self, when: str) -> None:
        """Stop the run (exit 2) if a segment's files changed since it was resolved."""
        changed = segments_changed_since(self.resolved)
        if changed:
            raise InputError(
                f"Segment {', '.join(changed)} changed {when}, so this run stopped: what it "
                "read no longer matches what it checked. Contacts already sent are counted. "
                "Run the export again with --restart once the segment's files are complete."
            )

    def _put(
        self,
        queue: asyncio.Queue[Batch | None],
        item: Batch | None,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        if item is not None:
            self.tracker.at_least(batches_cut=item.seq)
            if self.on_batch is not None:
                self.on_batch(item)
        future = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
        while True:
            try:
                future.result(timeout=_QUEUE_PUT_TIMEOUT)
                return
            except TimeoutError:
                if self.stop.is_set():
                    future.cancel()
                    raise StopRequested from None

    async def _keep_requests(self, queue: asyncio.Queue[Batch | None]) -> None:
        """A dry run writes every request it would send, one JSON body per line."""
        path = self.files.would_send
        # Full contact payloads: 0600. A full disk (on a write or the final flush) stops the
        # run resumable.
        with disk_full_stops_the_run(path), open_private(path) as requests:
            while (batch := await queue.get()) is not None:
                requests.write(batch.body + b"\n")
                self.tracker.add(batches_done=1)
        self.tracker.event(f"Preview: the requests that would be sent are in {path}")

    async def _consume(self, queue: asyncio.Queue[Batch | None]) -> None:
        if self.client is None:  # dry run: build everything, send nothing
            await self._keep_requests(queue)
            return
        assert self.writer is not None  # opened before the consumer starts
        sender = BatchSender(
            self.client,
            self.history,
            self.run.run_id,
            tracker=self.tracker,
            rejected=self.writer,
            segment_names=[s.name for s in self.resolved.segments],
            checkpoints=self.checkpoints,
            workers=self.options.workers,
            timing=self.options.timing,
        )
        await sender.run(queue)
        self.tracker.update(phase=Phase.CONFIRMING)

    async def _publish(self) -> None:
        loop = asyncio.get_running_loop()
        saved = loop.time()
        while True:
            self._copy_client_stats()
            if self.on_progress is not None:
                self.on_progress(self.tracker.snapshot())
            if loop.time() - saved >= _SAVE_INTERVAL:
                saved = loop.time()
                try:
                    self._save_progress()
                except StorageFullError as exc:
                    # Only figures for other processes: the run's checkpoints meet the full
                    # disk themselves and stop it resumable; the next save tries again.
                    log.warning("run %s: progress not saved: %s", self.run.run_id, exc)
            await asyncio.sleep(PROGRESS_INTERVAL)

    def _save_progress(self) -> None:
        """Write the running run's figures to the history (other processes read them)."""
        state = self.tracker.current()
        run = replace(
            self._figures_now(self.run),
            requests=state.requests,
            retries=state.retries,
            throttled=state.throttled,
            bytes_sent=state.bytes_sent,
        )
        self.history.update(run)

    def _copy_client_stats(self) -> None:
        if self.client is None:
            return
        stats = self.client.stats
        self.tracker.update(
            requests=self.run.requests + stats.requests,
            retries=self.run.retries + stats.retries,
            throttled=self.run.throttled + stats.throttled,
            bytes_sent=self.run.bytes_sent + stats.bytes_sent,
        )

    def _finish(self, status: RunStatus, error: str | None) -> RunRecord:
        """The accounted record of this attempt, from the checkpoints; the last snapshot is
        set from it, so the live figures end where the summary and the history begin."""
        self._copy_client_stats()
        progress = self.tracker.current()
        batches = self.history.batches(self.run.run_id)
        finished = datetime.now(UTC)
        started = self.run.attempt_started_at or finished
        active = self.run.active_s
        if active is not None:
            active += max(0.0, (finished - started).total_seconds())
        # The cut is deterministic: an earlier attempt that finished it knew the total too.
        complete = self.cut_complete or self.run.batches_complete
        cut = max(progress.batches_cut, max(batches, default=0))
        if self.cut_complete:
            cut = self.batches_built
        elif self.run.batches_complete:
            cut = self.run.batches
        run = replace(
            self.run,
            finished_at=finished,
            active_s=active,
            requests=progress.requests,
            retries=progress.retries,
            throttled=progress.throttled,
            bytes_sent=progress.bytes_sent,
            batches=cut,
            batches_complete=complete,
            error=error,
        )
        run = checkpoint_figures(run, batches.values())
        if self.field_problems is not None:  # else the run's earlier counts stand
            run = replace(run, fields=self.field_problems.counts())
        classification = self.classification
        if classification is not None:
            run = classified_figures(run, classification)
        else:
            run = uncounted_figures(run)
        if status is RunStatus.SUCCEEDED and run.failed:
            status = RunStatus.PARTIAL
        run = replace(run, status=status)
        self.history.update(run)
        self.tracker.update(
            phase=Phase.FINISHED,
            contacts_posted=run.posted,
            confirmed=run.confirmed,
            failed=run.failed,
            unsubscribed=run.unsubscribed,
            batches_cut=run.batches,
            batches_total=run.batches if complete else None,
            in_flight=0,
        )
        level = "info" if status.is_final else "warning"
        self.tracker.event(closing_sentence(run), level, milestone=True)
        return run


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The most telling error of a task group (ours before cancellations)."""
    errors = list(group.exceptions)
    for error in errors:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
    for error in errors:
        if not isinstance(error, (asyncio.CancelledError, StopRequested)):
            return error
    return errors[0]


def _batch_range(batches: list[Batch]) -> str:
    if len(batches) == 1:
        return f"batch {batches[0].seq}"
    return f"batches {batches[0].seq}-{batches[-1].seq}"


def _start_thread(work: Callable[..., None], *args: object) -> concurrent.futures.Future[None]:
    """Run ``work`` in its own thread; unlike asyncio.to_thread, we can wait for it to end."""
    future: concurrent.futures.Future[None] = concurrent.futures.Future()

    def target() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            work(*args)
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(None)

    threading.Thread(target=target, name="cc-tui-prepare", daemon=True).start()
    return future
