"""The runs table keeps each run's field counts; older files gain the column on opening."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from cc_tui.models.reasons import REJECT_REASONS
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.history import HistoryStore
from cc_tui.store.history_schema import MIGRATIONS
from cc_tui.store.run_history import RunHistory

FIELDS = {
    "anniversary": {"dropped_invalid_date": 809, "changed_date_format": 3},
    "cf:größe": {"dropped_too_long": 1},
}


def record(**changes: object) -> RunRecord:
    base = RunRecord(run_id="r1", export="promo", connection="conn", status=RunStatus.RUNNING,
                     dry_run=False, os_user="ana", started_at=datetime(2026, 1, 2, tzinfo=UTC),
                     rejected=dict.fromkeys(REJECT_REASONS, 0),
                     rejected_rows_file="/home/ana/runs/r1/rejected.csv")  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_field_counts_are_stored_and_read_back(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    history = RunHistory(store)
    history.create(record(), inputs={}, plan={})
    assert history.get("r1") == record()
    history.update(record(fields=FIELDS, status=RunStatus.SUCCEEDED))
    stored = history.get("r1")
    assert stored is not None and stored.fields == FIELDS
    assert stored.fields_dropped == 810 and stored.fields_changed == 3
    summary = stored.to_json()
    assert summary["fields"] == {
        "anniversary": {"changed_date_format": 3, "dropped_invalid_date": 809},
        "cf:größe": {"dropped_too_long": 1},
    }
    assert list(summary["fields"]["anniversary"]) == ["changed_date_format",
                                                      "dropped_invalid_date"]  # fmt: skip
    assert summary["field_problems_file"] == "/home/ana/runs/r1/field_problems.csv"
    assert summary["truncated"] == 0  # kept for scripts that read it; nothing is cut any more
    store.close()


def test_a_file_of_the_first_schema_gains_the_fields_column(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        first_schema = MIGRATIONS[0]
        assert isinstance(first_schema, str)  # the first step is SQL, not a function
        db.executescript(first_schema)
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO runs (run_id, export, status, started_at, updated_at, truncated) "
                   "VALUES ('old', 'promo', 'succeeded', '2025-01-01T00:00:00+00:00', "
                   "'2025-01-01T00:00:00+00:00', 7)")  # fmt: skip
    db.close()
    store = HistoryStore(path)
    old = RunHistory(store).get("old")
    assert old is not None
    assert (old.fields, old.truncated) == ({}, 7)  # an old run's truncations stay on record
    store.close()
