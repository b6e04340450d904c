"""Pass 2 writes each field problem once, with its segment and row, however it reads chunks;
rejected rows get none (they are not sent), and batches do not depend on chunking."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pytest

from cc_tui.engine import building as preparation
from cc_tui.engine.building import Builder
from cc_tui.engine.email_check import check_emails
from cc_tui.engine.field_problems import FieldProblemsWriter
from cc_tui.engine.mapping import mapped_fields
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.models.config import FieldMapping

LIST_IDS = ["04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"]
MAPPING = FieldMapping(email="email", first_name="name", attributes={"anniversary": "anniv"})


def segment_csv(rows: int, prefix: str) -> str:
    lines = ["email,name,anniv"]
    for i in range(rows):
        email = "" if i % 9 == 4 else f"{prefix}{i}@example.com"  # some rows are rejected
        name = "Ann\tLee" if i % 5 == 0 else f"Ann{i}"
        anniv = "2006-13-45" if i % 3 == 0 else "2006-11-15"
        lines.append(f"{email},{name},{anniv}")
    return "\n".join(lines) + "\n"


def expected_rows(rows: int) -> list[tuple[str, str]]:
    """(row, reason) of each problem of a segment, in order, rejected rows left out."""
    found = []
    for i in range(rows):
        if i % 9 == 4:
            continue
        if i % 5 == 0:
            found.append((str(i + 1), "changed_control_characters"))
        if i % 3 == 0:
            found.append((str(i + 1), "dropped_invalid_date"))
    return found


def prepare(tmp_path: Path, work: str) -> tuple[list[str], pl.DataFrame, dict[str, dict[str, int]]]:
    segments = [inspect_path(tmp_path / f"{name}.csv", name=name) for name in ("vip", "new")]
    fields = mapped_fields(MAPPING)
    out = tmp_path / work
    rejected = RejectedRowsWriter(out / "rejected.csv", [f.column for f in fields])
    problems = FieldProblemsWriter(out / "field_problems.csv")
    tracker = ProgressTracker("run", "export", dry_run=False)
    preparer = Builder(segments, fields, check_emails(segments, "email", cap=10_000), LIST_IDS,
                        rejected, tracker, max_contacts=50, field_problems=problems)  # fmt: skip
    digests = [batch.digest for batch in preparer.batches(threading.Event())]
    rejected.close()
    problems.close()
    snapshot = tracker.snapshot()
    counts = problems.counts()
    assert snapshot.fields_changed + snapshot.fields_dropped == sum(
        n for reasons in counts.values() for n in reasons.values()
    )
    return digests, pl.read_csv(out / "field_problems.csv", infer_schema=False), counts


@pytest.mark.parametrize("chunk_rows", [7, 64])
def test_field_problems_are_written_once_in_order_whatever_the_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    (tmp_path / "vip.csv").write_text(segment_csv(230, "v"))
    (tmp_path / "new.csv").write_text(segment_csv(170, "n"))
    whole = prepare(tmp_path, "whole")
    monkeypatch.setattr(preparation, "CHUNK_ROWS", chunk_rows)
    digests, problems, counts = prepare(tmp_path, "chunked")
    assert digests == whole[0]
    assert problems.equals(whole[1])
    assert counts == whole[2]
    by_segment = {
        name: problems.filter(pl.col("segment") == name).select("row", "reason").rows()
        for name in ("vip", "new")
    }
    assert by_segment == {"vip": expected_rows(230), "new": expected_rows(170)}
    assert set(problems.filter(pl.col("reason") == "dropped_invalid_date")["value"]) == {
        "2006-13-45"
    }
