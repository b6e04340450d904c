"""runs/<run-id>/field_problems.csv: every optional field changed or left out, with why.

Columns: ``segment``, ``row`` (1-based data row in that segment), ``field`` (the Constant
Contact field), ``reason`` (a :class:`~cc_tui.models.reasons.FieldReason` value) and ``value``
(as the segment held it). The contact of each row was still sent. Rows are appended chunk by
chunk as pass 2 goes, in input order, and counted per field and reason for the run's summary.

The file is meant to be opened in a spreadsheet, so a ``segment`` or ``value`` cell that starts
like a formula gets a leading ``'`` (see :mod:`cc_tui.engine.run_files` for the exact, reversible
rule).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import polars as pl

from cc_tui.engine.run_files import append_csv, neutralised, neutralised_cell, open_private

__all__ = ["FIELD_PROBLEM_COLUMNS", "FieldProblemRows", "FieldProblemsWriter", "formatted_problems"]

FIELD_PROBLEM_COLUMNS = ("segment", "row", "field", "reason", "value")


@dataclass(frozen=True, slots=True)
class FieldProblemRows:
    """Field problems as the file holds them, with their count per field and reason."""

    frame: pl.DataFrame
    counted: list[tuple[str, str, int]]


def formatted_problems(segment: str, problems: pl.DataFrame) -> FieldProblemRows:
    """``problems`` (``row``, ``field``, ``reason``, ``value``) of ``segment`` as the file's rows.

    Apart from :meth:`FieldProblemsWriter.append`, so pass 2 formats them in its workers.
    """
    frame = problems.select(
        pl.lit(neutralised_cell(segment)).alias("segment"),
        pl.col("row"),
        pl.col("field"),
        pl.col("reason"),
        neutralised(pl.col("value")).alias("value"),
    )
    counted = [
        (str(f), str(r), int(n)) for f, r, n in problems.group_by("field", "reason").len().rows()
    ]
    return FieldProblemRows(frame, counted)


class FieldProblemsWriter:
    """Appends field problems to one CSV file (header first) and counts them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows_written = 0
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = open_private(path)
        header = pl.DataFrame(schema=dict.fromkeys(FIELD_PROBLEM_COLUMNS, pl.String))
        append_csv(self._file, path, header, header=True)

    def write(self, segment: str, problems: pl.DataFrame) -> None:
        """Append ``problems`` (``row``, ``field``, ``reason``, ``value``) of ``segment``."""
        self.append(formatted_problems(segment, problems))

    def append(self, rows: FieldProblemRows) -> None:
        """Append rows made by :func:`formatted_problems` and count them."""
        if rows.frame.height == 0:
            return
        with self._lock:
            if self._file is None:
                raise RuntimeError("the field-problems file is closed")
            append_csv(self._file, self.path, rows.frame, header=False)
            self.rows_written += rows.frame.height
            self._counts.update({(field, reason): count for field, reason, count in rows.counted})

    def counts(self) -> dict[str, dict[str, int]]:
        """Values changed or dropped so far, per field and reason (sorted)."""
        with self._lock:
            items = sorted(self._counts.items())
        fields: dict[str, dict[str, int]] = {}
        for (field, reason), count in items:
            fields.setdefault(field, {})[reason] = count
        return fields

    def close(self) -> None:
        """Flush and close the file."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
