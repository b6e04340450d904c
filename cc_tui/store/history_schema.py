"""The schema of history.sqlite3: every version's tables, and the steps from one to the next.

The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` upgrades an older file
step by step (:class:`~cc_tui.store.history.HistoryStore` runs each step in one transaction,
with :func:`apply_step`). Every timestamp column holds ISO-8601 UTC text
(:func:`~cc_tui.units.utc_now_iso`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from cc_tui.store.audit import (
    GENESIS_HASH,
    GUARD_TRIGGERS,
    SYSTEM_USER,
    AuditOutcome,
    entry_hash,
)
from cc_tui.store.audit_log import append_entry

__all__ = [
    "AUDIT_CHAINED_VERSION",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "apply_step",
]

_V1 = """
CREATE TABLE runs (
    run_id          TEXT PRIMARY KEY,
    export          TEXT NOT NULL,
    connection      TEXT,
    status          TEXT NOT NULL,
    dry_run         INTEGER NOT NULL DEFAULT 0,
    os_user         TEXT NOT NULL DEFAULT '',
    started_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    finished_at     TEXT,
    attempts        INTEGER NOT NULL DEFAULT 1,
    inputs          TEXT NOT NULL DEFAULT '{}',
    plan            TEXT NOT NULL DEFAULT '{}',
    rows_read       INTEGER NOT NULL DEFAULT 0,
    sent            INTEGER NOT NULL DEFAULT 0,
    confirmed       INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    unsubscribed    INTEGER NOT NULL DEFAULT 0,
    missing_email   INTEGER NOT NULL DEFAULT 0,
    invalid_email   INTEGER NOT NULL DEFAULT 0,
    duplicate_email INTEGER NOT NULL DEFAULT 0,
    over_cap        INTEGER NOT NULL DEFAULT 0,
    truncated       INTEGER NOT NULL DEFAULT 0,
    batches         INTEGER NOT NULL DEFAULT 0,
    requests        INTEGER NOT NULL DEFAULT 0,
    retries         INTEGER NOT NULL DEFAULT 0,
    throttled       INTEGER NOT NULL DEFAULT 0,
    bytes_sent      INTEGER NOT NULL DEFAULT 0,
    error           TEXT,
    rejected_rows_file TEXT
);
CREATE INDEX runs_by_export ON runs (export, started_at);
CREATE INDEX runs_by_start ON runs (started_at);

CREATE TABLE batches (
    run_id        TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    state         TEXT NOT NULL,
    contacts      INTEGER NOT NULL,
    bytes         INTEGER NOT NULL,
    digest        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    activity_id   TEXT,
    activity_state TEXT,
    confirmed     INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    unsubscribed  INTEGER NOT NULL DEFAULT 0,
    errors        TEXT NOT NULL DEFAULT '[]',
    posted_at     TEXT,
    finished_at   TEXT,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE audit_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    os_user  TEXT NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_subject ON audit_events (subject, at);
"""

# Exactly-once imports. A batch records when its import request went out (``sent_at``, written
# before the request) and how many requests it took; ``batch_activities`` holds every import
# activity a batch ever owned or disputed, keyed by activity id, so one activity is never
# claimed by two batches (of any run, in any process). Activities answered to earlier versions
# are entered as answered; batches those versions left ``pending`` may have been sent without an
# answer, so they become ``uploading`` (in doubt) as of their run's start.
_V2 = """
ALTER TABLE batches ADD COLUMN sent_at TEXT;
ALTER TABLE batches ADD COLUMN uploads INTEGER NOT NULL DEFAULT 0;
CREATE TABLE batch_activities (
    activity_id  TEXT PRIMARY KEY,
    run_id       TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    role         TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    last_state   TEXT
);
CREATE INDEX batch_activities_by_batch ON batch_activities (run_id, seq);
INSERT OR IGNORE INTO batch_activities (activity_id, run_id, seq, role, recorded_at, last_state)
    SELECT activity_id, run_id, seq, 'answered',
           COALESCE(posted_at, finished_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
           activity_state
    FROM batches WHERE activity_id IS NOT NULL;
UPDATE batches
    SET state = 'uploading',
        sent_at = (SELECT runs.started_at FROM runs WHERE runs.run_id = batches.run_id)
    WHERE state = 'pending';
CREATE INDEX batches_in_doubt ON batches (state, contacts)
"""

# Version 3: each run's optional fields changed or dropped, per field and reason, as JSON
# ({"anniversary": {"dropped_invalid_date": 809}}).
_V3 = """
ALTER TABLE runs ADD COLUMN fields TEXT NOT NULL DEFAULT '{}';
"""

# Version 4: uploads given up on. A batch whose lost upload did not show among the recent
# activities in time is sent again; its first import may still appear later (a slow list), and
# must then never be claimed by another batch of the same size: each such upload's send time
# is kept, so the activity it may have made stays in dispute.
_V4 = """
CREATE TABLE lost_uploads (
    run_id       TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    contacts     INTEGER NOT NULL,
    sent_at      TEXT NOT NULL,
    given_up_at  TEXT NOT NULL
);
CREATE INDEX lost_uploads_by_size ON lost_uploads (contacts, sent_at)
"""

# Version 5: a run that finished in the app while the person looked elsewhere stays marked
# (home list, history) until its summary is shown. Runs before this version count as seen.
_V5 = """
ALTER TABLE runs ADD COLUMN unseen INTEGER NOT NULL DEFAULT 0
"""

# Version 6: figures every face can agree on. ``posted``: contacts whose batch reached Constant
# Contact (so an interrupted run says what is awaiting confirmation and what was never sent);
# ``batches_complete``: whether ``batches`` is the real cut or the count so far; ``active_s``
# and ``attempt_started_at``: time at work, apart from the span across attempts. Runs that
# finished before get what can be known: all their contacts were posted and every batch cut,
# and a single attempt was active from start to finish; a resumed one's active time is unknown.
_V6 = """
ALTER TABLE runs ADD COLUMN posted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN batches_complete INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN active_s REAL;
ALTER TABLE runs ADD COLUMN attempt_started_at TEXT;
UPDATE runs SET posted = sent, batches_complete = 1
    WHERE dry_run = 0 AND status IN ('succeeded', 'partial');
UPDATE runs SET batches_complete = 1 WHERE dry_run = 1 AND status = 'succeeded';
UPDATE runs SET active_s = (julianday(finished_at) - julianday(started_at)) * 86400.0
    WHERE attempts = 1 AND finished_at IS NOT NULL;
UPDATE runs SET attempt_started_at = started_at WHERE attempts = 1
"""


def _v7_chain_audit(db: sqlite3.Connection) -> None:
    """Version 7: the audit log becomes tamper-evident (see :mod:`cc_tui.store.audit`).

    Migration note: ``id`` is the entry's ``seq``. Rows written before this version are kept
    in their order, numbered 1..n without gaps (earlier versions never deleted entries, so
    this changes nothing in practice), given the outcome ``allowed`` (only done actions were
    recorded then) and chained from the genesis value. The chain vouches for them only from
    now on: what was changed in the file before this migration cannot be told. An entry by
    ``cc-tui`` (``audit.chain_started``) marks the point, with how many entries it chained.
    The head file is written after this transaction commits (:class:`HistoryStore`).
    """
    db.execute("ALTER TABLE audit_events ADD COLUMN outcome TEXT NOT NULL DEFAULT 'allowed'")
    db.execute("ALTER TABLE audit_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE INDEX audit_by_user ON audit_events (os_user, id)")
    db.execute("CREATE INDEX audit_by_action ON audit_events (action, id)")
    old = db.execute("SELECT id FROM audit_events ORDER BY id").fetchall()
    for seq, (old_id,) in enumerate(old, start=1):
        if old_id != seq:  # each new id is below every later old one: never a clash
            db.execute("UPDATE audit_events SET id = ? WHERE id = ?", (seq, old_id))
    prev = GENESIS_HASH
    rows = db.execute(
        "SELECT id, at, os_user, action, subject, outcome, detail FROM audit_events ORDER BY id"
    ).fetchall()
    for seq, at, os_user, action, subject, outcome, detail in rows:
        digest = entry_hash(
            prev,
            seq=seq,
            at=at,
            os_user=os_user,
            action=action,
            subject=subject,
            outcome=outcome,
            detail=detail,
        )
        db.execute(
            "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, seq)
        )
        prev = digest
    if rows:
        append_entry(
            db,
            "audit.chain_started",
            "audit log",
            SYSTEM_USER,
            outcome=AuditOutcome.ALLOWED,
            detail={"chained_entries": len(rows)},
        )
    for trigger in GUARD_TRIGGERS:
        db.execute(trigger)


# Version 8: checking a run's lists (issue 12). ``lists_before``: each target list's membership
# count when the run began ({list_id: count}); ``verify_sample``: e-mails a check may sample,
# per batch ({seq: [email, ...]}: personal data, like rejected.csv, in a 0600 file);
# ``verification``: the last check's result (JSON of ``Verification``), NULL until checked.
_V8 = """
ALTER TABLE runs ADD COLUMN lists_before TEXT;
ALTER TABLE runs ADD COLUMN verify_sample TEXT;
ALTER TABLE runs ADD COLUMN verification TEXT
"""

# Version 9: what the service's scheduler must remember across restarts. ``schedule_state``:
# per export, whether its schedule is paused, when the scheduler last looked at it (times
# after that, up to its next start, were missed), and the snapshot of its segments that
# its last on-refresh run was started for (a snapshot starts one run, never two).
# ``missed_runs``: schedule times the service was down for, and what it did about them.
_V9 = """
CREATE TABLE schedule_state (
    export            TEXT PRIMARY KEY,
    paused            INTEGER NOT NULL DEFAULT 0,
    seen_at           TEXT,
    snapshot          TEXT,
    snapshot_run_at   TEXT
);
CREATE TABLE missed_runs (
    id            INTEGER PRIMARY KEY,
    export        TEXT NOT NULL,
    schedule      TEXT NOT NULL,
    first_missed  TEXT NOT NULL,
    missed        INTEGER NOT NULL,
    noticed_at    TEXT NOT NULL,
    action        TEXT NOT NULL
);
CREATE INDEX missed_runs_by_export ON missed_runs (export, id)
"""


Migration = str | Callable[[sqlite3.Connection], None]
# MIGRATIONS[n] upgrades a file at user_version n to n + 1. Append, never edit. A step is SQL
# statements, or a function given the connection inside the step's transaction.
MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _v7_chain_audit, _V8, _V9)
AUDIT_CHAINED_VERSION = MIGRATIONS.index(_v7_chain_audit) + 1
"""The schema version from which the audit log is chained (found, so a merge that puts
another step before it cannot leave this number behind)."""
SCHEMA_VERSION = len(MIGRATIONS)


def apply_step(db: sqlite3.Connection, step: Migration) -> None:
    """Run one migration step inside the caller's transaction."""
    if isinstance(step, str):
        for statement in _statements(step):
            db.execute(statement)
    else:
        step(db)


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT the open transaction; split so a migration stays atomic.
    return [part.strip() for part in script.split(";") if part.strip()]
