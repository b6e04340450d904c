"""Read errors of a segment told as the person can act on them: which file, which line, what
to do.

Polars reads lazily, so a bad byte deep in a file surfaces as Polars' own words when a frame is
collected. :func:`segment_read_errors` turns OS, Polars and Delta errors raised while a segment
is read into :class:`~cc_tui.errors.InputError`; for Polars' it looks again, only then, for the
cause: an NDJSON line that is no object, a Parquet part cut short, a quote never closed or
escaped with a backslash, a byte that is not of the file's encoding.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import math
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from cc_tui.engine.segments.copies import DISK_FULL, copy_prefix, data_files
from cc_tui.engine.segments.delta_tables import delta_read_errors
from cc_tui.engine.segments.file_bytes import (
    TextSource,
    find_decode_error,
    is_polars_encoding,
    text_lines,
    unclosed_quote_line,
    unreadable_error,
)
from cc_tui.engine.segments.model import Segment, SegmentFormat
from cc_tui.engine.segments.path_checks import open_regular
from cc_tui.engine.segments.quoting import QuoteFault, QuoteProblem
from cc_tui.engine.segments.remote_storage import is_remote, remote_read_errors
from cc_tui.errors import InputError

# The most characters of a file's value shown in a message.
_SHOWN_VALUE = 60

__all__ = [
    "backslash_quote_error",
    "explained",
    "extra_fields_error",
    "quote_problem_error",
    "quote_trouble",
    "segment_files",
    "segment_read_errors",
    "unclosed_quote_error",
]

# Polars' words for a Parquet file that is no whole Parquet file; the magic bytes that end
# one (PARE: encrypted), and the smallest whole file (header, footer length, footer magic).
_PARQUET_TROUBLE = re.compile(r"out of specification|parquet", re.IGNORECASE)
_PARQUET_MAGIC = b"PAR1"
_PARQUET_FOOTERS = (_PARQUET_MAGIC, b"PARE")
_PARQUET_MIN_BYTES = 12
# Polars' words when a quote is not closed where it should be.
_BACKSLASH = b"\\"
_QUOTE_TROUBLE = re.compile(r"could not parse `|CSV malformed", re.IGNORECASE)
# Errors of Polars' readers that are about the data they read.
_POLARS_READ_ERRORS = (
    pl.exceptions.ComputeError,
    pl.exceptions.NoDataError,
    pl.exceptions.SchemaError,
    pl.exceptions.SchemaFieldNotFoundError,
)


@contextlib.contextmanager
def segment_read_errors(segment: Segment) -> Iterator[None]:
    """Turn OS, Polars and Delta read errors raised inside the block into InputErrors
    (a Delta table's: see ``delta_tables.delta_read_errors``).

    Errors about other files (a full disk while writing rejected rows, say) pass unchanged.
    Storage failures of a remote segment are told as such (see ``remote_storage``).
    """
    try:
        with remote_read_errors(segment.path), delta_read_errors(segment):
            yield
    except InputError:
        raise
    except OSError as exc:
        if not _about_segment(segment, exc):
            raise
        raise unreadable_error(segment.path, exc) from exc
    except (EOFError, zlib.error) as exc:
        raise unreadable_error(segment.path, exc) from exc
    except _POLARS_READ_ERRORS as exc:
        raise explained(segment, exc) from exc


def _about_segment(segment: Segment, exc: OSError) -> bool:
    if exc.errno in DISK_FULL:
        return False
    if exc.filename is None:
        return True  # Polars puts the path in the message, not in ``filename``
    named = str(exc.filename)
    if named.startswith(str(segment.path)):
        return True
    prefixes = {copy_prefix(path) for path in segment.files or (segment.path,)}
    return any(Path(named).name.startswith(prefix) for prefix in prefixes)


def segment_files(segment: Segment) -> tuple[Path, ...]:
    """The segment's data files; a folder that cannot be listed is an InputError."""
    try:
        return data_files(segment)
    except InputError:
        raise
    except OSError as exc:
        raise unreadable_error(segment.path, exc) from exc


def unclosed_quote_error(segment: Segment, path: Path, line: int) -> InputError:
    quote = segment.quote
    return InputError(
        f"{path}: line {line:,}: a field's quote ({quote}) opened there is never closed, or a "
        f"{quote} stands inside a field that is not quoted, so the rows after it cannot be told "
        f"apart. Fix: close the quote (a {quote} inside a quoted field is written twice, "
        f"{quote * 2}); or, if {quote} is a plain character in this file, set quote = '' under "
        f"[segments.{segment.name}] in config.toml"
    )


def extra_fields_error(
    segment: Segment,
    source: Path | None,
    row: int,
    value: str,
    *,
    width: int,
    path: Path | None = None,
) -> InputError:
    """The InputError for data row ``row`` (from 1) of a delimited file, which holds ``value``
    past its ``width`` columns: the row's values are shifted, or some were cut off.

    ``source`` is the plain UTF-8 text read (the file, or its converted copy; None: not at
    hand); the line the row starts on is found by reading it again, on this error path only.
    ``path`` is the file named (default: the segment's path).
    """
    line = None if source is None else _line_of_row(segment, source, row)
    where = f"row {row:,} (line {line:,}{_uncompressed_tail(segment)})" if line else f"row {row:,}"
    sep = segment.delimiter or ","
    named = "the header line's" if segment.header else "the named columns'"
    shown = value if len(value) <= _SHOWN_VALUE else value[:_SHOWN_VALUE] + "..."
    return InputError(
        f"{path or segment.path}: {where} has more fields than {named} {width} ({shown!r} is past "
        f"the last column): a value holding the delimiter ({sep!r}) without quotes shifts the "
        "values after it into the wrong columns, and the last ones are cut off. Fix: quote the "
        f"values that hold {sep!r} (in SSMS: Tools > Options > Query Results > SQL Server > "
        'Results to Grid > "Quote strings containing list separators when saving .csv '
        'results"), or export the file with a delimiter no value holds; if every row has that '
        f"field, name its column in the {'header line' if segment.header else 'columns'}"
    )


def _uncompressed_tail(segment: Segment) -> str:
    return " of the uncompressed text" if segment.gzip else ""


def _line_of_row(segment: Segment, source: Path, row: int) -> int | None:
    """The line data row ``row`` starts on, read as Python's csv module splits records (which
    a file that passed the quote check splits as Polars does); None if it cannot be read."""
    sep = segment.delimiter or ","
    quoting = {"quotechar": segment.quote} if segment.quote else {"quoting": csv.QUOTE_NONE}
    with (
        contextlib.suppress(OSError, csv.Error, UnicodeError, StopIteration),
        source.open(encoding="utf-8-sig", errors="replace", newline="") as text,
    ):
        for _ in range(segment.skip_lines):
            text.readline()
        reader = csv.reader(text, delimiter=sep, **quoting)
        records = row if segment.header else row - 1
        for _ in range(records):
            next(reader)
        return int(reader.line_num) + segment.skip_lines + 1
    return None


def backslash_quote_error(segment: Segment, path: Path, line: int) -> InputError:
    """The InputError for a quote escaped with a backslash, as Spark writes them."""
    mark = segment.quote
    return InputError(
        f"{path}: line {line:,} {_uncompressed(segment)}escapes a quote with a backslash "
        f"(\\{mark}), as Spark writes CSV unless told otherwise; cc-tui reads quotes escaped by "
        f"writing them twice ({mark * 2}), as RFC 4180, Excel and Customer Insights do. Fix: "
        f"write the file with .option(\"escape\", '{mark}') (Spark), or export it as Parquet"
    )


def quote_problem_error(segment: Segment, path: Path, problem: QuoteProblem) -> InputError:
    """The InputError for a quote that would join rows (``quoting``), naming the line where it
    opens and the line where it closes, and what to do."""
    quote = segment.quote
    fault = problem.fault
    if fault is QuoteFault.BACKSLASH:
        return backslash_quote_error(segment, path, problem.line)
    if fault in (QuoteFault.UNCLOSED, QuoteFault.STRAY) or problem.end_line is None:
        return unclosed_quote_error(segment, path, problem.line)
    first, last = problem.line, problem.end_line
    lines = f"line {first:,}" if first == last else f"lines {first:,}-{last:,}"
    where = f"{path}: {lines} {_uncompressed(segment)}".rstrip()
    plain = (
        f"or, if {quote} is a plain character in this file, set quote = '' under "
        f"[segments.{segment.name}] in config.toml"
    )
    if fault is QuoteFault.CLOSES_MID_FIELD and first == last:
        return InputError(
            f"{where}: a field quoted with {quote} closes in the middle of the field (a closing "
            f"{quote} must be followed by the delimiter or the line end), so the row cannot be "
            f"read whole: its e-mail column can, its other fields cannot. Fix: quote the whole "
            f"field and write each {quote} inside it twice ({quote * 2}); {plain}"
        )
    if fault is QuoteFault.CLOSES_MID_FIELD:
        return InputError(
            f"{where}: the quote ({quote}) that opens a field on line {first:,} closes on line "
            f"{last:,} in the middle of a field (a closing {quote} must be followed by the "
            "delimiter or the line end), so the rows in between cannot be told apart. Fix: "
            f"remove the stray {quote}, or quote the whole field and write each {quote} inside "
            f"it twice ({quote * 2}); {plain}"
        )
    fields = f"the {problem.fields} fields of a row" if problem.fields else "a row's fields"
    return InputError(
        f"{where}: a field quoted ({quote}) on line {first:,} runs to line {last:,}, and the "
        f"lines it covers look like rows of their own (each has {fields}, and they hold "
        f"e-mail addresses), so read as written they would be one row and {last - first:,} "
        f"rows would be lost. Fix: remove the {quote} that opens the field on line {first:,} "
        f"(or, inside a quoted field, write it twice: {quote * 2}); {plain}"
    )


def _uncompressed(segment: Segment) -> str:
    return "of the uncompressed text " if segment.gzip else ""


def quote_trouble(segment: Segment) -> InputError | None:
    """The error naming the line of a quote that is never closed, or escaped with a
    backslash, when one of the segment's text files has one (read only once a read failed)."""
    if not (segment.is_text and segment.quote and is_polars_encoding(segment.encoding)):
        return None
    quote = segment.quote.encode()
    with contextlib.suppress(OSError, EOFError, zlib.error, InputError):
        for source in segment_files(segment):
            line = unclosed_quote_line(text_lines(source, gz=segment.gzip), quote)
            if line is not None:
                return unclosed_quote_error(segment, source, line)
            escaped = next(
                (
                    number
                    for number, text in enumerate(text_lines(source, gz=segment.gzip), 1)
                    if _BACKSLASH + quote in text
                ),
                None,
            )
            if escaped is not None:
                return backslash_quote_error(segment, source, escaped)
    return None


def _broken_parquet_part(segment: Segment) -> InputError | None:
    """The error naming a Parquet part that is no whole Parquet file (0 bytes, cut short)."""
    if segment.rows_format is not SegmentFormat.PARQUET:
        return None
    with contextlib.suppress(OSError, InputError):
        for path in segment_files(segment):
            size = path.stat().st_size
            whole = size >= _PARQUET_MIN_BYTES
            if whole and not is_remote(path):
                with open_regular(path) as stream:
                    stream.seek(size - len(_PARQUET_MAGIC))
                    whole = stream.read(len(_PARQUET_MAGIC)) in _PARQUET_FOOTERS
            if not whole:
                return InputError(
                    f"{path}: is not a whole Parquet file ({size:,} bytes, no Parquet footer): "
                    "it was cut short while it was written or copied. Fix: copy or export the "
                    f"data of {segment.path.name} again"
                )
    return None


def _finite_float(text: str) -> float:
    """A JSON number as Python reads it; one too large for a float (1e400) is refused, as
    Polars refuses it."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text} is too large")
    return value


def _bad_json_line(segment: Segment) -> InputError | None:
    """The error naming the first NDJSON line that is no JSON object, when a file has one."""
    if segment.rows_format is not SegmentFormat.NDJSON:
        return None
    with contextlib.suppress(OSError, EOFError, zlib.error, InputError):
        for source in segment_files(segment):
            for number, line in enumerate(text_lines(source, gz=segment.gzip), 1):
                if not line.strip():
                    continue
                try:
                    text = line.removeprefix(codecs.BOM_UTF8) if number == 1 else line
                    record = json.loads(text, parse_float=_finite_float)
                except ValueError as exc:
                    reason = f"not JSON: {exc}"
                else:
                    if isinstance(record, dict):
                        continue
                    reason = f"a JSON {type(record).__name__}, not an object"
                return InputError(
                    f"{source}: line {number:,} is {reason}. Fix: write one JSON object per "
                    "line (NDJSON), and check that the file was not cut short or edited by hand"
                )
    return None


def explained(segment: Segment, exc: Exception) -> InputError:
    """``exc``, raised reading ``segment``, as an InputError naming its cause where found."""
    text = str(exc)
    if segment.rows_format is SegmentFormat.NDJSON:
        bad = _bad_json_line(segment)
        if bad is not None:
            return bad
    if _PARQUET_TROUBLE.search(text):
        broken = _broken_parquet_part(segment)
        if broken is not None:
            return broken
    if _QUOTE_TROUBLE.search(text):
        located = quote_trouble(segment)
        if located is not None:
            return located
    if "utf8" in text.lower().replace("-", "") or isinstance(exc, UnicodeDecodeError):
        with contextlib.suppress(OSError, EOFError, zlib.error, InputError):
            for source in segment_files(segment):
                located = find_decode_error(
                    TextSource(
                        source,
                        segment.name,
                        segment.encoding,
                        gz=segment.gzip,
                        limit=segment.max_uncompressed_bytes,
                        line_end=segment.line_end,
                    )
                )
                if located is not None:
                    return located
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return InputError(
        f"{segment.path}: cannot be read as {segment.format_label} ({first_line}). Fix: check "
        f"the file, or set format, delimiter or encoding under [segments.{segment.name}] in "
        f"config.toml"
    )
