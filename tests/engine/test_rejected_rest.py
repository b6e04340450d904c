"""Rows after a segment's last contact to send (over the cap, mostly) skip the chunk loop: one
streaming query writes them. rejected.csv must hold exactly what a plain reading of the rules
gives: every rejected row once, in order, with its reason and its cells neutralised."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from cc_tui.engine import building as preparation
from cc_tui.engine.building import Builder
from cc_tui.engine.email_check import StopRequested, check_emails
from cc_tui.engine.mapping import mapped_fields
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.engine.run_files import neutralised_cell
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.model import Segment
from cc_tui.models.config import FieldMapping
from cc_tui.models.reasons import RejectReason

LIST_IDS = ["04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"]
MAPPING = FieldMapping(email="email", first_name="first_name", attributes={"job_title": "title"})
HOSTILE = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "'=1"]
CAP = 40
COLUMNS = ("email", "first_name", "title")
_READERS: dict[str, Callable[[Path], pl.DataFrame]] = {
    ".csv": pl.read_csv,
    ".gz": pl.read_csv,
    ".parquet": pl.read_parquet,
    ".ndjson": pl.read_ndjson,
}


def _rows(count: int, start: int) -> list[dict[str, str | None]]:
    """Valid, missing, invalid and duplicate e-mails (some of a row past the cap), with hostile
    names and titles."""
    rows: list[dict[str, str | None]] = []
    for i in range(start, start + count):
        if i % 9 == 4:
            email = None
        elif i % 13 == 6:
            email = f"=not an address {i}"
        elif i % 4 == 3:
            email = f" USER{i // 3}@Example.com"  # a duplicate, before or after the cap
        else:
            email = f"user{i}@example.com"
        rows.append({
            "email": email,
            "first_name": HOSTILE[i % len(HOSTILE)] if i % 3 else f"Name {i}",
            "title": HOSTILE[(i + 2) % len(HOSTILE)] if i % 2 else None,
        })  # fmt: skip
    return rows


def _segments(tmp_path: Path) -> list[Segment]:
    """A CSV (the cap falls in it), then Parquet, NDJSON and gzipped CSV segments past it."""
    parts = [_rows(90, 0), _rows(45, 90), _rows(30, 135), _rows(25, 165)]
    paths = [tmp_path / "a.csv", tmp_path / "b.parquet", tmp_path / "c.ndjson", tmp_path / "=d.csv"]
    for rows, path in zip(parts, paths, strict=True):
        frame = pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String))
        if path.suffix == ".parquet":
            frame.write_parquet(path, row_group_size=8)
        elif path.suffix == ".ndjson":
            frame.write_ndjson(path)
        else:
            frame.write_csv(path)
    with paths[-1].open("rb") as plain, gzip.open(tmp_path / "=d.csv.gz", "wb") as packed:
        packed.write(plain.read())
    paths[-1].unlink()
    paths[-1] = tmp_path / "=d.csv.gz"
    return [inspect_path(path, name=path.name.split(".")[0]) for path in paths]


def _plain_reading(segments: list[Segment]) -> tuple[list[tuple[str, ...]], list[str]]:
    """rejected.csv's rows (as text) and the e-mails sent, by the rules read plainly."""
    seen: set[str] = set()
    rejected: list[tuple[str, ...]] = []
    sent: list[str] = []
    for segment in segments:
        frame = _READERS[segment.path.suffix](segment.path)
        for number, row in enumerate(frame.iter_rows(named=True), start=1):
            email = (row["email"] or "").strip().lower()
            if not email:
                reason = RejectReason.MISSING_EMAIL
            elif " " in email:
                reason = RejectReason.INVALID_EMAIL
            elif email in seen:
                reason = RejectReason.DUPLICATE_EMAIL
            else:
                seen.add(email)
                if len(seen) <= CAP:
                    sent.append(email)
                    continue
                reason = RejectReason.OVER_CAP
            cells = [row[c] for c in COLUMNS]
            rejected.append((
                neutralised_cell(segment.name), str(number), reason.value, "",
                *("" if c is None else neutralised_cell(c) for c in cells),
            ))  # fmt: skip
    return rejected, sent


def _prepare(segments: list[Segment], path: Path) -> tuple[list[str], ProgressTracker]:
    fields = mapped_fields(MAPPING)
    writer = RejectedRowsWriter(path, [f.column for f in fields])
    tracker = ProgressTracker("run", "export", dry_run=False)
    preparer = Builder(
        segments,
        fields,
        check_emails(segments, "email", cap=CAP),
        LIST_IDS,
        writer,
        tracker,
        max_contacts=7,
    )
    sent: list[str] = []
    try:
        for batch in preparer.batches(threading.Event()):
            sent += batch.refs.get_column("_email").to_list()
    finally:
        writer.close()
    return sent, tracker


@pytest.mark.parametrize("chunk_rows", [5, 100_000])
def test_rows_after_the_last_contact_are_written_as_a_plain_reading_gives_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    monkeypatch.setattr(preparation, "CHUNK_ROWS", chunk_rows)
    monkeypatch.setattr(preparation, "REST_FRAME_CELLS", chunk_rows * len(COLUMNS))
    segments = _segments(tmp_path)
    expected_rejected, expected_sent = _plain_reading(segments)
    path = tmp_path / "rejected.csv"
    sent, tracker = _prepare(segments, path)

    assert sent == expected_sent
    written = pl.read_csv(path, infer_schema=False).fill_null("")
    assert written.columns == ["segment", "row", "reason", "detail", "email", "first_name", "title"]
    assert written.rows() == expected_rejected
    reasons = {row[2] for row in expected_rejected}
    assert reasons == {r.value for r in RejectReason if r is not RejectReason.REFUSED}
    assert tracker.snapshot().rows_read == 90 + 45 + 30 + 25


def test_the_last_batch_is_out_before_the_rows_past_the_cap_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop once the last batch is taken ends the run before the over-cap rows are written."""
    monkeypatch.setattr(preparation, "CHUNK_ROWS", 5)
    segments = _segments(tmp_path)
    _, expected_sent = _plain_reading(segments)
    fields = mapped_fields(MAPPING)
    writer = RejectedRowsWriter(tmp_path / "rejected.csv", [f.column for f in fields])
    preparer = Builder(
        segments,
        fields,
        check_emails(segments, "email", cap=CAP),
        LIST_IDS,
        writer,
        ProgressTracker("run", "export", dry_run=False),
        max_contacts=7,
    )
    stop = threading.Event()
    batches = preparer.batches(stop)
    sent: list[str] = []
    try:
        with pytest.raises(StopRequested):
            for batch in batches:
                sent += batch.refs.get_column("_email").to_list()
                if len(sent) == len(expected_sent):
                    stop.set()
    finally:
        writer.close()
    assert sent == expected_sent


class _StopAfterFirstRestFrame(RejectedRowsWriter):
    """A writer that asks the run to stop once the first frame of rows past the last contact
    is written (those frames come quoted by the query that streams them)."""

    def __init__(self, path: Path, columns: list[str], stop: threading.Event) -> None:
        super().__init__(path, columns)
        self.stop = stop
        self.rest_frames = 0

    def append(self, frame: pl.DataFrame, *, quoted: bool = False) -> None:
        super().append(frame, quoted=quoted)
        if quoted and frame.get_column("reason").eq(RejectReason.OVER_CAP.value).any():
            self.rest_frames += 1
            self.stop.set()


def test_a_stop_while_the_rows_past_the_cap_stream_is_seen_within_one_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preparation, "CHUNK_ROWS", 50)
    monkeypatch.setattr(preparation, "REST_FRAME_CELLS", 50 * len(COLUMNS))
    path = tmp_path / "big.csv"
    pl.DataFrame(_rows(1_000, 0), schema=dict.fromkeys(COLUMNS, pl.String)).write_csv(path)
    segment = inspect_path(path, name="big")
    fields = mapped_fields(MAPPING)
    stop = threading.Event()
    writer = _StopAfterFirstRestFrame(tmp_path / "rejected.csv", [f.column for f in fields], stop)
    preparer = Builder(
        [segment],
        fields,
        check_emails([segment], "email", cap=CAP),
        LIST_IDS,
        writer,
        ProgressTracker("run", "export", dry_run=False),
        max_contacts=7,
    )
    try:
        with pytest.raises(StopRequested):
            for _ in preparer.batches(stop):
                pass
    finally:
        writer.close()

    assert writer.rest_frames == 1
    past_cap = pl.read_csv(tmp_path / "rejected.csv", infer_schema=False).filter(
        pl.col("reason") == RejectReason.OVER_CAP.value
    )
    assert 0 < past_cap.height <= 50
