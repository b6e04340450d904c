"""E-mail normalisation and the one-time classification of every input row (pass 1).

Every input row of a run gets exactly one class (ARCHITECTURE.md section 4), decided by
vectorised Polars expressions, never a Python loop per row:

``missing_email``  no e-mail after trimming
``invalid_email``  not an address Constant Contact accepts (syntax, or longer than 50 characters)
``duplicate_email`` the same normalised e-mail appeared earlier in the run (any segment)
``over_cap``       a new contact beyond the run's contact cap
``sent``           everything else

Duplicates are found on 64-bit hashes of the normalised e-mail, so the state held for a 10M-row
input is about 9 bytes per row rather than the addresses themselves. Two different addresses
sharing a hash (odds about 1 in 400,000 for 10 million distinct addresses) would make the
second one a duplicate; we accept that for bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import polars as pl

from cc_tui.models import EMAIL_MAX_LENGTH

__all__ = [
    "EMAIL_PATTERN",
    "HASH_SEED",
    "Classification",
    "RowClass",
    "classify",
    "email_checks",
    "normalised_email",
]

# RFC 5322 "dot-atom" local part and a host name with an alphabetic TLD: what Constant Contact
# takes as a valid address in practice (no quoted local parts, no IP-literal domains).
EMAIL_PATTERN = (
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$"
)
HASH_SEED = 0x0CC7
_DEDUP_BUCKETS = 16


class RowClass(IntEnum):
    """The class of an input row, stored as one byte per row."""

    SENT = 0
    MISSING_EMAIL = 1
    INVALID_EMAIL = 2
    DUPLICATE_EMAIL = 3
    OVER_CAP = 4

    @property
    def reason(self) -> str:
        """The name used in summaries and the ``reason`` column of rejected.csv."""
        return self.name.lower()


REJECT_CLASSES = (
    RowClass.MISSING_EMAIL,
    RowClass.INVALID_EMAIL,
    RowClass.DUPLICATE_EMAIL,
    RowClass.OVER_CAP,
)


def normalised_email(column: str) -> pl.Expr:
    """Trimmed, lower-cased e-mail; empty text becomes null."""
    email = pl.col(column).cast(pl.String).str.strip_chars().str.to_lowercase()
    return pl.when(email.str.len_bytes() > 0).then(email)


def email_checks(frame: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """Pass 1 columns: ``cls`` (sent / missing / invalid) and ``key`` (a hash of the e-mail)."""
    # Two steps, so the normalised e-mail is computed once (not once per use).
    email = pl.col("_email")
    valid = email.str.contains(EMAIL_PATTERN) & (email.str.len_chars() <= EMAIL_MAX_LENGTH)
    row_class = (
        pl.when(email.is_null())
        .then(pl.lit(RowClass.MISSING_EMAIL.value, pl.UInt8))
        .when(~valid)
        .then(pl.lit(RowClass.INVALID_EMAIL.value, pl.UInt8))
        .otherwise(pl.lit(RowClass.SENT.value, pl.UInt8))
    )
    return frame.select(normalised_email(column).alias("_email")).select(
        row_class.alias("cls"), email.hash(seed=HASH_SEED).alias("key")
    )


@dataclass(frozen=True, slots=True)
class Classification:
    """The class of every input row, in input order across the run's segments."""

    classes: pl.Series  # UInt8, one per input row
    segment_rows: tuple[int, ...]  # rows per segment, in segment order

    @property
    def rows_read(self) -> int:
        """Every input row of every segment."""
        return len(self.classes)

    def counts(self) -> dict[RowClass, int]:
        """How many rows fell in each class (every class present, zeros included)."""
        counted = self.classes.value_counts()
        found = dict(zip(counted[:, 0].to_list(), counted[:, 1].to_list(), strict=True))
        return {row_class: int(found.get(row_class.value, 0)) for row_class in RowClass}

    def for_segment(self, index: int) -> pl.Series:
        """The classes of segment ``index``'s rows."""
        start = sum(self.segment_rows[:index])
        return self.classes.slice(start, self.segment_rows[index])


def classify(checked: list[pl.DataFrame], cap: int) -> Classification:
    """Finish pass 1: given each segment's ``cls``/``key`` frame (in segment order), mark
    duplicates (first occurrence wins) and the contacts beyond ``cap``.

    ``checked`` is emptied on the way: its frames are the biggest thing pass 1 holds, and
    letting them go early keeps a 10M-row run's memory down.
    """
    segment_rows = tuple(part.height for part in checked)
    classes = pl.concat([part.get_column("cls") for part in checked], rechunk=True)
    keys = pl.concat([part.get_column("key") for part in checked], rechunk=True)
    checked.clear()
    first = _first_occurrences(classes, keys)
    del keys
    frame = pl.DataFrame({"cls": classes, "first": first})
    del classes, first
    sendable = pl.col("cls") == RowClass.SENT.value
    rank = pl.col("first").cast(pl.UInt32).cum_sum()
    result = frame.select(
        pl.when(sendable & ~pl.col("first"))
        .then(pl.lit(RowClass.DUPLICATE_EMAIL.value, pl.UInt8))
        .when(pl.col("first") & (rank > cap))
        .then(pl.lit(RowClass.OVER_CAP.value, pl.UInt8))
        .otherwise(pl.col("cls"))
        .alias("cls")
    ).to_series()
    return Classification(classes=result, segment_rows=segment_rows)


def _first_occurrences(classes: pl.Series, keys: pl.Series) -> pl.Series:
    """True for each sendable row whose key did not occur on an earlier sendable row.

    Rows are split into buckets by their key modulo 16 (equal keys share a bucket); within a
    bucket, a stable sort by key puts each key's rows together in input order, so the first
    row of each group is the first occurrence. Sorting is several times faster than a
    hash-based ``is_first_distinct`` on 10M keys, and buckets bound the sort's extra memory.
    """
    table = (
        pl.DataFrame(
            {
                "key": keys,
                "bucket": (keys % _DEDUP_BUCKETS).cast(pl.UInt8),
                "cls": classes,
            }
        )
        .lazy()
        .with_row_index("row")
    )
    firsts = []
    for bucket in range(_DEDUP_BUCKETS):
        # The streaming filter never materialises the row index or a copy of all keys.
        rows = table.filter((pl.col("bucket") == bucket) & (pl.col("cls") == RowClass.SENT.value))
        part = rows.select("row", "key").collect(engine="streaming")
        ordered = part.sort("key", maintain_order=True)
        firsts.append(
            ordered.filter(pl.col("key").ne_missing(pl.col("key").shift(1))).get_column("row")
        )
    first = pl.zeros(len(classes), pl.Boolean, eager=True)
    return first.scatter(pl.concat(firsts), True) if firsts else first
