"""Calls about schedules: the plan of the coming runs, the app's schedule view, pause and resume."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cc_tui.service.calls.caller import Caller, Handler, visible_export
from cc_tui.service.protocol import (
    Call,
    SchedulePause,
    SchedulePlan,
    ScheduleShow,
    ScheduleView,
    ScheduleViewAsk,
)

if TYPE_CHECKING:
    from cc_tui.models.run import RunRecord

__all__ = ["HANDLERS"]


async def _schedule_show(caller: Caller, call: ScheduleShow) -> object:
    """The schedules and refresh triggers of the exports the asker may see, as config.toml
    says them now (a paused export is listed: pausing is the app's schedule view's)."""
    from cc_tui.engine.scheduler import Scheduler

    async def never(name: str) -> RunRecord:  # the plan only: nothing is run from here
        raise AssertionError(name)

    notes: list[str] = []
    config_store = caller.services.config
    scheduler = Scheduler(config_store.load, never, report=notes.append)
    scheduler.refresh(datetime.now(UTC))
    exports = config_store.load().exports
    seen = (
        set(exports)
        if caller.sees_all
        else {export.name for export in caller.services.exports.visible()}
    )
    scheduled = [
        (name, exports[name].schedule or "", due)
        for name, due in sorted(scheduler.next_runs().items(), key=lambda item: item[1])
        if name in seen and name in exports
    ]
    on_refresh = [
        (name, export.quiet_seconds)
        for name, export in sorted(exports.items())
        if export.on_refresh and export.enabled and export.connection and name in seen
    ]
    return SchedulePlan(scheduled=scheduled, on_refresh=on_refresh, notes=notes)


async def _schedule_view(caller: Caller, call: ScheduleViewAsk) -> object:
    from cc_tui.store.run_history import RunHistory
    from cc_tui.store.schedule_state import ScheduleState

    services = caller.services
    exports = services.exports.visible()
    names = {export.name for export in exports}
    state = ScheduleState(services.history)
    last = RunHistory(services.history).last_real_runs()
    return ScheduleView(
        exports=exports,
        paused=sorted(state.paused() & names),
        last_runs={name: record for name, record in last.items() if name in names},
        missed=[item for item in state.missed_runs() if item.export in names],
    )


async def _schedule_pause(caller: Caller, call: SchedulePause) -> object:
    from cc_tui.store.schedule_state import ScheduleState

    services = caller.services
    action = "schedule.pause" if call.paused else "schedule.resume"
    visible_export(caller, action, call.export)  # a hidden export is refused (and audited)
    ScheduleState(services.history).set_paused(call.export, call.paused)
    services.history.record_event(action, call.export, caller.peer.user)
    return None


HANDLERS: dict[type[Call], Handler] = {
    ScheduleShow: _schedule_show,
    ScheduleViewAsk: _schedule_view,
    SchedulePause: _schedule_pause,
}
"""The handler of each of this subject's call intents."""
