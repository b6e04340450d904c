"""Cut the stream of contacts into JSON import requests Constant Contact accepts whole.

A batch holds at most 40,000 contacts and stays under 4 MB of JSON: Constant Contact silently
drops whatever lies past 4 MB, so a bigger body would lose contacts without an error. The JSON
is written by Polars (one object per contact, then joined), never by a loop over rows. Cuts
depend only on the sequence of contacts, never on how the input was chunked, so the same inputs
always give the same batches and a resumed run re-creates them byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_CONTACTS_PER_BATCH",
    "REF_EMAIL",
    "SIZE_SPREAD",
    "SPREAD_FROM",
    "Batch",
    "BatchBuilder",
    "SmsPermission",
    "contact_lines",
    "sms_permission",
]

MAX_CONTACTS_PER_BATCH = 40_000
# Batches cut by the contact limit hold up to SIZE_SPREAD - 1 contacts fewer, by sequence
# (40,000, 39,999, ... 39,985, then 40,000 again), so imports in flight, and lost answers near
# each other, rarely share a contact count: a lost import is recognised among the account's
# recent activities by its count alone (see engine.reconciler), and the sender never has two
# imports of one count in flight. Costs at most 0.04% of a batch; small test batches (under
# SPREAD_FROM contacts) are cut exactly.
SIZE_SPREAD = 16
SPREAD_FROM = 1_000
# "Under 4 MB" whichever way a megabyte is counted (4,000,000 < 4 MiB).
MAX_BATCH_BYTES = 4_000_000
# The column of Batch.refs holding each contact's normalised e-mail (the others are
# ``segment``, ``row`` and the mapped source columns); underscored so no source column is it.
REF_EMAIL = "_email"
# Batches being built on an executor before ``add`` waits for the oldest: enough to keep the
# threads busy, few enough that bodies (up to 4 MB each) do not pile up.
_MAX_PENDING = 4


@dataclass(frozen=True, slots=True)
class Batch:
    """One JSON import request: its body and where each of its contacts came from."""

    seq: int
    body: bytes = field(repr=False)
    contacts: int
    # One row per contact, in body order: segment (index), row (1-based data row), REF_EMAIL.
    refs: pl.DataFrame = field(repr=False)
    digest: str = field(init=False)
    """SHA-256 of the body: proves a resumed run (or pass 2, after the head start) rebuilt
    exactly the same request. Hashed once, where the batch is built (the preparation thread),
    not on the event loop each time a sender compares it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", hashlib.sha256(self.body).hexdigest())


# JSON string escapes (RFC 8259 section 7): the quote, the backslash and every C0 character.
_ESCAPED = ['"', "\\", *map(chr, range(0x20))]
_ESCAPES = ['\\"', "\\\\", *(f"\\u{code:04x}" for code in range(0x20))]


class SmsPermission(StrEnum):
    """How an import's ``sms_permission_to_send`` is set, from what the mapping sends."""

    NONE = "none"  # no SMS numbers: the key is left out
    NOT_SET = "not_set"  # SMS numbers and no consent dates: not_set in every batch
    PER_BATCH = "per_batch"  # both: explicit when each SMS contact of a batch has its date


def sms_permission(fields: Collection[str]) -> SmsPermission:
    """How the imports of contacts of these fields set ``sms_permission_to_send``.

    The swagger's text: importing ``sms_number``s "you must set" it; ``not_set`` when the
    contacts have not given consent (``sms_consent_date`` is then not required), ``explicit``
    only with each contact's ``sms_consent_date``. So a batch is ``explicit`` when every one of
    its contacts with an SMS number has a consent date, ``not_set`` otherwise (one contact
    without a date makes the claim untrue for the batch); a batch without SMS numbers leaves
    it out (docs/api-rules.md section 3).
    """
    if "sms_number" not in fields:
        return SmsPermission.NONE
    if "sms_consent_date" not in fields:
        return SmsPermission.NOT_SET
    return SmsPermission.PER_BATCH


# How a contact line starts a key: lines are JSON objects from contact_lines, so a key is
# preceded by "{" or ","; inside a value a quote is escaped, so these cannot match text.
_SMS_KEY = '"sms_number":'
_CONSENT_KEY = '"sms_consent_date":'


def _permission_of(lines: pl.Series, how: SmsPermission) -> str | None:
    """The batch's ``sms_permission_to_send`` (see :func:`sms_permission`)."""
    if how is SmsPermission.NONE:
        return None
    if how is SmsPermission.NOT_SET:
        return SmsPermission.NOT_SET.value
    sms = lines.str.contains(_SMS_KEY, literal=True)
    if not sms.any():
        return None
    undated = sms & ~lines.str.contains(_CONSENT_KEY, literal=True)
    return SmsPermission.NOT_SET.value if undated.any() else "explicit"


def contact_lines(contacts: pl.DataFrame, plain: Collection[str] = ()) -> pl.Series:
    """One JSON object per contact (a String column); null and empty values are left out.

    Constant Contact says "absent" only by leaving the key out (a ``null`` or ``""`` is an
    error), so each line is put together from the present fields alone: every field gives its
    ``,"key":`` piece and its value only where the value is present, and the pieces are joined
    skipping nulls. Nothing is searched for or removed afterwards, so no key spelling and no
    value (quotes, backslashes, ``,"x":null`` inside text) can make a line wrong. Text columns
    become JSON strings, integer columns JSON numbers. ``plain`` names text columns known to
    hold no character JSON escapes (a quote, a backslash, a control character): they are not
    searched for one.
    """
    if not contacts.columns:
        return pl.Series("json", ["{}"] * contacts.height, dtype=pl.String)
    # Fields present in every contact of this frame take their key as a plain literal, which
    # concat_str repeats without making a column of it (in a frame of 100,000 contacts a column
    # of keys costs megabytes); only the others get a key where they have a value.
    always = {
        name
        for name, everywhere in contacts.select(
            _present(name, dtype).fill_null(False).all().alias(name)
            for name, dtype in contacts.schema.items()
        )
        .row(0, named=True)
        .items()
        if everywhere
    }
    # When the first field (the e-mail) is always there it needs no comma, and the line is one
    # concatenation (one copy of the text); otherwise the first comma is taken off afterwards.
    first = contacts.columns[0]
    pieces: list[pl.Expr] = []
    for name, dtype in contacts.schema.items():
        column = pl.col(name)
        comma = "" if name == first and first in always else ","
        key = comma + json.dumps(name, ensure_ascii=False) + ":"
        present = None if name in always else _present(name, dtype)
        if dtype == pl.String:
            text = column if name in plain else column.str.replace_many(_ESCAPED, _ESCAPES)
            # The key with the opening quote, the text and the closing quote as three pieces.
            pieces += [_where(present, key + '"'), text, _where(present, '"')]
        else:
            pieces += [_where(present, key), column.cast(pl.String)]
    if first in always:
        line = pl.concat_str([pl.lit("{"), *pieces, pl.lit("}")], ignore_nulls=True)
    else:
        body = pl.concat_str(pieces, ignore_nulls=True).str.strip_prefix(",")
        line = pl.lit("{") + body + pl.lit("}")
    return contacts.select(line.alias("json")).to_series()


def _present(name: str, dtype: pl.DataType) -> pl.Expr:
    """Where the field has a value to send: text that is not empty, or a number."""
    if dtype == pl.String:
        return pl.col(name).str.len_bytes() > 0
    if dtype.is_integer():
        return pl.col(name).is_not_null()
    raise TypeError(f"contact field {name!r} is {dtype}, not text or an integer")


def _where(condition: pl.Expr | None, text: str) -> pl.Expr:
    """``text`` where ``condition`` holds (everywhere when None), else null: concat_str skips
    nulls."""
    if condition is None:
        return pl.lit(text)
    return pl.when(condition).then(pl.lit(text))


class BatchBuilder:
    """Accumulates contact lines and hands out full batches, in order; ``finish`` flushes the
    rest.

    Where each batch ends is decided here, on the caller's thread, from the lines' byte
    lengths; its body is joined by Polars and hashed (:class:`Batch`) on ``executor``'s
    threads when one is given, so the caller can read and prepare the next rows meanwhile.
    Then ``add`` yields the batches already built (and waits only when more than
    ``_MAX_PENDING`` are under way); without an executor it builds each batch at once, and
    yields every batch as soon as it is full.
    """

    def __init__(
        self,
        list_ids: Sequence[str],
        *,
        max_contacts: int = MAX_CONTACTS_PER_BATCH,
        max_bytes: int = MAX_BATCH_BYTES,
        executor: Executor | None = None,
        sms_permission: SmsPermission = SmsPermission.NONE,
    ) -> None:
        self._prefix = '{"import_data":['
        # Ids in the lower-case form the API gives them, each once: a strict server matches
        # ids exactly and refuses a list named twice (docs/api-rules.md section 3).
        ids = list(dict.fromkeys(list_id.lower() for list_id in list_ids))
        self._suffix = '],"list_ids":' + json.dumps(ids)
        self._sms = sms_permission
        # The longest closing a batch may get, so that every batch fits whichever it gets.
        longest = self._closing("explicit" if sms_permission is not SmsPermission.NONE else None)
        self._max_contacts = max_contacts
        # Room for the contacts: each costs its line plus a comma, but the last has no comma.
        prefix_bytes, suffix_bytes = len(self._prefix.encode()), len(longest.encode())
        self._budget = max_bytes - prefix_bytes - suffix_bytes + 1
        self._lines = pl.Series("json", [], dtype=pl.String)
        self._refs: pl.DataFrame | None = None
        self._next_seq = 1
        self._executor = executor
        self._pending: deque[Future[Batch]] = deque()

    def add(self, lines: pl.Series, refs: pl.DataFrame) -> Iterator[Batch]:
        """Add contact lines (and their refs, row for row); yield the batches ready."""
        if len(lines):
            # Not rechunked: the few chunks pending are sliced and joined as they are.
            self._lines = pl.concat([self._lines, lines.alias("json")])
            self._refs = refs if self._refs is None else pl.concat([self._refs, refs])
        while len(self._lines) >= self._count_limit():
            self._pending.append(self._cut())
        while self._pending and (self._pending[0].done() or len(self._pending) > _MAX_PENDING):
            yield self._pending.popleft().result()

    def finish(self) -> Iterator[Batch]:
        """Yield what is left, in as many batches as the byte limit needs."""
        while len(self._lines):
            self._pending.append(self._cut())
        while self._pending:
            yield self._pending.popleft().result()

    def _count_limit(self) -> int:
        """The most contacts the next batch may hold (see SIZE_SPREAD)."""
        if self._max_contacts < SPREAD_FROM:
            return self._max_contacts
        return self._max_contacts - (self._next_seq - 1) % SIZE_SPREAD

    def _cut(self) -> Future[Batch]:
        """Take the next batch's lines and refs off the front; build it (on the executor)."""
        head = self._lines.head(self._count_limit())
        cost = (head.str.len_bytes().cast(pl.UInt64) + 1).cum_sum()
        take = int((cost <= self._budget).sum())
        if take == 0:
            raise ValueError("one contact is larger than a whole import request")
        assert self._refs is not None  # lines and refs are added together
        args = (self._next_seq, head.head(take), self._refs.head(take))
        self._next_seq += 1
        self._lines = self._lines.slice(take)
        self._refs = self._refs.slice(take)
        if self._executor is not None:
            return self._executor.submit(self._build, *args)
        built: Future[Batch] = Future()
        built.set_result(self._build(*args))
        return built

    def _closing(self, permission: str | None) -> str:
        """The body's end after its contacts: the lists, and the SMS permission if any."""
        sms = "" if permission is None else f',"sms_permission_to_send":"{permission}"'
        return self._suffix + sms + "}"

    def _build(self, seq: int, lines: pl.Series, refs: pl.DataFrame) -> Batch:
        """The batch of these lines: the body joined by Polars in one copy, then copied out.

        The request's opening goes onto the first line and its closing onto the last (two
        short strings), so the one join makes the whole body: no second copy of it to add
        them, in Polars or in Python.
        """
        count = len(lines)
        first, last = lines[0], lines[count - 1]
        suffix = self._closing(_permission_of(lines, self._sms))
        if count == 1:
            parts = pl.Series([self._prefix + first + suffix])
        else:
            opening = pl.Series([self._prefix + first])
            closing = pl.Series([last + suffix])
            parts = pl.concat([opening, lines.slice(1, count - 2), closing])
        body = parts.str.join(",").cast(pl.Binary).item()
        return Batch(seq=seq, body=body, contacts=count, refs=refs)
