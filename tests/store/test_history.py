from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cc_tui.errors import ConfigError
from cc_tui.store.history import HistoryStore
from cc_tui.store.history_schema import SCHEMA_VERSION


def test_new_file_is_wal_with_current_schema(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    assert store.schema_version == SCHEMA_VERSION
    mode = store.query("PRAGMA journal_mode")[0][0]
    assert mode == "wal"
    tables = {row[0] for row in store.query("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "batches", "audit_events"} <= tables
    store.close()


def test_audit_events_are_kept_newest_first(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.record_event("connection.add", "marketing", "alice", {"usable_by": "admins"})
    store.record_event("connection.login", "marketing", "alice")
    store.record_event("connection.add", "sales", "bob")
    store.close()
    reopened = HistoryStore(tmp_path / "history.sqlite3")
    events = reopened.events(subject="marketing")
    assert [e.action for e in events] == ["connection.login", "connection.add"]
    assert events[1].detail == {"usable_by": "admins"}
    assert len(reopened.events()) == 3


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute(
            "INSERT INTO audit_events (at, os_user, action, subject) VALUES ('t', 'u', 'a', 's')"
        )
        raise RuntimeError("crash")
    assert store.events() == []


def test_file_from_a_newer_version_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ConfigError, match="newer"):
        HistoryStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_opening_a_second_store_never_opens_the_database_file_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing a descriptor drops every POSIX lock the process holds on the file, SQLite's own
    among them: the service keeps several connections, so a new one must not open the file
    outside SQLite (it did, and another connection then read a short WAL)."""
    import os

    path = tmp_path / "history.sqlite3"
    first = HistoryStore(path)
    first.record_event("test.first", "subject", "alice")
    opened: list[str] = []
    real_open = os.open

    def watching_open(
        file: str | bytes | os.PathLike[str] | os.PathLike[bytes],
        flags: int,
        mode: int = 0o777,
        *,
        dir_fd: int | None = None,
    ) -> int:
        fd = real_open(file, flags, mode, dir_fd=dir_fd)
        opened.append(os.fsdecode(file))  # a descriptor was made
        return fd

    monkeypatch.setattr(os, "open", watching_open)
    second = HistoryStore(path)
    monkeypatch.undo()
    try:
        assert not [name for name in opened if name.startswith(str(path))]
        assert second.events(limit=5)[0].action == "test.first"
        assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    finally:
        second.close()
        first.close()
