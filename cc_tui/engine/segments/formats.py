"""What a segment file is: its format, delimiter and encoding, from its name and first bytes.

The format comes from the file name or, when the name says nothing, from the first bytes; the
delimiter is sniffed; a UTF-16 byte-order mark sets the encoding; :func:`segment_name` makes a
segment name from a file name.

Line endings are judged from the first bytes too: classic Mac files (CR alone) are read with
CR as the line end; a file that mixes bare CRs with LFs is refused, because Polars would join
the lines a bare CR ends into one row.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import unicodedata
import zlib
from dataclasses import dataclass
from pathlib import Path

from cc_tui.engine.segments.file_bytes import (
    MIXED_LINE_ENDINGS,
    SNIFF_BYTES,
    is_polars_encoding,
    line_ending,
    read_head,
    unreadable_error,
)
from cc_tui.engine.segments.model import DEFAULT_ENCODING, DEFAULT_QUOTE, SegmentFormat
from cc_tui.engine.segments.path_checks import require_file
from cc_tui.errors import InputError

__all__ = [
    "DELIMITER_CANDIDATES",
    "NAME_MAX",
    "FileKind",
    "Recognised",
    "bom_encoding",
    "classify_name",
    "detect_text",
    "excel_separator",
    "free_name",
    "is_gzip",
    "powershell_type_line",
    "read_start",
    "recognise",
    "segment_name",
    "sniff_delimiter",
    "spreadsheet_error",
    "text_line_end",
    "utf8_head",
]

DELIMITER_CANDIDATES = (",", "\t", ";", "|")
NAME_MAX = 64
# Records looked at to pick a delimiter, and the share of them that must agree with the header.
_SNIFF_RECORDS = 20
_SNIFF_AGREEMENT = 0.8
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_WITH_BOM = "utf-8-sig"
# Spreadsheet workbooks people drop beside their CSV files: by name, and by their first bytes
# (a ZIP archive: .xlsx, .ods; an OLE compound file: .xls).
_SPREADSHEET_EXTENSIONS = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".numbers"})
_ZIP_MAGIC = b"PK\x03\x04"
_WORKBOOK_MAGICS = (_ZIP_MAGIC, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_DELIMITED = (SegmentFormat.CSV, SegmentFormat.TSV)
# Excel's separator hint: a first line of exactly "sep=" and one character.
_EXCEL_SEPARATOR = re.compile(rb"sep=([^\r\n\"])\r?\n", re.IGNORECASE)
# Windows PowerShell 5.1's Export-Csv and ConvertTo-Csv start with the objects' .NET type unless
# told -NoTypeInformation (``#TYPE System.Management.Automation.PSCustomObject``); its
# Import-Csv skips that line. Read as the header it would make one column of every row.
_POWERSHELL_TYPE = re.compile(rb"#TYPE [^\r\n\"]+\r?\n")
# A CRLF written through a Windows text-mode file (its LF made CRLF once more).
_CR_CR_LF = b"\r\r\n"
# A NUL that is not a whole field of delimited text (a field between delimiters or line ends).
_STRAY_NUL = re.compile(r"(?<=[^,\t;|\r\n])\x00|\x00(?=[^,\t;|\r\n])")
_NAME_BAD = re.compile(r"[^A-Za-z0-9_.-]+")

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
    line_end: str = "\n"
    skip_lines: int = 0
    notes: tuple[str, ...] = ()


def read_start(path: Path) -> tuple[os.stat_result, bytes, bool]:
    """The file's stat, its first (decompressed) bytes, and whether it is gzip.

    A FIFO, socket or device raises InputError without being opened.
    """
    info = require_file(path)
    try:
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
    quote: str | None = None,
) -> Recognised:
    """Format, delimiter, encoding and line end of a file from config, name and content.

    ``declared`` is a config.toml format (``csv``, ``tsv.gz``...); without it the extension
    decides, and the first bytes when the extension says nothing. A UTF-16 byte-order mark sets
    the encoding unless ``encoding`` is given. Raises InputError for content that is no segment
    and for text whose lines end in two ways.
    """
    kind = classify_name(path.name) or FileKind(path.name, None, gzip=False)
    fmt = SegmentFormat(declared.removesuffix(".gz")) if declared else kind.format
    sniffed = fmt is None
    enc = encoding or bom_encoding(head) or DEFAULT_ENCODING
    fmt = _content_format(path, head, enc, fmt, confirm=declared is None and kind.confirm)
    if fmt is SegmentFormat.NDJSON and encoding is None and head.startswith(codecs.BOM_UTF8):
        # Windows tools (PowerShell 5's Out-File, Notepad) start UTF-8 text with a BOM, which
        # Polars' NDJSON reader cannot skip: the file is read through a copy without it.
        enc = _UTF8_WITH_BOM
    hint = excel_separator(utf8_head(head, enc)) if fmt in _DELIMITED else None
    typed = fmt in _DELIMITED and powershell_type_line(utf8_head(head, enc))
    # The sniffer judges the lines after a type line (cut in UTF-8: a UTF-16 line feed is two
    # bytes).
    sample, sample_encoding = (
        (_without_first_line(utf8_head(head, enc)), "utf-8") if typed else (head, enc)
    )
    sep = _delimiter(fmt, delimiter or hint, sample, sample_encoding)
    if sniffed and sep == "\t":
        fmt = SegmentFormat.TSV
    end = "\n"
    if fmt in _DELIMITED:
        end = text_line_end(path, utf8_head(head, enc), DEFAULT_QUOTE if quote is None else quote)
    notes: tuple[str, ...] = ()
    if hint is not None:
        notes = (
            f"the first line says sep={sep} (a hint for Excel): it is no row, and sets the "
            "delimiter",
        )
    elif typed:
        notes = (
            "the first line is PowerShell's #TYPE line (Export-Csv without "
            "-NoTypeInformation): it is no row, and the header is the line after it",
        )
    skip = 1 if hint is not None or typed else 0
    return Recognised(fmt, gz, sep, enc, end, skip_lines=skip, notes=notes)


def powershell_type_line(head: bytes) -> bool:
    """True when UTF-8 text starts with the ``#TYPE`` line of Windows PowerShell's Export-Csv."""
    return _POWERSHELL_TYPE.match(head.removeprefix(codecs.BOM_UTF8)) is not None


def _without_first_line(head: bytes) -> bytes:
    """The bytes after the first line feed (the sniffer must not count a ``#TYPE`` line)."""
    return head[head.find(b"\n") + 1 :]


def excel_separator(head: bytes) -> str | None:
    """The delimiter a first line ``sep=;`` names (Excel's hint, written by tools that make
    CSV for Excel), or None when the text does not start with one."""
    match = _EXCEL_SEPARATOR.match(head.removeprefix(codecs.BOM_UTF8))
    return match.group(1).decode("utf-8") if match else None


def utf8_head(head: bytes, encoding: str) -> bytes:
    """The first bytes of a text file as UTF-8 (a cut character at the end is dropped)."""
    if is_polars_encoding(encoding):
        return head
    return head.decode(encoding, errors="ignore").encode("utf-8")


def text_line_end(path: Path, head: bytes, quote: str) -> str:
    """The line end of delimited text (see ``line_ending``); InputError for mixed ones."""
    end = line_ending(head, quote)
    if end == MIXED_LINE_ENDINGS and _CR_CR_LF in head:
        raise InputError(
            f"{path}: its lines end in CR CR LF (\\r\\r\\n): a CRLF line end written through a "
            "file opened in text mode on Windows (Python's csv module, or pandas' to_csv with "
            "lineterminator='\\r\\n', given an open file), so every row would end in a stray "
            "carriage return. Fix: write it again opening the file with newline='' (or give "
            "to_csv the path, not an open file), or save it with one kind of line ending "
            "(LF or CRLF)"
        )
    if end == MIXED_LINE_ENDINGS:
        raise InputError(
            f"{path}: mixes line endings: some lines end with a bare carriage return (CR, as "
            "on classic Mac OS) and others with a line feed, so rows would run together. Fix: "
            "save the file with one kind of line ending (LF or CRLF)"
        )
    return end


def spreadsheet_error(path: Path, head: bytes = b"") -> InputError | None:
    """The error for a spreadsheet workbook (by its name, or its ZIP / OLE bytes), or None."""
    if not (
        Path(path.name.lower()).suffix in _SPREADSHEET_EXTENSIONS
        or head.startswith(_WORKBOOK_MAGICS)
    ):
        return None
    if (
        head.startswith(_ZIP_MAGIC)
        and Path(path.name.lower()).suffix not in _SPREADSHEET_EXTENSIONS
    ):
        return InputError(
            f"{path}: is a ZIP archive (or a workbook saved under another name), not a segment "
            "file; cc-tui reads gzip (.gz), not ZIP. Fix: unzip it and use the file inside, or "
            'save the sheet as "CSV UTF-8 (Comma delimited)"'
        )
    return InputError(
        f"{path}: is a spreadsheet workbook (Excel or similar), not a segment file. Fix: save "
        'the sheet as "CSV UTF-8 (Comma delimited)" and use that file'
    )


def _content_format(
    path: Path, head: bytes, encoding: str, fmt: SegmentFormat | None, *, confirm: bool
) -> SegmentFormat:
    workbook = spreadsheet_error(path, head)
    if workbook is not None:
        raise workbook
    if fmt is not None and not confirm:
        if fmt is not SegmentFormat.PARQUET and _holds_nul(head, encoding):
            # Whatever its name says: no text segment holds a NUL character (a binary file,
            # or a decompression bomb of zeros named .csv.gz).
            raise InputError(
                f"{path}: is not {fmt.value.upper()} text: it holds NUL characters (binary "
                "content). Fix: check the file; if it is UTF-16 text without a byte-order mark, "
                'set encoding = "utf-16" under its [segments.NAME] entry'
            )
        return fmt
    found = detect_text(head, encoding)
    if confirm and found is not SegmentFormat.NDJSON:
        raise InputError(f"{path}: holds JSON that is not one object per line (save it as NDJSON)")
    if found is None:
        raise InputError(f"{path}: is not CSV, TSV, Parquet or NDJSON text")
    return found


def _holds_nul(head: bytes, encoding: str) -> bool:
    """True when the decoded start of a file holds U+0000 other than as a whole field.

    No text segment holds one, but for SQL Server's bcp, which writes an empty string as a
    field of one NUL byte (read as no value: ``scan.NO_VALUE_FIELDS``).
    """
    text = head.decode(encoding, errors="replace")
    return "\x00" in text and _STRAY_NUL.search(text) is not None


def _delimiter(fmt: SegmentFormat, given: str | None, head: bytes, encoding: str) -> str:
    if fmt in (SegmentFormat.PARQUET, SegmentFormat.NDJSON):
        return ""
    if given:
        return given
    if fmt is SegmentFormat.TSV:
        return "\t"
    return sniff_delimiter(head, encoding)


def segment_name(stem: str) -> str:
    """A valid segment name from a file stem: ``Prix été 2024`` -> ``Prix-ete-2024``."""
    # Drop accents rather than replace the whole letter, so names stay readable.
    ascii_text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    name = _NAME_BAD.sub("-", ascii_text).lstrip("_.-")
    return name[:NAME_MAX].rstrip("-") or "segment"


def free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... when it is taken."""
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    return candidate


def is_gzip(head: bytes) -> bool:
    """True if the bytes start like a gzip stream."""
    return head.startswith(_GZIP_MAGIC)


def bom_encoding(head: bytes) -> str | None:
    """``utf-16`` when the bytes start with a UTF-16 byte-order mark (Excel "Unicode text")."""
    return "utf-16" if head.startswith(_UTF16_BOMS) else None


def detect_text(head: bytes, encoding: str) -> SegmentFormat | None:
    """Recognise decompressed content: ``PAR1`` -> parquet, ``{`` -> ndjson, text -> csv.

    None when the bytes are binary (NUL bytes outside UTF-16) or a JSON document that is not
    one object per line.
    """
    if head.startswith(_PARQUET_MAGIC):
        return SegmentFormat.PARQUET
    text = head.decode(encoding, errors="replace")
    if "\x00" in text and _STRAY_NUL.search(text) is not None:
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
