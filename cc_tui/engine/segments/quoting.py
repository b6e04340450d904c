"""Quotes that would make rows of delimited text run together, found before any row is read.

Polars splits text into rows by toggling "inside quotes" at every quote character, and a line
break inside quotes is data. So one quote where none belongs (a name typed as ``"Bob``) joins the
lines after it into one field: silently when that field happens to close well, and in a way only
the e-mail projection of pass 1 can read when it does not (a full read of every column fails on
the field, so pass 2 would stop mid-run). Every row must be accounted for, so a text file holding
quotes is checked once, before it is read, by :func:`quote_problem`:

1. Cheap, and enough for nearly every file: a file without a quote character has nothing to
   check (the whole-file line-end scan, ``file_bytes.scan_line_ends``, tells, at memchr speed).
   With quotes, Polars counts the file's rows twice, with and without quoting (a SIMD count,
   no field is parsed); the same count means no quoted field holds a line break, so no line
   can have been joined to another.
2. Backslash escapes (only when the scan saw a backslash right before a quote): Spark writes a
   quote inside a quoted field as ``\\"`` unless told otherwise, which RFC 4180 (Excel, pandas,
   Customer Insights, Polars) does not know: ``"Robert \\"Bob\\""`` is read as ``Robert \\Bob\\``.
   A backslash and quote followed by anything but a delimiter, the line end or another quote is
   such an escape (RFC 4180 would have the field close there and go on, which no writer does)
   and is refused with its line: reading it right would take a second CSV reader. A field that
   ends in a backslash (``"C:\\dir\\"``) or holds one before a doubled quote stays as written.
3. Exact, only when the two counts differ (some quoted field spans lines):
   :func:`find_quote_problem` reads the file again and judges each field spanning lines
   (``docs/segment-quotes.md`` tells the rule with examples). The rule:

   - a field that spans lines must open with a quote at the start of a field (after a
     delimiter or at the line start), hold only doubled quotes inside, and close with a quote
     followed by the delimiter or the line end. Otherwise it is refused: a quote that closes in
     the middle of a field (``Cy" x``, or the opening quote of a later field, ``"Cy``), a quote
     inside an unquoted field (``5'11"``), a quote never closed;
   - a well-formed field is still refused when the lines it covers look like rows of their own:
     each of them, from its line start to its line end, has at least the delimiters of a whole
     row (the header's fields, or the columns of a headerless file, less one), and two of them
     hold an e-mail address at the same place. An address or a note with line breaks has its
     rows' delimiters on its first and last lines only, or no e-mail address on its inner
     lines; contact rows swallowed by a stray quote have both. (An e-mail address is what
     every row of a segment is for: a rule without it would refuse addresses whose lines hold
     commas, as ``12 Main St, Apt 4`` / ``Springfield, IL`` under ``email,address``.)

4. Fields on one line join no rows, but one whose closing quote is followed by more text
   (``"Bob" Smith,bob@x.com``) is read by the e-mail projection while a full read fails: it is
   looked for, in the same read, where a file's quotes are few (see :class:`_OneLineFields`).
   Quotes inside an unquoted field on one line (``Bob "the Builder" Smith``) are read as written.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import polars as pl

from cc_tui.engine.segments.file_bytes import COPY_CHUNK_BYTES, LineEndScan
from cc_tui.engine.segments.path_checks import open_regular
from cc_tui.engine.segments.remote_storage import is_remote
from cc_tui.engine.segments.scan import TextOptions, scan_text

__all__ = [
    "QuoteFault",
    "QuoteProblem",
    "backslash_escape_line",
    "fields_span_lines",
    "find_quote_problem",
    "quote_problem",
]

# Lines of one spanning field kept to judge whether they are rows of their own: a field longer
# than this is judged by its first lines.
_SPAN_LINES_KEPT = 1000
# An e-mail address as a field of a swallowed row holds it (quotes and spaces around it taken
# off): something, @, a domain with a dot. Looser than the e-mail rules on purpose: a row with
# a mistyped address is a row all the same.
_EMAIL_LIKE = re.compile(rb"[^@\s\",;]+@[^@\s\",;]+\.[^@\s\",;]+")
_AROUND_VALUE = b" \t\r\"'"
# Quotes fewer than one per this many bytes: a stretch of text written without a CSV writer,
# whose quoted fields on one line are checked one by one (see _OneLineFields).
_SPARSE_QUOTE_BYTES = 1024
_BACKSLASH = b"\\"
_CR = b"\r"


class QuoteFault(StrEnum):
    """What is wrong with a quote (see the module docstring for the rule)."""

    UNCLOSED = "unclosed"  # a quoted field never closed: every row after it would be lost
    STRAY = "stray"  # a quote inside a field that is not quoted, on a line that spans
    CLOSES_MID_FIELD = "closes_mid_field"  # a field's closing quote followed by more text
    ROWS_SWALLOWED = "rows_swallowed"  # a well-formed field whose lines look like rows
    BACKSLASH = "backslash"  # a quote escaped with a backslash (Spark)


@dataclass(frozen=True, slots=True)
class QuoteProblem:
    """A quote problem of a file: what, the line it starts on, the line it ends on (when that
    is another line), and the fields of a row (ROWS_SWALLOWED)."""

    fault: QuoteFault
    line: int
    end_line: int | None = None
    fields: int | None = None


def quote_problem(source: Path, options: TextOptions, scan: LineEndScan) -> QuoteProblem | None:
    """The first quote problem of a plain UTF-8 text file, or None (the module's three steps).

    ``scan`` is what the whole-file line-end scan saw: without a quote there is nothing to do.
    """
    if not (options.quote and scan.has_quote):
        return None
    if scan.has_escaped_quote:
        line = backslash_escape_line(source, options)
        if line is not None:
            return QuoteProblem(QuoteFault.BACKSLASH, line)
    # A blob would be downloaded twice more to be counted: its exact look reads it once.
    spans = is_remote(source) or fields_span_lines(source, options)
    return find_quote_problem(source, options, spans=spans)


def _line_number(path: Path, eol: bytes, offset: int) -> int:
    """The number of the line that starts at byte ``offset`` (counted only once needed)."""
    lines = seen = 0
    for piece in _pieces(path, eol, COPY_CHUNK_BYTES):
        if seen + piece.size >= offset:
            return lines + piece.data.count(eol, piece.start, piece.start + offset - seen) + 1
        lines += piece.count(eol)
        seen += piece.size
    return lines + 1


def fields_span_lines(source: Path, options: TextOptions) -> bool:
    """True when a quoted field of the file holds a line break: Polars counts its rows with and
    without quoting (both counts treat the header, blank lines and a last line without a line
    end alike, so only quoted line breaks tell them apart). A count Polars cannot make says
    True: the exact look then finds and names the cause."""
    try:
        quoted = scan_text([source], options).select(pl.len()).collect().item()
        unquoted = (
            scan_text([source], dataclasses.replace(options, quote=""))
            .select(pl.len())
            .collect()
            .item()
        )
    except pl.exceptions.PolarsError:
        return True
    return bool(quoted != unquoted)


def backslash_escape_line(
    path: Path, options: TextOptions, *, chunk_bytes: int = COPY_CHUNK_BYTES
) -> int | None:
    """The first line holding a quote escaped with a backslash as Spark writes it (``\\"``
    followed by anything but the delimiter, the line end or another quote), or None."""
    quote = options.quote.encode()
    delimiter = options.delimiter.encode()
    eol = options.line_end.encode()
    needle = _BACKSLASH + quote
    before = 0
    for piece in _pieces(path, eol, chunk_bytes):
        data, end = piece.data, piece.end
        at = data.find(needle, piece.start, end) if piece.find(_BACKSLASH) >= 0 else -1
        while at >= 0:
            after = at + len(needle)
            following = data[after : min(after + 1, end)]
            ends = following in (b"", quote, eol, _CR) or data.startswith(delimiter, after, end)
            if not ends:
                return before + data.count(eol, piece.start, at) + 1
            at = data.find(needle, after, end)
        before += piece.count(eol)
    return None


def find_quote_problem(
    path: Path, options: TextOptions, *, spans: bool = True, chunk_bytes: int = COPY_CHUNK_BYTES
) -> QuoteProblem | None:
    """The exact look: the first quote the rule refuses, or None.

    ``spans``: judge the fields that span lines (the counts said some do). Fields closed in the
    middle of a field on one line are looked for too while the file's quotes are few (see
    :class:`_OneLineFields`). Reads the file in chunks cut at line ends, and stops once neither
    look has anything left to do. A chunk in which no line holds an odd number of quotes (told
    in C: every byte but quotes and line ends deleted, doubled quotes removed) opens no field,
    so only chunks with such a line, or inside an open field, are walked line by line.
    """
    quote = options.quote.encode()
    eol = options.line_end.encode()
    judge = _Judge(options, _row_fields(path, options) if spans else None)
    one_line = _OneLineFields(options)
    single = len(quote) == 1 and len(eol) == 1
    delete = _deleting_all_but(quote + eol) if single else None
    before = offset = 0  # lines (counted when spans) and bytes before the piece
    for piece in _pieces(path, eol, chunk_bytes):
        lines = 0
        if spans:
            problem, lines = _spans_in(judge, piece, before, delete)
            if problem is not None:
                return problem
        at = one_line.problem_at(piece) if one_line.active else None
        if at is not None:
            if spans:
                line = before + piece.data.count(eol, piece.start, at) + 1
            else:
                line = _line_number(path, eol, offset + at - piece.start)
            return QuoteProblem(QuoteFault.CLOSES_MID_FIELD, line, line)
        if not (spans or one_line.active):
            return None
        before += lines
        offset += piece.size
    if judge.span is not None:
        return QuoteProblem(QuoteFault.UNCLOSED, judge.span.line)
    return None


def _spans_in(
    judge: _Judge, piece: _Piece, before: int, delete: bytes | None
) -> tuple[QuoteProblem | None, int]:
    """Judge the fields spanning lines in a piece; the problem found, and the piece's lines."""
    quote, eol = judge.quote, judge.eol
    if judge.span is None and piece.find(quote) < 0:
        return None, piece.count(eol)
    body = piece.data[piece.start : piece.end]
    odd = _odd_lines(body, quote, eol, delete)
    if judge.span is None and odd is not None and not any(odd):
        return None, body.count(eol)
    lines = body.split(eol)
    if body.endswith(eol):
        lines.pop()
    return _walk(judge, lines, before, odd), len(lines)


class _OneLineFields:
    """Looks, quote by quote, for a quoted field closed in the middle of a field on a line of
    its own (``"Bob" Smith,bob@x.com``), while a file's quotes are few.

    Polars reads the e-mail column of such a row but fails on the row's other fields, so pass
    1 would count it and pass 2 stop on it. Such a field comes from a file written by hand or
    without quoting (a value that starts with a quote), whose quotes are few: each stretch of
    4 MiB with fewer than one quote per :data:`_SPARSE_QUOTE_BYTES` is checked quote by quote
    (a smaller file counts as 4 MiB: it is checked whole unless it holds 4,096 quotes or more),
    and the look stops at the first stretch with more. A file quoted that densely was written
    by a CSV writer, which never writes such a field, and checking each of its fields in Python
    would cost more than reading it. A line that starts inside a quoted field (by Polars'
    toggling: an odd number of quotes before it) or holds an odd number of quotes is left to
    the look at fields spanning lines.
    """

    def __init__(self, options: TextOptions) -> None:
        self.judge = _Judge(options, None)
        self.quote = options.quote.encode()
        self.eol = options.line_end.encode()
        self.inside = False  # the text before the chunk ends inside quotes
        self.active = True

    def problem_at(self, piece: _Piece) -> int | None:
        """Where (in ``piece.data``) the line holding such a field starts, or None; past a
        densely quoted stretch, inactive from then on."""
        quote, eol = self.quote, self.eol
        data, end = piece.data, piece.end
        # Quotes are found one by one (memchr between them), never counted over the whole
        # chunk: a sparse chunk costs little more than reading it, a dense one stops the look.
        budget = max(piece.size, COPY_CHUNK_BYTES) // _SPARSE_QUOTE_BYTES
        inside = self.inside
        at = data.find(quote, piece.start, end)
        while at >= 0:
            start = max(data.rfind(eol, piece.start, at) + 1, piece.start)
            stop = data.find(eol, at, end)
            stop = end if stop < 0 else stop
            found = data.count(quote, start, stop)
            budget -= found
            if budget < 0:
                self.active = False
                return None
            odd = found % 2 == 1
            if not (inside or odd) and self.judge.closed_mid_field(data[start:stop]):
                return start
            inside ^= odd
            at = data.find(quote, stop, end)
        self.inside = inside
        return None


def _walk(
    judge: _Judge, lines: list[bytes], before: int, odd: list[bytes] | None
) -> QuoteProblem | None:
    """Judge the lines of a chunk (``before`` lines came earlier). ``odd`` (one entry per line,
    non-empty where the line holds an odd number of quotes) lets the walk skip, in C, the lines
    that neither open a field nor lie inside one: most lines of a file with multi-line fields."""
    if odd is None:
        todo: Iterable[int] = range(len(lines))
    else:
        todo = itertools.compress(range(len(lines)), odd)
    done = 0  # lines before this index are judged or skipped
    for index in todo:
        if judge.span is not None:  # the even lines between are inside the open field
            for inner in range(done, index):
                problem = judge.line(before + inner + 1, lines[inner])
                if problem is not None:
                    return problem
        problem = judge.line(before + index + 1, lines[index])
        if problem is not None:
            return problem
        done = index + 1
    if judge.span is not None:
        for inner in range(done, len(lines)):
            problem = judge.line(before + inner + 1, lines[inner])
            if problem is not None:
                return problem
    return None


@dataclass(frozen=True, slots=True)
class _Piece:
    """Whole lines of a file (the last piece may lack its line end): ``data[start:end]``. A
    chunk as read is a piece without a copy; only a line cut by a chunk's end is copied."""

    data: bytes
    start: int
    end: int

    @property
    def size(self) -> int:
        """How many bytes of the file the piece holds."""
        return self.end - self.start

    def find(self, what: bytes) -> int:
        """Where ``what`` first occurs in the piece (an offset in ``data``), or -1."""
        return self.data.find(what, self.start, self.end)

    def count(self, what: bytes) -> int:
        """How often ``what`` occurs in the piece."""
        return self.data.count(what, self.start, self.end)


def _pieces(path: Path, eol: bytes, chunk_bytes: int) -> Iterator[_Piece]:
    """The file in pieces of whole lines, in order, read ``chunk_bytes`` at a time."""
    carry = b""  # the start of a line cut by the last chunk's end
    with open_regular(path) as stream:
        while chunk := stream.read(chunk_bytes):
            first = chunk.find(eol)
            if first < 0:
                carry += chunk  # a line longer than a chunk
                continue
            begin = 0
            if carry:
                joined = carry + chunk[: first + 1]
                yield _Piece(joined, 0, len(joined))
                begin = first + 1
            last = chunk.rfind(eol) + 1
            if last > begin:
                yield _Piece(chunk, begin, last)
            carry = chunk[last:]
    if carry:
        yield _Piece(carry, 0, len(carry))


@functools.cache
def _deleting_all_but(keep: bytes) -> bytes:
    """The bytes ``bytes.translate`` deletes to keep only those of ``keep``."""
    return bytes(byte for byte in range(256) if byte not in keep)


def _odd_lines(body: bytes, quote: bytes, eol: bytes, delete: bytes | None) -> list[bytes] | None:
    """One entry per line of ``body``, non-empty where the line holds an odd number of quotes
    (it opens or closes a field spanning lines, or holds a stray quote); None when that cannot
    be told in C (a quote or line end of several bytes: every line is walked).

    Deleting all but quotes and line ends leaves each line as a run of quotes; removing doubled
    quotes leaves one quote where a run was odd.
    """
    if delete is None:
        return None
    odd = body.translate(None, delete).replace(quote + quote, b"").split(eol)
    if body.endswith(eol):
        odd.pop()
    return odd


def _row_fields(path: Path, options: TextOptions) -> int | None:
    """The fields of a whole row: the header line's (read as CSV), or the columns given for a
    headerless file."""
    if not options.header:
        return len(options.columns) if options.columns else None
    eol = options.line_end.encode()
    first = next(_pieces(path, eol, COPY_CHUNK_BYTES), _Piece(b"", 0, 0))
    lines = first.data[first.start : first.end].split(eol)
    if len(lines) <= options.skip_lines:
        return None
    reader = csv.reader(
        io.StringIO(lines[options.skip_lines].decode("utf-8", errors="replace")),
        delimiter=options.delimiter,
        quotechar=options.quote or None,
        quoting=csv.QUOTE_MINIMAL if options.quote else csv.QUOTE_NONE,
    )
    return len(next(reader, []))


@dataclass(slots=True)
class _Span:
    """A quoted field open across lines: the line it opened on, and the lines it covers."""

    line: int
    index: int  # of the field in its row
    lines: list[bytes] = field(default_factory=list)


class _Judge:
    """Walks lines in order, keeping the field that spans lines, and judges each such field."""

    def __init__(self, options: TextOptions, row_fields: int | None) -> None:
        self.quote = options.quote.encode()
        self.delimiter = options.delimiter.encode()
        self.eol = options.line_end.encode()
        self.crlf = options.line_end == "\n"
        self.row_fields = row_fields
        self.span: _Span | None = None

    def line(self, number: int, text: bytes) -> QuoteProblem | None:
        """Judge one line (without its line end); a problem found, or None."""
        quote = self.quote
        if self.span is None:
            if text.count(quote) % 2 == 0:
                return None  # toggling in pairs, the line ends outside quotes
            last = text.rfind(quote)
            if text.count(quote, 0, last) == 0 and (
                last == 0 or text.endswith(self.delimiter, 0, last)
            ):
                # The common opening: unquoted fields, then a quote at a field start.
                self.span = _Span(number, text.count(self.delimiter, 0, last), [text])
                return None
            return self._fields(number, text, 0, 0)
        return self._inside(number, text, self.span)

    def closed_mid_field(self, text: bytes) -> bool:
        """Whether a line that starts outside quotes holds a quoted field whose closing quote
        is followed by more text (a quote inside an unquoted field does not count here: it
        joins no row on a line of its own)."""
        problem = self._fields(0, text, 0, 0)
        self.span = None
        return problem is not None and problem.fault is QuoteFault.CLOSES_MID_FIELD

    def _inside(self, number: int, text: bytes, span: _Span) -> QuoteProblem | None:
        """Judge a line that starts inside the quoted field ``span``."""
        lines = span.lines
        if len(lines) < _SPAN_LINES_KEPT:
            lines.append(text)
        quote, delimiter = self.quote, self.delimiter
        close = text.find(quote)
        if close < 0:
            return None
        if text.startswith(quote, close + len(quote)):  # a doubled quote first: look further
            close = self._closing_quote(text, close)
            if close < 0:
                return None
        self.span = None
        after = close + len(quote)
        end = self._end(text)
        if after < end and not text.startswith(delimiter, after):
            return QuoteProblem(QuoteFault.CLOSES_MID_FIELD, span.line, number)
        if self._rows_of_their_own(lines):
            return QuoteProblem(QuoteFault.ROWS_SWALLOWED, span.line, number, self.row_fields)
        if after >= end or text.find(quote, after) < 0:
            return None  # nothing after the field, or nothing quoted
        return self._fields(number, text, after + len(delimiter), span.index + 1)

    def _end(self, text: bytes) -> int:
        """Where the line's text ends: before the CR of a CRLF line end."""
        return len(text) - 1 if self.crlf and text.endswith(_CR) else len(text)

    def _closing_quote(self, text: bytes, start: int) -> int:
        """The first quote at or after ``start`` that is not doubled, or -1."""
        quote = self.quote
        at = text.find(quote, start)
        while at >= 0 and text.startswith(quote, at + len(quote)):
            at = text.find(quote, at + 2 * len(quote))
        return at

    def _fields(self, number: int, text: bytes, start: int, index: int) -> QuoteProblem | None:
        """Read the line's fields from ``start`` (a field start, field ``index``) outside
        quotes; a quoted field left open at the line end becomes the span."""
        quote, delimiter = self.quote, self.delimiter
        end = self._end(text)
        while True:
            if text.startswith(quote, start):
                close = self._closing_quote(text, start + len(quote))
                if close < 0:
                    self.span = _Span(number, index, [text])
                    return None
                after = close + len(quote)
                if after >= end:
                    return None
                if not text.startswith(delimiter, after):
                    return QuoteProblem(QuoteFault.CLOSES_MID_FIELD, number, number)
                start = after + len(delimiter)
            else:
                found = text.find(delimiter, start, end)
                stop = end if found < 0 else found
                if text.count(quote, start, stop) % 2:
                    return QuoteProblem(QuoteFault.STRAY, number)
                if found < 0:
                    return None
                start = found + len(delimiter)
            index += 1

    def _rows_of_their_own(self, lines: list[bytes]) -> bool:
        """Whether the lines a field covers look like rows: each has a whole row's delimiters
        and two hold an e-mail address at the same place (see the module docstring)."""
        if len(lines) < 2:
            return False
        delimiter = self.delimiter
        if self.row_fields is not None:
            least = self.row_fields - 1
            for text in lines:
                if text.count(delimiter) < least:
                    return False
        seen: set[int] = set()
        for text in lines:
            for place, value in enumerate(text.split(delimiter)):
                if _EMAIL_LIKE.fullmatch(value.strip(_AROUND_VALUE)):
                    if place in seen:
                        return True
                    seen.add(place)
        return False
