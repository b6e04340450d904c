"""Runs as tasks owned by the service: started, watched by any number of clients, cancelled.

Each run is the engine's :class:`~cc_tui.engine.runner.ExportRunner` over a
:class:`~cc_tui.engine.services.Services` opened for the kernel-verified user who asked for it,
so the engine's role checks apply to that user. The supervisor keeps, per run, the latest
progress snapshot and a bounded ring of recent events, so a client that attaches later sees
where the run stands at once. Every subscriber has its own bounded queue: when a client reads
too slowly its oldest undelivered messages are dropped (a newer snapshot replaces them), and
the run itself never waits for a client.

One run per export, as before: a second start of an export that runs is refused here, and
the engine's export lock refuses it across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from cc_tui.errors import (
    EXIT_RESUMABLE,
    CcTuiError,
    RunAlreadyActiveError,
    StorageFullError,
    is_disk_full,
)
from cc_tui.models.run import RunRecord
from cc_tui.models.run_progress import RunEvent, RunProgress
from cc_tui.paths import AppPaths
from cc_tui.service.failure_kinds import failure_of
from cc_tui.service.outcome import exit_code
from cc_tui.service.protocol import (
    Failure,
    RunEnded,
    RunInfo,
    RunLogged,
    RunProgressed,
)

if TYPE_CHECKING:
    import httpx

    from cc_tui.engine.run_options import RunOptions

__all__ = ["RECENT_EVENTS", "SUBSCRIBER_QUEUE", "ManagedRun", "Outcome", "Subscriber", "Supervisor"]

RECENT_EVENTS = 200  # event lines a re-attaching client is shown (the app keeps as many)
SUBSCRIBER_QUEUE = 256  # messages waiting for one client before its oldest are dropped
_log = logging.getLogger(__name__)
_T = TypeVar("_T")

Outcome = RunEnded | Failure
Message = RunProgressed | RunLogged | RunEnded | Failure


class Subscriber:
    """One client's view of a run: a bounded queue that drops its oldest when full."""

    def __init__(self, limit: int = SUBSCRIBER_QUEUE) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=limit)
        self.dropped = 0

    def offer(self, message: Message) -> None:
        """Queue ``message`` without waiting: a full queue loses its oldest message."""
        while True:
            try:
                self.queue.put_nowait(message)
                return
            except asyncio.QueueFull:
                self.queue.get_nowait()
                self.dropped += 1


@dataclass(eq=False)
class ManagedRun:
    """A run the service drives, and who watches it."""

    export: str
    dry_run: bool
    started_by: str
    connection: str | None
    scheduled: bool = False
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    progress: RunProgress | None = None
    events: deque[RunEvent] = field(default_factory=lambda: deque(maxlen=RECENT_EVENTS))
    outcome: Outcome | None = None
    task: asyncio.Task[Outcome] | None = field(default=None, repr=False)
    subscribers: set[Subscriber] = field(default_factory=set, repr=False)

    def info(self) -> RunInfo:
        """What ``runs.list`` and ``service status`` say about the run."""
        return RunInfo(
            export=self.export,
            dry_run=self.dry_run,
            started_by=self.started_by,
            started_at=self.started_at,
            scheduled=self.scheduled,
            progress=self.progress,
        )

    def subscribe(self) -> Subscriber:
        """A new subscriber, given the latest snapshot and recent events first."""
        sub = Subscriber()
        if self.progress is not None:
            sub.offer(RunProgressed(progress=self.progress))
        for event in self.events:
            sub.offer(RunLogged(export=self.export, event=event))
        if self.outcome is not None:
            sub.offer(self.outcome)
        else:
            self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        """Stop sending to ``sub`` (its client went away); the run goes on."""
        self.subscribers.discard(sub)

    def progressed(self, progress: RunProgress) -> None:
        if self.outcome is not None:
            return
        self.progress = progress
        self._send(RunProgressed(progress=progress))

    def logged(self, event: RunEvent) -> None:
        if self.outcome is not None:
            return
        self.events.append(event)
        self._send(RunLogged(export=self.export, event=event))

    def finish(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self._send(outcome)
        self.subscribers.clear()

    def _send(self, message: Message) -> None:
        for sub in self.subscribers:
            sub.offer(message)


class Supervisor:
    """The service's runs: at most one per export at a time."""

    def __init__(
        self, paths: AppPaths, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._paths = paths
        self._transport = transport
        self._active: dict[str, ManagedRun] = {}
        self._ended: dict[str, ManagedRun] = {}

    def active(self) -> list[ManagedRun]:
        """Runs going now, in the order they started."""
        return list(self._active.values())

    def find(self, export: str) -> ManagedRun | None:
        """The run of ``export`` going now, else the last one that ended since the service
        started (None: none)."""
        return self._active.get(export) or self._ended.get(export)

    def start(
        self,
        export: str,
        options: RunOptions,
        user: str,
        *,
        connection: str | None = None,
        scheduled: bool = False,
    ) -> ManagedRun:
        """Start running ``export`` for ``user``; refused while it runs already."""
        if export in self._active:
            raise RunAlreadyActiveError(
                f"Export '{export}' is already running (started by "
                f"{self._active[export].started_by}). Watch it: cc-tui run {export} --attach; or "
                f"cancel it: cc-tui run {export} --cancel."
            )
        run = ManagedRun(
            export=export,
            dry_run=options.dry_run,
            started_by=user,
            connection=connection,
            scheduled=scheduled,
        )
        self._active[export] = run
        run.task = asyncio.create_task(self._drive(run, options), name=f"run:{export}")
        return run

    def cancel(self, export: str) -> bool:
        """Stop the run of ``export`` at its next batch boundary; False if none is going."""
        run = self._active.get(export)
        if run is None or run.task is None or run.task.done():
            return False
        run.task.cancel()
        return True

    async def stop_all(self) -> None:
        """Cancel every run and wait until each has written its record (resumable)."""
        tasks = [run.task for run in self._active.values() if run.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _drive(self, run: ManagedRun, options: RunOptions) -> Outcome:
        from cc_tui.engine.runner import ExportRunner
        from cc_tui.engine.services import Services

        progressed = _on_loop(run.progressed)
        logged = _on_loop(run.logged)
        services = None
        try:
            services = Services.open(self._paths, os_user=run.started_by, transport=self._transport)
            runner = ExportRunner(services, transport=self._transport)
            record = await runner.run(run.export, options, on_progress=progressed, on_event=logged)
            outcome: Outcome = RunEnded(record=record, exit_code=exit_code(record, runner.ended_by))
        except asyncio.CancelledError:
            outcome = self._cancelled(run, services)
        except CcTuiError as exc:
            # In the words of the face that started it (how to sign in, say).
            outcome = failure_of(exc, message=options.steps.explain(exc))
        except OSError as exc:
            if not is_disk_full(exc):
                _log.exception("run of %s stopped on an unexpected error", run.export)
                outcome = Failure(message=f"The run of {run.export} stopped: {exc}", exit_code=1)
            else:
                outcome = failure_of(StorageFullError(exc.filename or "a file in the cc-tui home"))
        except Exception as exc:  # a bug must not take the service (and other runs) down
            _log.exception("run of %s stopped on an unexpected error", run.export)
            outcome = Failure(
                message=f"The run of {run.export} stopped on an unexpected error: {exc!r} "
                "(the service log has the details).",
                exit_code=1,
            )
        finally:
            if services is not None:
                services.close()
        self._active.pop(run.export, None)
        self._ended[run.export] = run
        run.finish(outcome)
        return outcome

    def _cancelled(self, run: ManagedRun, services: object) -> Outcome:
        """The outcome of a run stopped by a cancel: its interrupted record, if it had one."""
        from cc_tui.engine.services import Services
        from cc_tui.store.run_history import RunHistory

        record: RunRecord | None = None
        if run.progress is not None and isinstance(services, Services):
            record = RunHistory(services.history).get(run.progress.run_id)
        if record is None:
            return Failure(
                message=f"The run of {run.export} was stopped before it began: nothing was sent.",
                exit_code=EXIT_RESUMABLE,
            )
        return RunEnded(record=record, exit_code=exit_code(record))


def _on_loop(apply: Callable[[_T], None]) -> Callable[[_T], None]:
    """``apply``, called on this event loop whichever thread reports (Polars works in threads).

    Reports from the loop's own thread are applied at once, so they keep their order with
    the run's end (the last events come from the loop).
    """
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()

    def report(value: _T) -> None:
        if threading.get_ident() == loop_thread:
            apply(value)
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is watching
                loop.call_soon_threadsafe(apply, value)

    return report
