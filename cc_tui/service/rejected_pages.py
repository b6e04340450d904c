"""A run's rejected rows, read by the service for a client that may see the run.

``runs/<run-id>/rejected.csv`` is 0600 in the service's home: the people of a team cannot read
it themselves. The app shows its first rows of one reason (and how many rows each reason has)
through the ``run.rejected`` call, whose handler reads them here. Cells come back as the file
holds them (as text; spreadsheet-formula cells are already neutralised in the file).
"""

from __future__ import annotations

from pathlib import Path

import msgspec

__all__ = ["ALL_REASONS", "MAX_ROWS", "RejectedPage", "read_rejected"]

ALL_REASONS = "all"
MAX_ROWS = 2000  # rows one answer may carry (the app asks for 500)


class RejectedPage(msgspec.Struct, frozen=True, kw_only=True):
    """The first rows of one reason in a run's rejected-rows file, or why there are none."""

    path: str | None
    """Where the file is, in the service's home (None: the run has none)."""
    header: list[str] = msgspec.field(default_factory=list)
    rows: list[list[str | None]] = msgspec.field(default_factory=list)
    counts: dict[str, int] | None = None
    """Rows of each reason in the whole file (when asked for)."""
    problem: str | None = None
    """Why no rows could be read (no file yet, unreadable)."""


def read_rejected(path: Path, reason: str, *, limit: int, with_counts: bool) -> RejectedPage:
    """The first ``limit`` rows of ``reason`` (or of every reason) in ``path``. Blocking."""
    import polars as pl

    if not path.is_file():
        return RejectedPage(path=str(path), problem=f"{path} does not exist (yet).")
    try:
        rows = pl.scan_csv(path, infer_schema=False)
        if reason != ALL_REASONS:
            rows = rows.filter(pl.col("reason") == reason)
        frame = rows.head(min(limit, MAX_ROWS)).collect()
        counts = None
        if with_counts:
            grouped = pl.scan_csv(path, infer_schema=False).group_by("reason").len().collect()
            counts = {str(r): int(n) for r, n in grouped.iter_rows()}
    except (OSError, pl.exceptions.PolarsError) as exc:
        return RejectedPage(path=str(path), problem=f"Cannot read {path}: {exc}")
    return RejectedPage(
        path=str(path),
        header=list(frame.columns),
        rows=[list(row) for row in frame.iter_rows()],
        counts=counts,
    )
