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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import polars as pl

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_CONTACTS_PER_BATCH",
    "Batch",
    "BatchBuilder",
    "contact_lines",
]

MAX_CONTACTS_PER_BATCH = 40_000
# "Under 4 MB" whichever way a megabyte is counted (4,000,000 < 4 MiB).
MAX_BATCH_BYTES = 4_000_000


@dataclass(frozen=True, slots=True)
class Batch:
    """One JSON import request: its body and where each of its contacts came from."""

    seq: int
    body: bytes = field(repr=False)
    contacts: int
    # One row per contact, in body order: segment (index), row (1-based data row), email.
    refs: pl.DataFrame = field(repr=False)
    digest: str = field(init=False)
    """SHA-256 of the body: proves a resumed run (or pass 2, after the head start) rebuilt
    exactly the same request. Hashed once, where the batch is built (the preparation thread),
    not on the event loop each time a sender compares it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "digest", hashlib.sha256(self.body).hexdigest())


def contact_lines(contacts: pl.DataFrame) -> pl.Series:
    """One JSON object per contact (a String column), null fields left out.

    Constant Contact wants absent fields left out rather than null. The first column (email) is
    never null, so every null field follows a comma; an unescaped ``,"name":null`` cannot occur
    inside a JSON string value, so removing that text is exact.
    """
    lines = contacts.select(pl.struct(pl.all()).struct.json_encode()).to_series()
    for name in contacts.columns[1:]:
        if contacts.get_column(name).null_count():
            lines = lines.str.replace_all("," + json.dumps(name) + ":null", "", literal=True)
    return lines.alias("json")


class BatchBuilder:
    """Accumulates contact lines and hands out full batches; ``finish`` flushes the rest."""

    def __init__(
        self,
        list_ids: Sequence[str],
        *,
        max_contacts: int = MAX_CONTACTS_PER_BATCH,
        max_bytes: int = MAX_BATCH_BYTES,
    ) -> None:
        self._prefix = b'{"import_data":['
        self._suffix = b'],"list_ids":' + json.dumps(list(list_ids)).encode() + b"}"
        self._max_contacts = max_contacts
        # Room for the contacts: each costs its line plus a comma, but the last has no comma.
        self._budget = max_bytes - len(self._prefix) - len(self._suffix) + 1
        self._lines = pl.Series("json", [], dtype=pl.String)
        self._refs: pl.DataFrame | None = None
        self._next_seq = 1

    def add(self, lines: pl.Series, refs: pl.DataFrame) -> Iterator[Batch]:
        """Add contact lines (and their refs, row for row); yield every batch now full."""
        if len(lines):
            self._lines = pl.concat([self._lines, lines.alias("json")], rechunk=True)
            self._refs = refs if self._refs is None else pl.concat([self._refs, refs])
        while len(self._lines) >= self._max_contacts:
            yield self._cut()

    def finish(self) -> Iterator[Batch]:
        """Yield what is left, in as many batches as the byte limit needs."""
        while len(self._lines):
            yield self._cut()

    def _cut(self) -> Batch:
        head = self._lines.head(self._max_contacts)
        cost = (head.str.len_bytes().cast(pl.UInt64) + 1).cum_sum()
        take = int((cost <= self._budget).sum())
        if take == 0:
            raise ValueError("one contact is larger than a whole import request")
        joined: bytes = head.head(take).str.join(",").cast(pl.Binary).item()
        body = self._prefix + joined + self._suffix
        assert self._refs is not None  # lines and refs are added together
        batch = Batch(seq=self._next_seq, body=body, contacts=take, refs=self._refs.head(take))
        self._next_seq += 1
        self._lines = self._lines.slice(take)
        self._refs = self._refs.slice(take)
        return batch
