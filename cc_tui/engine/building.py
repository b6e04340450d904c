"""From segment files to import batches, in two streaming passes (run in a worker thread).

Pass 1 reads only the e-mail column of every segment and classifies every row (see
``validation``): that gives exact totals before anything is sent. Pass 2 streams the mapped
columns again in chunks, writes rejected rows to rejected.csv, turns the rows to send into
contacts (each field held to its rule; what was changed or dropped goes to field_problems.csv)
and cuts them into batches, whose bodies its worker threads build and hash. A segment's rows
after its last contact to send (over the cap, in a big input) are all rejected: one streaming
query writes them, outside the chunk loop. Neither pass holds a segment in memory; a stop event is
checked on every chunk, so a cancelled run stops reading within one chunk.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from cc_tui.engine.batching import (
    MAX_BATCH_BYTES,
    MAX_CONTACTS_PER_BATCH,
    REF_EMAIL,
    Batch,
    BatchBuilder,
    contact_lines,
    sms_permission,
)
from cc_tui.engine.email_check import Classification, RowClass, StopRequested
from cc_tui.engine.field_problems import FieldProblemRows, FieldProblemsWriter, formatted_problems
from cc_tui.engine.mapping import MappedField, contact_fields
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.engine.segments.model import Segment
from cc_tui.engine.segments.read_errors import segment_read_errors
from cc_tui.engine.segments.reading import scan_segment
from cc_tui.models.reasons import FIELD_DROPPED_PREFIX

__all__ = ["CHUNK_ROWS", "Builder"]

# Rows per chunk of pass 2. Two chunks are turned into contacts at once while batch bodies are
# built beside them, and with 7 mapped fields 100,000-row chunks took pass 2 to about 400 MB;
# 50,000 keep it near 320 MB, at the same speed (measured on CSV and Parquet, 1M rows).
CHUNK_ROWS = 50_000
_CHUNK_THREADS = 2  # chunks turned into contacts at once
# Cells per frame of the stream of a text segment's rows after its last contact (all rejected,
# so nothing but rejected.csv holds them). Bigger frames cost fewer rounds of the stream and of
# the file's writer: 8.9M rows of e-mail and names took 2.2 s in 250,000-row frames instead of
# 2.7 s in frames of CHUNK_ROWS. Counted in cells, so a wide mapping gets fewer rows a frame:
# 250,000 rows of 7 mapped columns took a 10M-row run from 336 MB to 353 MB at its peak.
REST_FRAME_CELLS = 750_000


@dataclass(slots=True)
class Builder:
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
    _sending_rows: dict[int, int] = field(default_factory=dict, init=False, repr=False)

    @property
    def source_columns(self) -> list[str]:
        """Segment columns the mapping reads, each once."""
        return list(dict.fromkeys(field.column for field in self.fields))

    def batches(self, stop: threading.Event) -> Iterator[Batch]:
        """Every batch, in order; raises StopRequested when ``stop`` is set.

        Each segment's rows after its last contact to send (over the cap, most of them, in a
        big input) are all rejected: they never pass through the chunk loop but are written
        by one streaming query (:meth:`write_rejected_rest`), after the last batch is out
        when no later segment has a contact to send.
        """
        ends = [self.sending_rows(index) for index in range(len(self.segments))]
        last_sending = max((i for i, end in enumerate(ends) if end), default=-1)
        # One pool turns chunks into contacts and builds batch bodies, so neither waits on
        # this thread, which only reads, writes and decides where batches end.
        with ThreadPoolExecutor(_CHUNK_THREADS, thread_name_prefix="cc-tui-chunk") as pool:
            builder = self.batch_builder(pool)
            for index, segment in enumerate(self.segments):
                with segment_read_errors(segment):
                    for lines, refs in self.segment_contacts(index, segment, stop, pool):
                        yield from builder.add(lines, refs)
                    if index >= last_sending:  # no contact comes after these
                        yield from builder.finish()
                    self.write_rejected_rest(index, segment, stop)
            yield from builder.finish()

    def batch_builder(self, executor: Executor | None = None) -> BatchBuilder:
        """A builder that cuts batches the way this run does (bodies built on ``executor``)."""
        return BatchBuilder(
            self.list_ids,
            max_contacts=self.max_contacts,
            max_bytes=self.max_bytes,
            executor=executor,
            sms_permission=sms_permission([f.field for f in self.fields]),
        )

    def sending_rows(self, index: int) -> int:
        """Rows of segment ``index`` up to its last contact to send (0 when it has none)."""
        if index not in self._sending_rows:
            sent = self._classes(index).eq(RowClass.SENT.value)
            last = sent.reverse().arg_max() if sent.any() else None
            self._sending_rows[index] = 0 if last is None else len(sent) - last
        return self._sending_rows[index]

    def _classes(self, index: int) -> pl.Series:
        """The classes of the rows of segment ``index`` this preparer reads."""
        classes = self.classification.for_segment(index)
        return classes if self.row_limit is None else classes.head(self.row_limit)

    def segment_contacts(
        self,
        index: int,
        segment: Segment,
        stop: threading.Event,
        pool: Executor | None = None,
    ) -> Iterator[tuple[pl.Series, pl.DataFrame]]:
        """Segment ``index``'s contact lines and their refs, chunk by chunk, up to its last
        contact to send (rows rejected among them are written and counted on the way).

        Two chunks are turned into contacts at once, in a small thread pool (``pool``, or one
        of its own: Polars releases the GIL, and one chunk's string work keeps only one core
        busy); results are taken in input order, so batches do not depend on which thread
        finished first.
        """
        classes = self.classification.for_segment(index)
        end = self.sending_rows(index)
        if end == 0:
            return
        offset = 0
        scan = scan_segment(segment, self.source_columns).head(end)
        in_flight: deque[Future[_Chunk]] = deque()
        with contextlib.ExitStack() as own:
            if pool is None:
                pool = own.enter_context(
                    ThreadPoolExecutor(_CHUNK_THREADS, thread_name_prefix="cc-tui-chunk")
                )
            for chunk in _chunks(segment, scan):
                if stop.is_set():
                    raise StopRequested
                chunk_classes = classes.slice(offset, chunk.height)
                in_flight.append(
                    pool.submit(self._contacts, index, segment.name, chunk, offset, chunk_classes)
                )
                offset += chunk.height
                if len(in_flight) >= _CHUNK_THREADS:
                    yield from self._take(in_flight.popleft().result())
            while in_flight:
                yield from self._take(in_flight.popleft().result())

    def write_rejected_rest(self, index: int, segment: Segment, stop: threading.Event) -> None:
        """Write and count segment ``index``'s rows after its last contact to send.

        Every one of them is rejected, so nothing but rejected.csv needs them: one streaming
        query reads them, adds their classes and row numbers and formats their cells (the
        CSV-injection rule included) on Polars' threads, and each of its batches is appended
        as it comes, so the file holds the same rows in the same order as the chunk loop would
        write. Without a rejected-rows writer they are only counted.
        """
        classes = self._classes(index)
        start = self.sending_rows(index)
        rest = len(classes) - start
        if rest <= 0:
            return
        if self.rejected is None:
            if self.tracker is not None:
                self.tracker.add(rows_read=rest)
            return
        for frame in self._rest_frames(segment, classes, start):
            if stop.is_set():
                raise StopRequested
            self.rejected.append(frame, quoted=True)
            if self.tracker is not None:
                self.tracker.add(rows_read=frame.height)

    def _rest_frames(
        self, segment: Segment, classes: pl.Series, start: int
    ) -> Iterator[pl.DataFrame]:
        """rejected.csv's rows for rows ``start`` onwards of ``segment`` (classes: all its rows),
        their cells already neutralised (:meth:`RejectedRowsWriter.quoted`).

        Text is one streaming query; Parquet and Delta are read a bounded slice at a time, for
        the reason :func:`_chunks` gives.
        """
        assert self.rejected is not None  # only called to write them
        columns = self.source_columns

        def rows(first: int, count: int) -> pl.LazyFrame:
            source = scan_segment(segment, columns).slice(first, count)
            cls = pl.LazyFrame(classes.slice(first, count).alias("cls"))
            # Polars refuses unequal heights: a file changed since pass 1 raises its ShapeError
            # (as the chunk loop's class column does), never writes made-up rows.
            joined = pl.concat([source, cls], how="horizontal")
            return joined.with_row_index("row", offset=first + 1)

        writer = self.rejected
        if not segment.is_columnar:
            query = writer.classified(segment.name, rows(start, len(classes) - start))
            frame_rows = max(CHUNK_ROWS, REST_FRAME_CELLS // max(1, len(columns)))
            yield from writer.quoted(query).collect_batches(chunk_size=frame_rows)
            return
        for first in range(start, len(classes), CHUNK_ROWS):
            count = min(CHUNK_ROWS, len(classes) - first)
            yield writer.quoted(writer.classified(segment.name, rows(first, count))).collect()

    def _contacts(
        self, index: int, segment: str, chunk: pl.DataFrame, offset: int, classes: pl.Series
    ) -> _Chunk:
        """One chunk's rejected rows, contact lines, refs and field problems (in the pool):
        ``chunk`` holds the segment's rows after its first ``offset``, ``classes`` their classes.

        Everything but reading is done here, rejected.csv's rows made ready to write included,
        so the thread that reads the segment and cuts batches has little else to wait for.
        """
        rows = chunk.with_columns(
            pl.int_range(offset + 1, offset + chunk.height + 1, dtype=pl.UInt64).alias("row"),
            classes.alias("cls"),
        )
        sendable = pl.col("cls") == RowClass.SENT.value
        to_send = rows.filter(sendable)
        rejected = None
        if self.rejected is not None:
            rejected_rows = self.rejected.classified(segment, rows.lazy().filter(~sendable))
            rejected = self.rejected.quoted(rejected_rows).collect()
        if to_send.height == 0:
            return _Chunk(rows.height, rejected, None, None, None, 0, 0)
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
        dropped = 0
        if problems.height:
            dropped = int(problems.get_column("reason").str.starts_with(FIELD_DROPPED_PREFIX).sum())
        formatted = None
        if self.field_problems is not None:
            formatted = formatted_problems(segment, problems)
        return _Chunk(
            rows.height, rejected, lines, refs, formatted, problems.height - dropped, dropped
        )

    def _take(self, chunk: _Chunk) -> Iterator[tuple[pl.Series, pl.DataFrame]]:
        """Write and count one chunk, in input order; yield its contacts if it has any."""
        if self.rejected is not None and chunk.rejected is not None:
            self.rejected.append(chunk.rejected, quoted=True)
        if self.field_problems is not None and chunk.problems is not None:
            self.field_problems.append(chunk.problems)
        if self.tracker is not None:
            self.tracker.add(
                rows_read=chunk.rows,
                fields_changed=chunk.fields_changed,
                fields_dropped=chunk.fields_dropped,
            )
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
    rejected: pl.DataFrame | None  # rejected.csv's rows for them (quoted), when it is written
    lines: pl.Series | None
    refs: pl.DataFrame | None
    problems: FieldProblemRows | None  # field_problems.csv's rows, when it is written
    fields_changed: int
    fields_dropped: int
