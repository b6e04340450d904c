"""Segments: reading the rows of the files, folders, CDM entities and Delta tables discovery found.

Discovery (:func:`find_segments`, :func:`inspect_path`, :func:`inspect_all`) lives in
:mod:`cc_tui.engine.segments.discovery`. Reading (:func:`scan_segment`)
gives a lazy Polars frame in which every column is ``pl.String`` (zip codes keep their leading
zeros; typed Parquet/Delta values are written as Constant Contact reads them, see
``scan.as_string``) and an empty string is null, whatever the format, so the e-mail
rules see one kind of "no value". A segment of several files (a CDM entity's partitions, Spark
part files) is read as one stream, in file order.

Converted copies and their lifecycle: plain UTF-8 text and Parquet are scanned in place. A gzip
file, or text in another encoding, is first copied to plain UTF-8 in the home's private cache,
streamed in 4 MiB chunks (memory stays flat), with a cap on the decompressed size and a check
of free disk. Polars 2.1 could stream gzip itself, but it silently returns the readable part of
a truncated file; Python's gzip module raises instead, and the copy then serves every later pass
of the run. :func:`prepare_segment` makes or reuses the copies; closing the
:class:`PreparedSegment` (or leaving its ``with`` block) deletes them, and every copy is deleted
when the process ends at the latest (see :mod:`cc_tui.engine.segments.copies`).

Line endings: a file whose lines end in a bare CR is read with CR as the line end; one that
mixes bare CRs with LF/CRLF is refused (a bare CR would join two rows into one), the whole file
being checked once per process and version of the file: before reading, or, in pass 1, on a
thread beside the read (:func:`scanning_with_line_end_check`), the run stopping all the same.
The same read tells whether the file holds quotes; one that does is checked for quotes that
would join rows (a stray quote, one closing mid-field, Spark's backslash escapes: see
:mod:`.quoting`) at the same time, so a plan, pass 1 and pass 2 all refuse such a file before
any of its rows is counted or sent.

Errors: Polars reads lazily, so a bad byte deep in a file only surfaces when the frame is
collected. Collect inside ``with segment_read_errors(segment):`` (:mod:`.read_errors`) to turn
that into an :class:`~cc_tui.errors.InputError` naming the file, the place and the fix.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote

import polars as pl

from cc_tui.engine.segments.copies import (
    converted_copy,
    private_cache,
    register_copy,
    release_copies,
)
from cc_tui.engine.segments.delta_tables import scan_delta_table
from cc_tui.engine.segments.file_bytes import (
    HEAD_MAX_BYTES,
    count_json_lines,
    first_line_feed,
    is_polars_encoding,
    read_text_head,
    scan_line_ends,
    unclosed_quote_line,
    unreadable_error,
)
from cc_tui.engine.segments.folders import is_delta_table
from cc_tui.engine.segments.model import Segment, SegmentFormat
from cc_tui.engine.segments.path_checks import (
    GLOB_CHARACTERS,
    PathKind,
    first_with_data,
    kind_of,
    polars_path,
)
from cc_tui.engine.segments.quoting import quote_problem
from cc_tui.engine.segments.read_errors import (
    explained,
    extra_fields_error,
    quote_problem_error,
    segment_files,
    segment_read_errors,
    unclosed_quote_error,
)
from cc_tui.engine.segments.scan import (
    EXTRA_FIELDS,
    NDJSON_INFER_ROWS,
    TextOptions,
    as_string,
    column_problem,
    first_extra_field,
    ndjson_columns,
    parse_head,
    scan_ndjson_files,
    scan_parquet_files,
    scan_text,
)
from cc_tui.errors import InputError

__all__ = [
    "DEFAULT_PREVIEW_ROWS",
    "ColumnInfo",
    "PreparedSegment",
    "count_rows",
    "extra_fields_problem",
    "mapping_column_problems",
    "needs_conversion",
    "prepare_segment",
    "preview",
    "scan_segment",
    "scanning_with_line_end_check",
    "segment_columns",
]

DEFAULT_PREVIEW_ROWS = 20
# Rows Polars looks at to guess column types for segment_columns (the scan itself never guesses).
TYPE_INFER_ROWS = 1000
# The name Polars gives the first repeat of a header name (``Email_duplicated_0``).
_REPEATED_SUFFIX = "_duplicated_0"
# A header name that is an e-mail address: the "header" is the first row of a file written
# without a header line (bcp, SSMS, Spark), and that person would be lost. Deliberately loose
# (any address-like name, valid or not): no real column is named like an address.
_ADDRESS_NAME = re.compile(r"^\s*[^\s@]+@[^\s@]+\.[^\s@]+\s*$")


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """A column of a segment, its type, and why it cannot be mapped (None: it can).

    The type is the file's own (Parquet, Delta, a CDM attribute's ``dataType``) or Polars'
    guess from the first rows (text formats).
    """

    name: str
    dtype: str
    problem: str | None = None

    @property
    def mappable(self) -> bool:
        """True when the column can feed a Constant Contact field."""
        return self.problem is None


@dataclass(frozen=True, slots=True)
class PreparedSegment:
    """A segment ready for Polars: ``sources`` are plain UTF-8 text, NDJSON or Parquet files.

    ``converted`` is True when they are decompressed or transcoded copies in the cache. Scan
    as often as needed, then :meth:`close` (or use ``with``) to delete the copies.
    """

    segment: Segment
    sources: tuple[Path, ...]
    converted: bool = False
    hive: tuple[dict[str, str | None], ...] = field(default=())

    @property
    def source(self) -> Path:
        """The first (usually the only) source file."""
        return self.sources[0] if self.sources else self.segment.path

    def scan(self, columns: Sequence[str] | None = None) -> pl.LazyFrame:
        """A lazy frame of ``columns`` (all when None), every one ``pl.String``."""
        return _scan_prepared(self, columns)

    def close(self) -> None:
        """Delete the converted copies, if there are any."""
        if self.converted:
            release_copies(self.sources)

    def __enter__(self) -> PreparedSegment:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# The folder value Spark and Hive write for a null partition value.
_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


# --- reading --------------------------------------------------------------------------------


def prepare_segment(
    segment: Segment, work_dir: Path | None = None, *, check_line_ends: bool = True
) -> PreparedSegment:
    """Make the segment scannable by Polars, converting gzip / non-UTF-8 text into the cache.

    Raises InputError when a file is missing, is not a regular file, cannot be read, does not
    decode, decompresses past the cap, or mixes line endings. ``check_line_ends=False`` leaves
    the line-end check (a read of every byte) to the caller, who runs it beside its own read
    (see :func:`scanning_with_line_end_check`).
    """
    if segment.format is SegmentFormat.DELTA:
        if kind_of(segment.path) is not PathKind.FOLDER or not is_delta_table(segment.path):
            raise InputError(f"{segment.path}: is no longer a Delta Lake table (no _delta_log)")
        return PreparedSegment(segment, (segment.path,))
    files = segment_files(segment)
    converted = needs_conversion(segment)
    if converted:
        sources = tuple(converted_copy(segment, path, work_dir) for path in files)
    else:
        for path in files:
            _check_readable(path)
        sources = files
    if check_line_ends:
        for path, source in _line_end_checks(segment, files, sources):
            _check_line_ends(segment, path, source)
    if segment.rows_format is SegmentFormat.NDJSON:
        sources = tuple(_ndjson_path(source) for source in sources)
    return PreparedSegment(segment, sources, converted, _hive_values(segment, files))


def _line_end_checks(
    segment: Segment, files: Sequence[Path], sources: Sequence[Path]
) -> list[tuple[Path, Path]]:
    """The (file, source read) pairs whose line endings and quotes must be checked: every
    delimited text (bare CRs in LF text, LFs in CR text, quotes: see ``quoting``)."""
    if not segment.is_text:
        return []
    return list(zip(files, sources, strict=True))


@contextlib.contextmanager
def scanning_with_line_end_check(
    segment: Segment, work_dir: Path | None = None
) -> Iterator[PreparedSegment]:
    """The prepared segment, its line endings checked on a thread while the caller reads it.

    The check reads every byte of the file (0.35 s for 1.2 GB from the page cache) and the
    caller's read parses every byte again: side by side, they overlap instead of adding up.
    A bare CR found is raised when the block ends, in place of whatever the block raised (a
    row joined to the next is the cause of any odd error after it); the block's result is
    only good once the block has ended without an error.
    """
    prepared = prepare_segment(segment, work_dir, check_line_ends=False)
    # Text sources are the segment's files (or their converted copies) one for one.
    checks = (
        _line_end_checks(segment, segment_files(segment), prepared.sources)
        if segment.is_text
        else []
    )
    found: list[Exception] = []

    def check() -> None:
        try:
            for path, source in checks:
                _check_line_ends(segment, path, source)
        except Exception as exc:  # handed to the reading thread below
            found.append(exc)

    checker = threading.Thread(target=check, name="cc-tui-line-ends", daemon=True)
    checker.start()
    try:
        yield prepared
    except Exception as exc:
        checker.join()
        if found:
            raise found[0] from exc
        raise
    finally:  # an interrupt too waits for the thread, which ends with its read
        checker.join()
    if found:
        raise found[0]


def _ndjson_path(source: Path) -> Path:
    """``scan_ndjson`` reads a path as a pattern: a name with ``*?[`` gets a literal alias."""
    if not GLOB_CHARACTERS.intersection(str(source)):
        return source
    aliased = polars_path(source, private_cache())
    if aliased != source:
        register_copy(aliased)
    return aliased


def _hive_values(segment: Segment, files: Sequence[Path]) -> tuple[dict[str, str | None], ...]:
    """Each file's ``key=value`` folder values, as Spark and Hive write them: escaped like a
    URL (``city=New%20York``), and ``__HIVE_DEFAULT_PARTITION__`` for a null value."""
    if segment.files or not segment.path.is_dir():
        return ()
    values = []
    for path in files:
        found: dict[str, str | None] = {}
        for part in path.relative_to(segment.path).parts[:-1]:
            key, sep, value = part.partition("=")
            if sep:
                found[unquote(key)] = None if value == _HIVE_NULL else unquote(value)
        values.append(found)
    return tuple(values) if any(values) else ()


def scan_segment(
    segment: Segment, columns: Sequence[str] | None = None, *, work_dir: Path | None = None
) -> pl.LazyFrame:
    """A lazy, streaming-friendly scan: ``columns`` (all when None), every one ``pl.String``.

    A mapped column the segment lacks raises InputError listing the columns it has. A 0-byte
    file gives zero rows (with the asked-for columns, so a run over it is a clean zero-row run).
    """
    return prepare_segment(segment, work_dir).scan(columns)


def needs_conversion(segment: Segment) -> bool:
    """True when reading the segment first converts it (gzip, or an encoding Polars lacks)."""
    if segment.format is SegmentFormat.DELTA:
        return False
    if segment.gzip:
        return True
    return not segment.is_columnar and not is_polars_encoding(segment.encoding)


def _check_readable(path: Path) -> None:
    try:
        if kind_of(path) is not PathKind.FILE:
            raise InputError(f"{path}: is a folder, not a file")
    except InputError as exc:
        if "does not exist" in str(exc):
            raise unreadable_error(path, FileNotFoundError(2, "No such file or directory")) from exc
        raise
    try:
        with path.open("rb") as stream:
            stream.read(1)
    except OSError as exc:
        raise unreadable_error(path, exc) from exc


class _LineEndChecks:
    """Files whose line endings and quotes were checked, by (path, size, mtime, the options
    that decide how they split): each version once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done: set[tuple[str, int, int, TextOptions]] = set()


_LINE_ENDS_CHECKED = _LineEndChecks()


def _check_line_ends(segment: Segment, original: Path, source: Path) -> None:
    """Refuse a text file in which rows would run together: a bare CR among LF line ends,
    or a quote that joins lines (``quoting``). One read of the file, and more only when it
    holds quotes."""
    options = _text_options(segment)
    info = source.stat()
    key = (str(source.absolute()), info.st_size, info.st_mtime_ns, options)
    with _LINE_ENDS_CHECKED.lock:
        if key in _LINE_ENDS_CHECKED.done:
            return
    where = "of the uncompressed text " if segment.gzip else ""
    try:
        scan = scan_line_ends(source, segment.quote, bare_cr=segment.line_end == "\n")
        if scan.bare_cr_line is not None:
            raise InputError(
                f"{original}: line {scan.bare_cr_line:,} {where}ends with a bare carriage "
                "return (CR) while other lines end with a line feed, so two rows would run "
                "together. Fix: save the file with one kind of line ending (LF or CRLF)"
            )
        lf_line = first_line_feed(source, segment.quote) if segment.line_end == "\r" else None
        if lf_line is not None:
            raise InputError(
                f"{original}: line {lf_line:,} {where}ends with a line feed (LF) while its "
                "lines end with a bare carriage return (CR, as on classic Mac OS), so two rows "
                "would run together. Fix: save the file with one kind of line ending (LF or "
                "CRLF)"
            )
        problem = quote_problem(source, options, scan)
    except OSError as exc:
        raise unreadable_error(original, exc) from exc
    if problem is not None:
        raise quote_problem_error(segment, original, problem)
    with _LINE_ENDS_CHECKED.lock:
        _LINE_ENDS_CHECKED.done.add(key)


def _text_options(segment: Segment) -> TextOptions:
    return TextOptions(
        delimiter=segment.delimiter or ("\t" if segment.format is SegmentFormat.TSV else ","),
        quote=segment.quote,
        header=segment.header,
        columns=segment.columns,
        line_end=segment.line_end,
        skip_lines=segment.skip_lines,
    )


def _raw_scan(prepared: PreparedSegment) -> tuple[pl.LazyFrame, bool]:
    """The scan of a prepared segment, and whether its columns are text already."""
    segment = prepared.segment
    sources = prepared.sources
    fmt = segment.rows_format
    if fmt is SegmentFormat.DELTA:
        return scan_delta_table(segment), False
    if fmt is SegmentFormat.PARQUET:
        return scan_parquet_files(sources, prepared.hive or None), False
    if fmt is SegmentFormat.NDJSON:
        return scan_ndjson_files(sources, list(ndjson_columns(sources))), True
    return scan_text(sources, _text_options(segment), prepared.hive or None), True


def _scan_prepared(prepared: PreparedSegment, columns: Sequence[str] | None) -> pl.LazyFrame:
    segment = prepared.segment
    wanted = list(dict.fromkeys(columns)) if columns is not None else None
    with segment_read_errors(segment):
        if _all_empty(prepared):
            return pl.LazyFrame(schema=dict.fromkeys(wanted or [], pl.String))
        frame, text = _raw_scan(prepared)
        schema = frame.collect_schema()
    _refuse_row_as_header(segment, [name for name in schema if name != EXTRA_FIELDS])
    if wanted is None:
        names = [name for name in schema if name != EXTRA_FIELDS]
    else:  # the extra fields are there to be asked for only where the scan has them
        names = [name for name in wanted if name != EXTRA_FIELDS or name in schema]
    if wanted is not None:  # columns asked for by name (mapped): each must be one column
        _refuse_repeated_names(segment, names, schema)
        _refuse_other_spellings(segment, names, schema)
    missing = [name for name in names if name not in schema]
    if missing:
        raise InputError(
            f"{segment.path}: has no column {', '.join(repr(m) for m in missing)} (mapped in "
            f"the export). Its columns are: {', '.join(repr(c) for c in schema) or 'none'}. "
            f"Fix: map one of these columns instead"
        )
    if text and all(schema[name] == pl.String for name in names):
        return frame.select(names)  # already String, "" already null (scan null_values)
    return frame.select([as_string(name, schema[name]) for name in names])


def _all_empty(prepared: PreparedSegment) -> bool:
    if prepared.segment.format is SegmentFormat.DELTA:
        return False
    return all(source.is_file() and source.stat().st_size == 0 for source in prepared.sources)


def _non_empty(prepared: PreparedSegment) -> tuple[Path, ...]:
    return tuple(s for s in prepared.sources if not (s.is_file() and s.stat().st_size == 0))


# --- information ----------------------------------------------------------------------------


def segment_columns(segment: Segment) -> list[ColumnInfo]:
    """The columns, their types and whether each can be mapped.

    Parquet and Delta: the stored schema; a CDM entity: its attributes' types; NDJSON: the
    kinds of value its first lines hold; CSV/TSV: Polars' guess from the first rows.
    """
    with segment_read_errors(segment):
        if segment.column_types:
            return [ColumnInfo(name, dtype) for name, dtype in segment.column_types]
        if segment.is_columnar:
            prepared = prepare_segment(segment)
            if _all_empty(prepared):
                return []
            frame, _ = _raw_scan(prepared)
            items = list(frame.collect_schema().items())
            return [ColumnInfo(name, str(dtype), column_problem(dtype)) for name, dtype in items]
        if segment.rows_format is SegmentFormat.NDJSON:
            prepared = prepare_segment(segment)
            kinds = ndjson_columns(_non_empty(prepared))
            return [ColumnInfo(name, kind, column_problem(kind)) for name, kind in kinds.items()]
        items = list(_head_frame(segment, TYPE_INFER_ROWS, typed=True).schema.items())
    return [ColumnInfo(name, str(dtype)) for name, dtype in items]


def mapping_column_problems(segment: Segment, columns: Sequence[str]) -> list[str]:
    """Why mapped ``columns`` of ``segment`` cannot feed Constant Contact fields (lists...)."""
    problems = []
    known = {info.name: info for info in segment_columns(segment)}
    for name in dict.fromkeys(columns):
        info = known.get(name)
        if info is not None and info.problem is not None:
            problems.append(
                f"Segment '{segment.name}' column '{name}' ({info.dtype}) {info.problem}; a "
                "Constant Contact field takes one value. Fix: map another column, or flatten "
                "this one into text before exporting."
            )
    return problems


def preview(segment: Segment, rows: int = DEFAULT_PREVIEW_ROWS) -> pl.DataFrame:
    """The first ``rows`` rows as :func:`scan_segment` would give them; reads only the start."""
    with segment_read_errors(segment):
        several = len(segment.files) > 1 or segment.path.is_dir()
        if segment.is_columnar or (segment.rows_format is SegmentFormat.NDJSON and several):
            return scan_segment(segment).head(rows).collect()
        return _head_frame(segment, rows, typed=False)


def count_rows(segment: Segment, *, work_dir: Path | None = None) -> int:
    """Rows a full scan yields. Parquet and Delta: metadata only; text: a streaming count.

    gzip and non-UTF-8 files are converted first (see :func:`prepare_segment`): the copy is
    what the run scans next, so the work is not lost.
    """
    prepared = prepare_segment(segment, work_dir)
    with segment_read_errors(segment):
        if _all_empty(prepared):
            return 0
        if segment.rows_format is SegmentFormat.NDJSON:
            return sum(count_json_lines(source) for source in prepared.sources)
        frame, text = _raw_scan(prepared)
        if text:
            names = [name for name in frame.collect_schema() if name != EXTRA_FIELDS]
            _refuse_row_as_header(segment, names)
        return int(frame.select(pl.len()).collect().item())


def _refuse_joined_rows(segment: Segment, source: Path, options: TextOptions) -> None:
    """Raise the quote problem of a whole small file read as it is (plain UTF-8), so that its
    preview never shows rows a stray quote joined (the run would refuse the file)."""
    if segment.gzip or not is_polars_encoding(segment.encoding):
        return  # its converted copy is checked before it is read
    problem = quote_problem(source, options, scan_line_ends(source, segment.quote, bare_cr=False))
    if problem is not None:
        raise quote_problem_error(segment, source, problem)


def _head_frame(segment: Segment, rows: int, *, typed: bool) -> pl.DataFrame:
    """Parse the first ``rows`` rows from the first lines only (decompressed / transcoded)."""
    options = _text_options(segment)
    fmt = SegmentFormat.NDJSON if segment.rows_format is SegmentFormat.NDJSON else SegmentFormat.CSV
    lines = rows + 2 if fmt is not SegmentFormat.NDJSON else max(rows, NDJSON_INFER_ROWS)
    files = segment_files(segment)
    source = first_with_data(files) if files else segment.path
    while True:
        try:
            data, complete = read_text_head(
                source,
                gz=segment.gzip,
                encoding=segment.encoding,
                min_lines=lines,
                line_end=segment.line_end,
            )
        except UnicodeDecodeError as exc:
            raise explained(segment, exc) from exc
        if not data.strip() and segment.columns:
            return pl.DataFrame(schema=dict.fromkeys(segment.columns, pl.String))
        if not complete and segment.line_end.encode() not in data:
            # Not one line in 64 MiB: no segment looks like that (a bomb, a binary file).
            raise InputError(
                f"{segment.path}: has no line break in its first {HEAD_MAX_BYTES // 2**20} MiB, "
                f"so it cannot be read as {segment.format_label}. Fix: check the file"
            )
        if complete and fmt is SegmentFormat.CSV and segment.quote:
            # The whole file is here: a quote never closed would hide every row after it (a
            # preview of no rows) rather than fail, so it is looked for first.
            line = unclosed_quote_line(
                data.split(segment.line_end.encode()), segment.quote.encode()
            )
            if line is not None:
                raise unclosed_quote_error(segment, source, line)
            _refuse_joined_rows(segment, source, options)
        try:
            head = parse_head(data, fmt, options, rows, typed=typed)
        except pl.exceptions.ComputeError:
            # A quoted field with newlines may run past the lines read: read more and retry.
            if complete or len(data) >= HEAD_MAX_BYTES:
                raise
            lines *= 4
            continue
        if fmt is SegmentFormat.CSV and not typed:
            _refuse_extra_field_in_head(segment, source, data, options, head)
        return head


def extra_fields_problem(prepared: PreparedSegment, row: int) -> InputError:
    """The InputError for row ``row`` (from 0, across the segment's files) of a delimited
    segment, which holds a value past its last column: named in its own file, with its row
    and line there. Reads the files again: for the error path only."""
    segment = prepared.segment
    value = prepared.scan([EXTRA_FIELDS]).slice(row, 1).collect().item()
    width = len(prepared.scan().collect_schema())
    files = segment_files(segment)
    start = 0
    for path, source in zip(files, prepared.sources, strict=True):
        rows = 0
        if source.stat().st_size:  # an empty part holds no row (and no header to read)
            rows = scan_text([source], _text_options(segment)).select(pl.len()).collect().item()
        if row < start + rows:
            return extra_fields_error(
                segment, source, row - start + 1, str(value), width=width, path=path
            )
        start += rows
    return extra_fields_error(segment, None, row + 1, str(value), width=width)


def _refuse_extra_field_in_head(
    segment: Segment, source: Path, data: bytes, options: TextOptions, head: pl.DataFrame
) -> None:
    """Refuse a preview whose rows hold a value past their last column (pass 1 would refuse
    the file; shown, the row's values would sit under the wrong names)."""
    found = first_extra_field(data, options, head.columns, head.height)
    if found is None:
        return
    row, value = found
    plain = not segment.gzip and is_polars_encoding(segment.encoding)
    raise extra_fields_error(
        segment, source if plain else None, row, value, width=len(head.columns), path=source
    )


def _refuse_repeated_names(
    segment: Segment, names: Sequence[str], schema: Mapping[str, object]
) -> None:
    """Refuse reading a column of delimited text whose header line names it more than once.

    Polars reads the first and renames the others ``NAME_duplicated_0``...; which one an
    export means cannot be told (a sheet with an old and a new e-mail column).
    """
    if not segment.is_text:
        return
    repeated = next((name for name in names if f"{name}{_REPEATED_SUFFIX}" in schema), None)
    if repeated is None:
        return
    places = [
        str(number)
        for number, found in enumerate(schema, 1)
        if found == repeated or found.startswith(f"{repeated}_duplicated_")
    ]
    raise InputError(
        f"{segment.path}: its header line names {repeated!r} twice or more (columns "
        f"{', '.join(places)}), so which one the export means cannot be told. Fix: rename the "
        "other columns in the file's header line (or delete them), then map the one to send"
    )


def _refuse_other_spellings(
    segment: Segment, names: Sequence[str], schema: Mapping[str, object]
) -> None:
    """Refuse reading an NDJSON key that other lines spell in another case.

    Each line names its own keys: "email" on some lines and "Email" on others (two exports
    joined) is one field to the writer, but two columns to a read by name, and the other
    lines' values would be missing.
    """
    if segment.rows_format is not SegmentFormat.NDJSON:
        return
    for name in names:
        others = [key for key in schema if key != name and key.casefold() == name.casefold()]
        if others:
            raise InputError(
                f"{segment.path}: its lines spell the key {name!r} in more than one way "
                f"({', '.join(repr(key) for key in [name, *others])}), so read by the mapped "
                "one, the other lines' values would be missing. Fix: write every line with one "
                "spelling of the key"
            )


def _refuse_row_as_header(segment: Segment, names: Sequence[str]) -> None:
    """Refuse delimited text read with a header line whose names hold an e-mail address.

    That line is the first row of a file written without a header (bcp, SSMS, Spark): read as
    the header it would be lost, silently, and the columns named after that person's values.
    Costs nothing per row: the names are known once per scan. A preview and the columns
    (``segment add``) show the file as it would be read, for the face to warn about; every
    read that counts or sends its rows refuses it.
    """
    if not (segment.is_text and segment.header and segment.columns is None):
        return
    address = next((name for name in names if _ADDRESS_NAME.match(name)), None)
    if address is None:
        return
    shown = ", ".join(names)
    raise InputError(
        f"{segment.path}: its first line ({shown}) is read as the header line, but it holds "
        f"the e-mail address {address.strip()}: the file has no header line, and read so its "
        f"first row would be lost. Fix: add the segment again with --no-header --columns "
        f"NAME,NAME,... (header = false and columns = [...] under [segments.{segment.name}])"
    )
