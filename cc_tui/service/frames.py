"""How the service's messages travel: size-limited frames of JSON over a Unix socket.

A frame is a 4-byte big-endian length, then that many bytes of JSON (msgspec encodes and
decodes the engine's own frozen dataclasses, with their types checked on the way in). A frame
longer than :data:`MAX_FRAME` is refused before it is read, so a client cannot make the service
hold an unbounded message. What the messages say is :mod:`~cc_tui.service.protocol`'s.
"""

from __future__ import annotations

import socket
import struct
from pathlib import PurePath
from typing import Any, TypeVar

import msgspec

from cc_tui.errors import CcTuiError
from cc_tui.remote_paths import is_remote_location, remote_path

__all__ = [
    "HEADER_SIZE",
    "MAX_FRAME",
    "ProtocolError",
    "decode",
    "decode_hook",
    "encode",
    "encode_hook",
    "encode_value",
    "frame_length",
    "read_frame",
]

MAX_FRAME = 4 * 1024 * 1024  # bytes: a runs.list of many runs fits; nothing legitimate is near
_HEADER = struct.Struct(">I")
HEADER_SIZE = _HEADER.size

_T = TypeVar("_T")
_ENCODER = msgspec.json.Encoder()


class ProtocolError(CcTuiError):
    """A frame that is too long, cut short, not JSON, or of another protocol version."""


def encode(message: msgspec.Struct) -> bytes:
    """One frame: length, then the message's JSON."""
    body = _ENCODER.encode(message)
    if len(body) > MAX_FRAME:
        raise ProtocolError(f"A message of {len(body):,} bytes is over the {MAX_FRAME:,} limit.")
    return _HEADER.pack(len(body)) + body


def decode(decoder: msgspec.json.Decoder[_T], body: bytes) -> _T:
    """A frame's body as ``decoder``'s type; ProtocolError if it is not JSON of that type."""
    try:
        return decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise ProtocolError(f"A message the service cannot read: {exc}") from None


def encode_hook(value: object) -> object:
    """What msgspec cannot encode alone in the engine's results: a path, as its text."""
    if isinstance(value, PurePath):
        return str(value)
    raise NotImplementedError(f"{type(value).__name__} cannot go over the service's socket")


def decode_hook(kind: type, value: Any) -> Any:
    """The other way: a path field of an engine result from its text (a storage location's
    URL as a :class:`~cc_tui.remote_paths.RemotePath`: pathlib would fold its ``//``)."""
    if isinstance(kind, type) and issubclass(kind, PurePath) and isinstance(value, str):
        return remote_path(value) if is_remote_location(value) else kind(value)
    raise NotImplementedError(f"{kind!r} cannot be read from the service's answer")


def encode_value(value: object) -> bytes:
    """A call's result as JSON (the engine's dataclasses, paths as text)."""
    return msgspec.json.encode(value, enc_hook=encode_hook)


def frame_length(header: bytes) -> int:
    """The body length a frame header announces; refuses one over :data:`MAX_FRAME`."""
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME:
        raise ProtocolError(f"A frame of {length:,} bytes is over the {MAX_FRAME:,} limit.")
    return int(length)


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
