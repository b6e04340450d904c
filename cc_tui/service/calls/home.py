"""The app's home view (the connections, exports and runs the asker may see, and the app's
settings) and its theme setting.

What the app shows is filtered for the asker exactly as the command line's answers are: a
contributor's app lists the connections shared with them, the exports that use those, and their
runs; every change goes through the engine's services (role checks and audit there).
"""

from __future__ import annotations

import dataclasses

from cc_tui.errors import AccessDeniedError
from cc_tui.service.calls.caller import Caller, Handler
from cc_tui.service.calls.runs import visible_runs
from cc_tui.service.protocol import Call, HomeView, HomeViewAsk, ThemeSet
from cc_tui.store.audit import AuditOutcome

__all__ = ["HANDLERS"]


async def _home_view(caller: Caller, call: HomeViewAsk) -> object:
    from cc_tui.store.run_history import RunHistory

    services = caller.services
    config = services.config.load()
    connections = services.connections
    statuses = [connections.status(conn.name) for conn in connections.visible()]
    exports = services.exports.visible()
    history = RunHistory(services.history)
    runs = visible_runs(caller, None, call.runs)
    shown = {export.name for export in exports}
    every = caller.sees_all
    last = {
        name: record for name, record in history.last_real_runs().items() if every or name in shown
    }
    return HomeView(
        user=caller.peer.user,
        connections=statuses,
        exports=exports,
        exports_using={
            status.connection.name: config.exports_using(status.connection.name)
            for status in statuses
        },
        runs=runs,
        last_runs=last,
        theme=config.theme,
        keymap=dict(config.keymap),
        bell=config.bell,
    )


async def _theme_set(caller: Caller, call: ThemeSet) -> object:
    services = caller.services
    if not caller.sees_all:
        services.history.record_event(
            "config.theme", call.theme, caller.peer.user, {}, outcome=AuditOutcome.REFUSED
        )
        raise AccessDeniedError(
            f"Only administrators change the theme in config.toml; '{caller.peer.user}' is not "
            "one (the theme applies to this session only)."
        )
    if services.config.load().theme != call.theme:
        services.config.update(lambda config: dataclasses.replace(config, theme=call.theme))
    return None


HANDLERS: dict[type[Call], Handler] = {
    HomeViewAsk: _home_view,
    ThemeSet: _theme_set,
}
"""The handler of each of this subject's call intents."""
