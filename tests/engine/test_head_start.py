"""The head start: the first batches, built from the head of the first segment alone, are
byte for byte the batches pass 2 cuts first; a run sends each of them once."""

from __future__ import annotations

import asyncio
import gzip
import threading
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from cc_tui.engine.batching import Batch
from cc_tui.engine.building import Builder
from cc_tui.engine.email_check import check_emails
from cc_tui.engine.head_start import head_start_batches
from cc_tui.engine.mapping import mapped_fields
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.models.batch import BatchState
from cc_tui.models.config import FieldMapping
from cc_tui.models.run import RunStatus
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.engine.test_runner import options, people_csv

LIST_IDS = ["04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"]
MAPPING = FieldMapping(email="email", first_name="first_name", attributes={"job_title": "title"})


def messy_csv(rows: int) -> str:
    """Valid rows with missing, invalid and duplicate e-mails mixed in, as real segments have."""
    lines = ["email,first_name,title"]
    for i in range(rows):
        if i % 7 == 3:
            email = ""  # missing
        elif i % 11 == 5:
            email = f"not-an-address-{i}"
        elif i % 5 == 4:
            email = f"USER{i // 2}@example.com"  # a duplicate of an earlier row (some of them)
        else:
            email = f"user{i}@example.com"
        lines.append(f"{email},Name{i},Title {i % 13}")
    return "\n".join(lines) + "\n"


def full_batches(path: Path, tmp_path: Path, *, cap: int, max_contacts: int) -> list[Batch]:
    segment = inspect_path(path, name=path.stem)
    fields = mapped_fields(MAPPING)
    writer = RejectedRowsWriter(tmp_path / "rejected.csv", [f.column for f in fields])
    preparer = Builder(
        [segment],
        fields,
        check_emails([segment], "email", cap=cap),
        LIST_IDS,
        writer,
        ProgressTracker("run", "export", dry_run=False),
        max_contacts=max_contacts,
    )
    try:
        return list(preparer.batches(threading.Event()))
    finally:
        writer.close()


def head_batches(path: Path, *, cap: int, max_contacts: int, count: int = 2) -> list[Batch]:
    return head_start_batches(
        [inspect_path(path, name=path.stem)],
        mapped_fields(MAPPING),
        "email",
        LIST_IDS,
        cap=cap,
        max_contacts=max_contacts,
        max_bytes=4_000_000,
        stop=threading.Event(),
        count=count,
    )


@pytest.mark.parametrize(
    ("rows", "cap", "max_contacts", "count"),
    [
        (2_000, 1_000_000, 100, 2),
        (2_000, 1_000_000, 100, 4),
        (2_000, 150, 100, 2),  # the cap falls inside the second batch: only the first is whole
        (5_000, 1_000_000, 333, 3),
    ],
)
def test_head_start_batches_are_exactly_pass_two_first_batches(
    tmp_path: Path, rows: int, cap: int, max_contacts: int, count: int
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(messy_csv(rows), encoding="utf-8")
    full = full_batches(path, tmp_path, cap=cap, max_contacts=max_contacts)
    head = head_batches(path, cap=cap, max_contacts=max_contacts, count=count)
    assert head, "the head of this segment holds whole batches"
    assert len(head) <= count
    assert [(b.seq, b.digest, b.contacts) for b in head] == [
        (b.seq, b.digest, b.contacts) for b in full[: len(head)]
    ]
    assert all(b.refs.equals(f.refs) for b, f in zip(head, full, strict=False))
    if cap < rows:
        assert sum(b.contacts for b in head) <= cap


def test_no_head_start_when_the_head_holds_no_whole_batch(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text(messy_csv(60), encoding="utf-8")
    assert head_batches(path, cap=1_000_000, max_contacts=100) == []


def test_no_head_start_for_segments_that_need_converting(tmp_path: Path) -> None:
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(messy_csv(2_000).encode()))
    assert head_batches(path, cap=1_000_000, max_contacts=100) == []


def test_a_problem_is_left_to_pass_one_to_report(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("mail,first_name,title\na@example.com,A,B\n", encoding="utf-8")
    assert head_batches(path, cap=1_000_000, max_contacts=1) == []


def test_parquet_head_start_matches_too(tmp_path: Path) -> None:
    csv_path = tmp_path / "people.csv"
    csv_path.write_text(messy_csv(1_000), encoding="utf-8")
    path = tmp_path / "people.parquet"
    pl.read_csv(csv_path, infer_schema=False).write_parquet(path)
    full = full_batches(path, tmp_path, cap=1_000_000, max_contacts=100)
    head = head_batches(path, cap=1_000_000, max_contacts=100)
    assert [b.digest for b in head] == [b.digest for b in full[:2]]


def test_a_run_sends_each_batch_once_with_the_head_start(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(400))
    workspace.add_export(first_name="first_name")
    before = workspace.emulator.stats()["imports"]
    events: list[str] = []
    runner = ExportRunner(workspace.services)
    record = asyncio.run(
        runner.run("promo", options(), on_event=lambda event: events.append(event.message))
    )
    assert record.status is RunStatus.SUCCEEDED and record.confirmed == 400
    assert record.batches == 10
    assert workspace.emulator.stats()["imports"] - before == 10  # batches 1 and 2 not twice
    batches = RunHistory(workspace.services.history).batches(record.run_id)
    assert sorted(batches) == list(range(1, 11))
    assert all(b.state is BatchState.CONFIRMED and b.attempts == 1 for b in batches.values())
    # The head start's batches were queued before pass 1 had counted the rows.
    counted = next(i for i, text in enumerate(events) if "rows read" in text)
    head_start = "Head start: sending batches 1-2 from the first rows of people"
    assert any(text.startswith(head_start) for text in events[:counted])
    assert workspace.members() == {f"person{i}@example.com" for i in range(400)}


def test_a_head_start_that_disagrees_with_pass_two_stops_the_run(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pass 2 re-reads the file: if its first batch differs (the file changed in between), the
    run must not carry on as if the head start had sent it."""
    from cc_tui.engine import execution

    real = head_start_batches

    def changed_file(*args: object, **kwargs: object) -> list[Batch]:
        first = real(*args, **kwargs)[0]  # type: ignore[arg-type]
        return [replace(first, body=first.body.replace(b"person0@", b"someone@"))]

    monkeypatch.setattr(execution, "head_start_batches", changed_file)
    workspace.write("people.csv", people_csv(400))
    workspace.add_export()
    record = asyncio.run(ExportRunner(workspace.services).run("promo", options()))
    assert record.status is RunStatus.FAILED
    assert record.error is not None and "changed while the run read it" in record.error
