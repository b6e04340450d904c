"""Run exports on their schedules (cron, UTC) and when their data is refreshed, until stopped.

Each enabled export with a schedule and a connection runs at every time its schedule fires;
one with ``on_refresh`` runs once per new snapshot of its segments (see
:mod:`cc_tui.engine.refresh`). config.toml is read again at every look (at least once a
minute), so added, changed and removed schedules apply without a restart. A run still going
when its next time comes is not started twice; an interrupted run (daily quota, network) is
resumed at the next time, as ``cc-tui run`` would.

With a :class:`~cc_tui.store.schedule_state.ScheduleState`, the scheduler also honours paused
schedules (the app pauses and resumes them), and remembers when it last looked at each
schedule: cron times that passed while the service was down are *missed*, and at its first
look the export's ``missed`` policy says what happens: ``run-once`` runs it once now (not once
per missed time), ``skip`` waits for the next time. Either way the missed times are recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cronsim import CronSim

from cc_tui.errors import CcTuiError
from cc_tui.models.config import AppConfig, MissedPolicy
from cc_tui.models.run import RunRecord
from cc_tui.run_words import closing_sentence, time_sentence
from cc_tui.schedules import next_run

if TYPE_CHECKING:
    from cc_tui.engine.refresh import RefreshWatcher
    from cc_tui.store.schedule_state import ScheduleState

__all__ = ["MAX_MISSED_COUNTED", "MAX_WAIT", "REFRESH_LOOK", "Scheduler", "scheduled_exports"]

MAX_WAIT = 60.0  # seconds: config.toml is read again at least this often
REFRESH_LOOK = 15.0  # seconds between looks at on-refresh exports' segments
MAX_MISSED_COUNTED = 10_000  # missed times counted at most (a minutely schedule down a week)

RunExport = Callable[[str], Awaitable[RunRecord]]
Clock = Callable[[], datetime]
Report = Callable[[str], None]


_ONE_MINUTE = timedelta(minutes=1)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def scheduled_exports(config: AppConfig) -> dict[str, str]:
    """Export name -> schedule, for the exports the scheduler runs."""
    return {
        name: export.schedule
        for name, export in sorted(config.exports.items())
        if export.enabled and export.schedule and export.connection
    }


@dataclass(slots=True)
class _Slot:
    schedule: str
    due: datetime


class Scheduler:
    """Wakes up when the next export is due, starts it, and reports every run in one line."""

    def __init__(
        self,
        load_config: Callable[[], AppConfig],
        run_export: RunExport,
        *,
        report: Report,
        clock: Clock = _utc_now,
        max_wait: float = MAX_WAIT,
        state: ScheduleState | None = None,
        watcher: RefreshWatcher | None = None,
        refresh_look: float = REFRESH_LOOK,
    ) -> None:
        self._load_config = load_config
        self._run_export = run_export
        self._report = report
        self._clock = clock
        self._max_wait = max_wait
        self._state = state
        self._watcher = watcher
        self._refresh_look = refresh_look
        self._slots: dict[str, _Slot] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._config: AppConfig | None = None
        self._first_look = True

    def next_runs(self) -> dict[str, datetime]:
        """When each scheduled export runs next (after :meth:`refresh`)."""
        return {name: slot.due for name, slot in self._slots.items()}

    def refresh(self, now: datetime) -> None:
        """Read config.toml again; a file that fails to load keeps the schedules as they were."""
        try:
            config = self._load_config()
        except CcTuiError as exc:
            self._report(f"config.toml not read, schedules unchanged: {exc}")
            return
        self._config = config
        wanted = scheduled_exports(config)
        paused = self._state.paused() if self._state is not None else set()
        seen = self._state.seen_at() if self._state is not None and self._first_look else {}
        for name in list(self._slots):
            if name not in wanted or name in paused:
                del self._slots[name]  # resumed: its next time after the resume, no catch-up
        for name, schedule in wanted.items():
            if name in paused:
                continue
            slot = self._slots.get(name)
            if slot is None or slot.schedule != schedule:
                self._slots[name] = _Slot(schedule, next_run(schedule, now))
                if name in seen:
                    self._missed(config, name, schedule, seen[name], now)
        if self._state is not None:
            self._state.mark_seen(sorted(wanted), now)
        self._first_look = False

    def _missed(
        self, config: AppConfig, name: str, schedule: str, seen: datetime, now: datetime
    ) -> None:
        """Times of ``schedule`` after the last look at ``seen`` and before ``now`` were missed."""
        from cc_tui.store.schedule_state import MissedAction, MissedRun

        assert self._state is not None  # only called with a state (it gave ``seen``)
        first = next_run(schedule, seen)
        if first > now:
            return
        count = 0
        for moment in CronSim(schedule, first - _ONE_MINUTE):
            if moment > now or count >= MAX_MISSED_COUNTED:
                break
            count += 1
        policy = config.exports[name].missed
        run_once = policy is MissedPolicy.RUN_ONCE
        action = MissedAction.RAN_ONCE if run_once else MissedAction.SKIPPED
        self._state.record_missed(MissedRun(name, schedule, first, count, now, action))
        times = "time" if count == 1 else "times"
        if run_once:
            self._slots[name].due = now
            self._report(f"{name}: missed {count} scheduled {times} while down; running once")
        else:
            self._report(f"{name}: missed {count} scheduled {times} while down; skipped")

    async def look(self, now: datetime) -> None:
        """One look: read config.toml, start due scheduled exports and refreshed ones."""
        self.refresh(now)
        self._start_due(now)
        if self._watcher is not None and self._config is not None:
            skip = self._state.paused() if self._state is not None else set()
            skip |= {name for name, task in self._tasks.items() if not task.done()}
            # Looking at segments reads the disk or the network: not on the event loop.
            try:
                due = await asyncio.to_thread(self._watcher.due, self._config, now, skip)
            except Exception as exc:  # a segment's bad luck must not stop every schedule
                self._report(f"segments not looked at for refresh: {exc!r}")
                return
            for name, identity in due.items():
                if self._watcher.claim(name, identity, now):
                    self._report(f"{name}: its data was refreshed")
                    self._start(name)

    async def idle(self) -> None:
        """Wait until every run this scheduler started has ended (for tests and stopping)."""
        tasks = [task for task in self._tasks.values() if not task.done()]
        if tasks:
            await asyncio.wait(tasks)

    async def run(self, stop: asyncio.Event) -> None:
        """Run due exports until ``stop`` is set; then cancel what still runs (resumable)."""
        try:
            while not stop.is_set():
                await self.look(self._clock())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._wait_seconds(self._clock()))
        finally:
            await self._cancel_running()

    def _start_due(self, now: datetime) -> None:
        for name, slot in self._slots.items():
            if slot.due > now:
                continue
            slot.due = next_run(slot.schedule, now)
            self._start(name)

    def _start(self, name: str) -> None:
        task = self._tasks.get(name)
        if task is not None and not task.done():
            self._report(f"{name}: still running from its last time; not started again")
            return
        self._tasks[name] = asyncio.create_task(self._run_one(name), name=f"scheduled:{name}")

    def _wait_seconds(self, now: datetime) -> float:
        dues = [(slot.due - now).total_seconds() for slot in self._slots.values()]
        if self._watcher is not None and self._config is not None:
            from cc_tui.engine.refresh import refresh_exports

            if refresh_exports(self._config):
                dues.append(self._refresh_look)
        return max(0.0, min([self._max_wait, *dues]))

    async def _run_one(self, name: str) -> None:
        self._report(f"{name}: starting")
        try:
            record = await self._run_export(name)
        except CcTuiError as exc:
            self._report(f"{name}: not run: {exc}")
            return
        # The closing sentence of every face (it carries the error of a run that failed).
        self._report(
            f"{name}: {closing_sentence(record)} · {time_sentence(record)} (run {record.run_id})"
        )

    async def _cancel_running(self) -> None:
        tasks = [task for task in self._tasks.values() if not task.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
