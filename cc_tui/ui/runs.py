"""The runs this app watches: one worker each, their latest state, and a signal on change.

Runs are the cc-tui service's: a worker sends the intent and turns the service's stream into
app messages (``RunProgressed`` and friends, so tests can record them); the app hands them back
here, and widgets that show runs subscribe to :attr:`RunManager.changed` instead of polling.
Runs go on when their view is closed and when the app quits, and several exports can run at once
(each export at most once). On start-up the app attaches to the runs already going for its home
(:meth:`RunManager.reattach`), so an app opened in another SSH session watches them live and can
cancel them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.signal import Signal
from textual.worker import Worker

from cc_tui.errors import CcTuiError, RunAlreadyActiveError
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import RunEvent, RunProgress
from cc_tui.next_steps import CLI_STEPS, NextSteps
from cc_tui.ui.messages import (
    RunEventLogged,
    RunFailed,
    RunFinished,
    RunProgressed,
    RunStarted,
)

if TYPE_CHECKING:
    from textual.app import App

    from cc_tui.service.async_client import ServiceLink
    from cc_tui.service.home_client import HomeClient

__all__ = ["ActiveRun", "RunManager"]

_EVENTS_KEPT = 200
_RATE_SAMPLES = 120  # throughput history behind the sparkline (about 12 s at 10 a second)


@dataclass(frozen=True, slots=True)
class _Start:
    """What a run started from this app asks for."""

    dry_run: bool
    restart: bool
    steps: NextSteps
    """The app's words for what to do next, in the run's messages."""


@dataclass
class ActiveRun:
    """What the app knows about the latest run of one export in this session."""

    export: str
    dry_run: bool
    progress: RunProgress | None = None
    events: deque[RunEvent] = field(default_factory=lambda: deque(maxlen=_EVENTS_KEPT))
    rates: deque[float] = field(default_factory=lambda: deque(maxlen=_RATE_SAMPLES))
    record: RunRecord | None = None
    error: str | None = None
    cancel_requested: bool = False
    """Someone asked to cancel; if the run still ends other than interrupted, it was too late."""
    worker: Worker[None] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        """True until the run finished or failed."""
        return self.record is None and self.error is None


class RunManager:
    """Starts, tracks and cancels export runs for the app."""

    def __init__(self, app: App[Any], client: HomeClient, *, refresh: Callable[[], None]) -> None:
        """``refresh``: read the home's view again (a run's "not yet seen" mark changed)."""
        self._app = app
        self._client = client
        self._service = client.link
        self._refresh = refresh
        self._marking = asyncio.Lock()
        self.steps: NextSteps = CLI_STEPS
        """How the app's own messages name the next step (the app sets its own words)."""
        self.runs: dict[str, ActiveRun] = {}
        self.ask: Callable[[str, str, str], Awaitable[bool]] | None = None
        """How the app asks (question, yes, no) before a run today's API quota cannot hold;
        None: runs start without asking."""
        self.changed: Signal[str] = Signal(app, "runs-changed")

    def get(self, export: str) -> ActiveRun | None:
        """The latest run of ``export`` this session, if any."""
        return self.runs.get(export)

    def is_running(self, export: str) -> bool:
        """True while a run of ``export`` is going."""
        run = self.runs.get(export)
        return run is not None and run.running

    def active(self) -> list[ActiveRun]:
        """Runs going now, in the order they started."""
        return [run for run in self.runs.values() if run.running]

    def start(self, export: str, *, dry_run: bool = False, restart: bool = False) -> ActiveRun:
        """Start a worker for ``export``; a second run of it is refused."""
        if self.is_running(export):
            raise RunAlreadyActiveError(f"Export '{export}' is already running.")
        run = ActiveRun(export=export, dry_run=dry_run)
        self.runs[export] = run
        verb = "Preview" if dry_run else "Run"
        start = _Start(dry_run=dry_run, restart=restart, steps=self.steps)
        run.worker = self._work(
            partial(self._watch, export, self._service, start=start),
            group="runs",
            name=f"run:{export}",
            description=f"{verb} of export {export}",
        )
        self._app.post_message(RunStarted(export, dry_run=dry_run))
        self.changed.publish(export)
        return run

    def cancel(self, export: str) -> bool:
        """Cancel the run of ``export`` at its next batch boundary; False if none is going."""
        run = self.runs.get(export)
        if run is None or not run.running or run.worker is None:
            return False
        run.cancel_requested = True
        # The service stops the run; its record comes back through the run's own stream.
        self._work(
            partial(self._cancel_in_service, export, self._service),
            group="runs",
            description=f"Cancel of export {export}",
        )
        return True

    def reattach(self) -> None:
        """Watch the runs already going in this home's service (started elsewhere)."""
        self._work(
            partial(self._reattach, self._service),
            group="runs",
            description="Runs going in the cc-tui service",
        )

    def _work(
        self,
        work: Callable[[], Coroutine[Any, Any, None]],
        *,
        group: str,
        description: str,
        name: str = "",
    ) -> Worker[None]:
        """Run ``work`` in a worker of the app (its errors stay in the worker).

        The worker is handed a coroutine function, never a coroutine: a worker the app
        cancels before it starts (the app closes just as a run ends) then leaves no coroutine
        behind that was never awaited.
        """
        return self._app.run_worker(
            work, name=name, group=group, description=description, exit_on_error=False
        )

    async def _reattach(self, service: ServiceLink) -> None:
        from cc_tui.service.client import ServiceUnavailableError
        from cc_tui.service.protocol import RunsList, RunsListed

        try:
            answer = await service.ask(RunsList(), autostart=False)
        except ServiceUnavailableError:
            return  # no service: nothing runs
        if not isinstance(answer, RunsListed):
            return
        for info in answer.runs:
            if self.is_running(info.export):
                continue
            run = ActiveRun(export=info.export, dry_run=info.dry_run, progress=info.progress)
            self.runs[info.export] = run
            run.worker = self._work(
                partial(self._watch, info.export, service, start=None),
                group="runs",
                name=f"run:{info.export}",
                description=f"Run of export {info.export}",
            )
            self.changed.publish(info.export)

    async def _watch(self, export: str, service: ServiceLink, *, start: _Start | None) -> None:
        """Start (``start``) or attach to (None) the service's run of ``export``; turn its
        stream into app messages until it ends. Cancelling this worker (the app quits) only
        hangs up: the run goes on in the service."""
        app = self._app
        spill = False
        while True:
            answer = await self._stream_run(export, service, start, allow_quota_spill=spill)
            if answer is None:
                return
            # The service refused a run today's quota cannot hold: ask, then ask it again.
            question = (
                f"{answer}\n\nRun {export} anyway? It stops, resumable, when the quota is "
                "spent, and goes on when you run it again after 00:00 UTC."
            )
            if self.ask is None or not await self.ask(question, "Run anyway", "Not now"):
                app.post_message(
                    RunFailed(
                        export, "you chose to wait for today's API quota to reset at 00:00 UTC"
                    )
                )
                return
            spill = True

    async def _stream_run(
        self,
        export: str,
        service: ServiceLink,
        start: _Start | None,
        *,
        allow_quota_spill: bool,
    ) -> str | None:
        """Turn one run stream into app messages until it ends; the quota's words when the
        service refused to start the run because today's quota cannot hold it."""
        from cc_tui.service.protocol import (
            Failure,
            RunAttach,
            RunEnded,
            RunLogged,
            RunStart,
        )
        from cc_tui.service.protocol import RunProgressed as Progressed

        app = self._app
        stream = await service.open()
        try:
            if start is None:
                await stream.send(RunAttach(export=export))
            else:
                await stream.send(
                    RunStart(
                        export=export,
                        dry_run=start.dry_run,
                        restart=start.restart,
                        steps=start.steps,
                        allow_quota_spill=allow_quota_spill,
                    )
                )
            while (answer := await stream.next()) is not None:
                if isinstance(answer, Progressed):
                    app.post_message(RunProgressed(answer.progress))
                elif isinstance(answer, RunLogged):
                    app.post_message(RunEventLogged(export, answer.event))
                elif isinstance(answer, RunEnded):
                    app.post_message(RunFinished(answer.record))
                    return None
                elif isinstance(answer, Failure):
                    if answer.quota is not None and start is not None:
                        return answer.quota
                    app.post_message(RunFailed(export, answer.message))
                    return None
            app.post_message(
                RunFailed(export, "the cc-tui service stopped; the run stays resumable")
            )
            return None
        finally:
            await stream.close()

    async def _cancel_in_service(self, export: str, service: ServiceLink) -> None:
        from cc_tui.service.protocol import RunCancel

        try:
            await service.ask(RunCancel(export=export), autostart=False)
        except CcTuiError as exc:  # it ended meanwhile: the stream tells how
            self._app.notify(str(exc), title="Not cancelled", severity="warning")

    # -- called by the app's message handlers ------------------------------------------------

    def progressed(self, progress: RunProgress) -> None:
        """Keep the newest snapshot (and its throughput for the sparkline)."""
        run = self.runs.get(progress.export)
        if run is None:
            return
        run.progress = progress
        run.rates.append(progress.throughput)
        self.changed.publish(progress.export)

    def logged(self, export: str, event: RunEvent) -> None:
        """Keep an event line."""
        run = self.runs.get(export)
        if run is not None:
            run.events.append(event)
            self.changed.publish(export)

    def cancelled_too_late(self, export: str) -> bool:
        """True when a cancel was asked for but the run had already got to its end."""
        run = self.runs.get(export)
        return (
            run is not None
            and run.cancel_requested
            and run.record is not None
            and run.record.status is not RunStatus.INTERRUPTED
        )

    def finished(self, record: RunRecord) -> None:
        """Keep the final record, marked until its summary is shown (see :meth:`seen`)."""
        run = self.runs.setdefault(
            record.export, ActiveRun(export=record.export, dry_run=record.dry_run)
        )
        if record.status is not RunStatus.RUNNING:
            self._mark(record.run_id, seen=False)
            record = replace(record, unseen=True)
        run.record = record
        self.changed.publish(record.export)

    def seen(self, record: RunRecord) -> None:
        """``record``'s summary is on screen: drop its "finished, not yet seen" mark."""
        if not record.unseen:
            return
        run = self.runs.get(record.export)
        if run is not None and run.record is not None and run.record.run_id == record.run_id:
            if not run.record.unseen:
                return
            run.record = replace(run.record, unseen=False)
        self._mark(record.run_id, seen=True)
        self.changed.publish(record.export)

    def _mark(self, run_id: str, *, seen: bool) -> None:
        """Keep the "finished, not yet seen" mark in the service (every app sees it)."""
        self._work(
            partial(self._keep_mark, run_id, seen=seen),
            group="marks",
            description="Marking a run seen",
        )

    async def _keep_mark(self, run_id: str, *, seen: bool) -> None:
        # In the order asked: a run's "not seen" and then "seen" must not cross.
        async with self._marking:
            await self._client.mark_seen(run_id, seen=seen)
        self._refresh()

    def failed(self, export: str, error: str) -> None:
        """Keep why a run could not go on."""
        run = self.runs.setdefault(export, ActiveRun(export=export, dry_run=False))
        run.error = error
        self.changed.publish(export)
