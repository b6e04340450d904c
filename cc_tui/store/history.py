"""history.sqlite3: runs, their batches, and the audit log (SQLite in WAL mode).

:class:`HistoryStore` is the one connection to the file: its transactions, its storage faults
told as cc-tui errors, and the audit log's entry points (:meth:`HistoryStore.record_event`,
:meth:`~HistoryStore.audited`), whose rows :mod:`cc_tui.store.audit_log` writes in a hash chain
whose rules live in :mod:`cc_tui.store.audit`. The tables and their versions are
:mod:`cc_tui.store.history_schema`'s; an older file is brought up to date on opening, each step
in one transaction. Every state change is its own transaction, so a process killed at any
moment leaves the last committed state for a resume to start from.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cc_tui.errors import AccessDeniedError, CcTuiError, ConfigError, StorageFullError, UsageError
from cc_tui.paths import PRIVATE_FILE_MODE, ensure_private_dir
from cc_tui.store.audit import (
    GENESIS_HASH,
    AuditEvent,
    AuditOutcome,
    AuditVerification,
    ChainedRow,
    HeadFileError,
    head_path_for,
    read_head,
    verify_chain,
    write_head,
)
from cc_tui.store.audit_log import append_entry, entry_from_row
from cc_tui.store.history_schema import (
    AUDIT_CHAINED_VERSION,
    MIGRATIONS,
    SCHEMA_VERSION,
    apply_step,
)

__all__ = [
    "HISTORY_REPAIR",
    "HistoryDamagedError",
    "HistoryStore",
    "storage_error",
]

HISTORY_REPAIR = "cc-tui history repair"
"""The command that sets a damaged history aside and starts a fresh one."""

_SIDE_FILES = ("-wal", "-shm")
"""SQLite's companions of a WAL database, private like it."""


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
                apply_step(db, MIGRATIONS[target])
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
            event = append_entry(db, action, subject, os_user, outcome=outcome, detail=detail)
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
        return [entry_from_row(row) for row in rows]

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
            # (SQLITE_IOERR_SHORT_READ). The mode is narrowed by name instead. A -wal or -shm
            # that another process's last connection removed meanwhile needs nothing: SQLite
            # makes it again with the database file's mode, 0600.
            with contextlib.suppress(FileNotFoundError):
                if stat.S_IMODE(file.stat().st_mode) != PRIVATE_FILE_MODE:
                    file.chmod(PRIVATE_FILE_MODE)
        else:
            os.close(fd)
