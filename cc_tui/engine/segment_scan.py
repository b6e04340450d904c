"""How a plain segment source becomes rows of text in Polars, and what a Parquet folder holds.

:func:`scan_source` scans plain UTF-8 text or Parquet so every column is text, and
:func:`parse_head` parses just the first lines for previews the same way. :func:`parquet_parts`
lists the part files of a Parquet folder (hive ``key=value/`` sub-folders included).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cc_tui.engine.segment_bytes import read_head
from cc_tui.engine.segment_model import SegmentFormat

__all__ = [
    "HIDDEN_PREFIXES",
    "NDJSON_INFER_ROWS",
    "ParquetParts",
    "as_string",
    "parquet_parts",
    "parse_head",
    "scan_source",
]

# Names of files and folders discovery never looks at: hidden files and Spark/Hadoop markers.
HIDDEN_PREFIXES = (".", "_")
# NDJSON lines read to learn the keys (the columns); a key first seen later is not a column.
NDJSON_INFER_ROWS = 1000
# Spark, Databricks and Hadoop leave these beside the part files of a Parquet folder.
_PART_SUFFIX = ".parquet"
_IGNORED_SUFFIXES = (".crc",)
_DELTA_LOG = "_delta_log"
# A list or array value becomes JSON text by encoding {"v": value} and trimming the wrapper.
_WRAP_KEY = "v"
_WRAP_PREFIX = '{"v":'


@dataclass(frozen=True, slots=True)
class ParquetParts:
    """The data files of a Parquet folder and the hive partition keys found in its sub-folders."""

    files: tuple[Path, ...]
    hive_keys: tuple[str, ...]


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
