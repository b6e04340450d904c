"""history.sqlite3: runs, their batches, and audit events (SQLite in WAL mode).

The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` upgrades an older file
step by step, each step in one transaction. Every state change is its own transaction, so a
process killed at any moment leaves the last committed state for a resume to start from.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cc_tui.errors import ConfigError, StorageFullError
from cc_tui.paths import ensure_private_dir, open_private_fd

__all__ = [
    "HISTORY_REPAIR",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AuditEvent",
    "HistoryDamagedError",
    "HistoryStore",
    "storage_error",
    "utc_now_iso",
]

HISTORY_REPAIR = "cc-tui history repair"
"""The command that sets a damaged history aside and starts a fresh one."""

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

# Version 7: checking a run's lists (issue 12). ``lists_before``: each target list's membership
# count when the run began ({list_id: count}); ``verify_sample``: e-mails a check may sample,
# per batch ({seq: [email, ...]}: personal data, like rejected.csv, in a 0600 file);
# ``verification``: the last check's result (JSON of ``Verification``), NULL until checked.
_V7 = """
ALTER TABLE runs ADD COLUMN lists_before TEXT;
ALTER TABLE runs ADD COLUMN verify_sample TEXT;
ALTER TABLE runs ADD COLUMN verification TEXT
"""

# MIGRATIONS[n] upgrades a file at user_version n to n + 1. Append, never edit.
_SIDE_FILES = ("-wal", "-shm")
"""SQLite's companions of a WAL database, private like it."""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7)
SCHEMA_VERSION = len(MIGRATIONS)


def utc_now_iso() -> str:
    """The current UTC time as ISO-8601 text, the format every timestamp column uses."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Something a person did that an administrator may need to trace later."""

    at: datetime
    os_user: str
    action: str
    subject: str
    detail: Mapping[str, Any]


class HistoryDamagedError(ConfigError):
    """history.sqlite3 is corrupt, not a database, or cannot be opened (exit 2)."""


# SQLite's primary result codes (sqlite3.h) that say the file, not the query, is the problem.
_SQLITE_PERM = 3
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26
_PRIMARY_CODE_MASK = 0xFF  # extended codes keep the primary code in their low byte
_DAMAGED = frozenset({_SQLITE_CORRUPT, _SQLITE_NOTADB, _SQLITE_IOERR})
_NO_ACCESS = frozenset({_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CANTOPEN})


def storage_error(exc: BaseException, path: Path) -> Exception | None:
    """The cc-tui error a storage fault of the history at ``path`` means, or None.

    A damaged or inaccessible file becomes :class:`HistoryDamagedError` (with the way out), a
    full disk :class:`StorageFullError` (exit 3, resumable); anything else is not a storage
    fault (a bug, a busy database) and is left as it is.
    """
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return StorageFullError(exc.filename or path)
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, sqlite3.IntegrityError):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & _PRIMARY_CODE_MASK
    if primary == _SQLITE_FULL:
        return StorageFullError(path)
    if primary in _NO_ACCESS:
        return HistoryDamagedError(
            f"the run history cannot be opened ({exc})",
            path=path,
            fix=f"check that you own the file and its folder and may write them (ls -l); "
            f"if the file itself is damaged, run {HISTORY_REPAIR}",
        )
    if primary in _DAMAGED or type(exc) is sqlite3.DatabaseError:
        return HistoryDamagedError(
            f"the run history is damaged and cannot be read ({exc})",
            path=path,
            fix=f"run {HISTORY_REPAIR}: it sets the damaged file aside, keeps every run and "
            "event that can still be read, and starts a fresh history",
        )
    return None


class HistoryStore:
    """One SQLite connection shared by the threads of a process, behind a lock.

    A damaged, unreadable or full history raises a cc-tui error (see :func:`storage_error`),
    never a raw ``sqlite3`` one; a write that fails is rolled back.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        with self._storage_faults():
            _create_private(path)
            self._db = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            try:
                self._db.row_factory = sqlite3.Row
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA foreign_keys=ON")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._migrate()
            except BaseException:
                self._db.close()
                raise

    @contextmanager
    def _storage_faults(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.DatabaseError, OSError) as exc:
            translated = storage_error(exc, self.path)
            if translated is None:
                raise
            raise translated from exc

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"history schema version {version} is newer than this cc-tui knows",
                path=self.path,
                fix="upgrade cc-tui (the file was left untouched)",
            )
        for target in range(version, SCHEMA_VERSION):
            with self.transaction() as db:
                for statement in _statements(MIGRATIONS[target]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {target + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` so writers queue instead of failing)."""
        with self._lock, self._storage_faults():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (full disk) leaves the transaction open: roll it back too.
                # On a damaged file the rollback may fail as well; the first error is the one.
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query."""
        with self._lock, self._storage_faults():
            return list(self._db.execute(sql, params).fetchall())

    def record_event(
        self, action: str, subject: str, os_user: str, detail: Mapping[str, Any] | None = None
    ) -> None:
        """Append an audit event (never pass secrets in ``detail``)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO audit_events (at, os_user, action, subject, detail) "
                "VALUES (?, ?, ?, ?, ?)",
                (utc_now_iso(), os_user, action, subject, json.dumps(dict(detail or {}))),
            )

    def events(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEvent]:
        """The most recent audit events first, optionally about one subject."""
        where, params = ("WHERE subject = ?", (subject,)) if subject else ("", ())
        rows = self.query(
            f"SELECT * FROM audit_events {where} ORDER BY id DESC LIMIT ?", (*params, limit)
        )
        return [
            AuditEvent(
                at=datetime.fromisoformat(row["at"]),
                os_user=row["os_user"],
                action=row["action"],
                subject=row["subject"],
                detail=json.loads(row["detail"]),
            )
            for row in rows
        ]


def _create_private(path: Path) -> None:
    """``path`` (and any -wal / -shm beside it) exists with mode 0600 before SQLite opens it.

    SQLite creates a new database with the umask's mode (often 0644) and gives its -wal and
    -shm files the database file's mode, so the file is created 0600 first.
    """
    ensure_private_dir(path.parent)
    for file in (path, *(path.with_name(path.name + suffix) for suffix in _SIDE_FILES)):
        if file is path or file.exists():
            os.close(open_private_fd(file, os.O_RDONLY))


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT the open transaction; split so a migration stays atomic.
    return [part.strip() for part in script.split(";") if part.strip()]
