"""The segment values shared by discovery (:mod:`cc_tui.engine.segments.discovery`), reading
(:mod:`cc_tui.engine.segments.reading`) and the format helpers: what a segment is, how its rows are
stored, where it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from cc_tui.errors import InputError
from cc_tui.models.config import DEFAULT_MAX_UNCOMPRESSED_GB

__all__ = [
    "DEFAULT_ENCODING",
    "DEFAULT_MAX_UNCOMPRESSED_BYTES",
    "DEFAULT_QUOTE",
    "ORIGIN_CONFIG",
    "ReadingOptions",
    "Segment",
    "SegmentDiscovery",
    "SegmentFormat",
    "modified_at",
    "path_identity",
]

DEFAULT_ENCODING = "utf-8"
DEFAULT_QUOTE = '"'
ORIGIN_CONFIG = "config"
# The most a compressed segment may grow to when it is decompressed (a gzip bomb stops here).
# 20 GiB is far above the biggest segment a user plausibly exports (1M contacts with 20 columns
# is about 0.5 GB of CSV) and still small enough to refuse a bomb before it fills a disk.
DEFAULT_MAX_UNCOMPRESSED_BYTES = DEFAULT_MAX_UNCOMPRESSED_GB * 1024**3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SegmentFormat(StrEnum):
    """How a segment's rows are stored; gzip compression is a separate flag.

    ``cdm`` is one entity of a Common Data Model folder (``model.json`` or a
    ``*.manifest.cdm.json``): its partitions are CSV or Parquet files (``Segment.storage``).
    ``delta`` is a Delta Lake table (a folder with ``_delta_log/``).
    """

    CSV = "csv"
    TSV = "tsv"
    PARQUET = "parquet"
    NDJSON = "ndjson"
    CDM = "cdm"
    DELTA = "delta"


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: a file, a folder of part files, a CDM entity or a Delta table.

    ``path`` is what the user pointed at (a file, a folder, ``model.json``, a manifest).
    ``files`` are the data files when discovery resolved them (a CDM entity's partitions); empty
    means ``path`` itself, or the part files found in the ``path`` folder when it is read.
    ``delimiter`` is empty for Parquet, NDJSON and Delta. ``size_bytes`` and ``modified_at`` are
    from discovery time (several files: their sum and the newest). ``origin`` is ``"config"``
    for a ``[segments.NAME]`` entry, else the segments folder it was found in.

    Text options: ``quote`` (empty: no quoting), ``header`` (False: the first line is data),
    ``columns`` (the names of a headerless file's columns, in order), ``line_end`` (``"\\r"`` for
    classic Mac files), ``skip_lines`` (lines before the header or first row: Excel's ``sep=;``
    line). ``column_types`` are the types a CDM entity declares for its columns.
    ``notes`` are things a user should be told about how the segment is read (columns that were
    given generated names, the snapshot chosen...).

    ``delta_version`` is a Delta table's version, the latest when the segment was looked at:
    every read of this Segment reads that version (a run reads one version of the table).
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
    quote: str = DEFAULT_QUOTE
    header: bool = True
    columns: tuple[str, ...] | None = None
    line_end: str = "\n"
    skip_lines: int = 0
    files: tuple[Path, ...] = ()
    storage: SegmentFormat | None = None
    entity: str | None = None
    snapshot: str | None = None
    snapshots: tuple[str, ...] = ()
    column_types: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES
    delta_version: int | None = None

    @property
    def format_label(self) -> str:
        """The format as config.toml spells it: ``csv``, ``tsv.gz``, ``parquet``, ``cdm``..."""
        return f"{self.format}.gz" if self.gzip else str(self.format)

    @property
    def rows_format(self) -> SegmentFormat:
        """How the rows themselves are stored: a CDM entity's partitions are CSV or Parquet."""
        if self.format is SegmentFormat.CDM:
            return self.storage or SegmentFormat.CSV
        return self.format

    @property
    def is_text(self) -> bool:
        """True for delimited text (CSV, TSV, CSV partitions of a CDM entity)."""
        return self.rows_format in (SegmentFormat.CSV, SegmentFormat.TSV)

    @property
    def is_columnar(self) -> bool:
        """True when the rows are read from Parquet files (Parquet, Delta, Parquet partitions)."""
        return self.rows_format in (SegmentFormat.PARQUET, SegmentFormat.DELTA)


def path_identity(path: Path) -> Path:
    """The path that tells files apart: resolved, or absolute when it cannot be resolved."""
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


@dataclass(frozen=True, slots=True)
class SegmentDiscovery:
    """What discovery found: the segments by name, and why other things were left out.

    ``problems`` maps the name of a segment that cannot be used (a ``[segments.NAME]`` entry,
    or something found in a segments folder) to the reason; ``warnings`` say which files were
    skipped because they are no segment, and why. ``shared`` are the problems that are names
    several segments found make (none of them has it), not segments that cannot be read.
    """

    segments: Mapping[str, Segment]
    warnings: tuple[str, ...] = ()
    problems: Mapping[str, str] = field(default_factory=dict)
    shared: frozenset[str] = frozenset()

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
class ReadingOptions:
    """The reading options a user may set for one segment (a ``[segments.NAME]`` entry or
    ``segment add``'s flags); None leaves each to what the file says."""

    declared: str | None
    encoding: str | None
    delimiter: str | None
    quote: str | None
    header: bool | None
    columns: tuple[str, ...] | None
    snapshot: str | None
    cap: int


def modified_at(mtime_ns: int) -> datetime:
    """A file's modification time (``st_mtime_ns``) as an aware UTC time."""
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)
