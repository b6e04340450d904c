"""From segment files to import batches, in two streaming passes (run in a worker thread).

Pass 1 reads only the e-mail column of every segment and classifies every row (see
``validation``): that gives exact totals before anything is sent. Pass 2 streams the mapped
columns again in chunks, writes rejected rows to rejected.csv, turns the rows to send into
contacts (each field held to its rule; what was changed or dropped goes to field_problems.csv)
and cuts them into batches. Neither pass holds a segment in memory; a stop event is
checked on every chunk, so a cancelled run stops reading within one chunk.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from cc_tui.engine.batching import (
    MAX_BATCH_BYTES,
    MAX_CONTACTS_PER_BATCH,
    REF_EMAIL,
    Batch,
    BatchBuilder,
    contact_lines,
)
from cc_tui.engine.email_check import Classification, RowClass, classify, email_checks
from cc_tui.engine.field_problems import FieldProblemsWriter
from cc_tui.engine.mapping import MappedField, contact_fields
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.engine.segments.model import Segment
from cc_tui.engine.segments.reading import scan_segment, segment_read_errors
from cc_tui.models.reasons import FIELD_DROPPED_PREFIX

__all__ = ["CHUNK_ROWS", "PreparationStopped", "Preparer", "check_emails"]

CHUNK_ROWS = 100_000
_CHUNK_THREADS = 2  # chunks turned into contacts at once
# Polars' streaming CSV reader buffers about 300 MB by default; 1 MiB chunks with two in
# flight keep it near 60 MB at the same speed (measured on a 10M-row file). These are read at
# query time, and a user's own setting wins.
_POLARS_CSV_MEMORY = {"POLARS_CSV_CHUNK_SIZE": "1048576", "POLARS_CSV_CHUNK_PREFETCH_LIMIT": "2"}
for _name, _value in _POLARS_CSV_MEMORY.items():
    os.environ.setdefault(_name, _value)


class PreparationStopped(Exception):
    """The stop event was set: the run is being cancelled."""


def check_emails(
    segments: Sequence[Segment], email_column: str, *, cap: int, stop: threading.Event | None = None
) -> Classification:
    """Pass 1: classify every row of ``segments`` (in order) by its e-mail."""
    checked = []
    for segment in segments:
        if stop is not None and stop.is_set():
            raise PreparationStopped
        with segment_read_errors(segment):
            frame = email_checks(scan_segment(segment, [email_column]), email_column)
            checked.append(frame.collect(engine="streaming"))
    return classify(checked, cap)


@dataclass(slots=True)
class Preparer:
    """Pass 2: batches of contacts to send, rejected rows and field problems written on the way.

    Without ``rejected``, ``tracker`` and ``field_problems`` it neither writes nor counts rows
    (the head start reads rows that pass 2 writes and counts later); ``row_limit`` reads only
    the first rows of each segment.
    """

    segments: Sequence[Segment]
    fields: Sequence[MappedField]
    classification: Classification
    list_ids: Sequence[str]
    rejected: RejectedRowsWriter | None
    tracker: ProgressTracker | None
    max_contacts: int = MAX_CONTACTS_PER_BATCH
    max_bytes: int = MAX_BATCH_BYTES
    row_limit: int | None = None
    field_problems: FieldProblemsWriter | None = None

    @property
    def source_columns(self) -> list[str]:
        """Segment columns the mapping reads, each once."""
        return list(dict.fromkeys(field.column for field in self.fields))

    def batches(self, stop: threading.Event) -> Iterator[Batch]:
        """Every batch, in order; raises PreparationStopped when ``stop`` is set."""
        builder = self.batch_builder()
        for index, segment in enumerate(self.segments):
            with segment_read_errors(segment):
                for lines, refs in self.segment_contacts(index, segment, stop):
                    yield from builder.add(lines, refs)
        yield from builder.finish()

    def batch_builder(self) -> BatchBuilder:
        """A builder that cuts batches the way this run does."""
        return BatchBuilder(self.list_ids, max_contacts=self.max_contacts, max_bytes=self.max_bytes)

    def segment_contacts(
        self,
        index: int,
        segment: Segment,
        stop: threading.Event,
    ) -> Iterator[tuple[pl.Series, pl.DataFrame]]:
        """Segment ``index``'s contact lines and their refs, chunk by chunk.

        Two chunks are turned into contacts at once, in a small thread pool (Polars releases
        the GIL, and one chunk's string work keeps only one core busy); results are taken in
        input order, so batches do not depend on which thread finished first.
        """
        classes = self.classification.for_segment(index)
        offset = 0
        scan = scan_segment(segment, self.source_columns)
        if self.row_limit is not None:
            scan = scan.head(self.row_limit)
        in_flight: deque[Future[_Chunk]] = deque()
        with ThreadPoolExecutor(_CHUNK_THREADS, thread_name_prefix="cc-tui-chunk") as pool:
            for chunk in _chunks(segment, scan):
                if stop.is_set():
                    raise PreparationStopped
                rows = chunk.with_columns(
                    pl.int_range(offset + 1, offset + chunk.height + 1, dtype=pl.UInt64).alias(
                        "row"
                    ),
                    classes.slice(offset, chunk.height).alias("cls"),
                )
                offset += chunk.height
                in_flight.append(pool.submit(self._contacts, index, rows))
                if len(in_flight) >= _CHUNK_THREADS:
                    yield from self._take(segment, in_flight.popleft().result())
            while in_flight:
                yield from self._take(segment, in_flight.popleft().result())

    def _contacts(self, index: int, rows: pl.DataFrame) -> _Chunk:
        """One chunk's rejected rows, contact lines, refs and field problems (in the pool)."""
        sendable = pl.col("cls") == RowClass.SENT.value
        to_send = rows.filter(sendable)
        rejected = rows.filter(~sendable)
        if to_send.height == 0:
            return _Chunk(rows.height, rejected, None, None, None)
        prepared = contact_fields(to_send, self.fields)
        contacts = prepared.contacts
        refs = to_send.select(
            pl.lit(index, dtype=pl.UInt16).alias("segment"), "row", *self.source_columns
        ).with_columns(contacts.get_column("email").alias(REF_EMAIL))
        positions = prepared.problems.get_column("index")
        problems = prepared.problems.select(
            to_send.get_column("row").gather(positions).alias("row"), "field", "reason", "value"
        )
        lines = contact_lines(contacts, prepared.plain)
        return _Chunk(rows.height, rejected, lines, refs, problems)

    def _take(self, segment: Segment, chunk: _Chunk) -> Iterator[tuple[pl.Series, pl.DataFrame]]:
        """Write and count one chunk, in input order; yield its contacts if it has any."""
        if self.rejected is not None:
            self.rejected.write_classified(segment.name, chunk.rejected)
        problems = chunk.problems
        if self.field_problems is not None and problems is not None:
            self.field_problems.write(segment.name, problems)
        if self.tracker is not None:
            changed = dropped = 0
            if problems is not None and problems.height:
                dropped = int(
                    problems.get_column("reason").str.starts_with(FIELD_DROPPED_PREFIX).sum()
                )
                changed = problems.height - dropped
            self.tracker.add(rows_read=chunk.rows, fields_changed=changed, fields_dropped=dropped)
        if chunk.lines is not None and chunk.refs is not None:
            yield chunk.lines, chunk.refs


def _chunks(segment: Segment, scan: pl.LazyFrame) -> Iterator[pl.DataFrame]:
    """The scan's rows in chunks, read no further ahead than the caller takes them.

    Polars' Parquet source decodes ahead of a slower consumer without bound (measured: 700 MB
    for 7 columns of a 10M-row file while pass 2 worked), so Parquet is read one bounded
    query per slice: 340 MB, for about 15% more time, as each slice decodes the row groups it
    overlaps. The text readers' read-ahead is bounded by the settings above.
    """
    if not segment.is_columnar:  # Parquet files and folders, Delta tables, Parquet partitions
        yield from scan.collect_batches(chunk_size=CHUNK_ROWS)
        return
    offset = 0
    while True:
        chunk = scan.slice(offset, CHUNK_ROWS).collect()
        if chunk.height:
            yield chunk
        if chunk.height < CHUNK_ROWS:
            return
        offset += chunk.height


@dataclass(frozen=True, slots=True)
class _Chunk:
    """What pass 2 made of one chunk of input rows."""

    rows: int
    rejected: pl.DataFrame
    lines: pl.Series | None
    refs: pl.DataFrame | None
    problems: pl.DataFrame | None  # row, field, reason, value of each field changed or dropped
