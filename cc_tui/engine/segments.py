"""Segments: files of customer profiles, found in ``segments_dirs`` or named in config.toml.

Discovery (:func:`discover_segments`) lists every CSV, TSV, ``.csv.gz``/``.tsv.gz``, Parquet file
or Parquet folder and NDJSON file directly inside each segments folder, plus every
``[segments.NAME]`` entry. Reading (:func:`scan_segment`) gives a lazy Polars frame in which every
column is ``pl.String`` (zip codes keep their leading zeros) and an empty string is null, whatever
the format, so the e-mail rules see one kind of "no value".

Converted copies and their lifecycle: plain UTF-8 text and Parquet are scanned in place. A gzip
file, or text in another encoding, is first copied to plain UTF-8 in a work folder, streamed in
4 MiB chunks (memory stays flat; the disk needs room for the uncompressed copy). Polars 2.1 could
stream gzip itself, but it silently returns the readable part of a truncated file; Python's gzip
module raises instead, and the copy then serves every later pass of the run.
:func:`prepare_segment` makes or reuses that copy; closing the :class:`PreparedSegment` (or
leaving its ``with`` block) deletes it. :func:`scan_segment` and :func:`count_rows` prepare
without closing: the copy stays in the work folder under a name derived from the file's
fingerprint, so the next call reuses it and a changed file gets a fresh copy (the stale one is
removed). :func:`clear_segment_cache` empties a work folder.

Errors: Polars reads lazily, so a bad byte deep in a file only surfaces when the frame is
collected. Collect inside ``with segment_read_errors(segment):`` to turn that into an
:class:`~cc_tui.errors.InputError` naming the file, the place and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import tempfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl

from cc_tui.engine.segment_formats import (
    COPY_CHUNK_BYTES,
    DEFAULT_ENCODING,
    HEAD_MAX_BYTES,
    HIDDEN_PREFIXES,
    NAME_MAX,
    NDJSON_INFER_ROWS,
    SegmentFormat,
    TextSource,
    as_string,
    classify_name,
    copy_as_utf8,
    count_json_lines,
    digest_files,
    find_decode_error,
    is_polars_encoding,
    open_raw,
    parquet_parts,
    parse_head,
    read_start,
    read_text_head,
    recognise,
    scan_source,
    segment_name,
    unreadable_error,
)
from cc_tui.errors import InputError
from cc_tui.models import AppConfig

__all__ = [
    "DEFAULT_PREVIEW_ROWS",
    "ORIGIN_CONFIG",
    "ColumnInfo",
    "PreparedSegment",
    "Segment",
    "SegmentDiscovery",
    "SegmentFingerprint",
    "SegmentFormat",
    "clear_segment_cache",
    "count_rows",
    "default_cache_dir",
    "discover_segments",
    "find_segments",
    "fingerprint",
    "inspect_path",
    "prepare_segment",
    "preview",
    "scan_segment",
    "segment_columns",
    "segment_read_errors",
]

ORIGIN_CONFIG = "config"
DEFAULT_PREVIEW_ROWS = 20
# Rows Polars looks at to guess column types for segment_columns (the scan itself never guesses).
TYPE_INFER_ROWS = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CACHE_SUBDIR = "segment-cache"
_HASH_PREFIX = 16
_PARTIAL_SUFFIX = ".partial"
# Copies hold customer data: only their owner may read them.
_PRIVATE_MODE = 0o700
_PRIVATE_FILE_MODE = 0o600
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_DELIMITED = (SegmentFormat.CSV, SegmentFormat.TSV)
_COPY_SUFFIX = {
    SegmentFormat.CSV: ".csv",
    SegmentFormat.TSV: ".tsv",
    SegmentFormat.NDJSON: ".ndjson",
    SegmentFormat.PARQUET: ".parquet",
}


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: a file (or Parquet folder) of customer rows, and how to read it.

    ``delimiter`` is empty for Parquet and NDJSON. ``size_bytes`` and ``modified_at`` are from
    discovery time (a Parquet folder: the sum of its parts and the newest part). ``origin`` is
    ``"config"`` for a ``[segments.NAME]`` entry, else the segments folder it was found in.
    """

    name: str
    path: Path
    format: SegmentFormat
    gzip: bool = False
    delimiter: str = ","
    encoding: str = DEFAULT_ENCODING
    size_bytes: int = 0
    modified_at: datetime = _EPOCH
    origin: str = ORIGIN_CONFIG

    @property
    def format_label(self) -> str:
        """The format as config.toml spells it: ``csv``, ``tsv.gz``, ``parquet``..."""
        return f"{self.format}.gz" if self.gzip else str(self.format)


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """A column of a segment and its type (inferred from the first rows for text formats)."""

    name: str
    dtype: str


@dataclass(frozen=True, slots=True)
class SegmentFingerprint:
    """Cheap change detection for resuming runs: size, mtime and a hash of both ends."""

    size_bytes: int
    mtime_ns: int
    sha256: str

    def to_dict(self) -> dict[str, int | str]:
        """A JSON-ready dict (for the run history)."""
        return {"size_bytes": self.size_bytes, "mtime_ns": self.mtime_ns, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SegmentFingerprint:
        """Read back :meth:`to_dict`; ValueError if a key is missing or has the wrong type."""
        size, mtime, digest = data.get("size_bytes"), data.get("mtime_ns"), data.get("sha256")
        if not isinstance(size, int) or not isinstance(mtime, int) or not isinstance(digest, str):
            raise ValueError(f"not a segment fingerprint: {dict(data)!r}")
        return cls(size_bytes=size, mtime_ns=mtime, sha256=digest)


@dataclass(frozen=True, slots=True)
class SegmentDiscovery:
    """What discovery found: the segments by name, and why other things were left out.

    ``problems`` maps the name of a ``[segments.NAME]`` entry that cannot be used to the reason.
    """

    segments: Mapping[str, Segment]
    warnings: tuple[str, ...] = ()
    problems: Mapping[str, str] = field(default_factory=dict)

    def require(self, name: str) -> Segment:
        """The segment called ``name``, or an InputError that says why it is not there."""
        if name in self.segments:
            return self.segments[name]
        if name in self.problems:
            raise InputError(f"segment '{name}' cannot be used: {self.problems[name]}")
        known = ", ".join(self.segments) or "none"
        raise InputError(
            f"no segment named '{name}' (known: {known}). Fix: put the file in a segments "
            f"folder, or add [segments.{name}] with its path to config.toml"
        )


@dataclass(frozen=True, slots=True)
class PreparedSegment:
    """A segment ready for Polars: ``source`` is plain UTF-8 text, or Parquet.

    ``converted`` is True when ``source`` is a decompressed or transcoded copy in a work folder.
    Scan it as often as needed, then :meth:`close` it (or use ``with``) to delete the copy.
    """

    segment: Segment
    source: Path
    converted: bool = False

    def scan(self, columns: Sequence[str] | None = None) -> pl.LazyFrame:
        """A lazy frame of ``columns`` (all when None), every one ``pl.String``."""
        return _scan_source(self.segment, self.source, columns)

    def close(self) -> None:
        """Delete the converted copy, if there is one."""
        if self.converted:
            self.source.unlink(missing_ok=True)

    def __enter__(self) -> PreparedSegment:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- discovery ------------------------------------------------------------------------------


def discover_segments(config: AppConfig) -> dict[str, Segment]:
    """Every usable segment by name; see :func:`find_segments` for what was left out and why."""
    return dict(find_segments(config).segments)


def find_segments(config: AppConfig) -> SegmentDiscovery:
    """Discover segments in ``config.segments_dirs`` and ``config.segments``.

    Files are taken in folder order, then by file name, so names are stable: when two files
    share a name the second one gets its format appended (``vip`` and ``vip-parquet``). A
    ``[segments.NAME]`` entry wins its name, and a discovered file that an entry points at is
    listed only under the entry (which carries its encoding and delimiter).
    """
    warnings: list[str] = []
    problems: dict[str, str] = {}
    configured: dict[str, Segment] = {}
    for name, source in sorted(config.segments.items()):
        try:
            configured[name] = inspect_path(
                source.path,
                name=name,
                declared=source.format,
                encoding=source.encoding,
                delimiter=source.delimiter,
                origin=ORIGIN_CONFIG,
            )
        except InputError as exc:
            problems[name] = str(exc)
            warnings.append(f"segment '{name}' (config.toml): {exc}")
    claimed = {_identity(source.path) for source in config.segments.values()}
    found: dict[str, Segment] = {}
    taken = set(config.segments)
    for folder in config.segments_dirs:
        for segment in _discover_folder(folder, warnings):
            if _identity(segment.path) in claimed:
                continue
            name = _free_name(segment, taken)
            taken.add(name)
            found[name] = replace(segment, name=name)
    found.update(configured)
    return SegmentDiscovery(dict(sorted(found.items())), tuple(warnings), problems)


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _free_name(segment: Segment, taken: set[str]) -> str:
    if segment.name not in taken:
        return segment.name
    label = segment.format_label
    base = segment.name[: NAME_MAX - len(label) - 4]
    candidate, number = f"{base}-{label}", 2
    while candidate in taken:
        candidate, number = f"{base}-{label}-{number}", number + 1
    return candidate


def _discover_folder(folder: Path, warnings: list[str]) -> list[Segment]:
    try:
        entries = sorted(folder.iterdir())
    except FileNotFoundError:
        warnings.append(f"segments folder {folder} does not exist; skipped")
        return []
    except OSError as exc:
        warnings.append(f"segments folder {folder} cannot be read ({exc.strerror}); skipped")
        return []
    found: list[Segment] = []
    for entry in entries:
        if entry.name.startswith(HIDDEN_PREFIXES):
            continue
        try:
            segment = _discover_entry(entry, origin=str(folder))
        except InputError as exc:
            warnings.append(f"{exc}; skipped")
            continue
        if segment is not None:
            found.append(segment)
    return found


def _discover_entry(entry: Path, *, origin: str) -> Segment | None:
    if entry.is_dir():
        try:
            parts = parquet_parts(entry)
        except ValueError as exc:
            raise InputError(f"{entry}: {exc}") from exc
        if parts is None:
            return None  # an ordinary sub-folder: discovery does not recurse
        stem = entry.name.removesuffix(".parquet")
        return inspect_path(entry, name=segment_name(stem), origin=origin)
    kind = classify_name(entry.name)
    if kind is None or not entry.is_file():
        return None
    return inspect_path(entry, name=segment_name(kind.stem), origin=origin)


def inspect_path(
    path: Path,
    *,
    name: str,
    declared: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    origin: str = ORIGIN_CONFIG,
) -> Segment:
    """Build the Segment for one file or Parquet folder, recognising what it holds.

    ``declared`` is a config.toml format (``csv``, ``tsv.gz``...); without it the extension
    decides, and the first bytes when the extension says nothing. gzip is recognised by its
    magic bytes, a UTF-16 byte-order mark sets the encoding unless ``encoding`` is given.
    """
    if path.is_dir():
        return _folder_segment(path, name, declared, origin)
    info, head, gz = read_start(path)
    found = recognise(path, head, gz=gz, declared=declared, encoding=encoding, delimiter=delimiter)
    return Segment(
        name=name,
        path=path,
        format=found.format,
        gzip=found.gzip,
        delimiter=found.delimiter,
        encoding=found.encoding,
        size_bytes=info.st_size,
        modified_at=_utc(info.st_mtime_ns),
        origin=origin,
    )


def _folder_segment(path: Path, name: str, declared: str | None, origin: str) -> Segment:
    if declared not in (None, SegmentFormat.PARQUET.value):
        raise InputError(f"{path}: is a folder; only a Parquet folder can be a segment")
    try:
        parts = parquet_parts(path)
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from exc
    if parts is None:
        raise InputError(f"{path}: is not a Parquet folder (no part files, or other files too)")
    stats = [part.stat() for part in parts.files]
    return Segment(
        name=name,
        path=path,
        format=SegmentFormat.PARQUET,
        gzip=False,
        delimiter="",
        size_bytes=sum(s.st_size for s in stats),
        modified_at=_utc(max(s.st_mtime_ns for s in stats)),
        origin=origin,
    )


def _utc(mtime_ns: int) -> datetime:
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)


# --- reading --------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """Where converted copies go when no work folder is given: private, under the temp dir."""
    return Path(tempfile.gettempdir()) / f"cc-tui-{os.getuid()}" / _CACHE_SUBDIR


def prepare_segment(segment: Segment, work_dir: Path | None = None) -> PreparedSegment:
    """Make the segment scannable by Polars, converting gzip / non-UTF-8 text into ``work_dir``.

    Raises InputError when the file cannot be read or (while converting) does not decode.
    """
    if not _needs_copy(segment):
        _check_readable(segment)
        return PreparedSegment(segment, segment.path)
    folder = _private_dir(work_dir or default_cache_dir(), shared_parent=work_dir is None)
    prefix, version = _copy_key(segment)
    target = folder / f"{prefix}-{version}{_COPY_SUFFIX[segment.format]}"
    if not target.exists():
        for stale in folder.glob(f"{prefix}-*"):
            stale.unlink(missing_ok=True)
        _write_copy(segment, target)
    return PreparedSegment(segment, target, converted=True)


def scan_segment(
    segment: Segment, columns: Sequence[str] | None = None, *, work_dir: Path | None = None
) -> pl.LazyFrame:
    """A lazy, streaming-friendly scan: ``columns`` (all when None), every one ``pl.String``.

    A mapped column the file lacks raises InputError listing the columns it has. A 0-byte file
    gives zero rows (with the asked-for columns, so a run over it is a clean zero-row run).
    """
    return prepare_segment(segment, work_dir).scan(columns)


def clear_segment_cache(work_dir: Path | None = None) -> int:
    """Delete converted copies in ``work_dir`` (default: the private cache); returns how many."""
    folder = work_dir or default_cache_dir()
    removed = 0
    for suffix in {*_COPY_SUFFIX.values(), _PARTIAL_SUFFIX}:
        for copy in folder.glob(f"*{suffix}"):
            copy.unlink(missing_ok=True)
            removed += 1
    return removed


@contextlib.contextmanager
def segment_read_errors(segment: Segment) -> Iterator[None]:
    """Turn OS and Polars read errors raised inside the block into InputErrors for ``segment``.

    Errors about other files (a full disk while writing rejected rows, say) pass unchanged.
    """
    try:
        yield
    except OSError as exc:
        if not _about_segment(segment, exc):
            raise
        raise unreadable_error(segment.path, exc) from exc
    except (EOFError, zlib.error) as exc:
        raise unreadable_error(segment.path, exc) from exc
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise _explain(segment, exc) from exc


def _about_segment(segment: Segment, exc: OSError) -> bool:
    if exc.errno in _DISK_FULL:
        return False
    if exc.filename is None:
        return True  # Polars puts the path in the message, not in ``filename``
    named = str(exc.filename)
    return named.startswith(str(segment.path)) or Path(named).name.startswith(_path_key(segment))


def _needs_copy(segment: Segment) -> bool:
    if segment.gzip:
        return True
    return segment.format is not SegmentFormat.PARQUET and not is_polars_encoding(segment.encoding)


def _check_readable(segment: Segment) -> None:
    try:
        if segment.path.is_dir():
            if parquet_parts(segment.path) is None:
                raise InputError(f"{segment.path}: holds no Parquet part files any more")
            return
        with segment.path.open("rb") as stream:
            stream.read(1)
    except ValueError as exc:
        raise InputError(f"{segment.path}: {exc}") from exc
    except OSError as exc:
        raise unreadable_error(segment.path, exc) from exc


def _private_dir(folder: Path, *, shared_parent: bool) -> Path:
    try:
        if shared_parent:
            folder.parent.mkdir(mode=_PRIVATE_MODE, exist_ok=True)
        folder.mkdir(mode=_PRIVATE_MODE, parents=True, exist_ok=True)
        # Under the shared temp dir another user could have created these first: refuse theirs.
        for checked in (folder, folder.parent) if shared_parent else (folder,):
            info = checked.lstat()
            if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
                raise InputError(f"{checked}: is not a private folder of this user; remove it")
    except OSError as exc:
        raise InputError(f"{folder}: cannot create the work folder ({exc.strerror})") from exc
    return folder


def _copy_key(segment: Segment) -> tuple[str, str]:
    """(stable prefix for this file, version for its current content and encoding)."""
    fp = fingerprint(segment)
    version = f"{segment.encoding}|{segment.gzip}|{fp.size_bytes}|{fp.mtime_ns}|{fp.sha256}"
    return _path_key(segment), hashlib.sha256(version.encode()).hexdigest()[:_HASH_PREFIX]


def _path_key(segment: Segment) -> str:
    """The start of the names of this segment's converted copies."""
    return hashlib.sha256(str(_identity(segment.path)).encode()).hexdigest()[:_HASH_PREFIX]


def _write_copy(segment: Segment, target: Path) -> None:
    """Write the decompressed / transcoded copy under a temporary name, then rename it."""
    partial = target.with_name(f".{target.name}.{os.getpid()}{_PARTIAL_SUFFIX}")
    text = TextSource(segment.path, segment.name, segment.encoding, gz=segment.gzip)
    try:
        private = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _PRIVATE_FILE_MODE)
        with os.fdopen(private, "wb") as sink:
            if segment.format is SegmentFormat.PARQUET or is_polars_encoding(segment.encoding):
                # UTF-8 is not decoded here: Polars checks it while scanning, far faster.
                with open_raw(segment.path, gz=segment.gzip) as source:
                    shutil.copyfileobj(source, sink, COPY_CHUNK_BYTES)
            else:
                copy_as_utf8(text, sink)
        partial.replace(target)
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            raise InputError(
                f"{target.parent}: no room for the uncompressed copy of {segment.path} "
                f"({exc.strerror}). Fix: free disk space, or store the file uncompressed"
            ) from exc
        raise unreadable_error(segment.path, exc) from exc
    except (EOFError, zlib.error) as exc:
        raise unreadable_error(segment.path, exc) from exc
    finally:
        partial.unlink(missing_ok=True)


def _scan_source(segment: Segment, source: Path, columns: Sequence[str] | None) -> pl.LazyFrame:
    wanted = list(dict.fromkeys(columns)) if columns is not None else None
    with segment_read_errors(segment):
        if _is_empty(source):
            return pl.LazyFrame(schema=dict.fromkeys(wanted or [], pl.String))
        frame = scan_source(source, segment.format, segment.delimiter)
        schema = frame.collect_schema()
    names = list(schema) if wanted is None else wanted
    missing = [name for name in names if name not in schema]
    if missing:
        raise InputError(
            f"{segment.path}: has no column {', '.join(repr(m) for m in missing)} (mapped in "
            f"the export). Its columns are: {', '.join(repr(c) for c in schema) or 'none'}. "
            f"Fix: map one of these columns instead"
        )
    if segment.format in _DELIMITED:
        return frame.select(names)  # already String, "" already null (scan_csv null_values)
    return frame.select([as_string(name, schema[name]) for name in names])


# --- information ----------------------------------------------------------------------------


def segment_columns(segment: Segment) -> list[ColumnInfo]:
    """The columns and their types: Parquet's schema, or Polars' guess from the first rows."""
    with segment_read_errors(segment):
        if segment.format is SegmentFormat.PARQUET:
            frame = scan_source(prepare_segment(segment).source, segment.format, "")
            items = list(frame.collect_schema().items())
        else:
            items = list(_head_frame(segment, TYPE_INFER_ROWS, typed=True).schema.items())
    return [ColumnInfo(name, str(dtype)) for name, dtype in items]


def preview(segment: Segment, rows: int = DEFAULT_PREVIEW_ROWS) -> pl.DataFrame:
    """The first ``rows`` rows as :func:`scan_segment` would give them; reads only the start."""
    with segment_read_errors(segment):
        if segment.format is SegmentFormat.PARQUET:
            return scan_segment(segment).head(rows).collect()
        return _head_frame(segment, rows, typed=False)


def count_rows(segment: Segment, *, work_dir: Path | None = None) -> int:
    """Rows a full scan yields. Parquet: metadata only; text: a streaming count.

    gzip and non-UTF-8 files are converted first (see :func:`prepare_segment`): the copy is
    what the run scans next, so the work is not lost.
    """
    source = prepare_segment(segment, work_dir).source
    with segment_read_errors(segment):
        if _is_empty(source):
            return 0
        if segment.format is SegmentFormat.NDJSON:
            return count_json_lines(source)
        frame = scan_source(source, segment.format, segment.delimiter)
        return int(frame.select(pl.len()).collect().item())


def fingerprint(segment: Segment) -> SegmentFingerprint:
    """Size, newest mtime and a sha256 of the first and last 64 KiB of every data file."""
    try:
        size, mtime_ns, digest = digest_files(segment.path, _data_files(segment))
    except (OSError, ValueError) as exc:
        raise unreadable_error(segment.path, exc) from exc
    return SegmentFingerprint(size_bytes=size, mtime_ns=mtime_ns, sha256=digest)


def _is_empty(source: Path) -> bool:
    return source.is_file() and source.stat().st_size == 0


def _data_files(segment: Segment) -> tuple[Path, ...]:
    if not segment.path.is_dir():
        return (segment.path,)
    parts = parquet_parts(segment.path)
    return parts.files if parts is not None else ()


def _head_frame(segment: Segment, rows: int, *, typed: bool) -> pl.DataFrame:
    """Parse the first ``rows`` rows from the first lines only (decompressed / transcoded)."""
    lines = rows + 2 if segment.format is not SegmentFormat.NDJSON else max(rows, NDJSON_INFER_ROWS)
    while True:
        try:
            data, complete = read_text_head(
                segment.path, gz=segment.gzip, encoding=segment.encoding, min_lines=lines
            )
        except UnicodeDecodeError as exc:
            raise _explain(segment, exc) from exc
        try:
            return parse_head(data, segment.format, segment.delimiter, rows, typed=typed)
        except pl.exceptions.ComputeError:
            # A quoted field with newlines may run past the lines read: read more and retry.
            if complete or len(data) >= HEAD_MAX_BYTES:
                raise
            lines *= 4


def _explain(segment: Segment, exc: Exception) -> InputError:
    text = str(exc)
    if "utf8" in text.lower().replace("-", "") or isinstance(exc, UnicodeDecodeError):
        with contextlib.suppress(OSError, EOFError, zlib.error):
            located = find_decode_error(
                TextSource(segment.path, segment.name, segment.encoding, gz=segment.gzip)
            )
            if located is not None:
                return located
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return InputError(
        f"{segment.path}: cannot be read as {segment.format_label} ({first_line}). Fix: check "
        f"the file, or set format, delimiter or encoding under [segments.{segment.name}] in "
        f"config.toml"
    )
