"""Run exports on their schedules (cron, UTC) until stopped: ``cc-tui scheduler``.

Each enabled export with a schedule and a connection runs at every time its schedule fires.
config.toml is read again at every wake-up (at least once a minute), so added, changed and
removed schedules apply without a restart. A run still going when its next time comes is
not started twice; an interrupted run (daily quota, network) is resumed at the next time,
as ``cc-tui run`` would. Times missed while the scheduler was not running are not made up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cc_tui.errors import CcTuiError
from cc_tui.models.config import AppConfig
from cc_tui.models.run import RunRecord
from cc_tui.run_words import closing_sentence, time_sentence
from cc_tui.schedules import next_run

__all__ = ["MAX_WAIT", "Scheduler", "scheduled_exports"]

MAX_WAIT = 60.0  # seconds: config.toml is read again at least this often

RunExport = Callable[[str], Awaitable[RunRecord]]
Clock = Callable[[], datetime]
Report = Callable[[str], None]


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
    task: asyncio.Task[None] | None = None


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
    ) -> None:
        self._load_config = load_config
        self._run_export = run_export
        self._report = report
        self._clock = clock
        self._max_wait = max_wait
        self._slots: dict[str, _Slot] = {}

    def next_runs(self) -> dict[str, datetime]:
        """When each scheduled export runs next (after :meth:`refresh`)."""
        return {name: slot.due for name, slot in self._slots.items()}

    def refresh(self, now: datetime) -> None:
        """Read config.toml again; a file that fails to load keeps the schedules as they were."""
        try:
            wanted = scheduled_exports(self._load_config())
        except CcTuiError as exc:
            self._report(f"config.toml not read, schedules unchanged: {exc}")
            return
        for name in list(self._slots):
            if name not in wanted:
                del self._slots[name]
        for name, schedule in wanted.items():
            slot = self._slots.get(name)
            if slot is None or slot.schedule != schedule:
                self._slots[name] = _Slot(
                    schedule, next_run(schedule, now), slot.task if slot else None
                )

    async def run(self, stop: asyncio.Event) -> None:
        """Run due exports until ``stop`` is set; then cancel what still runs (resumable)."""
        try:
            while not stop.is_set():
                now = self._clock()
                self.refresh(now)
                self._start_due(now)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._wait_seconds(self._clock()))
        finally:
            await self._cancel_running()

    def _start_due(self, now: datetime) -> None:
        for name, slot in self._slots.items():
            if slot.due > now:
                continue
            slot.due = next_run(slot.schedule, now)
            if slot.task is not None and not slot.task.done():
                self._report(f"{name}: still running from its last time; not started again")
                continue
            slot.task = asyncio.create_task(self._run_one(name), name=f"scheduled:{name}")

    def _wait_seconds(self, now: datetime) -> float:
        dues = [(slot.due - now).total_seconds() for slot in self._slots.values()]
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
        tasks = [slot.task for slot in self._slots.values() if slot.task and not slot.task.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
