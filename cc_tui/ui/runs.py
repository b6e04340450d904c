"""The runs this app watches: one worker each, their latest state, and a signal on change.

Runs go on when their view is closed, and several exports can run at once (each export at
most once). With a :class:`~cc_tui.service.async_client.ServiceLink` (the app started by
``cc-tui``), the runs are the cc-tui service's: a worker sends the intent and turns the
service's stream into app messages; runs go on when the app quits, and on start-up the app
attaches to the runs already going for its home (:meth:`RunManager.reattach`), so an app
opened in another SSH session watches them live and can cancel them. Without one (tests that
pass their own transport or timing), the engine runs in this process.

Either way the reports become app messages (``RunProgressed`` and friends, so tests can record
them), the app hands them back here, and widgets that show runs subscribe to
:attr:`RunManager.changed` instead of polling.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from textual.signal import Signal
from textual.worker import Worker

from cc_tui.engine.plan import quota_sentence
from cc_tui.engine.progress import RunEvent, RunProgress
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.errors import CcTuiError, RunAlreadyActiveError
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.run_history import RunHistory
from cc_tui.ui.messages import (
    RunEventLogged,
    RunFailed,
    RunFinished,
    RunProgressed,
    RunStarted,
)
from cc_tui.ui.plans import make_plan

if TYPE_CHECKING:
    from textual.app import App

    from cc_tui.service.async_client import ServiceLink

__all__ = ["ActiveRun", "RunManager"]

_EVENTS_KEPT = 200
_RATE_SAMPLES = 120  # throughput history behind the sparkline (about 12 s at 10 a second)


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

    def __init__(
        self,
        app: App[Any],
        runner: ExportRunner,
        history: RunHistory,
        *,
        options: RunOptions | None = None,
        service: ServiceLink | None = None,
    ) -> None:
        self._app = app
        self._service = service
        self._runner = runner
        self._history = history
        self._options = options or RunOptions()
        self.steps = self._options.steps
        """How messages of runs started here name the next step (the app sets its own)."""
        self.runs: dict[str, ActiveRun] = {}
        self.ask: Callable[[str, str, str], Awaitable[bool]] | None = None
        """How the app asks (question, yes, no) before a run today's API quota cannot hold;
        None: runs start without asking."""
        self.changed: Signal[str] = Signal(app, "runs-changed")

    @property
    def outlive_app(self) -> bool:
        """True when runs are the service's: they go on when the app quits."""
        return self._service is not None

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
        options = replace(self._options, dry_run=dry_run, restart=restart, steps=self.steps)
        verb = "Preview" if dry_run else "Run"
        work = (
            self._work(export, options)
            if self._service is None
            else self._watch(export, self._service, options=options)
        )
        run.worker = self._app.run_worker(
            work,
            group="runs",
            name=f"run:{export}",
            description=f"{verb} of export {export}",
            exit_on_error=False,
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
        if self._service is None:
            run.worker.cancel()
            return True
        # The service stops the run; its record comes back through the run's own stream.
        self._app.run_worker(
            self._cancel_in_service(export, self._service),
            group="runs",
            description=f"Cancel of export {export}",
            exit_on_error=False,
        )
        return True

    def reattach(self) -> None:
        """Watch the runs already going in this home's service (started elsewhere)."""
        if self._service is not None:
            self._app.run_worker(
                self._reattach(self._service),
                group="runs",
                description="Runs going in the cc-tui service",
                exit_on_error=False,
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
            run.worker = self._app.run_worker(
                self._watch(info.export, service, options=None),
                group="runs",
                name=f"run:{info.export}",
                description=f"Run of export {info.export}",
                exit_on_error=False,
            )
            self.changed.publish(info.export)

    async def _watch(
        self, export: str, service: ServiceLink, *, options: RunOptions | None
    ) -> None:
        """Start (``options``) or attach to (None) the service's run of ``export``; turn its
        stream into app messages until it ends. Cancelling this worker (the app quits) only
        hangs up: the run goes on in the service."""
        app = self._app
        spill = False
        while True:
            answer = await self._stream_run(export, service, options, allow_quota_spill=spill)
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
        options: RunOptions | None,
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
            if options is None:
                await stream.send(RunAttach(export=export))
            else:
                await stream.send(
                    RunStart(
                        export=export,
                        dry_run=options.dry_run,
                        restart=options.restart,
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
                    if answer.quota is not None and options is not None:
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

    async def _work(self, export: str, options: RunOptions) -> None:
        app = self._app

        def progressed(progress: RunProgress) -> None:
            app.post_message(RunProgressed(progress))

        def logged(event: RunEvent) -> None:
            app.post_message(RunEventLogged(export, event))

        if not options.dry_run and not await self._quota_allows(export):
            app.post_message(
                RunFailed(export, "you chose to wait for today's API quota to reset at 00:00 UTC")
            )
            return
        try:
            record = await self._runner.run(
                export, options, on_progress=progressed, on_event=logged
            )
        except asyncio.CancelledError:
            self._report_cancelled(export)
            raise
        except CcTuiError as exc:
            app.post_message(RunFailed(export, options.steps.explain(exc)))
            return
        app.post_message(RunFinished(record))

    async def _quota_allows(self, export: str) -> bool:
        """True unless the run would not fit today's API quota and the person said not now."""
        plan = await asyncio.to_thread(make_plan, self._runner.services, export)
        if isinstance(plan, str) or plan.fits:
            return True  # a plan that cannot be made: the run says why, in its own order
        if self.ask is None:
            return True
        question = (
            f"{quota_sentence(plan)}\n\nRun {export} anyway? It stops, resumable, when the "
            "quota is spent, and goes on when you run it again after 00:00 UTC."
        )
        return await self.ask(question, "Run anyway", "Not now")

    def _report_cancelled(self, export: str) -> None:
        run = self.runs.get(export)
        run_id = run.progress.run_id if run and run.progress else None
        record = self._history.get(run_id) if run_id else None
        if record is not None:
            self._app.post_message(RunFinished(record))
        else:
            self._app.post_message(RunFailed(export, "cancelled before it started"))

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
            self._history.mark_unseen(record.run_id)
            record = replace(record, unseen=True)
        run.record = record
        self.changed.publish(record.export)

    def seen(self, record: RunRecord) -> None:
        """``record``'s summary is on screen: drop its "finished, not yet seen" mark."""
        if not self._history.mark_seen(record.run_id):
            return
        run = self.runs.get(record.export)
        if run is not None and run.record is not None and run.record.run_id == record.run_id:
            run.record = replace(run.record, unseen=False)
        self.changed.publish(record.export)

    def failed(self, export: str, error: str) -> None:
        """Keep why a run could not go on."""
        run = self.runs.setdefault(export, ActiveRun(export=export, dry_run=False))
        run.error = error
        self.changed.publish(export)
