"""Batch checkpoints with their activities: one owner per activity, and the upgrade of an
older history file whose unanswered batches become ``uploading`` (in doubt)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.history import HistoryStore
from cc_tui.store.history_schema import MIGRATIONS, SCHEMA_VERSION
from cc_tui.store.run_history import RunHistory

STARTED = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
SENT = datetime(2026, 11, 29, 6, 1, tzinfo=UTC)


def history_with_run(path: Path, run_id: str = "run-1") -> RunHistory:
    history = RunHistory(HistoryStore(path))
    history.create(
        RunRecord(run_id=run_id, export="promo", connection="conn", status=RunStatus.RUNNING,
                  dry_run=False, os_user="tester", started_at=STARTED),
        inputs={}, plan={},
    )  # fmt: skip
    return history


def uploading(run_id: str, seq: int, contacts: int = 100) -> BatchRecord:
    return BatchRecord(
        run_id=run_id, seq=seq, state=BatchState.UPLOADING, contacts=contacts, bytes=10,
        digest="0" * 64, sent_at=SENT, uploads=1,
    )  # fmt: skip


def posted_first_time(record: BatchRecord, activity_id: str) -> BatchRecord:
    """``record`` answered with ``activity_id`` on its first upload."""
    return replace(
        record,
        state=BatchState.POSTED,
        activity_id=activity_id,
        attempts=1,
        activity_ids=(activity_id,),
    )


def test_an_activity_is_claimed_by_one_batch_only(tmp_path: Path) -> None:
    history = history_with_run(tmp_path / "history.sqlite3")
    first, second = uploading("run-1", 1), uploading("run-1", 2)
    for record in (first, second):
        history.save_batch(record)
    assert history.claim(posted_first_time(first, "a-1"), duplicates=["a-0"])
    assert not history.claim(posted_first_time(second, "a-1"))
    batches = history.batches("run-1")
    assert batches[1].activity_ids == ("a-1", "a-0") and batches[1].state is BatchState.POSTED
    assert batches[2].state is BatchState.UPLOADING  # the losing claim wrote nothing
    assert history.recorded_activities(["a-0", "a-1", "a-2"]) == {"a-0", "a-1"}
    assert [b.seq for b in history.in_doubt(100)] == [2]


def test_disputed_activities_belong_to_nobody_but_are_never_claimed(tmp_path: Path) -> None:
    history = history_with_run(tmp_path / "history.sqlite3")
    record = uploading("run-1", 1)
    history.save_batch(record)
    history.dispute(record, ["a-9"])
    assert history.batches("run-1")[1].activity_ids == ()
    assert history.recorded_activities(["a-9"]) == {"a-9"}
    claimed = replace(record, state=BatchState.POSTED, activity_id="a-9", activity_ids=("a-9",))
    assert not history.claim(claimed)


def test_answered_activities_keep_their_last_state(tmp_path: Path) -> None:
    history = history_with_run(tmp_path / "history.sqlite3")
    posted = replace(uploading("run-1", 1), state=BatchState.POSTED, activity_id="a-1",
                     activity_state="initialized", activity_ids=("a-1",), attempts=1)  # fmt: skip
    history.record_answer(posted)
    history.save_batch(replace(posted, state=BatchState.CONFIRMED, activity_state="completed"))
    rows = history._db.query("SELECT role, last_state FROM batch_activities")
    assert [(r["role"], r["last_state"]) for r in rows] == [("answered", "completed")]


def test_an_older_history_file_is_upgraded_with_its_batches_in_doubt(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        first_schema = MIGRATIONS[0]
        assert isinstance(first_schema, str)  # the first step is SQL, not a function
        db.executescript(first_schema)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO runs (run_id, export, status, started_at, updated_at) "
            "VALUES ('old', 'promo', 'running', ?, ?)",
            (STARTED.isoformat(), STARTED.isoformat()),
        )
        db.executemany(
            "INSERT INTO batches (run_id, seq, state, contacts, bytes, digest, attempts, "
            "activity_id, activity_state, posted_at) "
            "VALUES ('old', ?, ?, 100, 10, 'd', ?, ?, ?, ?)",
            [
                (1, "confirmed", 1, "a-1", "completed", SENT.isoformat()),
                (2, "posted", 1, "a-2", "processing", SENT.isoformat()),
                (3, "pending", 1, None, None, None),  # sent without an answer, perhaps
            ],
        )
    history = RunHistory(HistoryStore(path))
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2
    batches = history.batches("old")
    assert [b.activity_ids for b in batches.values()] == [("a-1",), ("a-2",), ()]
    assert batches[3].state is BatchState.UPLOADING and batches[3].sent_at == STARTED
    assert history.recorded_activities(["a-1", "a-2"]) == {"a-1", "a-2"}
    assert [b.seq for b in history.in_doubt(100)] == [3]
