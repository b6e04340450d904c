"""Calls about finished runs: the history, one run's detail, marking it seen, checking it
against its lists, and its rejected rows, each for those who may see the run's export.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cc_tui.errors import UnknownNameError, UsageError
from cc_tui.service.calls.caller import Caller, Handler
from cc_tui.service.protocol import (
    VERIFY_SAMPLE_MAX,
    Call,
    HistoryList,
    RejectedRowsAsk,
    RunDetail,
    RunDetailAsk,
    RunSeen,
    RunVerify,
)
from cc_tui.store.audit import AuditOutcome

if TYPE_CHECKING:
    from cc_tui.models.run import RunRecord

__all__ = ["HANDLERS", "visible_runs"]


def _may_see_run(caller: Caller, export: str) -> bool:
    """Whether the asker may see the runs of ``export``: every run for administrators (and
    the service's own user, and root), else the runs of the exports they may see."""
    return caller.sees_all or export in {item.name for item in caller.services.exports.visible()}


def visible_runs(caller: Caller, export: str | None, limit: int) -> list[RunRecord]:
    """The newest ``limit`` runs (of ``export``) that the asker may see, newest first."""
    from cc_tui.store.run_history import RunHistory

    services = caller.services
    history = RunHistory(services.history)
    if caller.sees_all:
        return history.runs(export=export, limit=limit)
    # Others see the runs of the exports they may see (whose connection is shared with them),
    # as the service shows them only those runs going now.
    visible = {item.name for item in services.exports.visible()}
    if export is not None:
        return history.runs(export=export, limit=limit) if export in visible else []
    runs: list[RunRecord] = []
    for name in sorted(visible):
        runs += history.runs(export=name, limit=limit)
    runs.sort(key=lambda run: run.started_at, reverse=True)
    return runs[:limit]


async def _history(caller: Caller, call: HistoryList) -> object:
    return visible_runs(caller, call.export, call.limit)


async def _run_detail(caller: Caller, call: RunDetailAsk) -> object:
    from cc_tui.store.run_history import RunHistory

    history = RunHistory(caller.services.history)
    record = history.get(call.run_id)
    if record is None or not _may_see_run(caller, record.export):
        return RunDetail(record=None, batches=[], resumable=False)
    newest = history.resumable(record.export)
    return RunDetail(
        record=record,
        batches=list(history.batches(call.run_id).values()),
        resumable=newest is not None and newest.run_id == record.run_id,
    )


async def _run_seen(caller: Caller, call: RunSeen) -> object:
    from cc_tui.store.run_history import RunHistory

    history = RunHistory(caller.services.history)
    record = history.get(call.run_id)
    if record is None or not _may_see_run(caller, record.export):
        return False
    if call.seen:
        return history.mark_seen(call.run_id)
    history.mark_unseen(call.run_id)
    return True


def _seen_run(caller: Caller, action: str, run_id: str) -> RunRecord:
    """The run ``run_id`` if the asker may see it (as ``history`` shows runs): administrators
    every run, others the runs of the exports they may see; else "no run", audited as a
    refusal when it exists."""
    from cc_tui.store.run_history import RunHistory

    services = caller.services
    run = RunHistory(services.history).get(run_id)
    unknown = UnknownNameError(
        f"No run '{run_id}'. `cc-tui history` lists the runs with their ids."
    )
    if run is None:
        raise unknown
    if not _may_see_run(caller, run.export):
        services.history.record_event(
            action,
            run_id,
            caller.peer.user,
            {"reason": f"the run's export '{run.export}' is hidden from '{caller.peer.user}'"},
            outcome=AuditOutcome.REFUSED,
        )
        raise unknown
    return run


async def _run_verify(caller: Caller, call: RunVerify) -> object:
    """Check a run against its lists through its connection (which the asker must be allowed
    to use), store the result with the run, and audit the check (``run.verify``)."""
    from cc_tui.constant_contact.client import ConstantContactClient
    from cc_tui.engine.verify import DEFAULT_SAMPLE, verify_run
    from cc_tui.store.run_history import RunHistory
    from cc_tui.store.verifications import VerificationStore

    sample = DEFAULT_SAMPLE if call.sample is None else call.sample
    if not 0 <= sample <= VERIFY_SAMPLE_MAX:
        raise UsageError(f"--sample {sample}: give a number from 0 to {VERIFY_SAMPLE_MAX}.")
    run = _seen_run(caller, "run.verify", call.run_id)
    if run.dry_run:
        raise UsageError(f"Run {run.run_id} was a dry run: it sent nothing to check.")
    if run.connection is None:
        raise UsageError(f"Run {run.run_id} has no connection to check it through.")
    services = caller.services
    history = RunHistory(services.history)
    with services.history.audited(
        "run.verify",
        run.run_id,
        caller.peer.user,
        {"export": run.export, "sample": sample},
        refusal=lambda: services.connections.hidden_reason(run.connection),
    ) as detail:
        connection = services.connections.usable(run.connection)
        list_ids = history.inputs(run.run_id).get("list_ids") or []
        client = ConstantContactClient(
            connection,
            services.secrets.for_connection(connection.name),
            transport=services.transport,
        )
        async with client:
            result = await verify_run(
                client, history, VerificationStore(services.history), run, list_ids, sample=sample
            )
        detail["state"] = result.state.value
    return result


async def _rejected_rows(caller: Caller, call: RejectedRowsAsk) -> object:
    from cc_tui.service.rejected_pages import RejectedPage, read_rejected
    from cc_tui.store.run_history import RunHistory

    record = RunHistory(caller.services.history).get(call.run_id)
    if record is None or not _may_see_run(caller, record.export):
        return RejectedPage(path=None, problem=f"No run '{call.run_id}' that you may see.")
    if record.rejected_rows_file is None:
        return RejectedPage(path=None)
    return read_rejected(
        Path(record.rejected_rows_file), call.reason, limit=call.limit, with_counts=call.counts
    )


HANDLERS: dict[type[Call], Handler] = {
    HistoryList: _history,
    RunDetailAsk: _run_detail,
    RunSeen: _run_seen,
    RunVerify: _run_verify,
    RejectedRowsAsk: _rejected_rows,
}
"""The handler of each of this subject's call intents."""
