"""What clients and the service say to each other: versioned messages in size-limited frames.

A frame is a 4-byte big-endian length, then that many bytes of JSON (msgspec encodes and
decodes the engine's own frozen dataclasses, :class:`~cc_tui.models.RunProgress`,
:class:`~cc_tui.models.RunEvent` and :class:`~cc_tui.models.RunRecord`, with their types
checked on the way in). A frame longer than :data:`MAX_FRAME` is refused before it is read,
so a client cannot make the service hold an unbounded message.

Every message carries ``type`` (its tag) and ``v`` (:data:`PROTOCOL_VERSION`). A client sends
one intent per connection: request-and-answer intents (``runs.list``, ``service.status``,
``service.stop``, ``run.cancel``) get one answer; ``run.start`` and ``run.attach`` are answered
by the run's stream (``run.progress``, ``run.event``, then ``run.finished``), during which the
client may send ``run.cancel`` on the same connection. ``error`` carries a message for a person
and the exit code the command line ends with.
"""

from __future__ import annotations

import socket
import struct
from datetime import datetime
from typing import TypeVar

import msgspec

from cc_tui.errors import CcTuiError
from cc_tui.models.run import RunRecord
from cc_tui.models.run_progress import RunEvent, RunProgress

__all__ = [
    "HEADER_SIZE",
    "MAX_FRAME",
    "PROTOCOL_VERSION",
    "Answer",
    "Done",
    "Failure",
    "Intent",
    "ProtocolError",
    "RunAttach",
    "RunCancel",
    "RunEnded",
    "RunInfo",
    "RunLogged",
    "RunProgressed",
    "RunStart",
    "RunsList",
    "RunsListed",
    "ServiceState",
    "ServiceStatus",
    "ServiceStop",
    "decode_answer",
    "decode_intent",
    "encode",
    "frame_length",
    "read_frame",
]

PROTOCOL_VERSION = 1
MAX_FRAME = 4 * 1024 * 1024  # bytes: a runs.list of many runs fits; nothing legitimate is near
_HEADER = struct.Struct(">I")


class ProtocolError(CcTuiError):
    """A frame that is too long, cut short, not JSON, or of another protocol version."""


class _Message(msgspec.Struct, tag_field="type", kw_only=True, frozen=True):
    v: int = PROTOCOL_VERSION


# -- intents (client -> service) ----------------------------------------------------------------


class RunStart(_Message, tag="run.start", frozen=True):
    """Run (or resume) an export; the answer is the run's stream."""

    export: str
    dry_run: bool = False
    restart: bool = False
    activity_deadline: float | None = None
    """Seconds one import activity may take (None: the sender's default)."""
    allow_quota_spill: bool = False
    """Start it even when today's API quota cannot hold it (it stops resumable at the quota)."""


class RunAttach(_Message, tag="run.attach", frozen=True):
    """Watch the run of ``export`` going now: its latest snapshot, recent events, then live."""

    export: str


class RunCancel(_Message, tag="run.cancel", frozen=True):
    """Stop the run of ``export`` at its next batch boundary (it stays resumable)."""

    export: str


class RunsList(_Message, tag="runs.list", frozen=True):
    """The runs going now that this client may see."""


class ServiceStatus(_Message, tag="service.status", frozen=True):
    """Who the service is and what it does."""


class ServiceStop(_Message, tag="service.stop", frozen=True):
    """Stop the service: runs stop resumable, clients are closed, the socket removed."""


Intent = RunStart | RunAttach | RunCancel | RunsList | ServiceStatus | ServiceStop

# -- answers and events (service -> client) -----------------------------------------------------


class RunInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One run going in the service."""

    export: str
    dry_run: bool
    started_by: str
    """Kernel-verified OS user who asked for it (the service's own user for scheduled runs)."""
    started_at: datetime
    scheduled: bool = False
    progress: RunProgress | None = None
    """The latest snapshot (None while the run is planned: no run record yet)."""


class RunProgressed(_Message, tag="run.progress", frozen=True):
    """The latest snapshot of a run."""

    progress: RunProgress


class RunLogged(_Message, tag="run.event", frozen=True):
    """One line of a run's story."""

    export: str
    event: RunEvent


class RunEnded(_Message, tag="run.finished", frozen=True):
    """The run's final record and the exit code ``cc-tui run`` ends with."""

    record: RunRecord
    exit_code: int


class Failure(_Message, tag="error", frozen=True):
    """What went wrong, for a person, and the exit code that goes with it."""

    message: str
    exit_code: int
    quota: str | None = None
    """Set when a run was refused because today's API quota cannot hold it: the plan's words
    about the quota, so a face can ask whether to run it anyway (``allow_quota_spill``)."""


class Done(_Message, tag="ok", frozen=True):
    """An intent was carried out (cancel asked, stop begun)."""

    message: str = ""


class RunsListed(_Message, tag="runs.listed", frozen=True):
    """The runs going now that the asking client may see."""

    runs: list[RunInfo]


class ServiceState(_Message, tag="service.state", frozen=True):
    """``cc-tui service status``."""

    pid: int
    user: str
    """The OS user the service runs as."""
    you: str
    """The OS user the service knows the asking client as (from the kernel)."""
    started_at: datetime
    home: str
    socket: str
    shared: bool
    clients: int
    runs: list[RunInfo]
    scheduled: dict[str, datetime]
    """Export -> its next scheduled run."""


_T = TypeVar("_T")
_M = TypeVar("_M", bound=_Message)

Answer = RunProgressed | RunLogged | RunEnded | Failure | Done | RunsListed | ServiceState

_ENCODER = msgspec.json.Encoder()
_INTENTS = msgspec.json.Decoder(Intent)
_ANSWERS = msgspec.json.Decoder(Answer)


def encode(message: _Message) -> bytes:
    """One frame: length, then the message's JSON."""
    body = _ENCODER.encode(message)
    if len(body) > MAX_FRAME:
        raise ProtocolError(f"A message of {len(body):,} bytes is over the {MAX_FRAME:,} limit.")
    return _HEADER.pack(len(body)) + body


def frame_length(header: bytes) -> int:
    """The body length a frame header announces; refuses one over :data:`MAX_FRAME`."""
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        raise ProtocolError(f"A frame of {length:,} bytes is over the {MAX_FRAME:,} limit.")
    return int(length)


HEADER_SIZE = _HEADER.size


def decode_intent(body: bytes) -> Intent:
    """An intent from a frame's body; ProtocolError if it is not one of this version."""
    return _checked(_decode(_INTENTS, body))


def decode_answer(body: bytes) -> Answer:
    """An answer or event from a frame's body."""
    return _checked(_decode(_ANSWERS, body))


def _decode(decoder: msgspec.json.Decoder[_T], body: bytes) -> _T:
    try:
        return decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"A message the service cannot read: {exc}") from None


def _checked(message: _M) -> _M:
    if message.v != PROTOCOL_VERSION:
        raise ProtocolError(
            f"The other side speaks protocol {message.v}, this cc-tui {PROTOCOL_VERSION}: "
            "restart the service with this version (cc-tui service stop; the next command "
            "starts it again)."
        )
    return message


def read_frame(sock: socket.socket) -> bytes | None:
    """The next frame's body from a blocking socket; None at a clean end of stream."""
    header = _read_exactly(sock, HEADER_SIZE, allow_eof=True)
    if header is None:
        return None
    body = _read_exactly(sock, frame_length(header), allow_eof=False)
    assert body is not None  # allow_eof=False raises instead
    return body


def _read_exactly(sock: socket.socket, size: int, *, allow_eof: bool) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            if allow_eof and not chunks:
                return None
            raise ProtocolError("The service closed the connection in the middle of a message.")
        chunks += chunk
    return bytes(chunks)
