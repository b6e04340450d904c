"""A damaged or full history.sqlite3: a clear message, a way out, rolled-back writes."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cc_tui.cli.entry import main
from cc_tui.errors import StorageFullError
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.paths import AppPaths
from cc_tui.store.history import HISTORY_REPAIR, HistoryDamagedError, HistoryStore
from cc_tui.store.history_repair import repair_history
from cc_tui.store.run_history import RunHistory

EVENTS = 5
RUNS = 3


def history_with_events(path: Path) -> None:
    store = HistoryStore(path)
    for i in range(EVENTS):
        store.record_event("connection.add", f"c{i}", "alice", {"n": i})
    started = datetime(2026, 11, 29, 12, tzinfo=UTC)
    for i in range(RUNS):
        record = RunRecord(run_id=f"run-{i}", export="weekly", connection="marketing",
                           status=RunStatus.SUCCEEDED, dry_run=False, os_user="alice",
                           started_at=started, finished_at=started)  # fmt: skip
        RunHistory(store).create(record, inputs={}, plan={})
    store.close()


def break_table(path: Path, table: str) -> None:
    """Point ``table`` at the page of its own index: SQLite then finds that table malformed."""
    with sqlite3.connect(path) as db:
        index_page = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
        ).fetchone()[0]
        db.execute("PRAGMA writable_schema=ON")
        db.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (index_page, table))
    db.close()


@pytest.mark.parametrize("command", [["history"], ["export", "list"], ["connection", "list"]])
def test_a_file_that_is_not_a_database_gives_the_way_out(
    cc_home: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    AppPaths.resolve().history_db.write_bytes(b"not sqlite at all " * 300)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "the run history is damaged" in err and "file is not a database" in err
    assert HISTORY_REPAIR in err and "Traceback" not in err


def test_repair_sets_the_file_aside_and_starts_a_fresh_history(
    cc_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = AppPaths.resolve().history_db
    history.write_bytes(b"not sqlite at all " * 300)
    assert main(["history", "repair"]) == 0
    out = capsys.readouterr().out
    aside = [p for p in history.parent.iterdir() if p.name.startswith("history.sqlite3.damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"not sqlite")
    assert "was damaged (file is not a database)" in out and str(aside[0]) in out
    assert "kept from the damaged file: nothing" in out
    assert main(["history"]) == 0
    assert "No runs yet" in capsys.readouterr().out
    assert main(["history", "repair"]) == 0
    assert "nothing to repair" in capsys.readouterr().out


def test_damage_found_in_use_is_the_same_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    history_with_events(path)
    break_table(path, "audit_events")
    store = HistoryStore(path)  # the header and schema read fine
    try:
        with pytest.raises(HistoryDamagedError, match="history repair"):
            store.events()
        assert len(RunHistory(store).runs(limit=5)) == RUNS  # the undamaged table still reads
    finally:
        store.close()


def test_repair_keeps_every_readable_table(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    history_with_events(path)
    break_table(path, "audit_events")
    report = repair_history(path)
    assert report.set_aside is not None and report.set_aside.exists()
    assert report.kept["runs"] == RUNS
    assert "malformed" in report.unreadable["audit_events"]
    store = HistoryStore(path)
    try:
        runs = RunHistory(store).runs(limit=5)
        assert sorted(run.run_id for run in runs) == [f"run-{i}" for i in range(RUNS)]
        assert runs[0].status is RunStatus.SUCCEEDED
    finally:
        store.close()


def test_a_full_database_is_a_resumable_error_and_the_write_is_rolled_back(
    tmp_path: Path,
) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    try:
        pages = store.query("PRAGMA page_count")[0][0]
        store.query(f"PRAGMA max_page_count = {pages}")  # no room left: SQLITE_FULL
        with pytest.raises(StorageFullError) as full, store.transaction() as db:
            db.execute(
                "INSERT INTO audit_events (at, os_user, action, subject, detail) "
                "VALUES ('now', 'alice', 'before', 'x', '{}')"
            )
            for i in range(500):
                db.execute(
                    "INSERT INTO audit_events (at, os_user, action, subject, detail) "
                    "VALUES ('now', 'alice', 'big', ?, ?)",
                    (str(i), "x" * 4000),
                )
        assert full.value.exit_code == 3 and full.value.resumable
        assert "disk is full" in str(full.value)
        assert store.events() == []  # nothing of the failed transaction stayed
        store.query(f"PRAGMA max_page_count = {pages * 100}")
        store.record_event("after", "x", "alice")  # the connection is usable again
        assert [e.action for e in store.events()] == ["after"]
    finally:
        store.close()


def test_a_failed_transaction_is_rolled_back(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    try:
        with pytest.raises(RuntimeError), store.transaction() as db:
            db.execute(
                "INSERT INTO audit_events (at, os_user, action, subject, detail) "
                "VALUES ('now', 'alice', 'lost', 'x', '{}')"
            )
            raise RuntimeError("a bug after the first write")
        assert store.events() == []
    finally:
        store.close()


def test_a_side_file_removed_while_it_is_made_private_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process's last connection removes the -wal between our look and our stat.
    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    wal = path.with_name(path.name + "-wal")
    wal.write_bytes(b"")
    real_open = os.open

    def racing_open(file: str | os.PathLike[str], flags: int, mode: int = 0o777) -> int:
        if Path(file) == wal:
            wal.unlink()
            raise FileExistsError(file)
        return real_open(file, flags, mode)

    monkeypatch.setattr(os, "open", racing_open)
    HistoryStore(path).close()  # opened as if the file had never been there
