"""What a segment file is, and how its bytes become rows of text in Polars.

The helpers behind :mod:`cc_tui.engine.segments`: recognising a format from the file name or, when
the name says nothing, from the first bytes; sniffing the delimiter; listing the part files of a
Parquet folder; streaming decompression and transcoding into a UTF-8 copy; locating the first byte
that is not valid text, for error messages; and the Polars side: scanning a plain source so every
column is text, parsing just the first lines for previews, counting NDJSON lines.

Nothing here reads a whole file into memory: copies and counts go through fixed-size chunks.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import os
import re
import unicodedata
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from cc_tui.errors import InputError

__all__ = [
    "COPY_CHUNK_BYTES",
    "DEFAULT_ENCODING",
    "DELIMITER_CANDIDATES",
    "FINGERPRINT_EDGE_BYTES",
    "HEAD_MAX_BYTES",
    "HIDDEN_PREFIXES",
    "NAME_MAX",
    "NDJSON_INFER_ROWS",
    "SNIFF_BYTES",
    "FileKind",
    "ParquetParts",
    "Recognised",
    "SegmentFormat",
    "TextSource",
    "as_string",
    "bom_encoding",
    "classify_name",
    "copy_as_utf8",
    "count_json_lines",
    "detect_text",
    "digest_files",
    "encoding_error",
    "find_decode_error",
    "is_gzip",
    "is_polars_encoding",
    "open_raw",
    "parquet_parts",
    "parse_head",
    "read_head",
    "read_start",
    "read_text_head",
    "recognise",
    "scan_source",
    "segment_name",
    "sniff_delimiter",
    "unreadable_error",
]

DEFAULT_ENCODING = "utf-8"
SNIFF_BYTES = 64 * 1024
# Read size of copies and counts: large enough that per-call overhead vanishes.
COPY_CHUNK_BYTES = 4 * 1024 * 1024
DELIMITER_CANDIDATES = (",", "\t", ";", "|")
NAME_MAX = 64
# Names of files and folders discovery never looks at: hidden files and Spark/Hadoop markers.
HIDDEN_PREFIXES = (".", "_")
# The most a preview reads to find its first rows (one huge quoted field must not eat memory).
HEAD_MAX_BYTES = 64 * 1024 * 1024
# NDJSON lines read to learn the keys (the columns); a key first seen later is not a column.
NDJSON_INFER_ROWS = 1000
# How much of each end of a file the fingerprint hashes: enough to see an edit in the header or
# the tail, cheap enough to compute for every run.
FINGERPRINT_EDGE_BYTES = 64 * 1024

# Records looked at to pick a delimiter, and the share of them that must agree with the header.
_SNIFF_RECORDS = 20
_SNIFF_AGREEMENT = 0.8
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_NAME_BAD = re.compile(r"[^A-Za-z0-9_.-]+")
# Spark, Databricks and Hadoop leave these beside the part files of a Parquet folder.
_PART_SUFFIX = ".parquet"
_IGNORED_SUFFIXES = (".crc",)
_DELTA_LOG = "_delta_log"
# A list or array value becomes JSON text by encoding {"v": value} and trimming the wrapper.
_WRAP_KEY = "v"
_WRAP_PREFIX = '{"v":'
# A line break followed by one of these may start a blank line (JSON text never holds a raw one).
_MAYBE_BLANK = re.compile(rb"\n[\n \t\r]")
_BLANK_BYTES = b" \t\r"


class SegmentFormat(StrEnum):
    """How a segment's rows are stored; gzip compression is a separate flag."""

    CSV = "csv"
    TSV = "tsv"
    PARQUET = "parquet"
    NDJSON = "ndjson"


_EXTENSIONS: dict[str, SegmentFormat] = {
    ".csv": SegmentFormat.CSV,
    ".tsv": SegmentFormat.TSV,
    ".tab": SegmentFormat.TSV,
    ".parquet": SegmentFormat.PARQUET,
    ".pq": SegmentFormat.PARQUET,
    ".ndjson": SegmentFormat.NDJSON,
    ".jsonl": SegmentFormat.NDJSON,
}
# ``.json`` is a segment only when it holds one JSON object per line.
_JSON_EXTENSION = ".json"
# Extensions that say nothing about the content: the first bytes decide.
_SNIFFED_EXTENSIONS = frozenset({"", ".txt", ".dat"})


@dataclass(frozen=True, slots=True)
class FileKind:
    """What a file name says: its segment stem, format (None = look inside) and gzip suffix."""

    stem: str
    format: SegmentFormat | None
    gzip: bool
    confirm: bool = False  # the content must confirm the format (``.json`` holding NDJSON)


@dataclass(frozen=True, slots=True)
class ParquetParts:
    """The data files of a Parquet folder and the hive partition keys found in its sub-folders."""

    files: tuple[Path, ...]
    hive_keys: tuple[str, ...]


def classify_name(file_name: str) -> FileKind | None:
    """Read the format from a file name; None for files that are not segments (``notes.md``)."""
    rest = file_name
    gz = rest.lower().endswith(".gz")
    if gz:
        rest = rest[: -len(".gz")]
    suffix = Path(rest).suffix.lower()
    if suffix in _EXTENSIONS:
        return FileKind(rest[: -len(suffix)], _EXTENSIONS[suffix], gz)
    if suffix == _JSON_EXTENSION:
        return FileKind(rest[: -len(suffix)], SegmentFormat.NDJSON, gz, confirm=True)
    if suffix in _SNIFFED_EXTENSIONS:
        return FileKind(rest[: len(rest) - len(suffix)], None, gz)
    return None


@dataclass(frozen=True, slots=True)
class Recognised:
    """How a file's rows are stored, as its name and first bytes tell."""

    format: SegmentFormat
    gzip: bool
    delimiter: str
    encoding: str


def read_start(path: Path) -> tuple[os.stat_result, bytes, bool]:
    """The file's stat, its first (decompressed) bytes, and whether it is gzip."""
    try:
        info = path.stat()
        head = read_head(path, gz=False)
        if is_gzip(head):
            return info, read_head(path, gz=True), True
    except (OSError, EOFError, zlib.error) as exc:
        raise unreadable_error(path, exc) from exc
    return info, head, False


def recognise(
    path: Path,
    head: bytes,
    *,
    gz: bool,
    declared: str | None,
    encoding: str | None,
    delimiter: str | None,
) -> Recognised:
    """Format, delimiter and encoding of a file from config (``declared``...), name and content.

    ``declared`` is a config.toml format (``csv``, ``tsv.gz``...); without it the extension
    decides, and the first bytes when the extension says nothing. A UTF-16 byte-order mark sets
    the encoding unless ``encoding`` is given. Raises InputError for content that is no segment.
    """
    kind = classify_name(path.name) or FileKind(path.name, None, gzip=False)
    fmt = SegmentFormat(declared.removesuffix(".gz")) if declared else kind.format
    sniffed = fmt is None
    enc = encoding or bom_encoding(head) or DEFAULT_ENCODING
    fmt = _content_format(path, head, enc, fmt, confirm=declared is None and kind.confirm)
    sep = _delimiter(fmt, delimiter, head, enc)
    if sniffed and sep == "\t":
        fmt = SegmentFormat.TSV
    return Recognised(fmt, gz, sep, enc)


def _content_format(
    path: Path, head: bytes, encoding: str, fmt: SegmentFormat | None, *, confirm: bool
) -> SegmentFormat:
    if fmt is not None and not confirm:
        return fmt
    found = detect_text(head, encoding)
    if confirm and found is not SegmentFormat.NDJSON:
        raise InputError(f"{path}: holds JSON that is not one object per line (save it as NDJSON)")
    if found is None:
        raise InputError(f"{path}: is not CSV, TSV, Parquet or NDJSON text")
    return found


def _delimiter(fmt: SegmentFormat, given: str | None, head: bytes, encoding: str) -> str:
    if fmt in (SegmentFormat.PARQUET, SegmentFormat.NDJSON):
        return ""
    if given:
        return given
    if fmt is SegmentFormat.TSV:
        return "\t"
    return sniff_delimiter(head, encoding)


def unreadable_error(path: Path, exc: BaseException) -> InputError:
    """The InputError for a file the OS (or gzip) would not let us read, with the reason."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return InputError(
        f"{path}: cannot be read ({reason}). Fix: check that it exists, is complete, and that "
        f"this user may read it"
    )


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


def segment_name(stem: str) -> str:
    """A valid segment name from a file stem: ``Prix été 2024`` -> ``Prix-ete-2024``."""
    # Drop accents rather than replace the whole letter, so names stay readable.
    ascii_text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    name = _NAME_BAD.sub("-", ascii_text).lstrip("_.-")
    return name[:NAME_MAX].rstrip("-") or "segment"


def is_gzip(head: bytes) -> bool:
    """True if the bytes start like a gzip stream."""
    return head.startswith(_GZIP_MAGIC)


def bom_encoding(head: bytes) -> str | None:
    """``utf-16`` when the bytes start with a UTF-16 byte-order mark (Excel "Unicode text")."""
    return "utf-16" if head.startswith(_UTF16_BOMS) else None


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


def detect_text(head: bytes, encoding: str) -> SegmentFormat | None:
    """Recognise decompressed content: ``PAR1`` -> parquet, ``{`` -> ndjson, text -> csv.

    None when the bytes are binary (NUL bytes outside UTF-16) or a JSON document that is not
    one object per line.
    """
    if head.startswith(_PARQUET_MAGIC):
        return SegmentFormat.PARQUET
    text = head.decode(encoding, errors="replace")
    if "\x00" in text:
        return None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if first_line.lstrip().startswith("{"):
        return SegmentFormat.NDJSON if _is_json_object(first_line) else None
    return SegmentFormat.CSV


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def sniff_delimiter(head: bytes, encoding: str) -> str:
    """Pick the delimiter (``,`` tab ``;`` ``|``) that splits the first records most consistently.

    Uses the csv module so quoted fields (with delimiters or newlines inside) are not miscounted.
    A file where no candidate gives two or more columns is a one-column file: ``,``.
    """
    text = head.decode(encoding, errors="replace")
    if len(head) == SNIFF_BYTES:
        # The last line is probably cut in the middle: leave it out.
        text = text[: text.rfind("\n") + 1] or text
    best, best_score = ",", (0.0, 0)
    for candidate in DELIMITER_CANDIDATES:
        widths = [len(r) for r in _records(text, candidate) if r]
        if not widths or widths[0] < 2:
            continue
        agreement = sum(1 for w in widths if w == widths[0]) / len(widths)
        score = (agreement, widths[0])
        if agreement >= _SNIFF_AGREEMENT and score > best_score:
            best, best_score = candidate, score
    return best


def _records(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
            if len(records) >= _SNIFF_RECORDS:
                break
    except csv.Error:
        pass  # an unbalanced quote late in the sample: judge by what parsed
    return records


def parquet_parts(folder: Path) -> ParquetParts | None:
    """The ``*.parquet`` files under a folder (hive ``key=value/`` sub-folders included).

    Marker and checksum files (``_SUCCESS``, ``_committed_*``, ``.crc``, hidden files) are skipped.
    None when the folder holds no Parquet part, or holds other data files too (then it is not a
    Parquet dataset); a Delta Lake table raises ValueError because its parts are not all live.
    """
    if (folder / _DELTA_LOG).is_dir():
        raise ValueError("is a Delta Lake table (it has _delta_log); export it to Parquet first")
    files: list[Path] = []
    keys: dict[str, None] = {}
    for path in _walk(folder):
        if not path.name.lower().endswith(_PART_SUFFIX):
            return None
        files.append(path)
        for part in path.relative_to(folder).parts[:-1]:
            if "=" in part:
                keys[part.split("=", 1)[0]] = None
    if not files:
        return None
    return ParquetParts(tuple(sorted(files)), tuple(keys))


def _walk(folder: Path) -> Iterator[Path]:
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(HIDDEN_PREFIXES) or entry.name.endswith(_IGNORED_SUFFIXES):
            continue
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file():
            yield entry


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


def scan_source(source: Path, fmt: SegmentFormat, delimiter: str) -> pl.LazyFrame:
    """A lazy scan of plain UTF-8 text or Parquet; text columns come out as ``pl.String``.

    CSV/TSV: no type inference (zip codes keep leading zeros), ``""`` and empty fields are null,
    rows longer than the header are cut to it (trailing delimiters are common in exports).
    NDJSON: every key seen in the first lines, read as text (nested values as JSON text).
    Parquet: a file, or the part files of a folder with hive partition columns as text.
    """
    if fmt is SegmentFormat.PARQUET:
        return _scan_parquet(source)
    if fmt is SegmentFormat.NDJSON:
        keys = _ndjson_keys(source)
        if not keys:
            return pl.LazyFrame()
        return pl.scan_ndjson(source, schema=dict.fromkeys(keys, pl.String))
    return pl.scan_csv(source, **_csv_options(delimiter))


def _csv_options(delimiter: str) -> dict[str, Any]:
    return {
        "separator": delimiter or ",",
        "quote_char": '"',
        "infer_schema": False,
        # With [""] a quoted "" is null too (empty_string_is_null alone keeps it as "").
        "null_values": [""],
        "truncate_ragged_lines": True,
        "raise_if_empty": False,
    }


def _ndjson_keys(source: Path) -> list[str]:
    try:
        return list(pl.scan_ndjson(source, infer_schema_length=NDJSON_INFER_ROWS).collect_schema())
    except pl.exceptions.ComputeError:
        if read_head(source, gz=False).strip():
            raise
        return []  # only blank lines: no columns, no rows


def _scan_parquet(path: Path) -> pl.LazyFrame:
    if not path.is_dir():
        return pl.scan_parquet(path)
    parts = parquet_parts(path)
    if parts is None:
        raise FileNotFoundError(2, "no Parquet part files in the folder", str(path))
    hive = dict.fromkeys(parts.hive_keys, pl.String)
    return pl.scan_parquet(
        list(parts.files),
        hive_partitioning=bool(hive),
        # Partition values are text too, or "zip=01234" would become the number 1234.
        hive_schema=hive or None,
        missing_columns="insert",
    )


def as_string(name: str, dtype: pl.DataType) -> pl.Expr:
    """Column ``name`` as text: nested values as JSON text, empty strings as null."""
    column = pl.col(name)
    if dtype == pl.String:
        text = column
    elif isinstance(dtype, pl.Struct):
        text = column.struct.json_encode()
    elif isinstance(dtype, pl.List | pl.Array):
        wrapped = pl.struct(column.alias(_WRAP_KEY)).struct.json_encode()
        text = wrapped.str.slice(len(_WRAP_PREFIX)).str.strip_suffix("}")
    else:
        text = column.cast(pl.String)
    return pl.when(column.is_not_null() & (text != "")).then(text).alias(name)


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


def parse_head(
    data: bytes, fmt: SegmentFormat, delimiter: str, rows: int, *, typed: bool
) -> pl.DataFrame:
    """Parse the first ``rows`` rows of UTF-8 text the way :func:`scan_source` reads the file.

    ``typed`` lets Polars guess column types (for showing the schema) instead of keeping text.
    """
    if fmt is SegmentFormat.NDJSON:
        return _ndjson_head(data, rows, typed=typed)
    options = _csv_options(delimiter)
    if typed:
        options.update(infer_schema=True, infer_schema_length=rows)
    return pl.read_csv(io.BytesIO(data), n_rows=rows, **options)


def _ndjson_head(data: bytes, rows: int, *, typed: bool) -> pl.DataFrame:
    if not data.strip():
        return pl.DataFrame()
    sample = pl.read_ndjson(io.BytesIO(data), infer_schema_length=NDJSON_INFER_ROWS)
    if typed:
        return sample.head(rows)
    schema = dict.fromkeys(sample.columns, pl.String)
    frame = pl.read_ndjson(io.BytesIO(data), schema=schema).head(rows)
    return frame.select([as_string(name, pl.String()) for name in schema])


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
