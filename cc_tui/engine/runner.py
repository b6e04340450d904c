"""Run an export: resolve, classify, prepare, send, confirm, account; resumable at any point.

:class:`ExportRunner` takes the export's lock, asks the account what it can tell before
any segment is read (:mod:`~cc_tui.engine.preflight`), resolves the run and opens (or resumes) the
run record; :class:`~cc_tui.engine.execution.RunExecution` then does the work: Polars in worker
threads, HTTP on the event loop, progress snapshots about ten times a second. The run record and
every batch checkpoint live in history.sqlite3.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import replace
from datetime import UTC, datetime

import httpx

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.engine.execution import RunExecution
from cc_tui.engine.follow_up import RunFollowUp
from cc_tui.engine.locks import ExportLock
from cc_tui.engine.preflight import AccountFacts, check_account, require_signed_in
from cc_tui.engine.progress import EventObserver, RunObserver
from cc_tui.engine.resolution import ResolvedRun, changed_inputs, resolve_export, resolve_run
from cc_tui.engine.run_audit import RunAudit
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.segments.copies import copies_held
from cc_tui.engine.services import Services
from cc_tui.errors import CcTuiError, ResumeRefusedError
from cc_tui.models.batch import BatchRecord
from cc_tui.models.config import Export
from cc_tui.models.connection import Connection
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.run_history import RunHistory
from cc_tui.store.verifications import VerificationStore

__all__ = ["ExportRunner"]


class ExportRunner:
    """Runs exports over one set of services."""

    def __init__(
        self, services: Services, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.services = services
        self.history = RunHistory(services.history)
        self._transport = transport
        self.ended_by: CcTuiError | None = None
        """The error that ended the last run this runner returned (None: it ended by itself).
        A failed run's exit code is that error's, as if it had been found before the run."""

    async def run(
        self,
        export_name: str,
        options: RunOptions = RunOptions(),
        *,
        on_progress: RunObserver | None = None,
        on_event: EventObserver | None = None,
    ) -> RunRecord:
        """Run (or resume) ``export_name`` and return its final record.

        Raises for problems found before the run starts (unknown export, a run already active,
        the account preflight of a real run: not signed in, unknown or deleted list, unknown
        custom field, a missing scope; then a missing segment, a bad mapping, inputs changed
        since an interrupted run). Once the run exists, problems end it as ``failed`` (a retry
        cannot fix them) or ``interrupted`` (it can) in the returned record.
        Cancelling the awaiting task stops it at a batch boundary as ``interrupted``.
        """
        services = self.services
        audit = RunAudit(services.history, export_name, services.os_user, dry_run=options.dry_run)
        try:
            record = await self._run(export_name, options, audit, on_progress, on_event)
        except asyncio.CancelledError:
            if audit.run is not None:
                audit.cancelled(self.history.get(audit.run.run_id))
            else:
                audit.not_started(asyncio.CancelledError(), hidden=None)
            raise
        except BaseException as exc:
            if audit.run is None:
                audit.not_started(exc, hidden=self._hidden_reason(export_name))
            raise
        audit.finished(record)
        return record

    async def _run(
        self,
        export_name: str,
        options: RunOptions,
        audit: RunAudit,
        on_progress: RunObserver | None,
        on_event: EventObserver | None,
    ) -> RunRecord:
        services = self.services
        config = services.config.load()
        export, connection = resolve_export(
            config, export_name, services.connections, dry_run=options.dry_run
        )
        lock = ExportLock(services.paths.locks_dir, export_name)
        if not options.dry_run:
            lock.acquire()
        try:
            # The account first: a problem it shows is one no retry fixes, so it is found
            # before any segment is read and before a run record exists (see preflight).
            account = (
                None
                if connection is None or options.dry_run
                else await self._preflight(export, connection)
            )
            resolved = await asyncio.to_thread(
                resolve_run,
                config,
                export_name,
                services.connections,
                dry_run=options.dry_run,
                cap=options.cap,
                account=account,
            )
            # Decompressed copies of the segments are removed once the run ends.
            with copies_held(resolved.segments):
                run, checkpoints = self._open_run(resolved, options, audit)
                follow_up = RunFollowUp(
                    config,
                    resolved,
                    self.history,
                    VerificationStore(services.history),
                    self._client,
                    transport=self._transport,
                )
                await follow_up.before(run)
                execution = RunExecution(
                    resolved,
                    run,
                    history=self.history,
                    files=services.paths.run_paths(run.run_id),
                    open_client=self._client,
                    checkpoints=checkpoints,
                    options=options,
                    on_progress=on_progress,
                    on_event=on_event,
                )
                execution.on_batch = follow_up.keeper.add
                record = await execution.execute()
                self.ended_by = execution.ended_by
                # Verify and notify: never a change to the run's status or exit code.
                return await follow_up.after(record, execution.tracker)
        finally:
            lock.release()

    def _hidden_reason(self, export_name: str) -> str | None:
        """Why the user's role hides ``export_name``'s connection, if it does (for the log)."""
        with contextlib.suppress(CcTuiError):
            export = self.services.config.load().exports.get(export_name)
            if export is not None:
                return self.services.connections.hidden_reason(export.connection)
        return None

    def _open_run(
        self, resolved: ResolvedRun, options: RunOptions, audit: RunAudit
    ) -> tuple[RunRecord, dict[int, BatchRecord]]:
        previous = None if options.dry_run else self.history.resumable(resolved.export.name)
        if previous is not None and not options.restart:
            changes = changed_inputs(self.history.inputs(previous.run_id), resolved.inputs)
            if changes:
                raise ResumeRefusedError(
                    f"Run {previous.run_id} of '{resolved.export.name}' was interrupted, but since "
                    f"then {'; '.join(changes)}. It cannot resume safely: "
                    f"{options.steps.start_over} (contacts already sent stay in Constant "
                    "Contact)."
                )
            run = replace(
                previous,
                status=RunStatus.RUNNING,
                attempts=previous.attempts + 1,
                finished_at=None,
                error=None,
                active_s=_active_before(previous),
                attempt_started_at=datetime.now(UTC),
            )
            self.history.update(run)
            audit.started(run, resumed=True)
            return run, self.history.batches(run.run_id)
        started = datetime.now(UTC)
        run = RunRecord(
            run_id=f"{started:%Y%m%dT%H%M%SZ}-{resolved.export.name}-{secrets.token_hex(3)}",
            export=resolved.export.name,
            connection=resolved.export.connection,
            status=RunStatus.RUNNING,
            dry_run=options.dry_run,
            os_user=self.services.os_user,
            started_at=started,
            active_s=0.0,
            attempt_started_at=started,
        )
        rejected_rows = self.services.paths.run_paths(run.run_id).rejected_rows
        run = replace(run, rejected_rows_file=str(rejected_rows))
        abandoned = (
            None
            if previous is None
            else replace(
                previous,
                status=RunStatus.FAILED,
                finished_at=started,
                error=f"abandoned: restarted as run {run.run_id}",
            )
        )
        self.history.create(
            run,
            inputs=resolved.inputs,
            plan={"fields": [f.field for f in resolved.fields]},
            abandoned=abandoned,
        )
        audit.started(run, resumed=False, replaced=previous.run_id if previous else None)
        return run, {}

    def _client(self, connection: Connection) -> ConstantContactClient:
        return ConstantContactClient(
            connection,
            self.services.secrets.for_connection(connection.name),
            transport=self._transport,
        )

    async def _preflight(self, export: Export, connection: Connection) -> AccountFacts:
        """Signed in, lists and custom fields known to the account; raises otherwise."""
        tokens = require_signed_in(self.services.secrets, connection.name)
        async with self._client(connection) as client:
            return await check_account(client, export, granted_scope=tokens.scope)


def _active_before(previous: RunRecord) -> float | None:
    """Seconds the earlier attempts of a run being resumed were at work.

    An attempt that ended (interrupted) added its time when it ended; one that was killed
    (still ``running``) worked until its last save of the record, a second at most before it
    died. None when the run was recorded before active time was kept.
    """
    if previous.active_s is None:
        return None
    killed = previous.status is RunStatus.RUNNING
    if killed and previous.attempt_started_at is not None and previous.updated_at is not None:
        worked = (previous.updated_at - previous.attempt_started_at).total_seconds()
        return previous.active_s + max(0.0, worked)
    return previous.active_s
