"""A segment file's bytes: opening (gzip), reading the start, transcoding to UTF-8, digests.

The byte-level helpers behind :mod:`cc_tui.engine.segments`: streaming decompression and
transcoding into a UTF-8 copy; locating the first byte that is not valid text, for error
messages; reading the first lines of a file as UTF-8 for previews; hashing both ends of files for
fingerprints; counting NDJSON lines.

Nothing here reads a whole file into memory: copies and counts go through fixed-size chunks.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cc_tui.errors import InputError

__all__ = [
    "COPY_CHUNK_BYTES",
    "FINGERPRINT_EDGE_BYTES",
    "HEAD_MAX_BYTES",
    "SNIFF_BYTES",
    "TextSource",
    "copy_as_utf8",
    "count_json_lines",
    "digest_files",
    "encoding_error",
    "find_decode_error",
    "is_polars_encoding",
    "open_raw",
    "read_head",
    "read_text_head",
    "unreadable_error",
]

SNIFF_BYTES = 64 * 1024
# Read size of copies and counts: large enough that per-call overhead vanishes.
COPY_CHUNK_BYTES = 4 * 1024 * 1024
# The most a preview reads to find its first rows (one huge quoted field must not eat memory).
HEAD_MAX_BYTES = 64 * 1024 * 1024
# How much of each end of a file the fingerprint hashes: enough to see an edit in the header or
# the tail, cheap enough to compute for every run.
FINGERPRINT_EDGE_BYTES = 64 * 1024
# A line break followed by one of these may start a blank line (JSON text never holds a raw one).
_MAYBE_BLANK = re.compile(rb"\n[\n \t\r]")
_BLANK_BYTES = b" \t\r"


def unreadable_error(path: Path, exc: BaseException) -> InputError:
    """The InputError for a file the OS (or gzip) would not let us read, with the reason."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return InputError(
        f"{path}: cannot be read ({reason}). Fix: check that it exists, is complete, and that "
        f"this user may read it"
    )


def is_polars_encoding(encoding: str) -> bool:
    """True if Polars reads the encoding itself (UTF-8, with or without a BOM)."""
    return codecs.lookup(encoding).name in {"utf-8", "utf-8-sig"}


def open_raw(path: Path, *, gz: bool) -> io.BufferedIOBase:
    """Open a file for reading its (decompressed) bytes."""
    if gz:
        return gzip.open(path, "rb")
    return path.open("rb")


def read_head(path: Path, *, gz: bool, limit: int = SNIFF_BYTES) -> bytes:
    """The first ``limit`` bytes of a file, decompressed if it is gzip."""
    with open_raw(path, gz=gz) as stream:
        return stream.read(limit)


def digest_files(root: Path, files: Sequence[Path]) -> tuple[int, int, str]:
    """(total size, newest mtime in ns, sha256 of each file's name, size and both ends)."""
    digest = hashlib.sha256()
    size = mtime_ns = 0
    for path in files:
        info = path.stat()
        size += info.st_size
        mtime_ns = max(mtime_ns, info.st_mtime_ns)
        digest.update(f"{path.relative_to(root)}|{info.st_size}|".encode())
        with path.open("rb") as stream:
            digest.update(stream.read(FINGERPRINT_EDGE_BYTES))
            if info.st_size > FINGERPRINT_EDGE_BYTES:
                stream.seek(max(info.st_size - FINGERPRINT_EDGE_BYTES, FINGERPRINT_EDGE_BYTES))
                digest.update(stream.read(FINGERPRINT_EDGE_BYTES))
    return size, mtime_ns, digest.hexdigest()


@dataclass(frozen=True, slots=True)
class TextSource:
    """A text file to decode: where it is, the segment it belongs to, its encoding, gzip."""

    path: Path
    segment: str
    encoding: str
    gz: bool = False


class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def copy_as_utf8(text: TextSource, target: _Writable) -> None:
    """Transcode a (decompressed) text file into ``target`` as UTF-8, chunk by chunk.

    An undecodable byte raises InputError saying where it is and how to fix it.
    """
    decoder = codecs.getincrementaldecoder(text.encoding)(errors="strict")
    offset = lines = 0
    with open_raw(text.path, gz=text.gz) as source:
        while chunk := source.read(COPY_CHUNK_BYTES):
            try:
                decoded = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                where = max(exc.start, 0)
                line = lines + chunk.count(b"\n", 0, where) + 1
                raise encoding_error(text, offset + where, line, chunk[where : where + 1]) from exc
            target.write(decoded.encode("utf-8"))
            offset += len(chunk)
            lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise encoding_error(text, offset, lines + 1, b"") from exc


def find_decode_error(text: TextSource) -> InputError | None:
    """Stream a file through its decoder and describe the first undecodable byte, if any."""
    try:
        copy_as_utf8(text, _NullSink())
    except InputError as exc:
        return exc
    return None


class _NullSink:
    """A writable target that forgets what it is given (checking without copying)."""

    def write(self, data: bytes, /) -> int:
        return len(data)


def encoding_error(text: TextSource, offset: int, line: int, byte: bytes) -> InputError:
    """The InputError for text that does not decode, with where it is and how to fix it."""
    shown = f"byte 0x{byte[0]:02X}" if byte else "an incomplete character"
    where = "of the uncompressed text " if text.gz else ""
    # 0x80-0x9F are control codes in latin-1 but letters and quotes in Windows-1252 exports.
    suggestion = "cp1252" if byte and 0x80 <= byte[0] <= 0x9F else "latin-1"
    name = codecs.lookup(text.encoding).name
    return InputError(
        f"{text.path}: is not valid {name} text: {shown} at byte offset {offset:,} {where}"
        f"(line {line:,}) cannot be decoded. Fix: tell cc-tui the file's encoding in "
        f"config.toml:\n"
        f"  [segments.{text.segment}]\n"
        # A JSON string is a valid TOML basic string: quotes and backslashes stay escaped.
        f"  path = {json.dumps(str(text.path.absolute()), ensure_ascii=False)}\n"
        f'  encoding = "{suggestion}"   # or the encoding the file was written in'
    )


def read_text_head(path: Path, *, gz: bool, encoding: str, min_lines: int) -> tuple[bytes, bool]:
    """At least ``min_lines`` whole lines from the start of a text file, as UTF-8.

    Returns the bytes and whether they are the whole file. Reads in 64 KiB steps and stops at
    :data:`HEAD_MAX_BYTES`; raises UnicodeDecodeError for text that is not ``encoding``.
    """
    decoder = None
    if not is_polars_encoding(encoding):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    data = bytearray()
    newlines, complete = 0, False
    with open_raw(path, gz=gz) as stream:
        while newlines < min_lines and len(data) < HEAD_MAX_BYTES:
            chunk = stream.read(SNIFF_BYTES)
            if not chunk:
                complete = True
                break
            piece = chunk if decoder is None else decoder.decode(chunk).encode("utf-8")
            data += piece
            newlines += piece.count(b"\n")
    if not complete and (cut := data.rfind(b"\n")) >= 0:
        del data[cut + 1 :]
    return bytes(data), complete


def count_json_lines(path: Path) -> int:
    """Non-blank lines of an NDJSON file, counted chunk by chunk."""
    count, tail = 0, b""
    with path.open("rb") as stream:
        while chunk := stream.read(COPY_CHUNK_BYTES):
            data = tail + chunk if tail else chunk
            cut = data.rfind(b"\n") + 1
            count += _non_blank_lines(data, cut)
            tail = data[cut:]
    return count + _non_blank_lines(tail, len(tail))


def _non_blank_lines(data: bytes, end: int) -> int:
    """Non-blank lines in ``data[:end]`` (``end`` just after a line break, or the data's end)."""
    lines = data.count(b"\n", 0, end) + (0 if end == 0 or data[end - 1 : end] == b"\n" else 1)
    starts_blank = data[:1] in (b" ", b"\t", b"\r", b"\n")
    # The regex scans at several GB/s; only a chunk that may hold a blank line pays more.
    if not starts_blank and not _MAYBE_BLANK.search(data, 0, end):
        return lines
    # Deleting blanks first turns every whitespace-only line into an empty one; split and
    # list.count run in C, so there is no Python work per line.
    pieces = data[:end].translate(None, _BLANK_BYTES).split(b"\n")
    return len(pieces) - pieces.count(b"")
