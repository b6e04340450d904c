"""The service's Unix socket server: one home, its runs, its scheduler, its clients.

:class:`ServiceServer` holds ``service.lock`` for its whole life (one service per home),
listens on the home's socket (0600 in a 0700 folder; ``shared``: 0666, for a team's service
account, where roles decide what each user may do), answers intents, streams runs to the
clients that watch them, and keeps the home's schedules
(:mod:`~cc_tui.service.scheduling`). Each client is named by the kernel
(:func:`~cc_tui.service.identity.peer_of`), and every run it starts runs as that OS user.

Stopping (``service.stop``, SIGTERM, SIGINT) stops every run at its next batch boundary
(resumable: its record says ``interrupted``), tells the clients watching, closes them, and
removes the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from cc_tui.engine.locks import PidLock
from cc_tui.errors import EXIT_USAGE, AccessDeniedError, CcTuiError, RunError
from cc_tui.models.config import AppConfig, Role
from cc_tui.models.connection import UsableBy
from cc_tui.paths import AppPaths
from cc_tui.service.calls.caller import Caller, Handler, unreadable_segment
from cc_tui.service.calls.dispatch import handler_for
from cc_tui.service.failure_kinds import failure_of
from cc_tui.service.frames import HEADER_SIZE, ProtocolError, encode, encode_value, frame_length
from cc_tui.service.identity import Peer, own_peer, peer_of
from cc_tui.service.locate import ServiceFiles
from cc_tui.service.protocol import (
    Done,
    Failure,
    FailureKind,
    Intent,
    Returned,
    RunAttach,
    RunCancel,
    RunEnded,
    RunInfo,
    RunsList,
    RunsListed,
    RunStart,
    ServiceState,
    ServiceStatus,
    ServiceStop,
    decode_intent,
)
from cc_tui.service.scheduling import ScheduledRuns
from cc_tui.service.supervisor import ManagedRun, Supervisor
from cc_tui.store.audit import AuditOutcome

if TYPE_CHECKING:
    import httpx

    from cc_tui.engine.run_options import RunOptions
    from cc_tui.engine.services import Services
    from cc_tui.service.protocol import Answer

__all__ = [
    "FIRST_INTENT_TIMEOUT",
    "SHARED_SOCKET_MODE",
    "SOCKET_MODE",
    "ServiceAlreadyRunningError",
    "ServiceServer",
    "ServiceThread",
    "serve_until_signalled",
]

SOCKET_MODE = 0o600  # single user: only the owner may connect
SHARED_SOCKET_MODE = 0o666  # a team's service: every local user may connect; roles decide
FIRST_INTENT_TIMEOUT = 30.0  # seconds a new client has to send its intent
_CLOSE_GRACE = 10.0  # seconds clients are given to read a stopped run's record
_THREAD_START_TIMEOUT = 60.0  # seconds an in-process service may take to listen
_log = logging.getLogger(__name__)
_Writer = asyncio.StreamWriter


class ServiceAlreadyRunningError(RunError):
    """Another service owns this home already."""

    exit_code = EXIT_USAGE


class ServiceServer:
    """The service of one home."""

    def __init__(
        self,
        paths: AppPaths,
        files: ServiceFiles,
        *,
        shared: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        schedule: bool = True,
        run_options: RunOptions | None = None,
    ) -> None:
        """``run_options``: what every run starts from (batch sizes, timing; tests make them
        small and brisk); a client's intent sets only whether it is a dry run or a restart."""
        self.paths = paths
        self.files = files
        self.shared = shared
        self.supervisor = Supervisor(paths, transport=transport)
        self._transport = transport
        self._schedule = schedule
        self._run_options = run_options
        self._started_at = datetime.now(UTC)
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._stop: asyncio.Event | None = None
        self._lock = PidLock(self.files.lock)
        self._owner = own_peer()
        self._scheduled = ScheduledRuns(
            paths, self.supervisor, user=self._owner.user, run_options=run_options
        )
        self.listening = threading.Event()
        """Set once the socket accepts clients (cleared again when the service stops)."""

    # -- life ---------------------------------------------------------------------------------

    async def serve(self, stop: asyncio.Event) -> None:
        """Listen until ``stop`` is set (or a client asks the service to stop), then wind down."""
        self._stop = stop
        self.paths.ensure()
        self._take_lock()
        server: asyncio.Server | None = None
        scheduling: asyncio.Task[None] | None = None
        try:
            _clear_stale_socket(self.files)
            self.files.socket.parent.mkdir(parents=True, exist_ok=True)
            server = await asyncio.start_unix_server(self._serve_client, path=self.files.socket)
            self.files.socket.chmod(SHARED_SOCKET_MODE if self.shared else SOCKET_MODE)
            _log.info("service of %s listening on %s", self.paths.config_dir, self.files.socket)
            self.listening.set()
            if self._schedule:
                scheduling = asyncio.create_task(self._scheduled.serve(stop), name="scheduler")
            await stop.wait()
        finally:
            self.listening.clear()
            _log.info("service stopping: runs stop resumable")
            if server is not None:
                server.close()  # no new clients
            if scheduling is not None:
                await scheduling
            await self.supervisor.stop_all()
            # Clients watching a run are sent its interrupted record before they are closed.
            if self._handlers:
                await asyncio.wait(self._handlers, timeout=_CLOSE_GRACE)
            for writer in list(self._writers):
                writer.close()
            if server is not None:
                await server.wait_closed()
            with contextlib.suppress(FileNotFoundError):
                self.files.socket.unlink()
            self._release_lock()
            _log.info("service stopped")

    def _take_lock(self) -> None:
        holder = self._lock.try_acquire()
        if holder is not None:
            raise ServiceAlreadyRunningError(
                f"A cc-tui service already owns {self.paths.config_dir} (process {holder}); "
                "see cc-tui service status."
            )

    def _release_lock(self) -> None:
        self._lock.release()

    # -- clients ------------------------------------------------------------------------------

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
        self._writers.add(writer)
        try:
            peer = peer_of(writer.get_extra_info("socket"))
            # A client that connects and says nothing does not hold a connection for ever.
            intent = await asyncio.wait_for(_read_intent(reader), FIRST_INTENT_TIMEOUT)
            if intent is not None:
                await self._answer(intent, peer, reader, writer)
        except ProtocolError as exc:
            # A message the service cannot read is the asker's to fix, as a bad command line is.
            failure = Failure(message=str(exc), exit_code=EXIT_USAGE, kind=FailureKind.PROTOCOL)
            await _send(writer, failure)
        except CcTuiError as exc:
            await _send(writer, failure_of(exc))
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass  # the client went away (or never spoke); its run (if any) goes on
        except Exception as exc:  # one client's bad luck must not stop the service
            _log.exception("while serving a client")
            with contextlib.suppress(ConnectionError):
                await _send(writer, Failure(message=f"service error: {exc!r}", exit_code=1))
        finally:
            if handler is not None:
                self._handlers.discard(handler)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(
        self,
        intent: Intent,
        peer: Peer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        handler = handler_for(intent)
        if handler is not None:
            await self._call(handler, intent, peer, reader, writer)
        elif isinstance(intent, RunStart):
            await asyncio.to_thread(self._check_start, intent, peer)
            run = self._start(intent, peer)
            await self._stream(run, peer, reader, writer)
        elif isinstance(intent, RunAttach):
            await self._stream(self._visible_run(intent.export, peer), peer, reader, writer)
        elif isinstance(intent, RunCancel):
            await _send(writer, self._cancel(intent.export, peer))
        elif isinstance(intent, RunsList):
            await _send(writer, RunsListed(runs=self._visible_runs(peer)))
        elif isinstance(intent, ServiceStatus):
            await _send(writer, self._state(peer))
        elif isinstance(intent, ServiceStop):
            self._require_operator(peer, "stop the service")
            await _send(
                writer, Done(message="The service is stopping; running runs stop resumable.")
            )
            assert self._stop is not None
            self._stop.set()

    def _check_start(self, intent: RunStart, peer: Peer) -> None:
        """Before a run starts (or resumes) for ``peer``: refuse it when they could not read
        one of its local segments themselves, or (a real run not allowed to spill) when it
        would not fit today's API quota (its plan).

        The run reads its segments with the service's rights, which its starter may not have:
        a path checked when it was added may have been closed since, or was added by someone
        else. The service's own user, root and administrators are not checked (administrators
        set the segments up). The refusal (exit 2) is audited as ``run.start``. An export
        hidden from ``peer`` is left to the runner, which says "no export" and audits it.
        """
        from cc_tui.engine.plan import refuse_over_quota
        from cc_tui.engine.services import Services

        services = Services.open(self.paths, os_user=peer.user)
        try:
            trusted = peer.uid in (0, self._owner.uid)
            if not trusted and services.connections.role() is not Role.ADMIN:
                self._refuse_unreadable(services, intent.export, peer)
            if not (intent.dry_run or intent.allow_quota_spill):
                refuse_over_quota(services, intent.export)
        finally:
            services.close()

    def _refuse_unreadable(self, services: Services, name: str, peer: Peer) -> None:
        export = next((e for e in services.exports.visible() if e.name == name), None)
        if export is None:
            return
        reason = unreadable_segment(services, peer, export, self._private)
        if reason is None:
            return
        services.history.record_event(
            "run.start", name, peer.user, {"reason": reason}, outcome=AuditOutcome.REFUSED
        )
        raise AccessDeniedError(reason)

    async def _call(
        self,
        handler: Handler,
        intent: Intent,
        peer: Peer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Carry out one of the home's commands as ``peer``; its result or error is the answer.

        The engine's services are opened for the kernel's name of the client, so its role
        checks and audit records name that user. The call runs on a worker thread with a loop
        of its own: checking a large segment or waiting for a sign-in never holds up the runs
        and the other clients. A client that hangs up cancels the call (a sign-in stops
        waiting for approval).
        """
        _log.info("%s (uid %d) asks %s", peer.user, peer.uid, type(intent).__name__)
        call = _ThreadedCall(self._caller_factory(peer, writer), handler, intent)
        work = asyncio.ensure_future(asyncio.to_thread(call.run))
        hangup = asyncio.ensure_future(reader.read())  # the client says nothing more: EOF
        try:
            done, _ = await asyncio.wait({work, hangup}, return_when=asyncio.FIRST_COMPLETED)
            if work not in done:
                call.cancel()
                with contextlib.suppress(asyncio.CancelledError, CcTuiError):
                    await work
                return
            value = work.result()  # the engine's error, if any, is sent as ``error``
            await _send(writer, Returned(value=msgspec.Raw(encode_value(value))))
        finally:
            hangup.cancel()

    def _caller_factory(self, peer: Peer, writer: asyncio.StreamWriter) -> _CallerFactory:
        loop = asyncio.get_running_loop()

        def emit(message: Answer) -> None:
            # From the call's thread: the writer belongs to the service's loop.
            loop.call_soon_threadsafe(writer.write, encode(message))

        def make() -> tuple[Caller, Services]:
            from cc_tui.engine.services import Services

            services = Services.open(self.paths, os_user=peer.user, transport=self._transport)
            caller = Caller(
                peer=peer,
                services=services,
                emit=emit,
                trusted=peer.uid in (0, self._owner.uid),
                private=self._private,
            )
            return caller, services

        return make

    def _start(self, intent: RunStart, peer: Peer) -> ManagedRun:
        from cc_tui.engine.run_options import RunOptions

        options = replace(
            self._run_options or RunOptions(), dry_run=intent.dry_run, restart=intent.restart
        )
        if intent.steps is not None:  # messages in the words of the face that started it
            options = replace(options, steps=intent.steps)
        if intent.activity_deadline is not None:
            # That one clock: the service's other timing (polls, the lost-import search) stays.
            timing = replace(options.timing, activity_deadline=intent.activity_deadline)
            options = replace(options, timing=timing)
        _log.info("%s (uid %d) starts %s", peer.user, peer.uid, intent.export)
        return self.supervisor.start(
            intent.export,
            options,
            peer.user,
            connection=self._connection_of(self._config(), intent.export),
        )

    async def _stream(
        self,
        run: ManagedRun,
        peer: Peer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Send ``run``'s messages until it ends or the client goes (the run goes on)."""
        sub = run.subscribe()
        following = asyncio.create_task(self._follow(run, peer, reader, writer))
        try:
            while True:
                getting = asyncio.create_task(sub.queue.get())
                done, _ = await asyncio.wait(
                    {getting, following}, return_when=asyncio.FIRST_COMPLETED
                )
                if getting not in done:
                    getting.cancel()
                    return  # the client hung up
                message = getting.result()
                await _send(writer, message)
                if isinstance(message, RunEnded | Failure):
                    return
        finally:
            run.unsubscribe(sub)
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, CcTuiError):
                await following

    async def _follow(
        self,
        run: ManagedRun,
        peer: Peer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Intents a watching client sends (a cancel), until it hangs up."""
        while (intent := await _read_intent(reader)) is not None:
            if isinstance(intent, RunCancel) and intent.export == run.export:
                self._cancel(run.export, peer)

    def _cancel(self, export: str, peer: Peer) -> Done:
        run = self._visible_run(export, peer)
        if run.started_by != peer.user:
            self._require_operator(peer, f"cancel a run {run.started_by} started")
        if not self.supervisor.cancel(export):
            raise RunError(f"No run of '{export}' is going now.")
        _log.info("%s (uid %d) cancels %s", peer.user, peer.uid, export)
        return Done(message=f"The run of {export} stops at its next batch boundary (resumable).")

    # -- who sees what ------------------------------------------------------------------------

    @property
    def _private(self) -> tuple[Path, ...]:
        """The home's folders: no client names a file in them."""
        return (self.paths.config_dir, self.paths.data_dir, self.paths.state_dir)

    def _config(self) -> AppConfig:
        from cc_tui.store.config import ConfigStore

        return ConfigStore(self.paths.config_file).load()

    @staticmethod
    def _connection_of(config: AppConfig, export: str) -> str | None:
        found = config.exports.get(export)
        return found.connection if found is not None else None

    def _may_see(self, config: AppConfig, peer: Peer, run: ManagedRun) -> bool:
        """Admins see every run; contributors those whose connection is shared with them."""
        return self._may_use(config, peer, run.connection)

    def _may_use(self, config: AppConfig, peer: Peer, connection_name: str | None) -> bool:
        """Whether ``peer`` sees what goes through ``connection_name`` (its runs, its
        exports' triggers): the service's own user, root and admins always; contributors when
        it is shared with them."""
        if peer.uid in (0, self._owner.uid):
            return True
        role = config.roles.role_of(peer.user)
        if role is Role.ADMIN:
            return True
        if role is not Role.CONTRIBUTOR or connection_name is None:
            return False
        connection = config.connections.get(connection_name)
        return connection is not None and connection.usable_by is UsableBy.CONTRIBUTORS

    def _visible_runs(self, peer: Peer) -> list[RunInfo]:
        config = self._config()
        return [run.info() for run in self.supervisor.active() if self._may_see(config, peer, run)]

    def _visible_run(self, export: str, peer: Peer) -> ManagedRun:
        run = self.supervisor.find(export)
        if run is None or not self._may_see(self._config(), peer, run):
            raise RunError(
                f"No run of '{export}' is going in this service (and none ended since it "
                f"started): see cc-tui history --export {export}."
            )
        return run

    def _require_operator(self, peer: Peer, doing: str) -> None:
        """The service's own user, root and administrators may; nobody else."""
        if peer.uid in (0, self._owner.uid):
            return
        if self._config().roles.role_of(peer.user) is Role.ADMIN:
            return
        raise AccessDeniedError(f"Only administrators may {doing}; '{peer.user}' is not one.")

    def _state(self, peer: Peer) -> ServiceState:
        config = self._config()
        exports = config.exports

        def seen(name: str) -> bool:
            export = exports.get(name)
            return export is not None and self._may_use(config, peer, export.connection)

        next_runs = self._scheduled.next_runs()
        return ServiceState(
            pid=os.getpid(),
            user=self._owner.user,
            you=peer.user,
            started_at=self._started_at,
            home=str(self.paths.config_dir),
            socket=str(self.files.socket),
            shared=self.shared,
            clients=len(self._writers),
            runs=self._visible_runs(peer),
            scheduled={name: due for name, due in next_runs.items() if seen(name)},
            on_refresh={
                name: export.quiet_seconds
                for name, export in sorted(exports.items())
                if export.on_refresh and export.enabled and export.connection and seen(name)
            },
        )


async def _read_intent(reader: asyncio.StreamReader) -> Intent | None:
    """The next intent, or None when the client hung up between messages."""
    try:
        header = await reader.readexactly(HEADER_SIZE)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise ProtocolError("A client hung up in the middle of a message.") from None
        return None
    body = await reader.readexactly(frame_length(header))
    return decode_intent(body)


async def _send(writer: asyncio.StreamWriter, message: object) -> None:
    writer.write(encode(message))  # type: ignore[arg-type]
    await writer.drain()


_CallerFactory = Callable[[], "tuple[Caller, Services]"]


class _ThreadedCall:
    """One call run by :func:`asyncio.to_thread` in a loop of its own; cancellable from the
    service's loop."""

    def __init__(self, make: _CallerFactory, handler: Handler, intent: Intent) -> None:
        self._make = make
        self._handler = handler
        self._intent = intent
        self._guard = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[object] | None = None
        self._cancelled = False

    def run(self) -> object:
        """The handler's result (on the worker thread)."""
        return asyncio.run(self._main())

    async def _main(self) -> object:
        with self._guard:
            if self._cancelled:  # the client left before the call began
                raise asyncio.CancelledError
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
        caller, services = self._make()
        try:
            return await self._handler(caller, self._intent)
        finally:
            services.close()

    def cancel(self) -> None:
        """Stop the call at its next await (from the service's loop)."""
        with self._guard:
            self._cancelled = True
            if self._loop is not None and self._task is not None:
                self._loop.call_soon_threadsafe(self._task.cancel)


def _clear_stale_socket(files: ServiceFiles) -> None:
    """Remove a socket file no service answers on (left by a killed service)."""
    path = files.socket
    if not path.exists() and not path.is_symlink():
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        path.unlink(missing_ok=True)
        return
    except OSError as exc:
        raise ServiceAlreadyRunningError(f"{path} exists and cannot be checked: {exc}") from None
    finally:
        probe.close()
    raise ServiceAlreadyRunningError(
        f"Another cc-tui service listens on {path}; stop it first (cc-tui service stop)."
    )


def serve_until_signalled(server: ServiceServer) -> int:
    """Run ``server`` in this process until SIGTERM, SIGINT or ``service.stop``; exit code 0."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await server.serve(stop)

    asyncio.run(main())
    return 0


class ServiceThread:
    """A service on a thread of this process (the demo's temporary home, tests)."""

    def __init__(self, server: ServiceServer) -> None:
        self.server = server
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="cc-tui-service", daemon=True)

    def start(self) -> ServiceThread:
        """Start it and return once it listens (or raise what stopped it)."""
        self._thread.start()
        while not self.server.listening.wait(0.05):
            if self._error is not None or not self._thread.is_alive():
                break
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        """Stop it as SIGTERM would, and wait until it is down."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(_THREAD_START_TIMEOUT)

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await self.server.serve(self._stop)

        try:
            asyncio.run(main())
        except BaseException as exc:
            self._error = exc
            _log.exception("in-process service stopped")
