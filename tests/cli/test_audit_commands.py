"""``cc-tui audit`` and ``cc-tui audit verify``: the table, JSON, filters, exit codes, and
outside text shown literally."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cc_tui.cli import main
from cc_tui.paths import AppPaths
from cc_tui.store.audit import AuditOutcome
from cc_tui.store.history import HistoryStore
from tests.hostile import HOSTILE, SHOWN_AS, SHOWN_LITERALLY, assert_harmless


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def history(cc_home: Path) -> Path:
    store = HistoryStore(AppPaths.resolve().history_db)
    store.record_event("connection.add", "marketing", "alice", {"usable_by": "admins"})
    store.record_event(
        "connection.add", "c3", "bob", {"reason": "Only administrators may add connections"},
        outcome=AuditOutcome.REFUSED,
    )  # fmt: skip
    store.record_event("run.start", "promo", "alice", {"run_id": "r1", "dry_run": False})
    store.record_event("run.finish", "promo", "alice", {"run_id": "r1", "confirmed": 90})
    store.close()
    return store.path


def test_audit_lists_entries_newest_first(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "audit")
    assert code == 0
    lines = [line for line in out.splitlines() if "│" in line]
    assert "run.finish" in lines[0] and "connection.add" in lines[-1]
    assert "refused" in out and "reason: Only administrators may add connections" in out


def test_audit_json_and_filters(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "audit", "--json", "--user", "alice", "--action", "run.")
    entries = json.loads(out)
    assert code == 0 and [e["action"] for e in entries] == ["run.finish", "run.start"]
    assert entries[0]["detail"] == {"run_id": "r1", "confirmed": 90}
    assert entries[0]["prev_hash"] == entries[1]["hash"] and entries[0]["seq"] == 4
    code, out, _ = run(capsys, "audit", "--json", "--limit", "1")
    assert [e["seq"] for e in json.loads(out)] == [4]
    code, out, _ = run(capsys, "audit", "--user", "nobody")
    assert code == 0 and "No audit entries match." in out


def test_audit_verify_says_intact_then_names_the_edited_entry(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "audit", "verify")
    head = HistoryStore(history).events(limit=1)[0].hash
    assert code == 0 and out.strip() == f"chain intact: 4 entries, head {head}"
    with sqlite3.connect(history) as db:
        db.execute("DROP TRIGGER audit_events_no_update")
        db.execute("UPDATE audit_events SET outcome = 'allowed' WHERE id = 2")
    db.close()
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1
    assert "tampering detected: entry #2 was edited" in out
    code, out, _ = run(capsys, "audit", "verify", "--json")
    result = json.loads(out)
    assert code == 1 and result["intact"] is False and result["broken_seq"] == 2


def test_audit_verify_finds_a_cut_tail(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(history) as db:
        db.execute("DROP TRIGGER audit_events_no_delete")
        db.execute("DELETE FROM audit_events WHERE id = 4")
    db.close()
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1 and "entry #4 removed from the end" in out


def test_outside_text_is_shown_literally(cc_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = HistoryStore(AppPaths.resolve().history_db)
    for text in HOSTILE:
        store.record_event("segment.add", text, text, {"path": text})
    store.close()
    code, out, err = run(capsys, "audit", "--limit", "100")
    assert code == 0
    assert_harmless(out + err, expect=SHOWN_LITERALLY + SHOWN_AS)


def test_a_bad_limit_is_a_usage_error(cc_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["audit", "--limit", "0"])
    assert exit_.value.code == 2
    assert "'0' is not a positive whole number" in capsys.readouterr().err
