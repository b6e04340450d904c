"""The segment values shared by discovery (:mod:`cc_tui.engine.segment_discovery`), reading
(:mod:`cc_tui.engine.segments`) and the format helpers: what a segment is, how its rows are
stored, where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

__all__ = ["DEFAULT_ENCODING", "ORIGIN_CONFIG", "Segment", "SegmentFormat", "path_identity"]

DEFAULT_ENCODING = "utf-8"
ORIGIN_CONFIG = "config"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SegmentFormat(StrEnum):
    """How a segment's rows are stored; gzip compression is a separate flag."""

    CSV = "csv"
    TSV = "tsv"
    PARQUET = "parquet"
    NDJSON = "ndjson"


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


def path_identity(path: Path) -> Path:
    """The path that tells files apart: resolved, or absolute when it cannot be resolved."""
    try:
        return path.resolve()
    except OSError:
        return path.absolute()
