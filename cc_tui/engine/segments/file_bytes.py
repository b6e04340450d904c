"""A segment file's bytes: opening (gzip), reading the start, transcoding to UTF-8, digests.

The byte-level helpers behind :mod:`cc_tui.engine.segments.reading`: streaming decompression and
transcoding into a UTF-8 copy; locating the first byte that is not valid text, for error
messages; reading the first lines of a file as UTF-8 for previews; hashing both ends of files for
fingerprints; counting NDJSON lines; telling line endings apart.

Nothing here reads a whole file into memory: copies and counts go through fixed-size chunks.
Files are opened with :func:`~cc_tui.engine.segments.path_checks.open_regular` (never a FIFO), and
decompression stops with an InputError once it passes a cap (a gzip bomb never fills the disk).
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from cc_tui.engine.segments.path_checks import open_regular
from cc_tui.engine.segments.remote_storage import blob_info, is_remote
from cc_tui.errors import InputError

__all__ = [
    "COPY_CHUNK_BYTES",
    "CR_ONLY",
    "FINGERPRINT_EDGE_BYTES",
    "HEAD_MAX_BYTES",
    "MAX_EXPANSION",
    "MIXED_LINE_ENDINGS",
    "SNIFF_BYTES",
    "DecompressionLimitError",
    "LineEndScan",
    "TextSource",
    "copy_as_utf8",
    "count_json_lines",
    "digest_files",
    "encoding_error",
    "find_decode_error",
    "first_line_feed",
    "is_polars_encoding",
    "line_ending",
    "open_raw",
    "read_head",
    "read_text_head",
    "scan_line_ends",
    "text_lines",
    "unclosed_quote_line",
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
_BACKSLASH = b"\\"
# The bytes Windows-1252 leaves undefined (Python's cp1252 codec refuses them).
_CP1252_UNDEFINED = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})
# A carriage return that is not the first half of CRLF.
_BARE_CR = re.compile(rb"\r(?!\n)")


def unreadable_error(path: Path, exc: BaseException) -> InputError:
    """The InputError for a file the OS (or gzip) would not let us read, with the reason."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return InputError(
        f"{path}: cannot be read ({reason}). Fix: check that it exists, is complete, and that "
        f"this user may read it"
    )


def is_polars_encoding(encoding: str) -> bool:
    """True if Polars reads the encoding itself: UTF-8 (its CSV reader skips a byte-order
    mark too). ``utf-8-sig`` is not: Polars' NDJSON reader fails on the mark, so text said to
    carry one is copied without it."""
    return codecs.lookup(encoding).name == "utf-8"


class DecompressionLimitError(InputError):
    """A compressed file grew past the cap on decompressed bytes (a gzip bomb, or a huge file)."""


# Text compresses 3 to 15 times with gzip; only a decompression bomb (zeros, one line repeated)
# expands this much. Judged once this many bytes came out, so small files are never refused.
MAX_EXPANSION = 200
_EXPANSION_AFTER_BYTES = 64 * 1024 * 1024


class _CappedReader(io.RawIOBase):
    """Decompressed bytes of a gzip file, with an InputError once more than ``limit`` came,
    or once they are more than :data:`MAX_EXPANSION` times the compressed bytes read."""

    def __init__(self, stream: gzip.GzipFile, raw: BinaryIO, path: Path, limit: int) -> None:
        super().__init__()
        self._stream = stream
        self._raw = raw
        self._path = path
        self._limit = limit
        self._seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = self._stream.readinto(buffer)
        self._seen += count
        if self._seen > _EXPANSION_AFTER_BYTES:
            compressed = max(self._raw.tell(), 1)
            if self._seen > MAX_EXPANSION * compressed:
                raise DecompressionLimitError(
                    f"{self._path}: expands more than {MAX_EXPANSION} times when decompressed "
                    f"({_size(compressed)} gave {_size(self._seen)} so far); reading stopped, as "
                    "it looks like a decompression bomb. Fix: check the file; if it is genuine, "
                    "store it uncompressed"
                )
        if self._seen > self._limit:
            raise DecompressionLimitError(
                f"{self._path}: decompresses to more than {_size(self._limit)}, the cap on "
                "uncompressed segment data; reading stopped (it may be a decompression bomb). "
                "Fix: check the file; if it is genuine, store it uncompressed, or raise the cap "
                "with max_uncompressed_gb in config.toml"
            )
        return count

    def close(self) -> None:
        self._stream.close()
        super().close()


def _size(count: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:,} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return f"{count} GiB"  # pragma: no cover - the loop always returns


def open_raw(path: Path, *, gz: bool, limit: int | None = None) -> io.BufferedIOBase:
    """Open a regular file for reading its (decompressed) bytes.

    ``limit`` caps the decompressed bytes of a gzip file: reading past it raises
    :class:`DecompressionLimitError`. Never blocks on a FIFO (see ``open_regular``).
    """
    raw = open_regular(path)
    if not gz:
        return raw  # type: ignore[return-value]
    stream = gzip.GzipFile(fileobj=raw, mode="rb")
    if limit is None:
        return stream
    return io.BufferedReader(_CappedReader(stream, raw, path, limit), COPY_CHUNK_BYTES)


def read_head(path: Path, *, gz: bool, limit: int = SNIFF_BYTES) -> bytes:
    """The first ``limit`` bytes of a file, decompressed if it is gzip."""
    with open_raw(path, gz=gz) as stream:
        return stream.read(limit)


CR_ONLY = "\r"
MIXED_LINE_ENDINGS = "mixed"


def line_ending(head: bytes, quote: str) -> str:
    """How the lines of delimited text end, judged from its first bytes.

    ``"\n"`` for LF and CRLF (Polars reads both), ``"\r"`` for classic Mac files (CR alone),
    :data:`MIXED_LINE_ENDINGS` when a bare CR ends some lines and LF others (Polars would join
    such lines into one row). A CR inside a quoted field is data, not a line end.
    """
    if b"\r" not in head:
        return "\n"
    quote_bytes = quote.encode() if quote else b""
    bare = _bare_cr_outside_quotes(head, quote_bytes)
    if bare is None:
        return "\n"
    if _lf_outside_quotes(head, quote_bytes) is None:
        return CR_ONLY  # an LF inside quotes is a cell's line break (Excel for Mac)
    return MIXED_LINE_ENDINGS


def _lf_outside_quotes(data: bytes, quote: bytes, quotes_before: int = 0) -> int | None:
    """Offset of the first LF in ``data`` outside quoted fields (None: there is none)."""
    start = 0
    while (at := data.find(b"\n", start)) >= 0:
        if not (quote and (quotes_before + data.count(quote, 0, at)) % 2):
            return at
        start = at + 1
    return None


def first_line_feed(path: Path, quote: str) -> int | None:
    """The line (counted by CR line ends) that the first LF outside quotes ends, in a file read
    with CR as its line end (classic Mac): Polars would read it as data and join two rows.
    One memchr per chunk when the file holds no LF; more only for LFs inside quoted fields."""
    quote_bytes = quote.encode() if quote else b""
    quotes = lines = 0
    with open_regular(path) as stream:
        while chunk := stream.read(COPY_CHUNK_BYTES):
            if b"\n" in chunk:
                at = _lf_outside_quotes(chunk, quote_bytes, quotes)
                if at is not None:
                    return lines + chunk.count(b"\r", 0, at) + 1
            quotes += chunk.count(quote_bytes) if quote_bytes else 0
            lines += chunk.count(b"\r")
    return None


def _bare_cr_outside_quotes(data: bytes, quote: bytes, quotes_before: int = 0) -> int | None:
    """Offset of the first CR that is neither part of CRLF nor inside a quoted field."""
    start = 0
    while (at := data.find(b"\r", start)) >= 0:
        start = at + 1
        if data[at + 1 : at + 2] == b"\n" or at + 1 == len(data):
            continue  # CRLF, or a CR at the end of a chunk (the caller looks across chunks)
        # Inside quotes when an odd number of quote characters came before (doubled quotes
        # inside a field count two, so they keep the parity).
        if quote and (quotes_before + data.count(quote, 0, at)) % 2:
            continue
        return at
    return None


@dataclass(frozen=True, slots=True)
class LineEndScan:
    """What the whole-file line-end scan saw: the line of the first bare CR outside quotes
    (None: none, or not looked for), whether a quote character occurs at all, and whether a
    backslash stands right before one (Spark's escape; see ``quoting``)."""

    bare_cr_line: int | None = None
    has_quote: bool = False
    has_escaped_quote: bool = False


def scan_line_ends(path: Path, quote: str, *, bare_cr: bool = True) -> LineEndScan:
    """One read of a whole text file: the first bare CR outside quotes (when ``bare_cr``: an
    LF/CRLF file), and whether quotes and backslash-escaped quotes occur.

    Runs over the whole file, not just its head: one stray CR deep in a file would silently
    join two rows, and so would one stray quote. A chunk without any CR costs one ``in`` test
    (memchr speed, about 0.15 s per GB from the page cache, reading included), and one more
    for a quote (a backslash is looked for only in chunks holding one); the file is read into
    one reused buffer rather than mapped, so its pages never count against the process's
    memory.
    """
    quote_bytes = quote.encode() if quote else b""
    escaped = _BACKSLASH + quote_bytes
    has_quote = has_escaped = ends_in_backslash = False
    buffer = bytearray(COPY_CHUNK_BYTES)
    with open_regular(path) as stream:
        while count := stream.readinto(buffer):  # type: ignore[attr-defined]
            # bytearray.find runs at memchr speed; most chunks have no CR at all.
            if bare_cr and buffer.find(b"\r", 0, count) >= 0 and _may_hold_bare_cr(buffer, count):
                # Exact, slower look (quotes, line numbers), only once one is suspected; it
                # reads the whole file, so this scan goes on for quotes alone.
                line = _first_bare_cr(path, quote_bytes)
                if line is not None:
                    return LineEndScan(line, has_quote, has_escaped)
                bare_cr = False
            if not quote_bytes or has_escaped:
                continue
            # Only a chunk holding a quote can hold an escaped one, and a backslash is rare in
            # contact data: the two-byte search runs only after both one-byte ones found theirs.
            if buffer.find(quote_bytes, 0, count) >= 0:
                has_quote = True
                if buffer.find(_BACKSLASH, 0, count) >= 0 or ends_in_backslash:
                    has_escaped = buffer.find(escaped, 0, count) >= 0 or (
                        ends_in_backslash and buffer.startswith(quote_bytes)
                    )
            ends_in_backslash = buffer[count - 1] == _BACKSLASH[0]
    return LineEndScan(None, has_quote, has_escaped)


def _may_hold_bare_cr(buffer: bytearray, count: int) -> bool:
    """Whether a chunk holds a CR not followed by LF (a CR at its very end may be CRLF)."""
    end = count - 1 if buffer[count - 1] == ord("\r") else count
    return buffer.count(b"\r", 0, end) != buffer.count(b"\r\n", 0, end)


def _first_bare_cr(path: Path, quote: bytes) -> int | None:
    """The slow, exact look for the first bare CR outside quotes (only once one is suspected)."""
    quotes = lines = 0
    carry = b""
    with open_regular(path) as stream:
        while True:
            chunk = stream.read(COPY_CHUNK_BYTES)
            data = carry + chunk if carry else chunk
            if not data:
                return None
            cut = len(data) - 1 if chunk and data.endswith(b"\r") else len(data)
            body = data[:cut]
            start = counted = 0
            while (match := _BARE_CR.search(body, start)) is not None:
                at = match.start()
                if not chunk and at == len(body) - 1:
                    return None  # a CR that ends the file ends no row early
                quotes += body.count(quote, counted, at) if quote else 0
                lines += body.count(b"\n", counted, at)
                counted, start = at, at + 1
                if not (quote and quotes % 2):
                    return lines + 1
            quotes += body.count(quote, counted) if quote else 0
            lines += body.count(b"\n", counted)
            carry = data[cut:]
            if not chunk:
                return None


def unclosed_quote_line(lines: Iterable[bytes], quote: bytes) -> int | None:
    """The line where a quote that is never closed opens, or None when every quote closes.

    Counts quote characters line by line (a doubled quote inside a field counts two, so it
    keeps the parity): while the count so far is odd, a quoted field is open. When it is still
    open at the end, the field opened on the last line where the count turned odd; a quote
    standing inside an unquoted field (``5'11"``) is found the same way.
    """
    odd = False
    opened = None
    for number, line in enumerate(lines, 1):
        if line.count(quote) % 2:
            odd = not odd
            if odd:
                opened = number
    return opened if odd else None


def text_lines(path: Path, *, gz: bool) -> Iterator[bytes]:
    """The lines of a (decompressed) text file, streamed in chunks."""
    tail = b""
    with open_raw(path, gz=gz) as stream:
        while chunk := stream.read(COPY_CHUNK_BYTES):
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            yield from lines
    if tail:
        yield tail


def digest_files(root: Path, files: Sequence[Path]) -> tuple[int, int, str]:
    """(total size, newest mtime in ns, sha256 of each file's name, size and both ends)."""
    digest = hashlib.sha256()
    size = mtime_ns = 0
    for path in files:
        if is_remote(path):
            # A blob's ETag changes whenever it is replaced: no need to read its ends.
            blob = blob_info(path)  # type: ignore[arg-type]
            size += blob.size
            mtime_ns = max(mtime_ns, blob.mtime_ns)
            digest.update(f"{path}|{blob.size}|{blob.etag}|".encode())
            continue
        info = path.stat()
        size += info.st_size
        mtime_ns = max(mtime_ns, info.st_mtime_ns)
        name = path.relative_to(root) if path.is_relative_to(root) else path
        digest.update(f"{name}|{info.st_size}|".encode())
        with open_regular(path) as stream:
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
    limit: int | None = None  # cap on decompressed bytes (gzip)
    line_end: str = "\n"  # the byte that ends its lines ("\r": classic Mac files)


class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def copy_as_utf8(text: TextSource, target: _Writable) -> None:
    """Transcode a (decompressed) text file into ``target`` as UTF-8, chunk by chunk.

    An undecodable byte raises InputError saying where it is and how to fix it.
    """
    decoder = codecs.getincrementaldecoder(text.encoding)(errors="strict")
    offset = lines = 0
    eol = text.line_end.encode()
    with open_raw(text.path, gz=text.gz, limit=text.limit) as source:
        while chunk := source.read(COPY_CHUNK_BYTES):
            try:
                decoded = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                where = max(exc.start, 0)
                line = lines + chunk.count(eol, 0, where) + 1
                raise encoding_error(text, offset + where, line, chunk[where : where + 1]) from exc
            target.write(decoded.encode("utf-8"))
            offset += len(chunk)
            lines += chunk.count(eol)
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
    suggestion = _likely_encoding(text, byte)
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


def _likely_encoding(text: TextSource, byte: bytes) -> str:
    """The code page a text that is no UTF-8 was most likely written in, to suggest.

    Lines ended by a bare CR: Excel for Mac's "CSV (Macintosh)", in Mac OS Roman. Otherwise
    Windows-1252, the "ANSI" code page of Excel's "CSV (Comma delimited)" and of Windows tools
    in Western languages: it reads latin-1's letters alike, and its curly quotes, dashes and
    euro sign (bytes 0x80-0x9F), which latin-1 would read as invisible control characters.
    Latin-1 only for the five bytes Windows-1252 leaves undefined.
    """
    if text.line_end == "\r":
        return "mac_roman"
    if byte and byte[0] in _CP1252_UNDEFINED:
        return "latin-1"
    return "cp1252"


def read_text_head(
    path: Path, *, gz: bool, encoding: str, min_lines: int, line_end: str = "\n"
) -> tuple[bytes, bool]:
    """At least ``min_lines`` whole lines from the start of a text file, as UTF-8.

    Returns the bytes and whether they are the whole file. Reads in 64 KiB steps and stops at
    :data:`HEAD_MAX_BYTES`; raises UnicodeDecodeError for text that is not ``encoding``.
    ``line_end`` is the byte that ends lines (``"\r"`` for classic Mac files).
    """
    eol = line_end.encode()
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
            newlines += piece.count(eol)
    if not complete and (cut := data.rfind(eol)) >= 0:
        del data[cut + 1 :]
    return bytes(data), complete


def count_json_lines(path: Path) -> int:
    """Non-blank lines of an NDJSON file, counted chunk by chunk."""
    count, tail = 0, b""
    with open_regular(path) as stream:
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
