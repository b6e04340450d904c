"""runs/<run-id>/rejected.csv: every rejected input row, with why.

Columns: ``segment``, ``row`` (1-based data row in that segment), ``reason`` (missing_email,
invalid_email, duplicate_email, over_cap, refused_by_constant_contact), ``detail`` (for
example Constant Contact's own error text), then the row's mapped source columns as read.
Rows are appended as the run goes, from the preparation thread and from the event loop, so
writes are serialised by a lock. Polars reads the file back with ``pl.read_csv``. The file is
private to its owner (0600). Outside text (``segment``, ``detail``, the source columns and their
names) that a spreadsheet would run as a formula gets a leading ``'``, reversibly (see
:mod:`cc_tui.engine.run_files`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import polars as pl

from cc_tui.engine.email_check import RowClass
from cc_tui.engine.run_files import (
    append_csv,
    neutralised,
    neutralised_cell,
    neutralised_columns,
    open_private,
)
from cc_tui.models.reasons import RejectReason

__all__ = ["RejectedRowsWriter"]

_OWN_COLUMNS = ("segment", "row", "reason", "detail")
# Each rejected class's reason, indexed by the class's byte: an Enum gathers it without making
# a string per row (replace_strict took 1.2 s for 9M over-cap rows). SENT's slot is never
# written (only rejected rows are), but keeps the index equal to the class.
_REASONS = pl.Enum([c.reason.value if c is not RowClass.SENT else "sent" for c in sorted(RowClass)])


def _reason_expr() -> pl.Expr:
    return pl.lit(pl.Series(_REASONS.categories, dtype=_REASONS)).gather(pl.col("cls"))


class RejectedRowsWriter:
    """Appends rejected rows to one CSV file, header first; safe to call from two threads."""

    def __init__(self, path: Path, source_columns: Sequence[str]) -> None:
        self.path = path
        self._columns = list(dict.fromkeys(source_columns))
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = open_private(path)
        header = [*_OWN_COLUMNS, *(neutralised_cell(_output_name(c)) for c in self._columns)]
        append_csv(
            self._file, path, pl.DataFrame(schema=dict.fromkeys(header, pl.String)), header=True
        )

    def classified(self, segment: str, rows: pl.LazyFrame) -> pl.LazyFrame:
        """The file's rows for rows rejected by validation: ``rows`` has ``row``, ``cls`` (never
        SENT) and the source columns. Lazy, so a caller can stream it or compute it in a worker
        thread, then :meth:`append` it (which neutralises the source cells)."""
        # No detail: the reason says it all, and a repeated sentence would double the size of
        # a file that can hold millions of over-cap rows.
        return rows.select(
            pl.lit(neutralised_cell(segment)).alias("segment"),
            pl.col("row"),
            _reason_expr().alias("reason"),
            pl.lit(None, dtype=pl.String).alias("detail"),
            *self._source_exprs(),
        )

    def quoted(self, rows: pl.LazyFrame) -> pl.LazyFrame:
        """``rows`` made by :meth:`classified` with their source cells neutralised inside the
        query, on Polars' threads as the rows stream (for the many rows after a segment's last
        contact); append its frames with ``append(frame, quoted=True)``.

        The regular expression then reads every cell, where :meth:`append` first skips the
        columns of a frame that cannot need it; for millions of rows that is still the
        cheaper way (9M rows, e-mail and names: 0.5 s of CPU, spread over the threads).
        """
        return rows.with_columns(
            neutralised(pl.col(name)).alias(name) for name in self._output_columns()
        )

    def write_classified(self, segment: str, rows: pl.DataFrame) -> None:
        """Rows rejected by validation: ``rows`` has ``row``, ``cls`` and the source columns."""
        if rows.height == 0:
            return
        self.append(self.classified(segment, rows.lazy()).collect())

    def write_refused(
        self, segment_names: Sequence[str], refs: pl.DataFrame, details: Sequence[str]
    ) -> None:
        """Contacts Constant Contact refused: ``refs`` rows of a batch, one detail per row."""
        if refs.height == 0:
            return
        frame = refs.select(
            neutralised(
                pl.col("segment").replace_strict(
                    dict(enumerate(segment_names)), return_dtype=pl.String
                )
            ).alias("segment"),
            pl.col("row"),
            pl.lit(RejectReason.REFUSED.value).alias("reason"),
            neutralised(pl.lit(pl.Series("detail", list(details), dtype=pl.String))).alias(
                "detail"
            ),
            *self._source_exprs(),
        )
        self.append(frame)

    def close(self) -> None:
        """Flush and close the file."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _source_exprs(self) -> list[pl.Expr]:
        # As read: append neutralises them, once, where a cell needs it.
        return [pl.col(c).cast(pl.String).alias(_output_name(c)) for c in self._columns]

    def append(self, frame: pl.DataFrame, *, quoted: bool = False) -> None:
        """Append rows made by :meth:`classified` (or the like) to the file; their source
        columns are neutralised here (cells a spreadsheet would run get their ``'``), unless
        ``quoted`` says :meth:`quoted` did it already."""
        if frame.height == 0:
            return
        if not quoted:
            frame = neutralised_columns(frame, self._output_columns())
        with self._lock:
            if self._file is None:
                raise RuntimeError("the rejected-rows file is closed")
            append_csv(self._file, self.path, frame, header=False)

    def _output_columns(self) -> list[str]:
        """The names the source columns have in the file."""
        return [_output_name(c) for c in self._columns]


def _output_name(column: str) -> str:
    # A source column must not shadow one of ours.
    return f"source:{column}" if column in _OWN_COLUMNS else column
