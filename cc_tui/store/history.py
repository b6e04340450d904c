"""history.sqlite3: runs, their batches, and the audit log (SQLite in WAL mode).

Audit entries are appended here (:meth:`HistoryStore.record_event`, :meth:`~HistoryStore.audited`)
in a hash chain whose rules live in :mod:`cc_tui.store.audit`.

The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` upgrades an older file
step by step, each step in one transaction. Every state change is its own transaction, so a
process killed at any moment leaves the last committed state for a resume to start from.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cc_tui.errors import AccessDeniedError, CcTuiError, ConfigError, StorageFullError, UsageError
from cc_tui.paths import PRIVATE_FILE_MODE, ensure_private_dir
from cc_tui.store.audit import (
    GENESIS_HASH,
    GUARD_TRIGGERS,
    SYSTEM_USER,
    AuditEvent,
    AuditOutcome,
    AuditVerification,
    ChainedRow,
    HeadFileError,
    canonical_detail,
    entry_hash,
    head_path_for,
    read_head,
    verify_chain,
    write_head,
)

__all__ = [
    "HISTORY_REPAIR",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AuditEvent",
    "AuditOutcome",
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
        _append(
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
_SIDE_FILES = ("-wal", "-shm")
"""SQLite's companions of a WAL database, private like it."""

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _v7_chain_audit, _V8, _V9)
AUDIT_CHAINED_VERSION = MIGRATIONS.index(_v7_chain_audit) + 1
"""The schema version from which the audit log is chained (found, so a merge that puts
another step before it cannot leave this number behind)."""
SCHEMA_VERSION = len(MIGRATIONS)


def utc_now_iso() -> str:
    """The current UTC time as ISO-8601 text, the format every timestamp column uses."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


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
                step = MIGRATIONS[target]
                if isinstance(step, str):
                    for statement in _statements(step):
                        db.execute(statement)
                else:
                    step(db)
                db.execute(f"PRAGMA user_version = {target + 1}")
        if version < AUDIT_CHAINED_VERSION and not self.audit_head_path.exists():
            # A new or just-chained log starts its head file. An existing one is never
            # rewritten here: after a repair, or a history deleted by hand, it is the record
            # of what the log held (a missing one stays missing until the next entry).
            self._write_head()

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

    # -- the audit log (see cc_tui.store.audit) -------------------------------------------------

    @property
    def audit_head_path(self) -> Path:
        """The head file of this history's audit log."""
        return head_path_for(self.path)

    def record_event(
        self,
        action: str,
        subject: str,
        os_user: str,
        detail: Mapping[str, Any] | None = None,
        *,
        outcome: AuditOutcome = AuditOutcome.ALLOWED,
    ) -> AuditEvent:
        """Append an entry to the audit log (never pass secrets in ``detail``)."""
        with self.transaction() as db:
            event = _append(db, action, subject, os_user, outcome=outcome, detail=detail)
        with self._storage_faults():
            write_head(self.audit_head_path, event.seq, event.hash)
        return event

    @contextmanager
    def audited(
        self,
        action: str,
        subject: str,
        os_user: str,
        detail: Mapping[str, Any] | None = None,
        *,
        refusal: Callable[[], str | None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Record the action done in the ``with`` block: allowed, refused or failed.

        The block may add to the yielded detail. An :class:`AccessDeniedError` is recorded as
        refused; a :class:`UsageError` too when ``refusal`` gives a reason (a connection the
        user's role hides reads as unknown to them); any other error, or a cancel, as failed,
        with its message. The error then goes on as it was.
        """
        extra: dict[str, Any] = dict(detail or {})
        try:
            yield extra
        except AccessDeniedError as exc:
            self._record_ending(
                action, subject, os_user, extra, outcome=AuditOutcome.REFUSED, reason=str(exc)
            )
            raise
        except UsageError as exc:
            reason = refusal() if refusal is not None else None
            outcome = AuditOutcome.FAILED if reason is None else AuditOutcome.REFUSED
            self._record_ending(
                action, subject, os_user, extra, outcome=outcome, reason=reason or str(exc)
            )
            raise
        except (Exception, asyncio.CancelledError, KeyboardInterrupt) as exc:
            why = str(exc) if isinstance(exc, CcTuiError) else _interruption(exc)
            self._record_ending(
                action, subject, os_user, extra, outcome=AuditOutcome.FAILED, reason=why
            )
            raise
        self.record_event(action, subject, os_user, extra)

    def _record_ending(
        self,
        action: str,
        subject: str,
        os_user: str,
        detail: dict[str, Any],
        *,
        outcome: AuditOutcome,
        reason: str,
    ) -> None:
        # The error being raised is what the person needs; a history that cannot take the
        # entry (full, damaged: often that very error) must not replace it.
        with contextlib.suppress(CcTuiError, sqlite3.Error, OSError):
            self.record_event(
                action, subject, os_user, {**detail, "reason": reason}, outcome=outcome
            )

    def events(
        self,
        *,
        subject: str | None = None,
        user: str | None = None,
        action: str | None = None,
        limit: int | None = 100,
    ) -> list[AuditEvent]:
        """The most recent audit entries first, optionally of one subject, user or action
        (an action ending in ``.`` matches every action that starts so: ``connection.``)."""
        where: list[str] = []
        params: list[Any] = []
        if subject is not None:
            where.append("subject = ?")
            params.append(subject)
        if user is not None:
            where.append("os_user = ?")
            params.append(user)
        if action is not None:
            if action.endswith("."):
                where.append("substr(action, 1, ?) = ?")
                params += [len(action), action]
            else:
                where.append("action = ?")
                params.append(action)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.query(
            f"SELECT * FROM audit_events {clause} ORDER BY id DESC LIMIT ?",
            (*params, -1 if limit is None else limit),
        )
        return [_event(row) for row in rows]

    def verify_audit(self) -> AuditVerification:
        """Walk the audit chain and check it against the head file (see ``store.audit``).

        The head file is read before the rows: entries only ever join the end, so the rows
        then hold at least what it records, and an entry appended meanwhile (by another
        process) is never taken for a tail cut off. The hashing runs outside the lock, so
        a long walk does not hold up this process's other writes.
        """
        with self._lock, self._storage_faults():
            try:
                head, problem = read_head(self.audit_head_path), None
            except HeadFileError as exc:
                head, problem = None, str(exc)
            rows = [
                ChainedRow(*row)
                for row in self._db.execute(
                    "SELECT id, at, os_user, action, subject, outcome, detail, prev_hash, hash "
                    "FROM audit_events ORDER BY id"
                )
            ]
        return verify_chain(rows, head, head_problem=problem)

    def _write_head(self) -> None:
        row = self.query("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
        seq, digest = (int(row[0]["id"]), str(row[0]["hash"])) if row else (0, GENESIS_HASH)
        with self._storage_faults():
            write_head(self.audit_head_path, seq, digest)


def _append(
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


def _event(row: sqlite3.Row) -> AuditEvent:
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


def _interruption(exc: BaseException) -> str:
    if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
        return "cancelled"
    return f"unexpected error: {type(exc).__name__}"


def _create_private(path: Path) -> None:
    """``path`` (and any -wal / -shm beside it) exists with mode 0600 before SQLite opens it.

    SQLite creates a new database with the umask's mode (often 0644) and gives its -wal and
    -shm files the database file's mode, so the file is created 0600 first.
    """
    ensure_private_dir(path.parent)
    for file in (path, *(path.with_name(path.name + suffix) for suffix in _SIDE_FILES)):
        if file is not path and not file.exists():
            continue
        try:
            fd = os.open(
                file, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE_MODE
            )
        except FileExistsError:
            # Never open an existing database file here: closing a descriptor drops every POSIX
            # lock this process holds on the file, SQLite's own included, and a process with
            # several connections (the service) then reads a WAL another one is changing
            # (SQLITE_IOERR_SHORT_READ). The mode is narrowed by name instead.
            if stat.S_IMODE(file.stat().st_mode) != PRIVATE_FILE_MODE:
                file.chmod(PRIVATE_FILE_MODE)
        else:
            os.close(fd)


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT the open transaction; split so a migration stays atomic.
    return [part.strip() for part in script.split(";") if part.strip()]
