"""The audit log's entries as rows of history.sqlite3's ``audit_events`` table.

:func:`append_entry` chains a new entry after the last one inside a write transaction (the
rules of the chain are :mod:`cc_tui.store.audit`'s); :func:`entry_from_row` reads one back,
whatever an editor did to it (``cc-tui audit verify`` names such a row).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cc_tui.store.audit import (
    GENESIS_HASH,
    AuditEvent,
    AuditOutcome,
    canonical_detail,
    entry_hash,
)
from cc_tui.units import utc_now_iso

__all__ = ["append_entry", "entry_from_row"]


def append_entry(
    db: sqlite3.Connection,
    action: str,
    subject: str,
    os_user: str,
    *,
    outcome: AuditOutcome,
    detail: Mapping[str, Any] | None,
) -> AuditEvent:
    """Chain a new entry after the last one (inside the caller's write transaction)."""
    last = db.execute("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS_HASH)
    at = utc_now_iso()
    os_user, action, subject = _storable(os_user), _storable(action), _storable(subject)
    text = canonical_detail(detail)
    digest = entry_hash(
        prev,
        seq=seq,
        at=at,
        os_user=os_user,
        action=action,
        subject=subject,
        outcome=outcome.value,
        detail=text,
    )
    db.execute(
        "INSERT INTO audit_events "
        "(id, at, os_user, action, subject, outcome, detail, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, os_user, action, subject, outcome.value, text, prev, digest),
    )
    return AuditEvent(
        seq,
        datetime.fromisoformat(at),
        os_user,
        action,
        subject,
        outcome,
        json.loads(text),
        prev,
        digest,
    )


def entry_from_row(row: sqlite3.Row) -> AuditEvent:
    """The entry a row holds; an edited field reads as a stand-in value."""
    try:
        detail = json.loads(row["detail"])
    except ValueError:
        detail = {"unreadable_detail": row["detail"]}  # an edited row; verify names it
    try:
        outcome = AuditOutcome(row["outcome"])
    except ValueError:
        outcome = AuditOutcome.FAILED
    try:
        at = datetime.fromisoformat(row["at"])
    except ValueError:
        at = datetime.fromtimestamp(0, UTC)  # an edited row; verify names it
    return AuditEvent(
        seq=int(row["id"]),
        at=at,
        os_user=row["os_user"],
        action=row["action"],
        subject=row["subject"],
        outcome=outcome,
        detail=detail if isinstance(detail, dict) else {"detail": detail},
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _storable(text: str) -> str:
    """``text`` as SQLite can store it: a lone surrogate (a file name's byte that is not
    UTF-8) is written as ``\\udcff``, so recording an action never fails on its name."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
