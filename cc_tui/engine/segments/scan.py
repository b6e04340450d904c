"""How a segment's plain sources become rows of text in Polars.

:func:`scan_text`, :func:`scan_ndjson_files` and :func:`scan_parquet_files` scan plain UTF-8
text, NDJSON and Parquet (Delta: ``delta_tables.scan_delta_table``) so that every column
comes out as text (:func:`as_string` says how typed values are written), and :func:`parse_head`
parses just the first lines for previews the same way. Paths are always literal: Polars reads a
path string as a glob pattern unless told not to (``glob=False``).

Parquet parts whose columns differ (Spark schema evolution) are read with the union of their
columns by name; a column a part lacks is null there. Parts that disagree on a column's type
are each read as text, then stacked.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cc_tui.engine.segments.file_bytes import read_head
from cc_tui.engine.segments.model import DEFAULT_QUOTE, SegmentFormat
from cc_tui.engine.segments.remote_storage import polars_sources
from cc_tui.errors import InputError

__all__ = [
    "EXTRA_FIELDS",
    "NDJSON_INFER_ROWS",
    "NO_VALUE_FIELDS",
    "TextOptions",
    "as_string",
    "column_problem",
    "first_extra_field",
    "ndjson_columns",
    "parquet_schema",
    "parse_head",
    "scan_ndjson_files",
    "scan_parquet_files",
    "scan_text",
]

# Polars' streaming CSV reader buffers about 300 MB by default; 1 MiB chunks with two in
# flight keep it near 60 MB at the same speed (measured on a 10M-row file). These are read at
# query time, and a user's own setting wins. Set here, where every CSV scan is made, so row
# counts, previews and pass 1 are bounded too, not only pass 2.
_POLARS_CSV_MEMORY = {"POLARS_CSV_CHUNK_SIZE": "1048576", "POLARS_CSV_CHUNK_PREFETCH_LIMIT": "2"}
for _name, _value in _POLARS_CSV_MEMORY.items():
    os.environ.setdefault(_name, _value)

# The column after a delimited file's last one: the first field a row holds past the header's
# (or the given columns') fields. Polars cuts such rows to the header; this column keeps the
# first value cut off, so a row whose columns were shifted (a value holding the delimiter,
# unquoted) is found by the reads that go through every row. A NUL cannot be in a header name.
EXTRA_FIELDS = "\x00extra fields"
# Fields that are no value: empty, and one NUL byte, which is how SQL Server's bcp writes an
# empty string (its documented "an empty string as a null"). Comparing each field with a
# second value costs nothing measurable (10M rows, 11 columns: 2.90-2.94 s of CPU, 2.98-3.17
# with "" alone).
NO_VALUE_FIELDS = ("", "\x00")
# NDJSON lines read to learn the keys (the columns); a key first seen later is not a column.
NDJSON_INFER_ROWS = 1000
# The most bytes read to learn an NDJSON file's keys.
_NDJSON_SAMPLE_BYTES = 8 * 1024 * 1024
# A list or array value becomes JSON text by encoding {"v": value} and trimming the wrapper.
_WRAP_KEY = "v"
_WRAP_PREFIX = '{"v":'
# Date and time as ISO 8601 without fractions (Constant Contact's date fields take this form,
# and the fields check reduces it to a date where a field wants one).
_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
# Enough zeros to write any float64 without an exponent (1e-308 ... 1.8e308).
_ZEROS = "0" * 400
# NDJSON values that are no value: an empty string, list or object.
_NO_VALUE = ("", "[]", "{}")
_SCIENTIFIC = r"^(-?)(\d)(?:\.(\d+))?e([+-]?\d+)$"


@dataclass(frozen=True, slots=True)
class TextOptions:
    """How delimited text is split: delimiter, quote ("" = none), header, names, line end, and
    the lines before the header (or first row) that are no data at all."""

    delimiter: str = ","
    quote: str = DEFAULT_QUOTE
    header: bool = True
    columns: tuple[str, ...] | None = None
    line_end: str = "\n"
    skip_lines: int = 0


def _csv_options(options: TextOptions) -> dict[str, Any]:
    return {
        "skip_lines": options.skip_lines,
        "separator": options.delimiter or ",",
        "quote_char": options.quote or None,
        "eol_char": options.line_end,
        # With [""] a quoted "" is null too (empty_string_is_null alone keeps it as "").
        "null_values": [*NO_VALUE_FIELDS],
        "truncate_ragged_lines": True,
        "raise_if_empty": False,
    }


def scan_text(
    files: Sequence[Path],
    options: TextOptions,
    hive: Sequence[Mapping[str, str | None]] | None = None,
) -> pl.LazyFrame:
    """A lazy scan of plain UTF-8 delimited text files as one stream; every column text.

    No type inference (zip codes keep their leading zeros); ``""`` and empty fields are null;
    rows longer than the header are cut to it (trailing delimiters are common in exports).
    A headerless file (``options.header`` False) takes ``options.columns`` as its names and its
    first line is data; rows with fewer fields are padded with nulls. ``hive`` gives each
    file's ``key=value`` folder values, added as text columns.

    The scan of one file read by its header (or of headerless files) has one column more,
    :data:`EXTRA_FIELDS`: the first value past the row's last column, null when there is none
    or it is empty (a trailing delimiter). Polars splits every whole line anyway, so selecting
    it beside the e-mail costs nothing measurable (10M rows: 1.50 s of CPU either way).
    """
    kwargs = _csv_options(options)
    sources, cloud = polars_sources(files)
    if options.header:
        kwargs.update(has_header=True, infer_schema=False)
        if options.columns:
            kwargs["new_columns"] = list(options.columns)
        elif len(files) == 1 and not hive:
            # The header's names (as Polars makes them unique), then one more, by position.
            names = list(pl.scan_csv(sources, glob=False, **kwargs, **cloud).collect_schema())
            kwargs.update(schema=dict.fromkeys([*names, EXTRA_FIELDS], pl.String))
            kwargs.update(missing_columns="insert")
            del kwargs["infer_schema"]
    else:
        kwargs.update(
            has_header=False,
            schema=dict.fromkeys([*(options.columns or ()), EXTRA_FIELDS], pl.String),
            extra_columns="ignore",
            missing_columns="insert",
        )
    if hive and any(hive):
        return pl.concat(
            [
                pl.scan_csv(path, glob=False, **kwargs, **cloud).with_columns(_hive_columns(values))
                for path, values in zip(sources, hive, strict=True)
            ],
            how="diagonal",
        )
    return pl.scan_csv(sources, glob=False, **kwargs, **cloud)


def _hive_columns(values: Mapping[str, str | None]) -> list[pl.Expr]:
    return [pl.lit(value, pl.String).alias(key) for key, value in values.items()]


def scan_ndjson_files(files: Sequence[Path], columns: Sequence[str]) -> pl.LazyFrame:
    """A lazy scan of NDJSON files with ``columns`` (from :func:`ndjson_columns`) as text.

    Values that are not text (numbers, lists, objects) come out as their JSON text, so a
    list where an e-mail should be is an invalid e-mail, never an error. ``files`` must be
    literal paths (``scan_ndjson`` expands patterns: see ``path_checks.polars_path``).
    """
    if not columns:
        return pl.LazyFrame()
    sources, cloud = polars_sources(files)
    frame = pl.scan_ndjson(sources, schema=dict.fromkeys(columns, pl.String), **cloud)
    # An empty list or object is no value: never the text "[]" sent as a contact's field.
    return frame.with_columns(
        pl.when(~pl.col(name).is_in(_NO_VALUE)).then(pl.col(name)).alias(name) for name in columns
    )


def ndjson_columns(files: Sequence[Path]) -> dict[str, str]:
    """The keys of the first lines of NDJSON files, and the JSON type each holds.

    Read with the json module rather than Polars' type inference, which fails outright
    ("failed to determine supertype") on a key holding different kinds of values.
    """
    kinds: dict[str, set[str]] = {}
    for path in files:
        head = read_head(path, gz=False, limit=_NDJSON_SAMPLE_BYTES)
        lines = head.splitlines()
        if len(head) == _NDJSON_SAMPLE_BYTES and lines:
            lines = lines[:-1]  # probably cut in the middle
        try:
            found = _sample_kinds(lines)
        except pl.exceptions.ComputeError as exc:
            raise pl.exceptions.ComputeError(f"{path.name}: {exc}") from exc
        for key, seen in found.items():
            kinds.setdefault(key, set()).update(seen)
    return {key: _joined_kind(found) for key, found in kinds.items()}


def _sample_kinds(lines: Sequence[bytes]) -> dict[str, set[str]]:
    """The keys of the first NDJSON lines and the kinds of value each holds."""
    kinds: dict[str, set[str]] = {}
    seen = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise pl.exceptions.ComputeError(f"line {number} is not JSON ({exc})") from exc
        if not isinstance(record, dict):
            raise pl.exceptions.ComputeError(f"line {number} is not a JSON object")
        for key, value in record.items():
            kinds.setdefault(key, set()).add(_json_kind(value))
        seen += 1
        if seen >= NDJSON_INFER_ROWS:
            break
    return kinds


_JSON_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "Boolean"),  # before int: True is an int too
    (int, "Int64"),
    (float, "Float64"),
    (list, "List"),
    (dict, "Struct"),
    (str, "String"),
)


def _json_kind(value: object) -> str:
    if value is None:
        return "Null"
    return next((kind for cls, kind in _JSON_KINDS if isinstance(value, cls)), "String")


def _joined_kind(kinds: set[str]) -> str:
    kinds = kinds - {"Null"}
    if not kinds:
        return "Null"
    if len(kinds) == 1:
        return next(iter(kinds))
    if kinds == {"Int64", "Float64"}:
        return "Float64"
    if kinds & {"List", "Struct"} == kinds:
        return "Struct"
    return "String"


def parquet_schema(files: Sequence[Path]) -> tuple[dict[str, pl.DataType], bool]:
    """The union of the part files' columns by name, and whether they agree on every type."""
    union: dict[str, pl.DataType] = {}
    agree = True
    spelled: dict[str, tuple[str, Path]] = {}
    sources, cloud = polars_sources(files)
    for original, path in zip(files, sources, strict=True):
        # read_parquet_schema would take the path for a pattern: scan it literally instead.
        schema = pl.scan_parquet(
            path, glob=False, hive_partitioning=False, **cloud
        ).collect_schema()
        for name, dtype in schema.items():
            first = spelled.setdefault(name.casefold(), (name, original))
            if first[0] != name and first[1] != original:  # one file's columns are its own
                raise _case_clash(first, (name, original))
            known = union.setdefault(name, dtype)
            if known != dtype:
                agree = False
    return union, agree


def _case_clash(first: tuple[str, Path], other: tuple[str, Path]) -> InputError:
    """Parts that spell one column in two cases: Spark reads them as one column (its names
    ignore case), a read by exact name would leave half the rows without the value."""
    return InputError(
        f"{other[1].parent}: its part files name one column in two ways, '{first[0]}' "
        f"({first[1].name}) and '{other[0]}' ({other[1].name}); Spark reads them as one "
        "column, cc-tui would read two and leave the other parts' values out. Fix: write the "
        "data again with one spelling of the column (or keep only the parts of one job)"
    )


def scan_parquet_files(
    files: Sequence[Path], hive: Sequence[Mapping[str, str | None]] | None = None
) -> pl.LazyFrame:
    """A lazy scan of Parquet files as one stream, typed as stored (see :func:`as_string`).

    Parts that lack a column get nulls (the union of columns by name). Parts that disagree on
    a column's type are read one by one as text and stacked. Hive ``key=value`` folder values
    (``hive``, one mapping per file) are text columns, so ``zip=01234`` keeps its zero.
    """
    union, agree = parquet_schema(files)
    hive_values = hive if hive and any(hive) else None
    sources, cloud = polars_sources(files)
    if agree:
        frame = pl.scan_parquet(
            sources,
            glob=False,
            **cloud,
            schema=union,
            missing_columns="insert",
            extra_columns="ignore",
            hive_partitioning=False,
        )
        if hive_values is None:
            return frame
        # A key the files hold as a column too (Polars' and pandas' partitioned writers keep
        # it) is that column, not a second one.
        keys = list(
            dict.fromkeys(key for values in hive_values for key in values if key not in union)
        )
        if not keys:
            return frame
        lookup = pl.DataFrame(
            {"_file": [str(p) for p in sources]}
            | {key: [values.get(key) for values in hive_values] for key in keys},
            schema={"_file": pl.String} | dict.fromkeys(keys, pl.String),
        )
        return (
            pl.scan_parquet(
                sources,
                glob=False,
                **cloud,
                schema=union,
                missing_columns="insert",
                extra_columns="ignore",
                hive_partitioning=False,
                include_file_paths="_file",
            )
            .join(lookup.lazy(), on="_file", how="left", maintain_order="left")
            .drop("_file")
        )
    parts = []
    for index, path in enumerate(sources):
        part = pl.scan_parquet(path, glob=False, hive_partitioning=False, **cloud)
        schema = part.collect_schema()
        part = part.select(as_string(name, dtype) for name, dtype in schema.items())
        if hive_values is not None:
            part = part.with_columns(_hive_columns(hive_values[index]))
        parts.append(part)
    return pl.concat(parts, how="diagonal")


def column_problem(dtype: pl.DataType | str) -> str | None:
    """Why a column of this type cannot feed a Constant Contact field; None when it can."""
    text = str(dtype)
    if isinstance(dtype, pl.List | pl.Array) or text.startswith(("List", "Array")):
        return "holds lists of values"
    if isinstance(dtype, pl.Struct) or text.startswith("Struct"):
        return "holds records (nested fields)"
    if isinstance(dtype, pl.Binary) or text == "Binary":
        return "holds binary data"
    if isinstance(dtype, pl.Object) or text == "Object":
        return "holds Python objects"
    return None


def as_string(name: str, dtype: pl.DataType) -> pl.Expr:
    """Column ``name`` as text Constant Contact understands; empty text becomes null.

    Dates ``YYYY-MM-DD``; date-times ISO ``YYYY-MM-DDTHH:MM:SS`` (in UTC when they carry a
    time zone; fractions of seconds dropped); floats in plain notation (``1e-07`` is
    ``0.0000001``, a whole ``3.0`` is ``3``; NaN and infinity are no value); decimals as
    stored; booleans ``true``/``false``. Lists and records become JSON text for display
    (an empty list is no value); they cannot be mapped (see :func:`column_problem`).
    """
    column = pl.col(name)
    present = column.is_not_null()
    if dtype == pl.String:
        text = column
    elif isinstance(dtype, pl.Struct):
        text = column.struct.json_encode()
    elif isinstance(dtype, pl.List):
        text = _list_json(column)
        present = present & (column.list.len() > 0)
    elif isinstance(dtype, pl.Array):
        text = _list_json(column)
    elif isinstance(dtype, pl.Datetime):
        moment = column.dt.convert_time_zone("UTC") if dtype.time_zone else column
        text = moment.dt.strftime(_DATETIME_FORMAT)
    elif dtype.is_float():
        text = _plain_float(column)
        present = present & column.is_finite()
    elif isinstance(dtype, pl.Binary):
        text = column.bin.encode("hex")
    elif isinstance(dtype, pl.Null):
        return pl.lit(None, pl.String).alias(name)
    else:
        text = column.cast(pl.String)
    return pl.when(present & (text != "")).then(text).alias(name)


def _list_json(column: pl.Expr) -> pl.Expr:
    wrapped = pl.struct(column.alias(_WRAP_KEY)).struct.json_encode()
    return wrapped.str.slice(len(_WRAP_PREFIX)).str.strip_suffix("}")


def _plain_float(column: pl.Expr) -> pl.Expr:
    """A float as plain decimal text, vectorised: no exponent, no ``.0`` on whole numbers."""
    text = column.cast(pl.String)
    parts = text.str.extract_groups(_SCIENTIFIC)
    sign = parts.struct.field("1")
    lead = parts.struct.field("2")
    fraction = parts.struct.field("3").fill_null("")
    exponent = parts.struct.field("4").cast(pl.Int32)
    zeros = pl.lit(_ZEROS)
    small = pl.concat_str(
        [sign, pl.lit("0."), zeros.str.slice(0, (-exponent - 1).clip(0)), lead, fraction]
    )
    large = pl.concat_str(
        [sign, lead, fraction, zeros.str.slice(0, (exponent - fraction.str.len_chars()).clip(0))]
    )
    plain = pl.when(exponent < 0).then(small).otherwise(large)
    whole = text.str.strip_suffix(".0").str.replace(r"^-0$", "0")
    return pl.when(text.str.contains("e", literal=True)).then(plain).otherwise(whole)


def parse_head(
    data: bytes, fmt: SegmentFormat, options: TextOptions, rows: int, *, typed: bool
) -> pl.DataFrame:
    """Parse the first ``rows`` rows of UTF-8 text the way the scans read the file.

    ``typed`` lets Polars guess column types (for showing the schema) instead of keeping text.
    """
    if fmt is SegmentFormat.NDJSON:
        return _ndjson_head(data, rows, typed=typed)
    kwargs = _csv_options(options)
    kwargs.update(has_header=options.header, infer_schema=typed, infer_schema_length=rows)
    names = list(options.columns or ())
    if names and options.header:
        kwargs["new_columns"] = names
    try:
        frame = pl.read_csv(io.BytesIO(data), n_rows=rows, **kwargs)
    except pl.exceptions.ComputeError:
        if not typed:
            raise
        # Polars can guess a type its own parser then refuses (digits of other scripts,
        # "١٢٣", guessed as integers): the types are only shown, so the columns show as text.
        kwargs["infer_schema"] = False
        frame = pl.read_csv(io.BytesIO(data), n_rows=rows, **kwargs)
    if names and not options.header:
        # Named by position as the scan names them: fields past the names are left out, and
        # names past the fields (rows written before a column was added) are null.
        frame = frame.select(
            pl.col(old).alias(new) for old, new in zip(frame.columns, names, strict=False)
        )
        frame = frame.with_columns(pl.lit(None, pl.String).alias(n) for n in names[frame.width :])
    elif names and frame.width > len(names):
        frame = frame.select(names)
    return frame


def first_extra_field(
    data: bytes, options: TextOptions, names: Sequence[str], rows: int
) -> tuple[int, str] | None:
    """The first of the first ``rows`` rows of UTF-8 text (with :func:`parse_head`'s
    ``names``) that holds a value past its last column, as (row from 1, that value)."""
    if options.header and options.columns:
        return None  # renamed by given names: the width is the metadata's to judge
    kwargs = _csv_options(options)
    kwargs.update(
        has_header=options.header,
        schema=dict.fromkeys([*names, EXTRA_FIELDS], pl.String),
        missing_columns="insert",
    )
    if not options.header:
        kwargs["extra_columns"] = "ignore"
    extra = pl.read_csv(io.BytesIO(data), n_rows=rows, **kwargs).get_column(EXTRA_FIELDS)
    if extra.null_count() == len(extra):
        return None
    row = int(extra.is_not_null().arg_true()[0])
    return row + 1, str(extra[row])


def _ndjson_head(data: bytes, rows: int, *, typed: bool) -> pl.DataFrame:
    keys = list(_sample_kinds(data.splitlines()))
    if not keys:
        return pl.DataFrame()
    if typed:
        return pl.DataFrame(schema=dict.fromkeys(keys, pl.String))
    frame = pl.read_ndjson(io.BytesIO(data), schema=dict.fromkeys(keys, pl.String)).head(rows)
    return frame.select(
        pl.when(~pl.col(name).is_in(_NO_VALUE)).then(pl.col(name)).alias(name) for name in keys
    )
