"""The audit log: who did what, allowed or refused, in a hash chain that shows any edit.

Entries live in history.sqlite3's ``audit_events`` table (see :mod:`cc_tui.store.audit_log`,
which appends them); this module holds what makes them tamper-evident:

* **The chain.** Entry ``n`` (``seq``, from 1 with no gaps) stores ``prev_hash``, the hash of
  entry ``n - 1`` (:data:`GENESIS_HASH` for the first), and ``hash``, SHA-256 over the
  canonical encoding of its fields and ``prev_hash`` (:func:`entry_hash`). Editing a field,
  deleting, inserting or reordering entries breaks a hash or a link that :func:`verify_chain`
  names. The hash has no key: someone who can write the file can rebuild a consistent chain
  from the genesis value, so the chain proves the log is *as it was written by something that
  computed the hashes*, not *who* wrote it.
* **The head file** ``audit.head`` (0600, beside the database) holds the last entry's ``seq``
  and ``hash``, replaced atomically after each append. A chain cut short at the end is still a
  consistent chain; the head file is what says entries were removed from the end. It is a
  second place to edit, not a secret: it stops accidents, a restore of an older database, and
  an editor who changes only the database. Against someone with write access to the whole home
  (the service account, root), only a copy of the head kept elsewhere helps: ``cc-tui audit
  verify`` prints it so it can be sent to a log host or written down.
* **Triggers** on the table refuse UPDATE and DELETE (:data:`GUARD_TRIGGERS`). They stop
  mistakes made through SQLite, nothing more: anyone with file access can drop them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from cc_tui.atomic import atomic_write_text
from cc_tui.paths import open_private_fd

__all__ = [
    "AUDIT_HEAD_NAME",
    "GENESIS_HASH",
    "GUARD_TRIGGERS",
    "SYSTEM_USER",
    "AuditEvent",
    "AuditHead",
    "AuditOutcome",
    "AuditVerification",
    "ChainedRow",
    "HeadFileError",
    "canonical_detail",
    "entry_hash",
    "head_path_for",
    "read_head",
    "verify_chain",
    "write_head",
]

HASH_FORMAT = 1
"""Version of :func:`entry_hash`'s encoding, hashed with every entry."""
GENESIS_HASH = hashlib.sha256(b"cc-tui audit log, genesis").hexdigest()
"""The ``prev_hash`` of entry 1: a fixed value, so a chain cannot start anywhere else."""
AUDIT_HEAD_NAME = "audit.head"
_HEAD_LOCK_SUFFIX = ".lock"
SYSTEM_USER = "cc-tui"
"""The ``os_user`` of entries cc-tui writes itself (the chaining of an older log)."""
SHORT_HASH = 12  # characters of a hash shown to people (the full one is in --json)

GUARD_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries are never changed'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries are never deleted'); END",
)
"""Refuse UPDATE and DELETE on ``audit_events``: a guard against accidents only."""


class AuditOutcome(StrEnum):
    """What became of an attempted action."""

    ALLOWED = "allowed"
    """Done (or, for a run, started or finished: the run's own status is in ``detail``)."""
    REFUSED = "refused"
    """The user's role does not allow it: nothing was done."""
    FAILED = "failed"
    """Allowed, but it could not be done (bad input, an unreachable account, a cancel)."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One entry of the audit log (never holds secrets)."""

    seq: int
    at: datetime
    os_user: str
    action: str
    subject: str
    outcome: AuditOutcome
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        """The entry as ``cc-tui audit --json`` prints it."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "os_user": self.os_user,
            "action": self.action,
            "subject": self.subject,
            "outcome": self.outcome.value,
            "detail": dict(self.detail),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    def detail_text(self) -> str:
        """``detail`` in one line for a table: ``key=value`` pairs, the reason last."""
        parts = [
            f"{key}={_value_text(value)}"
            for key, value in sorted(self.detail.items())
            if key != "reason" and value is not None
        ]
        if "reason" in self.detail:
            parts.append(f"reason: {self.detail['reason']}")
        return ", ".join(parts)


def _value_text(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_value_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True, slots=True)
class ChainedRow:
    """An entry's fields exactly as stored: what its hash was computed over."""

    seq: int
    at: str
    os_user: str
    action: str
    subject: str
    outcome: str
    detail: str
    prev_hash: str
    hash: str

    def computed_hash(self) -> str:
        """The hash these fields should have."""
        return entry_hash(
            self.prev_hash,
            seq=self.seq,
            at=self.at,
            os_user=self.os_user,
            action=self.action,
            subject=self.subject,
            outcome=self.outcome,
            detail=self.detail,
        )


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """``detail`` as stored: JSON with sorted keys, no spaces, ASCII only."""
    return json.dumps(
        dict(detail or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
    )


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: str,
    os_user: str,
    action: str,
    subject: str,
    outcome: str,
    detail: str,
) -> str:
    """SHA-256 (hex) of an entry: a JSON array of the format version, every field as stored
    (``detail`` as its stored JSON text) and ``prev_hash``, compact and ASCII-only, so the
    same entry always gives the same bytes (any outside text, even a lone surrogate, encodes)."""
    encoded = json.dumps(
        [HASH_FORMAT, seq, at, os_user, action, subject, outcome, detail, prev_hash],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


# -- the head file -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The last entry as the head file recorded it.

    ``since``: the first entry this head file vouches for the end of the log from: 1, unless
    the file was missing when an entry was appended (then what was cut off before that entry
    cannot be told).
    """

    seq: int
    hash: str
    since: int = 1

    def to_text(self) -> str:
        """The file's content."""
        return json.dumps({"seq": self.seq, "hash": self.hash, "since": self.since}) + "\n"


def head_path_for(db_path: Path) -> Path:
    """Where the head file of the history at ``db_path`` lives (beside it)."""
    return db_path.with_name(AUDIT_HEAD_NAME)


class HeadFileError(ValueError):
    """The head file exists but cannot be read as one."""


def read_head(path: Path) -> AuditHead | None:
    """The head file's record, None when there is no file; :class:`HeadFileError` if garbled."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise HeadFileError(str(exc)) from exc
    try:
        data = json.loads(text)
        return AuditHead(int(data["seq"]), str(data["hash"]), int(data.get("since", 1)))
    except (ValueError, KeyError, TypeError) as exc:
        raise HeadFileError(f"not a head record ({exc})") from exc


def write_head(path: Path, seq: int, hash_: str) -> None:
    """Record entry ``seq`` as the head, unless the file already records a later one.

    Called after each append commits. Processes append in turn (SQLite's write lock) but may
    reach this line out of order: a lock file serialises the read-compare-replace, so the file
    never goes back to an older entry. A missing file (deleted, or lost) is written again with
    ``since`` set: it vouches for the end of the log only from then on.
    """
    lock_fd = open_private_fd(path.with_name(path.name + _HEAD_LOCK_SUFFIX), os.O_RDWR)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            current = read_head(path)
        except HeadFileError:
            current = None  # a garbled file is replaced; verify reported it until now
        if current is not None and current.seq >= seq:
            return
        since = current.since if current is not None else (1 if seq <= 1 else seq)
        atomic_write_text(path, AuditHead(seq, hash_, since).to_text())
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)


# -- verification -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """What walking the chain found: intact, or the first broken entry and how."""

    entries: int
    head_hash: str
    problem: str | None = None
    """The first thing found wrong, naming the entry; None when the chain is intact."""
    broken_seq: int | None = None
    """The entry the problem is about."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Things worth knowing that are not tampering (a head file behind by an entry)."""

    @property
    def intact(self) -> bool:
        """True when no entry was edited, deleted, reordered or cut off."""
        return self.problem is None

    def sentence(self, *, short: bool = True) -> str:
        """One line for people: ``chain intact: N entries, head …`` or what is broken."""
        if self.intact:
            noun = "entry" if self.entries == 1 else "entries"
            head = self.head_hash[:SHORT_HASH] if short else self.head_hash
            return f"chain intact: {self.entries} {noun}, head {head}"
        return f"tampering detected: {self.problem}"

    def to_json(self) -> dict[str, Any]:
        """What ``cc-tui audit verify --json`` prints."""
        return {
            "intact": self.intact,
            "entries": self.entries,
            "head": self.head_hash,
            "problem": self.problem,
            "broken_seq": self.broken_seq,
            "notes": list(self.notes),
        }


def verify_chain(
    rows: Iterable[ChainedRow], head: AuditHead | None, *, head_problem: str | None = None
) -> AuditVerification:
    """Walk ``rows`` (in ``seq`` order) from the genesis value and check the head file.

    Reports the first problem: a missing ``seq`` (deleted entries), an entry whose fields no
    longer give its hash (edited, or moved to another place), an entry whose ``prev_hash`` is
    not the previous entry's hash (the one before it was replaced, or entries were reordered),
    and then, against the head file, entries removed from the end or a log rewritten up to it.
    """
    chain: list[ChainedRow] = []
    prev = GENESIS_HASH
    for row in rows:
        expected = len(chain) + 1
        if row.seq != expected:
            missing = (
                f"#{expected}" if row.seq == expected + 1 else f"#{expected} to #{row.seq - 1}"
            )
            return _broken(chain, expected, f"entry {missing} is missing (deleted)")
        if row.computed_hash() != row.hash:
            return _broken(
                chain,
                row.seq,
                f"entry #{row.seq} was edited: its fields ({_describe(row)}) no longer give "
                "its hash",
            )
        if row.prev_hash != prev:
            before = row.seq - 1
            what = (
                f"entry #{before} was replaced or edited (entry #{row.seq} recorded another "
                "hash for it)"
                if before
                else f"entry #{row.seq} does not start from the genesis value"
            )
            return _broken(chain, max(before, 1), what)
        chain.append(row)
        prev = row.hash
    return _check_head(chain, head, head_problem)


def _describe(row: ChainedRow) -> str:
    return f"{row.at}, {row.os_user}, {row.action} {row.subject}, {row.outcome}"


def _broken(chain: Sequence[ChainedRow], seq: int, problem: str) -> AuditVerification:
    head = chain[-1].hash if chain else GENESIS_HASH
    return AuditVerification(len(chain), head, problem=problem, broken_seq=seq)


def _check_head(
    chain: Sequence[ChainedRow], head: AuditHead | None, head_problem: str | None
) -> AuditVerification:
    count = len(chain)
    last = chain[-1].hash if chain else GENESIS_HASH
    if head_problem is not None:
        return AuditVerification(
            count, last, problem=f"{AUDIT_HEAD_NAME} cannot be read ({head_problem})"
        )
    if head is None:
        if not chain:
            return AuditVerification(0, last)
        return AuditVerification(
            count,
            last,
            problem=f"{AUDIT_HEAD_NAME} is missing, so entries removed from the end of the log "
            f"cannot be ruled out (the chain itself holds {count} entries)",
        )
    notes: list[str] = []
    if head.since > 1:
        notes.append(
            f"{AUDIT_HEAD_NAME} was missing when entry #{head.since} was written: entries "
            f"removed from the end before then cannot be ruled out"
        )
    if head.seq > count:
        removed = f"#{count + 1}" if head.seq == count + 1 else f"#{count + 1} to #{head.seq}"
        return AuditVerification(
            count,
            last,
            problem=f"entry {removed} removed from the end: the log ends at entry #{count}, "
            f"but {AUDIT_HEAD_NAME} records entry #{head.seq}",
            broken_seq=count + 1,
            notes=tuple(notes),
        )
    if head.seq >= 1 and chain[head.seq - 1].hash != head.hash:
        return AuditVerification(
            count,
            last,
            problem=f"entry #{head.seq} is not the one {AUDIT_HEAD_NAME} recorded: the log was "
            f"rewritten up to entry #{head.seq}",
            broken_seq=head.seq,
            notes=tuple(notes),
        )
    if head.seq < count:
        notes.append(
            f"{count - head.seq} entr{'y' if count - head.seq == 1 else 'ies'} after the head "
            f"{AUDIT_HEAD_NAME} recorded (#{head.seq}): an entry being written just now, or a "
            "process that stopped between writing an entry and the head file; the next entry "
            "brings the file up to date"
        )
    return AuditVerification(count, last, notes=tuple(notes))
