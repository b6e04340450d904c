"""The audit log's hash chain: intact after appends; edits, deletions, reordering and a cut
tail are found and named; an older history is chained when it is opened."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from cc_tui.store.audit import (
    GENESIS_HASH,
    SYSTEM_USER,
    AuditOutcome,
    AuditVerification,
    canonical_detail,
    entry_hash,
    read_head,
)
from cc_tui.store.history import HistoryStore
from cc_tui.store.history_schema import AUDIT_CHAINED_VERSION, MIGRATIONS, SCHEMA_VERSION
from tests.hostile import HOSTILE

APPENDS = 120


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    history = HistoryStore(tmp_path / "history.sqlite3")
    for i in range(APPENDS):
        outcome = AuditOutcome.REFUSED if i % 7 == 0 else AuditOutcome.ALLOWED
        history.record_event(
            "connection.add", f"c{i}", "alice" if i % 2 else "bob", {"n": i}, outcome=outcome
        )
    return history


def attacker(store: HistoryStore) -> sqlite3.Connection:
    """A connection of someone with file access: the guard triggers dropped first."""
    store.close()
    db = sqlite3.connect(store.path, isolation_level=None)
    db.execute("DROP TRIGGER audit_events_no_update")
    db.execute("DROP TRIGGER audit_events_no_delete")
    return db


def verify(path: Path) -> AuditVerification:
    reopened = HistoryStore(path)
    try:
        return reopened.verify_audit()
    finally:
        reopened.close()


def test_the_chain_is_intact_after_many_appends(store: HistoryStore) -> None:
    result = store.verify_audit()
    assert result.intact and result.problem is None and result.notes == ()
    assert result.entries == APPENDS
    newest = store.events(limit=1)[0]
    assert result.head_hash == newest.hash and newest.seq == APPENDS
    assert read_head(store.audit_head_path) is not None
    assert read_head(store.audit_head_path).seq == APPENDS  # type: ignore[union-attr]
    first = store.events(limit=None)[-1]
    assert first.prev_hash == GENESIS_HASH
    assert first.hash == entry_hash(
        GENESIS_HASH, seq=1, at=first.at.isoformat(timespec="milliseconds"), os_user="bob",
        action="connection.add", subject="c0", outcome="refused",
        detail=canonical_detail({"n": 0}),
    )  # fmt: skip
    assert stat.S_IMODE(store.audit_head_path.stat().st_mode) == 0o600
    store.close()


def test_triggers_refuse_update_and_delete(store: HistoryStore) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.transaction() as db:
        db.execute("UPDATE audit_events SET os_user = 'mallory' WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.transaction() as db:
        db.execute("DELETE FROM audit_events WHERE id = 3")
    assert store.verify_audit().intact
    store.close()


def test_an_edited_field_is_found_and_the_entry_named(store: HistoryStore) -> None:
    with attacker(store) as db:
        db.execute("UPDATE audit_events SET os_user = 'mallory' WHERE id = 42")
    result = verify(store.path)
    assert not result.intact and result.broken_seq == 42
    assert result.problem is not None and "entry #42 was edited" in result.problem
    assert "mallory" in result.problem


def test_an_edited_detail_is_found(store: HistoryStore) -> None:
    with attacker(store) as db:
        db.execute("UPDATE audit_events SET detail = '{\"n\":0}' WHERE id = 77")
    result = verify(store.path)
    assert result.broken_seq == 77 and "edited" in (result.problem or "")


def test_an_entry_rewritten_with_a_fresh_hash_is_found_by_the_next_link(
    store: HistoryStore,
) -> None:
    with attacker(store) as db:
        row = db.execute(
            "SELECT at, os_user, action, subject, detail, prev_hash FROM audit_events WHERE id = 8"
        ).fetchone()
        forged = entry_hash(row[5], seq=8, at=row[0], os_user=row[1], action=row[2],
                            subject=row[3], outcome="allowed", detail=row[4])  # fmt: skip
        db.execute("UPDATE audit_events SET outcome = 'allowed', hash = ? WHERE id = 8", (forged,))
    result = verify(store.path)
    assert result.broken_seq == 8
    assert "entry #8 was replaced or edited" in (result.problem or "")


def test_a_deleted_entry_is_found(store: HistoryStore) -> None:
    with attacker(store) as db:
        db.execute("DELETE FROM audit_events WHERE id = 50")
    result = verify(store.path)
    assert not result.intact and result.broken_seq == 50
    assert "entry #50 is missing (deleted)" in (result.problem or "")
    assert result.entries == 49  # the chain was sound up to there


def test_deleted_and_renumbered_entries_are_found(store: HistoryStore) -> None:
    with attacker(store) as db:
        db.execute("DELETE FROM audit_events WHERE id = 50")
        db.execute("UPDATE audit_events SET id = id - 1 WHERE id > 50")
    result = verify(store.path)
    assert not result.intact and result.broken_seq == 50


def test_reordered_entries_are_found(store: HistoryStore) -> None:
    with attacker(store) as db:
        db.execute("UPDATE audit_events SET id = -1 WHERE id = 20")
        db.execute("UPDATE audit_events SET id = 20 WHERE id = 21")
        db.execute("UPDATE audit_events SET id = 21 WHERE id = -1")
    result = verify(store.path)
    assert not result.intact and result.broken_seq == 20


def test_a_cut_tail_is_found_through_the_head_file(store: HistoryStore) -> None:
    with attacker(store) as db:
        db.execute("DELETE FROM audit_events WHERE id > 100")
    result = verify(store.path)
    assert not result.intact and result.entries == 100 and result.broken_seq == 101
    assert "entry #101 to #120 removed from the end" in (result.problem or "")


def test_a_missing_head_file_is_not_taken_for_an_intact_log(store: HistoryStore) -> None:
    store.audit_head_path.unlink()
    result = store.verify_audit()
    assert not result.intact and "audit.head is missing" in (result.problem or "")
    # The next entry writes the file again, but says from where it vouches for the end.
    store.record_event("export.remove", "x", "alice")
    result = store.verify_audit()
    assert result.intact and any("was missing when entry #121" in n for n in result.notes)
    store.close()


def test_a_head_file_one_entry_behind_is_a_note_not_tampering(store: HistoryStore) -> None:
    head = read_head(store.audit_head_path)
    assert head is not None
    with store.transaction() as db:  # as if the process died between commit and head write
        from cc_tui.store.audit_log import append_entry

        append_entry(db, "run.start", "x", "alice", outcome=AuditOutcome.ALLOWED, detail={})
    assert read_head(store.audit_head_path) == head
    result = store.verify_audit()
    assert result.intact and result.entries == APPENDS + 1
    assert any("1 entry after the head" in note for note in result.notes)
    store.close()


def test_the_head_file_never_goes_back(store: HistoryStore) -> None:
    from cc_tui.store.audit import write_head

    write_head(store.audit_head_path, 5, "0" * 64)  # a slower process, late
    assert read_head(store.audit_head_path).seq == APPENDS  # type: ignore[union-attr]
    store.close()


def test_a_garbled_head_file_is_reported(store: HistoryStore) -> None:
    store.audit_head_path.write_text("not json")
    result = store.verify_audit()
    assert not result.intact and "audit.head cannot be read" in (result.problem or "")
    store.close()


@pytest.mark.parametrize("text", (*HOSTILE, "\udcff lone surrogate"))
def test_any_outside_text_hashes_and_verifies(tmp_path: Path, text: str) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.record_event("segment.add", text, text, {text: text, "path": text})
    assert store.verify_audit().intact
    assert store.events()[0].subject == text.encode("utf-8", "backslashreplace").decode()
    store.close()


def test_filters_by_user_and_action(store: HistoryStore) -> None:
    store.record_event("run.start", "promo", "alice")
    store.record_event("run.finish", "promo", "alice")
    assert [e.action for e in store.events(action="run.")] == ["run.finish", "run.start"]
    assert {e.os_user for e in store.events(user="bob", limit=None)} == {"bob"}
    assert len(store.events(user="bob", limit=None)) == APPENDS // 2
    assert [e.seq for e in store.events(action="run.start", user="alice")] == [APPENDS + 1]
    store.close()


def _old_history(path: Path, events: list[tuple[str, str, str, str, str]]) -> None:
    """A history as the version before the chain left it: audit rows without outcome or
    hashes."""
    db = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[: AUDIT_CHAINED_VERSION - 1]:
        if not isinstance(step, str):
            step(db)
            continue
        for statement in (part.strip() for part in step.split(";")):
            if statement:
                db.execute(statement)
    db.execute(f"PRAGMA user_version = {AUDIT_CHAINED_VERSION - 1}")
    db.executemany(
        "INSERT INTO audit_events (at, os_user, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        events,
    )
    db.close()


def test_an_older_history_is_chained_in_order_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    old = [
        ("2026-11-01T10:00:00.000+00:00", "alice", "connection.add", "marketing",
         '{"usable_by": "admins"}'),
        ("2026-11-01T10:00:01.000+00:00", "alice", "connection.consent", "marketing", "{}"),
        ("2026-11-02T09:30:00.000+00:00", "bob", "export.save", "promo", '{"a": 1}'),
    ]  # fmt: skip
    _old_history(path, old)
    store = HistoryStore(path)
    assert store.schema_version == SCHEMA_VERSION
    events = list(reversed(store.events(limit=None)))
    assert [(e.seq, e.os_user, e.action, e.subject) for e in events[:3]] == [
        (1, "alice", "connection.add", "marketing"),
        (2, "alice", "connection.consent", "marketing"),
        (3, "bob", "export.save", "promo"),
    ]
    assert all(e.outcome is AuditOutcome.ALLOWED for e in events)
    assert events[0].detail == {"usable_by": "admins"}  # the old text is kept as it was
    marker = events[3]
    assert (marker.action, marker.os_user, marker.detail) == (
        "audit.chain_started", SYSTEM_USER, {"chained_entries": 3},
    )  # fmt: skip
    result = store.verify_audit()
    assert result.intact and result.entries == 4
    store.record_event("run.start", "promo", "alice")
    assert store.verify_audit().intact
    store.close()
    # Chained, an old entry is protected like a new one.
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DROP TRIGGER audit_events_no_update")
    db.execute("UPDATE audit_events SET os_user = 'mallory' WHERE id = 2")
    db.close()
    assert verify(path).broken_seq == 2


def test_reopening_never_rewrites_the_head_file(store: HistoryStore) -> None:
    head = read_head(store.audit_head_path)
    with attacker(store) as db:
        db.execute("DELETE FROM audit_events WHERE id > 60")
    assert read_head(store.audit_head_path) == head
    assert not verify(store.path).intact
    assert read_head(store.audit_head_path) == head


def test_a_repaired_history_keeps_an_intact_chain(store: HistoryStore) -> None:
    from cc_tui.store.history_repair import repair_history
    from tests.store.test_history_faults import break_table

    store.close()
    break_table(store.path, "runs")  # damage elsewhere: the audit log reads whole
    report = repair_history(store.path)
    assert report.set_aside is not None and report.kept["audit_events"] == APPENDS
    result = verify(store.path)
    assert result.intact and result.entries == APPENDS
