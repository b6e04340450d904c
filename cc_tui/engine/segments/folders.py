"""What a folder holds, as Spark, Databricks, Polars and Delta Lake write them.

- A **Parquet folder**: ``part-00000-<uuid>-c000.snappy.parquet`` files (any ``*.parquet``),
  possibly under hive ``key=value/`` sub-folders.
- A **CSV part folder**: Spark's ``part-00000-<uuid>-c000.csv`` (or ``.csv.gz``) files, with no
  header line unless the writer was told to add one.
- An **NDJSON part folder**: Spark's ``part-*.json`` files.
- A **Delta Lake table**: a ``_delta_log/`` folder beside its Parquet parts.

Markers and side files (``_SUCCESS``, ``_committed_*``, ``_started_*``, ``.crc``, hidden files)
are ignored; each real file is listed once
(see :func:`~cc_tui.engine.segments.path_checks.walk_files`).
A CDM folder (``model.json``, ``*.manifest.cdm.json``) is :mod:`cc_tui.engine.segments.cdm`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cc_tui.engine.segments.model import SegmentFormat
from cc_tui.engine.segments.path_checks import walk_files
from cc_tui.errors import InputError

__all__ = [
    "DELTA_LOG",
    "FolderParts",
    "NotPartFolderError",
    "folder_parts",
    "is_delta_table",
    "part_kind",
]

DELTA_LOG = "_delta_log"
# Part files by their ending: (format, gzip). Spark names them part-NNNNN-<uuid>-c000.<ext>.
_PART_ENDINGS: tuple[tuple[str, SegmentFormat, bool], ...] = (
    (".parquet", SegmentFormat.PARQUET, False),
    (".csv.gz", SegmentFormat.CSV, True),
    (".csv", SegmentFormat.CSV, False),
    (".tsv.gz", SegmentFormat.TSV, True),
    (".tsv", SegmentFormat.TSV, False),
    (".json.gz", SegmentFormat.NDJSON, True),
    (".json", SegmentFormat.NDJSON, False),
    (".ndjson", SegmentFormat.NDJSON, False),
    (".jsonl", SegmentFormat.NDJSON, False),
)


# Spark names every data file part-NNNNN-...; its CSV and JSON folders are told by that name
# (or the _SUCCESS marker), so an ordinary folder of CSV files is not taken for one data set.
_SPARK_PART_PREFIX = "part-"
_SPARK_MARKER = "_SUCCESS"


class NotPartFolderError(InputError):
    """The folder is no data set of part files (an ordinary folder): not a segment."""


@dataclass(frozen=True, slots=True)
class FolderParts:
    """The data files of a part folder, how they are stored, and its hive partition keys."""

    files: tuple[Path, ...]
    format: SegmentFormat
    gzip: bool
    hive_keys: tuple[str, ...]
    skipped: tuple[str, ...] = ()


def is_delta_table(folder: Path) -> bool:
    """True for a Delta Lake table (a folder holding ``_delta_log/``).

    Any ``_delta_log`` entry counts: in Data Lake Gen2 storage an empty folder is a 0-byte
    blob, and a table whose first commit is not written yet must not pass for a Parquet folder
    (its part files would all be read, the ones no version names included).
    """
    return (folder / DELTA_LOG).exists()


def part_kind(name: str) -> tuple[SegmentFormat, bool] | None:
    """(format, gzip) of a part file from its name; None for anything else."""
    lowered = name.lower()
    for ending, fmt, gz in _PART_ENDINGS:
        if lowered.endswith(ending):
            return fmt, gz
    return None


def folder_parts(folder: Path, expected: SegmentFormat | None = None) -> FolderParts:
    """The part files of ``folder`` (hive ``key=value/`` sub-folders included).

    Raises InputError when the folder holds no part file, holds parts of several formats (or
    compressed and plain ones), or holds other files too (then it is not one data set).
    ``expected`` (a format the user declared) must match the parts.
    """
    walk = walk_files(folder)
    if not walk.files:
        raise NotPartFolderError(f"{folder}: holds no data files (no part files)")
    kinds: dict[tuple[SegmentFormat, bool], None] = {}
    others: list[str] = []
    keys: dict[str, None] = {}
    for path in walk.files:
        kind = part_kind(path.name)
        if kind is None:
            others.append(path.name)
            continue
        kinds[kind] = None
        for part in path.relative_to(folder).parts[:-1]:
            if "=" in part:
                keys[part.split("=", 1)[0]] = None
    if others:
        shown = ", ".join(others[:3]) + (" …" if len(others) > 3 else "")
        raise NotPartFolderError(
            f"{folder}: is not a folder of part files (it also holds {shown}); point at one "
            "file, or keep only the part files of one data set in the folder"
        )
    if len(kinds) > 1:
        labels = ", ".join(f"{fmt}{'.gz' if gz else ''}" for fmt, gz in kinds)
        raise InputError(f"{folder}: mixes part files of several formats ({labels})")
    (fmt, gz) = next(iter(kinds))
    spark = (folder / _SPARK_MARKER).exists() or all(
        p.name.startswith(_SPARK_PART_PREFIX) for p in walk.files
    )
    if fmt is not SegmentFormat.PARQUET and not spark:
        raise NotPartFolderError(
            f"{folder}: is a folder of {fmt} files, not a Spark part folder (part-* files); "
            "point at one file, or add each file as a segment"
        )
    if expected is not None and _family(expected) is not _family(fmt):
        raise InputError(f"{folder}: holds {fmt} part files, not {expected}")
    return FolderParts(tuple(walk.files), fmt, gz, tuple(keys), tuple(walk.skipped))


def _family(fmt: SegmentFormat) -> SegmentFormat:
    return SegmentFormat.CSV if fmt is SegmentFormat.TSV else fmt
