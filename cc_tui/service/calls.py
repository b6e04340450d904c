"""The home's commands, carried out by the service for one kernel-named client.

One handler per call intent (:data:`HANDLERS`, keyed by the intent's type). Each receives the
engine's :class:`~cc_tui.engine.services.Services` opened for the client's OS user (its name
from ``SO_PEERCRED``, as a run's are), so the engine's role checks and audit records apply to
that user, and whatever the client's environment says is never consulted. A handler returns
the engine's result (encoded as ``returned``) or raises the engine's error (sent as ``error``
with its exit code); a sign-in also sends the verification URL and code as they come.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cc_tui.errors import AccessDeniedError, ConsentRequiredError, InputError, UsageError
from cc_tui.models.config import Export, MissedPolicy, Role
from cc_tui.remote_paths import is_remote_location
from cc_tui.service.identity import Peer
from cc_tui.service.peer_access import unreadable_reason
from cc_tui.service.protocol import (
    VERIFY_SAMPLE_MAX,
    AuditList,
    AuditVerify,
    Call,
    ConnectionAdd,
    ConnectionConsent,
    ConnectionEdit,
    ConnectionList,
    ConnectionLogin,
    ConnectionRemovable,
    ConnectionRemove,
    ConnectionShow,
    ConnectionTest,
    ContactLists,
    CustomFields,
    ExportAdd,
    ExportAdded,
    ExportList,
    ExportPlanShow,
    ExportRemovable,
    ExportRemove,
    ExportSave,
    ExportShow,
    FolderAdded,
    HistoryList,
    HomeView,
    HomeViewAsk,
    ListFound,
    ListLookup,
    RejectedRowsAsk,
    RunDetail,
    RunDetailAsk,
    RunSeen,
    RunVerify,
    SchedulePause,
    SchedulePlan,
    ScheduleShow,
    ScheduleView,
    ScheduleViewAsk,
    SegmentAdd,
    SegmentCheck,
    SegmentChecked,
    SegmentList,
    SegmentLookView,
    SegmentPreview,
    SegmentRemove,
    SegmentsDirAdd,
    SegmentsDirRemove,
    SegmentShow,
    SignInCode,
    SignInWaiting,
    StorageAdd,
    StorageAddable,
    StorageCheck,
    StorageList,
    StorageRemove,
    StorageShow,
    ThemeSet,
)
from cc_tui.store.audit import AuditOutcome

if TYPE_CHECKING:
    from cc_tui.constant_contact.auth import DeviceAuthorization, DeviceFlowStatus
    from cc_tui.constant_contact.client import ConstantContactClient
    from cc_tui.engine.services import Services
    from cc_tui.engine.sources import SegmentStatus
    from cc_tui.engine.storage_connections import StorageService
    from cc_tui.models.run import RunRecord
    from cc_tui.service.protocol import Answer

__all__ = [
    "CONSENT_NEEDED",
    "HANDLERS",
    "Caller",
    "Emit",
    "Handler",
    "handler_for",
    "unreadable_segment",
    "visible_export",
]

Emit = Callable[["Answer"], None]
"""Queue a message to the calling client before the call's result (sign-in codes)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, as the kernel says, and the engine's services opened for them."""

    peer: Peer
    services: Services
    emit: Emit
    trusted: bool
    """The service's own user or root: may name any file the service can read."""
    private: tuple[Path, ...]
    """The service's home folders (config, data, state): no one else names files in them."""

    def require_readable(self, action: str, subject: str, path: Path) -> None:
        """Refuse (and audit) a local ``path`` that the asker could not read themselves.

        The service reads segments with its own rights, which a team's members do not have
        (the home's secrets.toml, say): it reads for a person only what that person could.
        """
        if self.trusted:
            return
        reason = unreadable_reason(self.peer, path, self.private)
        if reason is None:
            return
        self.refuse(action, subject, reason)

    @property
    def sees_all(self) -> bool:
        """The service's own user, root, or an administrator: sees every segment, the audit
        log, and runs exports whatever their files' permissions say."""
        return self.trusted or self.services.connections.role() is Role.ADMIN

    def refuse(self, action: str, subject: str, reason: str) -> None:
        """Audit ``action`` on ``subject`` as refused for ``reason``, and raise it (exit 2)."""
        self.services.history.record_event(
            action, subject, self.peer.user, {"reason": reason}, outcome=AuditOutcome.REFUSED
        )
        raise AccessDeniedError(reason)


Handler = Callable[[Caller, Any], Coroutine[Any, Any, object]]


CONSENT_NEEDED = (
    "Data-privacy consent is required before a connection is added: customer data leaves this "
    "system for Constant Contact. Re-run with --accept-privacy to accept the statement (see "
    "`cc-tui connection add --help`), or answer yes when cc-tui asks on a terminal."
)


async def _connection_add(caller: Caller, call: ConnectionAdd) -> object:
    """Add a connection. One without the privacy statement accepted is refused here, in the
    service (exit 2, saying how to accept), after the engine's role check, and audited as the
    engine records every ``connection.add`` attempt."""
    try:
        return caller.services.connections.add(
            call.name,
            client_id=call.client_id,
            display_name=call.display_name,
            usable_by=call.usable_by,
            api_base_url=call.api_base_url,
            auth_base_url=call.auth_base_url,
            accept_privacy=call.accept_privacy,
        )
    except ConsentRequiredError:
        raise ConsentRequiredError(CONSENT_NEEDED) from None


async def _connection_consent(caller: Caller, call: ConnectionConsent) -> object:
    return caller.services.connections.accept_privacy(call.name)


async def _connection_login(caller: Caller, call: ConnectionLogin) -> object:
    def on_code(authz: DeviceAuthorization) -> None:
        # The device code stays in the service: whoever holds it could finish the sign-in.
        caller.emit(
            SignInCode(
                user_code=authz.user_code,
                verification_uri=authz.verification_uri,
                verification_uri_complete=authz.verification_uri_complete,
                expires_at=authz.expires_at,
                interval=authz.interval,
            )
        )

    def on_status(status: DeviceFlowStatus) -> None:
        caller.emit(
            SignInWaiting(
                state=status.state, seconds_left=status.seconds_left, interval=status.interval
            )
        )

    return await caller.services.connections.sign_in(
        call.name, on_code=on_code, on_status=on_status
    )


async def _connection_removable(caller: Caller, call: ConnectionRemovable) -> object:
    caller.services.connections.check_removable(call.name)
    return None


async def _connection_remove(caller: Caller, call: ConnectionRemove) -> object:
    return caller.services.connections.remove(call.name, detach_exports=call.detach_exports)


async def _connection_list(caller: Caller, call: ConnectionList) -> object:
    connections = caller.services.connections
    return [connections.status(conn.name) for conn in connections.visible()]


async def _connection_show(caller: Caller, call: ConnectionShow) -> object:
    return caller.services.connections.status(call.name)


async def _connection_test(caller: Caller, call: ConnectionTest) -> object:
    return await caller.services.connections.check(call.name)


async def _contact_lists(caller: Caller, call: ContactLists) -> object:
    return await caller.services.connections.contact_lists(call.connection)


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


async def _segment_add(caller: Caller, call: SegmentAdd) -> object:
    from cc_tui.engine.segments.entries import make_source

    source = make_source(
        call.name,
        call.path,
        format=call.format,
        encoding=call.encoding,
        delimiter=call.delimiter,
        quote=call.quote,
        header=call.header,
        columns=call.columns,
        entity=call.entity,
        snapshot=call.snapshot,
    )
    caller.require_readable("segment.add", call.name, source.path)
    if source.columns is not None and call.header is None and source.path.is_file():
        raise UsageError(
            "--columns names the columns of a file without a header line: add --no-header "
            "(else its first line is read as the header)."
        )
    look = caller.services.sources.add(source, replace=call.replace, rows=call.rows)
    segment = look.segment
    return SegmentPreview(
        name=segment.name,
        path=str(segment.path),
        format_label=segment.format_label,
        delimiter=segment.delimiter,
        encoding=segment.encoding,
        columns=[(column.name, column.dtype) for column in look.columns],
        header=list(look.first_rows.columns),
        rows=[
            [None if value is None else str(value) for value in row]
            for row in look.first_rows.iter_rows()
        ],
        config_file=str(caller.services.paths.config_file),
    )


async def _segments_dir_add(caller: Caller, call: SegmentsDirAdd) -> object:
    folder = Path(call.folder)
    caller.require_readable("segments_dir.add", call.folder, folder)
    found = caller.services.sources.add_dir(folder)
    return FolderAdded(
        folder=call.folder,
        names=[status.name for status in found.statuses],
        skipped=list(found.skipped),
    )


async def _segment_remove(caller: Caller, call: SegmentRemove) -> object:
    return caller.services.sources.remove(call.name, force=call.force)


async def _segments_dir_remove(caller: Caller, call: SegmentsDirRemove) -> object:
    return caller.services.sources.remove_dir(Path(call.folder), force=call.force)


async def _history(caller: Caller, call: HistoryList) -> object:
    from cc_tui.store.run_history import RunHistory

    services = caller.services
    history = RunHistory(services.history)
    if caller.trusted or services.connections.role() is Role.ADMIN:
        return history.runs(export=call.export, limit=call.limit)
    # Others see the runs of the exports they may see (whose connection is shared with them),
    # as the service shows them only those runs going now.
    visible = {export.name for export in services.exports.visible()}
    if call.export is not None:
        return history.runs(export=call.export, limit=call.limit) if call.export in visible else []
    runs = []
    for name in sorted(visible):
        runs += history.runs(export=name, limit=call.limit)
    runs.sort(key=lambda run: run.started_at, reverse=True)
    return runs[: call.limit]


# -- reading segments, the audit log and plans ----------------------------------------------------


def _readable_by(caller: Caller, status: SegmentStatus) -> bool:
    """Whether the asker could read ``status``'s local file or folder themselves."""
    path = status.path
    if path is None or is_remote_location(str(path)):
        return False  # a remote segment is read with the home's storage secrets, not theirs
    return unreadable_reason(caller.peer, path, caller.private) is None


def _segments_seen(caller: Caller) -> tuple[list[SegmentStatus], list[SegmentStatus], list[str]]:
    """The segments the asker may see, those hidden from them, and the skipped files they may
    see (see :func:`_segment_list`)."""
    overview = caller.services.sources.overview()
    if caller.sees_all:
        return list(overview.statuses), [], list(overview.skipped)
    used = {name for export in caller.services.exports.visible() for name in export.segments}
    seen: list[SegmentStatus] = []
    hidden: list[SegmentStatus] = []
    for status in overview.statuses:
        (seen if status.name in used or _readable_by(caller, status) else hidden).append(status)
    return seen, hidden, []


async def _segment_list(caller: Caller, call: SegmentList) -> object:
    """Every segment the asker may see, with its row count.

    Who sees what: the service's own user, root and administrators see every segment and the
    files skipped in segments folders. Anyone else (a contributor, or a user with no role) sees
    the segments of the exports they may see (whose connection is shared with them), and the
    local segments whose files they could read themselves (their uid and groups, as
    :mod:`~cc_tui.service.peer_access` checks): never a segment of an export kept from them on
    a file closed to them, nor a remote one (read with the home's storage secrets) that no
    export of theirs uses; the skipped files (paths in other people's folders) are not shown
    to them. A listing is not audited (reading is not an action), as ``connection list``.
    """
    from cc_tui.service.segment_views import SegmentCounted, SegmentsListed, count_rows_of

    seen, _, skipped = _segments_seen(caller)
    counted = []
    for status in seen:
        rows, error = count_rows_of(status.segment) if status.segment else (None, None)
        counted.append(SegmentCounted(status=status, rows=rows, rows_error=error))
    return SegmentsListed(segments=counted, skipped=skipped)


async def _segment_show(caller: Caller, call: SegmentShow) -> object:
    """A segment's columns, row count and first rows, to those who may see it.

    A segment hidden from the asker (see :func:`_segment_list`) is unknown to them: the same
    message as a name nobody added, listing only what they see, and a ``segment.show`` refusal
    in the audit log saying why. Its rows are personal data, so beyond seeing it the asker
    must be able to read its file themselves (administrators and the service's own user
    excepted): a segment they see only because an export of theirs uses it is listed, never
    shown (refused and audited).
    """
    from cc_tui.engine.segments.entries import unknown_segment_message
    from cc_tui.engine.segments.reading import preview, segment_columns
    from cc_tui.service.segment_views import SegmentCounted, SegmentShown, count_rows_of, json_cells

    seen, hidden, _ = _segments_seen(caller)
    status = next((s for s in seen if s.name == call.name), None)
    if status is None:
        message = unknown_segment_message(call.name, [s.name for s in seen])
        if any(s.name == call.name for s in hidden):
            caller.services.history.record_event(
                "segment.show",
                call.name,
                caller.peer.user,
                {"reason": f"segment '{call.name}' is hidden from '{caller.peer.user}'"},
                outcome=AuditOutcome.REFUSED,
            )
        raise InputError(message)
    segment = status.segment
    if segment is None:
        raise InputError(f"segment '{call.name}' is {status.state.value}: {status.problem}")
    if not caller.sees_all and not _readable_by(caller, status):
        caller.refuse(
            "segment.show",
            call.name,
            f"'{caller.peer.user}' cannot read the files of segment '{call.name}' "
            f"({segment.path}), so the service does not show its rows to them.",
        )
    columns = segment_columns(segment)
    rows, error = count_rows_of(segment)
    first = preview(segment, max(0, call.rows))
    return SegmentShown(
        counted=SegmentCounted(status=status, rows=rows, rows_error=error),
        columns=[(column.name, column.dtype) for column in columns],
        header=list(first.columns),
        preview=json_cells(first),
    )


def _require_audit_reader(caller: Caller, action: str) -> None:
    """The audit log is read by administrators and the service's own user (and root) only.

    It names every user and what they did, allowed or refused, on every connection, including
    those kept from contributors: a contributor's attempt is refused and audited.
    """
    if caller.sees_all:
        return
    caller.refuse(
        action,
        "audit log",
        f"Only administrators may read the audit log; '{caller.peer.user}' is not one.",
    )


async def _audit_list(caller: Caller, call: AuditList) -> object:
    _require_audit_reader(caller, "audit.read")
    return caller.services.history.events(user=call.user, action=call.action, limit=call.limit)


async def _audit_verify(caller: Caller, call: AuditVerify) -> object:
    _require_audit_reader(caller, "audit.verify")
    return caller.services.history.verify_audit()


def visible_export(caller: Caller, action: str, name: str) -> Export:
    """The export ``name`` if the asker may see it, else the engine's "no export named"
    (a ``action`` refusal audited with the reason when it exists but is hidden)."""
    services = caller.services
    try:
        return services.exports.get(name)
    except UsageError:
        export = services.config.load().exports.get(name)
        if export is not None:
            reason = services.connections.hidden_reason(export.connection)
            services.history.record_event(
                action,
                name,
                caller.peer.user,
                {"reason": reason or f"export '{name}' has no connection (administrators only)"},
                outcome=AuditOutcome.REFUSED,
            )
        raise


def unreadable_segment(
    services: Services, peer: Peer, export: Export, private: tuple[Path, ...]
) -> str | None:
    """Why ``peer`` could not read one of ``export``'s local segments themselves; None if
    they could read them all (a missing or remote segment is left to the run's own checks)."""
    overview = services.sources.overview()
    for name in export.segments:
        status = overview.get(name)
        if status is None or status.path is None or is_remote_location(str(status.path)):
            continue
        reason = unreadable_reason(peer, status.path, private)
        if reason is not None:
            return f"Export '{export.name}' reads segment '{name}': {reason}"
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


# -- checking runs, schedules, storage connections ------------------------------------------------


def _seen_run(caller: Caller, action: str, run_id: str) -> RunRecord:
    """The run ``run_id`` if the asker may see it (as ``history`` shows runs): administrators
    every run, others the runs of the exports they may see; else "no run", audited as a
    refusal when it exists."""
    from cc_tui.store.run_history import RunHistory

    services = caller.services
    run = RunHistory(services.history).get(run_id)
    unknown = UsageError(f"No run '{run_id}'. `cc-tui history` lists the runs with their ids.")
    if run is None:
        raise unknown
    if not caller.sees_all and run.export not in {e.name for e in services.exports.visible()}:
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


def _storage(caller: Caller) -> StorageService:
    from cc_tui.engine.storage_connections import StorageService

    services = caller.services
    return StorageService(services.config, services.secrets, services.history, services.os_user)


@contextmanager
def _refusal_audited(caller: Caller, action: str, subject: str) -> Iterator[None]:
    """Record a refusal of the engine's role check (which does not audit it) under ``action``."""
    try:
        yield
    except AccessDeniedError as exc:
        caller.services.history.record_event(
            action, subject, caller.peer.user, {"reason": str(exc)}, outcome=AuditOutcome.REFUSED
        )
        raise


async def _storage_list(caller: Caller, call: StorageList) -> object:
    # Nothing secret is listed: every user sees the storage connections (the engine's rule).
    return _storage(caller).list()


async def _storage_show(caller: Caller, call: StorageShow) -> object:
    return _storage(caller).get(call.name)


async def _storage_addable(caller: Caller, call: StorageAddable) -> object:
    """Refuse an add before its secret is typed: not an administrator (audited), or a name
    taken without ``replace``."""
    config = caller.services.config.load()
    if config.roles.role_of(caller.services.os_user) is not Role.ADMIN:
        admins = ", ".join(config.roles.admins) or "an administrator"
        caller.refuse(
            "storage.add",
            call.name,
            f"Only administrators may add storage connections; '{caller.services.os_user}' is "
            f"not one. Ask {admins}.",
        )
    if call.name in config.storage and not call.replace:
        raise UsageError(
            f"A storage connection named '{call.name}' already exists. Fix: choose another "
            "name, or pass --replace"
        )
    return None


async def _storage_add(caller: Caller, call: StorageAdd) -> object:
    with _refusal_audited(caller, "storage.add", call.name):
        return _storage(caller).add(
            call.name,
            account=call.account,
            auth=call.auth,
            secret=call.secret,
            endpoint=call.endpoint,
            replace=call.replace,
        )


async def _storage_check(caller: Caller, call: StorageCheck) -> object:
    with _refusal_audited(caller, "storage.test", call.name):
        return _storage(caller).test(call.name, call.container)


async def _storage_remove(caller: Caller, call: StorageRemove) -> object:
    with _refusal_audited(caller, "storage.remove", call.name):
        _storage(caller).remove(call.name)
    return None


HANDLERS: dict[type[Call], Handler] = {
    ConnectionAdd: _connection_add,
    ConnectionConsent: _connection_consent,
    ConnectionLogin: _connection_login,
    ConnectionRemovable: _connection_removable,
    ConnectionRemove: _connection_remove,
    ConnectionList: _connection_list,
    ConnectionShow: _connection_show,
    ConnectionTest: _connection_test,
    ContactLists: _contact_lists,
    ExportAdd: _export_add,
    ExportList: _export_list,
    ExportShow: _export_show,
    ExportRemovable: _export_removable,
    ExportRemove: _export_remove,
    SegmentAdd: _segment_add,
    SegmentsDirAdd: _segments_dir_add,
    SegmentRemove: _segment_remove,
    SegmentsDirRemove: _segments_dir_remove,
    HistoryList: _history,
    SegmentList: _segment_list,
    SegmentShow: _segment_show,
    AuditList: _audit_list,
    AuditVerify: _audit_verify,
    ExportPlanShow: _export_plan,
    RunVerify: _run_verify,
    ScheduleShow: _schedule_show,
    StorageList: _storage_list,
    StorageShow: _storage_show,
    StorageAddable: _storage_addable,
    StorageAdd: _storage_add,
    StorageCheck: _storage_check,
    StorageRemove: _storage_remove,
}


def handler_for(intent: object) -> Handler | None:
    """The handler of a call intent; None for the other intents (runs, service)."""
    return HANDLERS.get(type(intent))  # type: ignore[arg-type]


# -- the app's calls ------------------------------------------------------------------------------
#
# What the app shows comes from these, filtered for the asker exactly as the command line's are:
# a contributor's app lists the connections shared with them, the exports that use those, and
# their runs; every change goes through the engine's services (role checks and audit there).


def _sees_every_run(caller: Caller) -> bool:
    return caller.trusted or caller.services.connections.role() is Role.ADMIN


def _visible_exports(caller: Caller) -> set[str]:
    return {export.name for export in caller.services.exports.visible()}


def _may_see_run(caller: Caller, export: str) -> bool:
    return _sees_every_run(caller) or export in _visible_exports(caller)


async def _home_view(caller: Caller, call: HomeViewAsk) -> object:
    from cc_tui.store.run_history import RunHistory

    services = caller.services
    config = services.config.load()
    connections = services.connections
    statuses = [connections.status(conn.name) for conn in connections.visible()]
    exports = services.exports.visible()
    history = RunHistory(services.history)
    runs = await _history(caller, HistoryList(limit=call.runs))
    shown = {export.name for export in exports}
    every = _sees_every_run(caller)
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
        runs=runs,  # type: ignore[arg-type]
        last_runs=last,
        theme=config.theme,
        keymap=dict(config.keymap),
        bell=config.bell,
    )


async def _connection_edit(caller: Caller, call: ConnectionEdit) -> object:
    fields = ("display_name", "client_id", "usable_by", "api_base_url", "auth_base_url")
    changes = {key: getattr(call, key) for key in fields if getattr(call, key) is not None}
    return caller.services.connections.edit(call.name, **changes)


async def _export_save(caller: Caller, call: ExportSave) -> object:
    caller.services.exports.save(call.export, replace=call.replace)
    return None


def _advice_client(caller: Caller, connection: str) -> ConstantContactClient:
    from cc_tui.engine.exports import ACCOUNT_CHECK_RETRY, ACCOUNT_CHECK_TIMEOUT

    # A form's questions are advice: offline, it says so after one retry, not after minutes.
    return caller.services.connections.client(
        connection, retry=ACCOUNT_CHECK_RETRY, timeout=ACCOUNT_CHECK_TIMEOUT
    )


async def _custom_fields(caller: Caller, call: CustomFields) -> object:
    async with _advice_client(caller, call.connection) as client:
        return sorted(item.name for item in await client.custom_fields())


async def _list_lookup(caller: Caller, call: ListLookup) -> object:
    from cc_tui.errors import CcTuiError, NotFoundError

    try:
        async with _advice_client(caller, call.connection) as client:
            found = await client.contact_list(call.list_id)
    except NotFoundError:
        return ListFound(problem=f"The account has no list with ID {call.list_id}.")
    except AccessDeniedError:
        raise  # not the asker's connection: a refusal, not an unreachable account
    except CcTuiError:
        return ListFound(unchecked=True)
    if found.deleted:
        return ListFound(
            problem=f"List '{found.name}' ({found.list_id}) was deleted in Constant Contact."
        )
    return ListFound(found=found)


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


async def _theme_set(caller: Caller, call: ThemeSet) -> object:
    services = caller.services
    if not _sees_every_run(caller):
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


async def _segment_check(caller: Caller, call: SegmentCheck) -> object:
    from cc_tui.engine.segments.entries import make_source

    source = make_source(
        call.name, call.path, header=call.header, columns=call.columns, entity=call.entity
    )
    caller.require_readable("segment.check", call.name, source.path)
    sources = caller.services.sources
    if source.entity is None:
        entities = sources.entities(source.path)
        if len(entities) > 1:
            return SegmentChecked(entities=[(item.entity, item.segment) for item in entities])
    known = sources.name_of(source.path, source.entity)
    if known is not None:
        return SegmentChecked(known=known)
    look = sources.check(source, rows=call.rows)
    segment = look.segment
    return SegmentChecked(
        look=SegmentLookView(
            format_label=segment.format_label,
            delimiter=segment.delimiter,
            encoding=segment.encoding,
            entity=segment.entity,
            columns=[column.name for column in look.columns],
            rows=[
                [None if value is None else str(value) for value in row]
                for row in look.first_rows.iter_rows()
            ],
        )
    )


HANDLERS.update(
    {
        HomeViewAsk: _home_view,
        ConnectionEdit: _connection_edit,
        ExportSave: _export_save,
        CustomFields: _custom_fields,
        ListLookup: _list_lookup,
        RunDetailAsk: _run_detail,
        RunSeen: _run_seen,
        ThemeSet: _theme_set,
        RejectedRowsAsk: _rejected_rows,
        ScheduleViewAsk: _schedule_view,
        SchedulePause: _schedule_pause,
        SegmentCheck: _segment_check,
    }
)
