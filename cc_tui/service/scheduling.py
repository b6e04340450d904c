"""The exports the service starts on its own: their schedules and refresh triggers.

The engine's :class:`~cc_tui.engine.scheduler.Scheduler` reads config.toml and the schedule
state in history.sqlite3 (with a :class:`~cc_tui.engine.refresh.RefreshWatcher` for the
exports run when their data is refreshed); each export that falls due is started through the
service's :class:`~cc_tui.service.supervisor.Supervisor` as the service's own user, as if a
client had asked, so clients may attach to it and stopping the service stops it resumable.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from cc_tui.errors import CcTuiError
from cc_tui.service.protocol import Failure

if TYPE_CHECKING:
    from cc_tui.engine.run_options import RunOptions
    from cc_tui.engine.scheduler import Scheduler
    from cc_tui.models.run import RunRecord
    from cc_tui.paths import AppPaths
    from cc_tui.service.supervisor import Supervisor

__all__ = ["ScheduledRuns"]

_log = logging.getLogger(__name__)


class ScheduledRuns:
    """The home's scheduler, kept while the service serves."""

    def __init__(
        self,
        paths: AppPaths,
        supervisor: Supervisor,
        *,
        user: str,
        run_options: RunOptions | None = None,
    ) -> None:
        """``user``: whom scheduled runs run as (the service's own user); ``run_options``:
        what each starts from (None: the engine's defaults)."""
        self._paths = paths
        self._supervisor = supervisor
        self._user = user
        self._run_options = run_options
        self._scheduler: Scheduler | None = None

    def next_runs(self) -> dict[str, datetime]:
        """Export -> its next scheduled run; empty until the scheduler has started."""
        return self._scheduler.next_runs() if self._scheduler is not None else {}

    async def serve(self, stop: asyncio.Event) -> None:
        """Start the exports that fall due until ``stop`` is set."""
        from cc_tui.engine.refresh import RefreshWatcher
        from cc_tui.engine.scheduler import Scheduler
        from cc_tui.engine.segments.discovery import discover_segments
        from cc_tui.store.config import ConfigStore
        from cc_tui.store.history import HistoryStore
        from cc_tui.store.run_history import RunHistory
        from cc_tui.store.schedule_state import ScheduleState

        config = ConfigStore(self._paths.config_file)
        history = HistoryStore(self._paths.history_db)
        state = ScheduleState(history)

        def last_runs() -> dict[str, datetime]:
            runs = RunHistory(history).last_real_runs()
            return {name: record.started_at for name, record in runs.items()}

        async def start_run(export: str) -> RunRecord:
            found = config.load().exports.get(export)
            return await self._start_run(export, found.connection if found is not None else None)

        watcher = RefreshWatcher(state, discover_segments, last_runs, report=_log.info)
        self._scheduler = Scheduler(
            config.load, start_run, report=_log.info, state=state, watcher=watcher
        )
        try:
            await self._scheduler.run(stop)
        finally:
            history.close()

    async def _start_run(self, export: str, connection: str | None) -> RunRecord:
        from cc_tui.engine.run_options import RunOptions

        run = self._supervisor.start(
            export,
            self._run_options or RunOptions(),
            self._user,
            connection=connection,
            scheduled=True,
        )
        assert run.task is not None
        # Shielded: the scheduler stopping must not cancel the run by another path than
        # the supervisor's (which waits for its record).
        outcome = await asyncio.shield(run.task)
        if isinstance(outcome, Failure):
            raise CcTuiError(outcome.message)
        return outcome.record
