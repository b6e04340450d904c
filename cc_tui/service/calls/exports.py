"""Calls about exports: add (checked against the account), save, list, show, remove, and the
forecast of one run (its plan).
"""

from __future__ import annotations

import dataclasses

from cc_tui.models.config import MissedPolicy
from cc_tui.service.calls.caller import Caller, Handler, unreadable_segment, visible_export
from cc_tui.service.protocol import (
    Call,
    ExportAdd,
    ExportAdded,
    ExportList,
    ExportPlanShow,
    ExportRemovable,
    ExportRemove,
    ExportSave,
    ExportShow,
)

__all__ = ["HANDLERS"]


async def _export_add(caller: Caller, call: ExportAdd) -> object:
    from cc_tui.engine.exports import build_export, checked_things, parse_attribute

    resolved = caller.services.sources.resolve(call.segments)
    for source in resolved.added:
        caller.require_readable("export.add", call.name, source.path)
    export = build_export(
        call.name,
        connection=call.connection,
        list_ids=call.list_ids,
        segments=resolved.names,
        email=call.email,
        first_name=call.first_name,
        last_name=call.last_name,
        attributes=[parse_attribute(text) for text in call.attributes],
        schedule=call.schedule,
    )
    export = dataclasses.replace(
        export,
        on_refresh=call.on_refresh,
        quiet_seconds=export.quiet_seconds if call.quiet_seconds is None else call.quiet_seconds,
        missed=export.missed if call.missed is None else MissedPolicy(call.missed),
    )
    exports = caller.services.exports
    # What needs no network first: a malformed export asks nothing.
    exports.check(export, new_segments=resolved.added)
    # Unknown lists or custom fields refuse the export (exit 2); an unreachable account does not.
    account = await exports.check_account(export)
    exports.save(export, replace=call.replace, new_segments=resolved.added)
    return ExportAdded(
        name=export.name,
        connection=call.connection,
        added=[(source.name, str(source.path)) for source in resolved.added],
        unchecked=account.unchecked or None,
        checked=checked_things(export.mapping),
    )


async def _export_save(caller: Caller, call: ExportSave) -> object:
    caller.services.exports.save(call.export, replace=call.replace)
    return None


async def _export_list(caller: Caller, call: ExportList) -> object:
    return caller.services.exports.visible()


async def _export_show(caller: Caller, call: ExportShow) -> object:
    return caller.services.exports.get(call.name)


async def _export_removable(caller: Caller, call: ExportRemovable) -> object:
    caller.services.exports.get(call.name)
    return None


async def _export_remove(caller: Caller, call: ExportRemove) -> object:
    caller.services.exports.remove(call.name)
    return None


async def _export_plan(caller: Caller, call: ExportPlanShow) -> object:
    """The forecast of one run, for those who may run the export (it reads its segments)."""
    from cc_tui.engine.plan import plan_export
    from cc_tui.store.run_history import RunHistory
    from cc_tui.store.verifications import VerificationStore

    services = caller.services
    export = visible_export(caller, "plan", call.export)
    if not caller.sees_all:
        reason = unreadable_segment(services, caller.peer, export, caller.private)
        if reason is not None:
            caller.refuse("plan", call.export, reason)
    return plan_export(
        services.config.load(),
        call.export,
        services.connections,
        RunHistory(services.history),
        VerificationStore(services.history),
        count=call.count,
    )


HANDLERS: dict[type[Call], Handler] = {
    ExportAdd: _export_add,
    ExportSave: _export_save,
    ExportList: _export_list,
    ExportShow: _export_show,
    ExportRemovable: _export_removable,
    ExportRemove: _export_remove,
    ExportPlanShow: _export_plan,
}
"""The handler of each of this subject's call intents."""
