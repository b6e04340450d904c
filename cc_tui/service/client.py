"""The faces' side of the socket: send an intent, read answers; start the service if needed.

:func:`connect` reaches the home's service and, when none answers on a socket cc-tui chose
itself, starts one in the background: under an ``flock`` on ``service-start.lock`` (two clients
never start two services), as ``python -m cc_tui [--home H] service start --foreground`` in a
session of its own (a closed terminal or a killed client does not stop it), its output going
to ``service.log`` (0600) in the home. A socket file nobody answers on (a service that was
killed) is removed first. A named (shared) socket is never started from a client: a team's
service is started by its administrator (systemd).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import msgspec

from cc_tui.errors import EXIT_FAILED, AccessDeniedError, CcTuiError
from cc_tui.paths import AppPaths, open_private_fd
from cc_tui.service.frames import HEADER_SIZE, ProtocolError, decode_hook, encode, frame_length
from cc_tui.service.locate import SOCKET_ENV, ServiceFiles
from cc_tui.service.protocol import (
    Answer,
    Call,
    Failure,
    FailureKind,
    Intent,
    Returned,
    RunEnded,
    decode_answer,
)

__all__ = [
    "SERVICE_START_TIMEOUT",
    "CallResult",
    "RemoteError",
    "RunStream",
    "ServiceUnavailableError",
    "call",
    "connect",
    "request",
    "service_answers",
    "spawn_service",
    "start_service",
    "take_answer",
    "wait_for_service",
]

SERVICE_START_TIMEOUT = 60.0  # seconds a starting service may take to listen (a loaded box)
_POLL = 0.05  # seconds between looks at a starting service's socket
_RECV = 65536  # bytes read from the socket at a time

_R = TypeVar("_R")

Poll = Callable[[], int | None]
"""Whether a spawned service has ended (its exit code) or not yet (None)."""


class ServiceUnavailableError(CcTuiError):
    """No service answers, and none could be started."""

    exit_code = EXIT_FAILED


class RemoteError(CcTuiError):
    """The service refused or failed an intent; carries the exit code and kind it gave."""

    def __init__(self, message: str, exit_code: int, kind: FailureKind = FailureKind.ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.kind = kind
        """What sort of refusal it is (a face places it by this, never by its words)."""

    @classmethod
    def of(cls, failure: Failure) -> RemoteError:
        """The error for the service's ``error`` answer (a kind this cc-tui does not know, or
        none from an older service, reads as :attr:`FailureKind.ERROR`)."""
        return cls(failure.message, failure.exit_code, FailureKind.read(failure.kind))


def _dial(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except BaseException:
        sock.close()
        raise
    return sock


def service_answers(files: ServiceFiles) -> bool:
    """True when a service accepts connections on ``files.socket``."""
    try:
        _dial(files.socket).close()
    except OSError:
        return False
    return True


def connect(paths: AppPaths, files: ServiceFiles, *, autostart: bool = True) -> socket.socket:
    """A connection to the home's service, starting it first if none answers."""
    try:
        return _dial(files.socket)
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        if not autostart or files.shared_socket:
            raise ServiceUnavailableError(
                f"No cc-tui service answers on {files.socket} ({exc.strerror}). "
                + (
                    "Ask its administrator to start it (systemctl start cc-tui), or unset "
                    f"{SOCKET_ENV} to use a service of your own."
                    if files.shared_socket
                    else "Start it: cc-tui service start"
                )
            ) from None
    except PermissionError:
        raise AccessDeniedError(
            f"You may not connect to the cc-tui service on {files.socket}: it is another "
            "user's (a team's service is started with --shared)."
        ) from None
    start_service(paths, files)
    return _dial(files.socket)


def start_service(paths: AppPaths, files: ServiceFiles, *, shared: bool = False) -> bool:
    """Start the home's service in the background unless one answers; True if started here.

    Raises :class:`ServiceUnavailableError` naming the log when it does not come up.
    """
    paths.ensure()
    fd = open_private_fd(files.start_lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another client starting it: wait, then find it up
        if service_answers(files):
            return False
        with contextlib.suppress(FileNotFoundError):
            if not _service_lock_held(files):
                files.socket.unlink()  # a killed service's socket
        poll = spawn_service(paths, files, shared=shared)
        wait_for_service(files, poll)
        return True
    finally:
        os.close(fd)  # drops the flock


def spawn_service(paths: AppPaths, files: ServiceFiles, *, shared: bool = False) -> Poll:
    """Start ``cc-tui service start --foreground`` detached; its output goes to the log."""
    command = [sys.executable, "-m", "cc_tui"]
    if paths.chosen_home is not None:
        command += ["--home", str(paths.chosen_home)]
    if files.shared_socket:
        command += ["--service", str(files.socket)]
    command += ["service", "start", "--foreground"]
    if shared:
        command.append("--shared")
    log = open_private_fd(files.log, os.O_WRONLY | os.O_APPEND)
    try:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # not in the terminal's session: SIGHUP does not reach it
            close_fds=True,
        )
    finally:
        os.close(log)
    return child.poll


def wait_for_service(
    files: ServiceFiles, poll: Poll, *, timeout: float = SERVICE_START_TIMEOUT
) -> None:
    """Wait until the service answers; raise naming the log if it ends or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service_answers(files):
            return
        ended = poll()
        # A service that ended because another one owns the home: that one comes up.
        if ended is not None and not _service_lock_held(files):
            raise ServiceUnavailableError(
                f"The cc-tui service did not start (exit code {ended}); see {files.log}."
            )
        time.sleep(_POLL)
    raise ServiceUnavailableError(
        f"The cc-tui service did not answer on {files.socket} within {timeout:.0f} s; see "
        f"{files.log}."
    )


def _service_lock_held(files: ServiceFiles) -> bool:
    """True while a service process holds the home's service.lock."""
    try:
        fd = os.open(files.lock, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops a shared lock just taken
    return False


class RunStream:
    """One connection to the service: send intents, iterate over its answers."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def send(self, intent: Intent) -> None:
        """Send one intent (a ``run.cancel`` while watching a run, say).

        Raises :class:`ServiceUnavailableError` when the service is gone (killed, stopping).
        """
        try:
            self._sock.sendall(encode(intent))
        except (BrokenPipeError, ConnectionResetError):
            raise ServiceUnavailableError(
                "The cc-tui service hung up before it read the request; see cc-tui service status."
            ) from None

    def next(self) -> Answer | None:
        """The next answer; None when the service closed the connection."""
        while True:
            if len(self._buffer) >= HEADER_SIZE:
                length = frame_length(bytes(self._buffer[:HEADER_SIZE]))
                end = HEADER_SIZE + length
                if len(self._buffer) >= end:
                    body = bytes(self._buffer[HEADER_SIZE:end])
                    del self._buffer[:end]
                    return decode_answer(body)
            try:
                chunk = self._sock.recv(_RECV)
            except ConnectionResetError:
                # A service that died with our request unread: the kernel resets instead of
                # ending the stream. The same as a hang-up for every caller.
                chunk = b""
            if not chunk:
                if self._buffer:
                    raise ProtocolError("The service closed the connection mid-message.")
                return None
            # Kept across a KeyboardInterrupt: what was read is never lost to a Ctrl-C.
            self._buffer += chunk

    def answers(self) -> Iterator[Answer]:
        """Answers until the run ends (``run.finished``/``error``) or the service hangs up."""
        while (answer := self.next()) is not None:
            yield answer
            if isinstance(answer, RunEnded | Failure):
                return

    def close(self) -> None:
        """Hang up (a run being watched goes on)."""
        self._sock.close()

    def __enter__(self) -> RunStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def request(
    paths: AppPaths, files: ServiceFiles, intent: Intent, *, autostart: bool = True
) -> Answer:
    """Send one intent and return the one answer; an ``error`` answer raises RemoteError."""
    with RunStream(connect(paths, files, autostart=autostart)) as stream:
        stream.send(intent)
        answer = stream.next()
    if answer is None:
        raise ServiceUnavailableError("The cc-tui service hung up without answering.")
    if isinstance(answer, Failure):
        raise RemoteError.of(answer)
    return answer


def call(
    paths: AppPaths,
    files: ServiceFiles,
    intent: Call,
    result: type[_R],
    *,
    on_message: Callable[[Answer], None] | None = None,
) -> _R:
    """Ask the home's service to carry out one of its commands; its result as ``result``.

    Messages that come before the result (a sign-in's code and wait) go to ``on_message``; an
    ``error`` answer raises :class:`RemoteError` with the service's message, exit code and kind.
    """
    with RunStream(connect(paths, files)) as stream:
        stream.send(intent)
        while (answer := stream.next()) is not None:
            done = take_answer(answer, result, on_message)
            if done is not None:
                return done.value
    raise ServiceUnavailableError("The cc-tui service hung up without answering.")


@dataclass(frozen=True, slots=True)
class CallResult(Generic[_R]):
    """A call's result, once its answer came (the result may itself be None)."""

    value: _R


def take_answer(
    answer: Answer, result: type[_R], on_message: Callable[[Answer], None] | None
) -> CallResult[_R] | None:
    """One answer to a call, read the same way by every client (sync or asyncio).

    ``returned``: the call's result, decoded as ``result``; ``error``: :class:`RemoteError`
    with the service's message, exit code and kind; anything else (a sign-in's code and wait) goes
    to ``on_message`` and the call goes on (None).
    """
    if isinstance(answer, Returned):
        try:
            value = msgspec.json.decode(answer.value, type=result, dec_hook=decode_hook)
        except msgspec.DecodeError as exc:
            raise ProtocolError(
                f"The service answered in a way this cc-tui cannot read: {exc}"
            ) from None
        return CallResult(value)
    if isinstance(answer, Failure):
        raise RemoteError.of(answer)
    if on_message is not None:
        on_message(answer)
    return None
