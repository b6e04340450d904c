"""The app's way to its home: one coroutine per call, carried out by the cc-tui service.

The app keeps no store open and never reads secrets.toml or writes config.toml: every list it
shows and every change it makes is a call the service carries out as the app's OS user (named by
the kernel), with the engine's role checks and audit records, exactly as for the command line
(:func:`cc_tui.service.client.call`). Results come back as the engine's own types, decoded with
msgspec. Everything here is a coroutine on the caller's loop (the socket is asyncio's; connecting,
and starting the service when none answers, happen on a thread), so a face's event loop never
waits on it.

It lives beside the command line's client, not under ``ui/``: it is a client of the protocol and
imports nothing from Textual, so any asyncio face (or test) can use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import msgspec

from cc_tui.models.config import Export, SegmentSource
from cc_tui.models.connection import Connection, ConnectionStatus, UsableBy
from cc_tui.models.run import RunRecord
from cc_tui.service.client import ServiceUnavailableError, take_answer
from cc_tui.service.protocol import (
    Answer,
    AuditList,
    AuditVerify,
    Call,
    ConnectionAdd,
    ConnectionConsent,
    ConnectionEdit,
    ConnectionLogin,
    ConnectionRemovable,
    ConnectionRemove,
    ConnectionShow,
    ConnectionTest,
    ContactLists,
    CustomFields,
    ExportPlanShow,
    ExportRemove,
    ExportSave,
    ExportShow,
    HistoryList,
    HomeView,
    HomeViewAsk,
    ListFound,
    ListLookup,
    RejectedRowsAsk,
    RunDetail,
    RunDetailAsk,
    RunSeen,
    SchedulePause,
    ScheduleView,
    ScheduleViewAsk,
    SegmentAdd,
    SegmentCheck,
    SegmentChecked,
    SegmentList,
    SegmentPreview,
    SegmentShow,
    SignInCode,
    SignInWaiting,
    ThemeSet,
)

if TYPE_CHECKING:
    from cc_tui.constant_contact.schemas import ContactList
    from cc_tui.engine.connections import ConnectionCheck
    from cc_tui.engine.plan import ExportPlan
    from cc_tui.service.async_client import ServiceLink
    from cc_tui.service.rejected_pages import RejectedPage
    from cc_tui.service.segment_views import SegmentShown, SegmentsListed
    from cc_tui.store.audit import AuditEvent, AuditVerification

__all__ = ["HomeClient"]

_R = TypeVar("_R")


class HomeClient:
    """The home as the app reaches it: through its service, as the app's OS user."""

    def __init__(self, link: ServiceLink) -> None:
        self.link = link
        """Where the service listens (runs are streamed over it too)."""

    async def call(
        self,
        intent: Call,
        result: type[_R],
        *,
        on_message: Callable[[Answer], None] | None = None,
    ) -> _R:
        """Ask the service to carry out ``intent``; its result as ``result``.

        Messages that come before the result (a sign-in's code and wait) go to ``on_message``;
        an ``error`` answer raises :class:`RemoteError` with the service's message, exit code
        and kind. Cancelling the coroutine hangs up, which cancels the call in the service.
        """
        stream = await self.link.open()
        try:
            await stream.send(intent)
            while (answer := await stream.next()) is not None:
                done = take_answer(answer, result, on_message)
                if done is not None:
                    return done.value
        finally:
            await stream.close()
        raise ServiceUnavailableError("The cc-tui service hung up without answering.")

    # -- what the app shows ------------------------------------------------------------------

    async def view(self, *, runs: int = 200) -> HomeView:
        """The connections, exports and newest runs this user may see, and the app settings."""
        return await self.call(HomeViewAsk(runs=runs), HomeView)

    async def runs(self, *, export: str | None = None, limit: int = 20) -> list[RunRecord]:
        """The newest runs (of ``export``) this user may see, newest first."""
        return await self.call(HistoryList(export=export, limit=limit), list[RunRecord])

    async def run_detail(self, run_id: str) -> RunDetail:
        """One run, its batches, and whether it is its export's resumable run."""
        return await self.call(RunDetailAsk(run_id=run_id), RunDetail)

    async def rejected_rows(
        self, run_id: str, *, reason: str, limit: int, counts: bool
    ) -> RejectedPage:
        """The first ``limit`` rejected rows of ``reason`` of a run (the service reads its
        file), and how many rows each reason has when ``counts``."""
        from cc_tui.service.rejected_pages import RejectedPage

        intent = RejectedRowsAsk(run_id=run_id, reason=reason, limit=limit, counts=counts)
        return await self.call(intent, RejectedPage)

    async def mark_seen(self, run_id: str, *, seen: bool = True) -> bool:
        """Mark a run's summary as seen (or not yet); True when the mark changed."""
        return await self.call(RunSeen(run_id=run_id, seen=seen), bool)

    async def set_theme(self, theme: str) -> None:
        """Remember ``theme`` in config.toml (administrators)."""
        await self.call(ThemeSet(theme=theme), type(None))

    # -- connections -------------------------------------------------------------------------

    async def connection(self, name: str) -> ConnectionStatus:
        """One connection this user may see, and whether it is signed in."""
        return await self.call(ConnectionShow(name=name), ConnectionStatus)

    async def add_connection(
        self,
        name: str,
        *,
        client_id: str,
        display_name: str | None,
        usable_by: UsableBy,
        api_base_url: str,
        auth_base_url: str,
        accept_privacy: bool,
    ) -> Connection:
        """Add a connection (administrators)."""
        intent = ConnectionAdd(
            name=name,
            client_id=client_id,
            display_name=display_name,
            usable_by=usable_by,
            api_base_url=api_base_url,
            auth_base_url=auth_base_url,
            accept_privacy=accept_privacy,
        )
        return await self.call(intent, Connection)

    async def edit_connection(self, name: str, changes: ConnectionEdit) -> Connection:
        """Apply ``changes`` (the fields set in it) to connection ``name``."""
        return await self.call(msgspec.structs.replace(changes, name=name), Connection)

    async def accept_privacy(self, name: str) -> Connection:
        """Record this user's acceptance of the privacy statement for ``name``."""
        return await self.call(ConnectionConsent(name=name), Connection)

    async def sign_in(
        self,
        name: str,
        *,
        on_code: Callable[[SignInCode], None],
        on_status: Callable[[SignInWaiting], None],
    ) -> ConnectionStatus:
        """Sign ``name`` in by the device flow the service runs; the code and each poll of the
        wait for approval come to ``on_code`` and ``on_status`` as they happen."""

        def shown(message: Answer) -> None:
            if isinstance(message, SignInCode):
                on_code(message)
            elif isinstance(message, SignInWaiting):
                on_status(message)

        return await self.call(ConnectionLogin(name=name), ConnectionStatus, on_message=shown)

    async def test_connection(self, name: str) -> ConnectionCheck:
        """Reach the account through ``name``."""
        from cc_tui.engine.connections import ConnectionCheck

        return await self.call(ConnectionTest(name=name), ConnectionCheck)

    async def check_removable(self, name: str) -> None:
        """Raise why ``name`` may not be removed by this user (a refusal is audited)."""
        await self.call(ConnectionRemovable(name=name), type(None))

    async def remove_connection(self, name: str, *, detach_exports: bool) -> list[str]:
        """Remove ``name`` and its tokens; the exports detached from it."""
        intent = ConnectionRemove(name=name, detach_exports=detach_exports)
        return await self.call(intent, list[str])

    async def contact_lists(self, connection: str) -> list[ContactList]:
        """The contact lists of ``connection``'s account."""
        from cc_tui.constant_contact.schemas import ContactList

        return await self.call(ContactLists(connection=connection), list[ContactList])

    async def custom_fields(self, connection: str) -> frozenset[str]:
        """The names (without ``cf:``) of ``connection``'s account's custom fields."""
        return frozenset(await self.call(CustomFields(connection=connection), list[str]))

    async def find_list(self, connection: str, list_id: str) -> ListFound:
        """The list ``list_id`` of the account, why it cannot be used, or that none could say."""
        return await self.call(ListLookup(connection=connection, list_id=list_id), ListFound)

    # -- exports -----------------------------------------------------------------------------

    async def export(self, name: str) -> Export:
        """The export ``name``, if this user may see it."""
        return await self.call(ExportShow(name=name), Export)

    async def save_export(self, export: Export, *, replace: bool) -> None:
        """Check and save ``export`` (``replace``: it may overwrite one of its name)."""
        await self.call(ExportSave(export=export, replace=replace), type(None))

    async def plan(self, export: str, *, count: bool = True) -> ExportPlan:
        """The forecast of one run of ``export`` against today's quota (``count``: classify
        every row's e-mail when the inputs changed; else rows only, an upper bound)."""
        from cc_tui.engine.plan import ExportPlan

        return await self.call(ExportPlanShow(export=export, count=count), ExportPlan)

    async def remove_export(self, name: str) -> None:
        """Remove the export ``name`` (its run history stays)."""
        await self.call(ExportRemove(name=name), type(None))

    # -- schedules ---------------------------------------------------------------------------

    async def schedules(self) -> ScheduleView:
        """Exports this user may see, their pause marks, last runs and missed times."""
        return await self.call(ScheduleViewAsk(), ScheduleView)

    async def set_paused(self, export: str, *, paused: bool) -> None:
        """Pause (or resume) ``export``'s schedule (audited)."""
        await self.call(SchedulePause(export=export, paused=paused), type(None))

    # -- the audit log -----------------------------------------------------------------------

    async def audit(self, *, limit: int) -> list[AuditEvent]:
        """The newest audit entries, newest first (administrators)."""
        from cc_tui.store.audit import AuditEvent

        return await self.call(AuditList(limit=limit), list[AuditEvent])

    async def verify_audit(self) -> AuditVerification:
        """Walk the audit log's hash chain (administrators)."""
        from cc_tui.store.audit import AuditVerification

        return await self.call(AuditVerify(), AuditVerification)

    # -- segments ----------------------------------------------------------------------------

    async def segments(self) -> SegmentsListed:
        """Every segment this user may see, with its row count."""
        from cc_tui.service.segment_views import SegmentsListed

        return await self.call(SegmentList(), SegmentsListed)

    async def check_segment(self, source: SegmentSource, *, rows: int) -> SegmentChecked:
        """What the entry ``source`` would read (its path absolute), before it is added."""
        intent = SegmentCheck(
            name=source.name,
            path=str(source.path),
            header=source.header,
            columns=None if source.columns is None else list(source.columns),
            entity=source.entity,
            rows=rows,
        )
        return await self.call(intent, SegmentChecked)

    async def add_segment(self, source: SegmentSource) -> None:
        """Check the entry ``source`` (its path absolute) and write ``[segments.NAME]``."""
        intent = SegmentAdd(
            name=source.name,
            path=str(source.path),
            format=source.format,
            encoding=source.encoding,
            delimiter=source.delimiter,
            quote=source.quote,
            header=source.header,
            columns=None if source.columns is None else list(source.columns),
            entity=source.entity,
            snapshot=source.snapshot,
        )
        await self.call(intent, SegmentPreview)

    async def segment(self, name: str, *, rows: int) -> SegmentShown:
        """One segment's columns, row count and first ``rows`` rows (the service reads them)."""
        from cc_tui.service.segment_views import SegmentShown

        return await self.call(SegmentShow(name=name, rows=rows), SegmentShown)
