"""``cc-tui history repair``: set a damaged history.sqlite3 aside and keep what can be read.

SQLite's own ``.recover`` is a feature of the ``sqlite3`` shell, not of Python's module, so
this copies table by table: the damaged file (with its -wal, which may hold the latest commits)
is renamed with a UTC timestamp, a fresh history is created at the current schema, and every
row that can still be read from each of its tables is copied into it. A table that breaks
part-way keeps the rows read before the break. Nothing is deleted: the damaged file stays
beside the new one for a specialist tool.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cc_tui.store.history import HistoryStore

__all__ = ["RepairReport", "history_problem", "repair_history"]

_SIDE_SUFFIXES = ("-wal", "-shm")


@dataclass(slots=True)
class RepairReport:
    """What ``repair_history`` did: where the damaged file went and what was kept."""

    path: Path
    problem: str | None
    """Why the file was set aside; None: it was healthy and left untouched."""
    set_aside: Path | None = None
    kept: dict[str, int] = field(default_factory=dict)
    """Rows copied into the fresh history, per table."""
    unreadable: dict[str, str] = field(default_factory=dict)
    """Tables (or the part after a break) that could not be read, with SQLite's reason."""


def history_problem(path: Path) -> str | None:
    """Why the history at ``path`` cannot be used (SQLite's integrity check), or None."""
    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(path)) as db:
            rows = db.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    found = [str(row[0]) for row in rows]
    return None if found == ["ok"] else "; ".join(found[:3])


def repair_history(path: Path, *, now: datetime | None = None) -> RepairReport:
    """Set a damaged history aside, start a fresh one and copy every readable row into it.

    A healthy file (or none) is left as it is. The fresh file is private (0600), like every
    history cc-tui creates.
    """
    problem = history_problem(path)
    if problem is None:
        return RepairReport(path, None)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    path.rename(aside)
    for suffix in _SIDE_SUFFIXES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(aside.with_name(aside.name + suffix))
    report = RepairReport(path, problem, set_aside=aside)
    HistoryStore(path).close()  # the fresh file, at the current schema
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as fresh:
        # Rows are copied as they were; a reference whose row was lost must not drop them.
        fresh.execute("PRAGMA foreign_keys=OFF")
        tables = [
            str(row[0])
            for row in fresh.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            )
        ]
        columns = {t: _columns(fresh, t) for t in tables}
        try:
            damaged = sqlite3.connect(f"file:{aside}?mode=ro", uri=True)
            # Tolerate a damaged schema entry, so the other tables can still be read.
            damaged.execute("PRAGMA writable_schema=ON")
        except sqlite3.DatabaseError as exc:
            report.unreadable = dict.fromkeys(tables, str(exc))
            return report
        with contextlib.closing(damaged):
            for table in tables:
                _copy_table(damaged, fresh, table, columns[table], report)
    return report


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [str(row[1]) for row in db.execute(f'PRAGMA table_info("{table}")')]


def _copy_table(
    damaged: sqlite3.Connection,
    fresh: sqlite3.Connection,
    table: str,
    wanted: list[str],
    report: RepairReport,
) -> None:
    try:
        present = set(_columns(damaged, table))
    except sqlite3.DatabaseError as exc:
        report.unreadable[table] = str(exc)
        return
    if not present:
        report.unreadable[table] = "missing from the damaged file"
        return
    # An older schema lacks newer columns: those take their defaults in the fresh file.
    shared = [c for c in wanted if c in present]
    names = ", ".join(f'"{c}"' for c in shared)
    insert = f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({", ".join("?" * len(shared))})'
    kept = 0
    fresh.execute("BEGIN")
    try:
        for row in _readable_rows(damaged, f'SELECT {names} FROM "{table}"', table, report):
            kept += fresh.execute(insert, row).rowcount
        fresh.execute("COMMIT")
    except BaseException:
        fresh.execute("ROLLBACK")
        raise
    report.kept[table] = kept


def _readable_rows(
    db: sqlite3.Connection, sql: str, table: str, report: RepairReport
) -> Iterator[tuple[object, ...]]:
    try:
        cursor = db.execute(sql)
    except sqlite3.DatabaseError as exc:
        report.unreadable[table] = str(exc)
        return
    with contextlib.closing(cursor):
        try:
            # Row by row: the rows before a damaged page are all kept.
            yield from cursor
        except sqlite3.DatabaseError as exc:
            report.unreadable[table] = str(exc)
