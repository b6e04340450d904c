"""Segments: reading the files of customer profiles that discovery found.

Discovery (:func:`discover_segments`, :func:`find_segments`, :func:`inspect_path`) lives in
:mod:`cc_tui.engine.segment_discovery` and is re-exported here. Reading (:func:`scan_segment`)
gives a lazy Polars frame in which every column is ``pl.String`` (zip codes keep their leading
zeros) and an empty string is null, whatever the format, so the e-mail rules see one kind of
"no value".

Converted copies and their lifecycle: plain UTF-8 text and Parquet are scanned in place. A gzip
file, or text in another encoding, is first copied to plain UTF-8 in a work folder, streamed in
4 MiB chunks (memory stays flat; the disk needs room for the uncompressed copy). Polars 2.1 could
stream gzip itself, but it silently returns the readable part of a truncated file; Python's gzip
module raises instead, and the copy then serves every later pass of the run.
:func:`prepare_segment` makes or reuses that copy; closing the :class:`PreparedSegment` (or
leaving its ``with`` block) deletes it. :func:`scan_segment` and :func:`count_rows` prepare
without closing: the copy stays in the work folder under a name derived from the file's
fingerprint, so the next call reuses it and a changed file gets a fresh copy (the stale one is
removed). :func:`clear_segment_cache` empties a work folder. The copies and
:func:`fingerprint` are made in :mod:`cc_tui.engine.segment_copies` (re-exported here).

Errors: Polars reads lazily, so a bad byte deep in a file only surfaces when the frame is
collected. Collect inside ``with segment_read_errors(segment):`` to turn that into an
:class:`~cc_tui.errors.InputError` naming the file, the place and the fix.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import polars as pl

from cc_tui.engine.segment_bytes import (
    HEAD_MAX_BYTES,
    TextSource,
    count_json_lines,
    find_decode_error,
    is_polars_encoding,
    read_text_head,
    unreadable_error,
)
from cc_tui.engine.segment_copies import (
    DISK_FULL,
    SegmentFingerprint,
    clear_segment_cache,
    converted_copy,
    copy_prefix,
    default_cache_dir,
    fingerprint,
)
from cc_tui.engine.segment_discovery import (
    SegmentDiscovery,
    discover_segments,
    find_segments,
    inspect_path,
)
from cc_tui.engine.segment_model import ORIGIN_CONFIG, Segment, SegmentFormat
from cc_tui.engine.segment_scan import (
    NDJSON_INFER_ROWS,
    as_string,
    parquet_parts,
    parse_head,
    scan_source,
)
from cc_tui.errors import InputError

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
    "needs_conversion",
    "prepare_segment",
    "preview",
    "scan_segment",
    "segment_columns",
    "segment_read_errors",
]

DEFAULT_PREVIEW_ROWS = 20
# Rows Polars looks at to guess column types for segment_columns (the scan itself never guesses).
TYPE_INFER_ROWS = 1000
_DELIMITED = (SegmentFormat.CSV, SegmentFormat.TSV)


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """A column of a segment and its type (inferred from the first rows for text formats)."""

    name: str
    dtype: str


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


# --- reading --------------------------------------------------------------------------------


def prepare_segment(segment: Segment, work_dir: Path | None = None) -> PreparedSegment:
    """Make the segment scannable by Polars, converting gzip / non-UTF-8 text into ``work_dir``.

    Raises InputError when the file cannot be read or (while converting) does not decode.
    """
    if not needs_conversion(segment):
        _check_readable(segment)
        return PreparedSegment(segment, segment.path)
    return PreparedSegment(segment, converted_copy(segment, work_dir), converted=True)


def scan_segment(
    segment: Segment, columns: Sequence[str] | None = None, *, work_dir: Path | None = None
) -> pl.LazyFrame:
    """A lazy, streaming-friendly scan: ``columns`` (all when None), every one ``pl.String``.

    A mapped column the file lacks raises InputError listing the columns it has. A 0-byte file
    gives zero rows (with the asked-for columns, so a run over it is a clean zero-row run).
    """
    return prepare_segment(segment, work_dir).scan(columns)


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
    if exc.errno in DISK_FULL:
        return False
    if exc.filename is None:
        return True  # Polars puts the path in the message, not in ``filename``
    named = str(exc.filename)
    return named.startswith(str(segment.path)) or Path(named).name.startswith(copy_prefix(segment))


def needs_conversion(segment: Segment) -> bool:
    """True when reading the segment first converts it (gzip, or an encoding Polars lacks)."""
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


def _is_empty(source: Path) -> bool:
    return source.is_file() and source.stat().st_size == 0


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
