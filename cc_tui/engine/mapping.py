"""From segment columns to Constant Contact contact fields.

The mapping is checked before a run starts (every mapped column exists in every segment, at most
25 custom fields, custom fields known to the account), then applied by Polars expressions that
trim values, drop empty ones and truncate text longer than Constant Contact accepts, counting
each truncation so none is silent.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from cc_tui.models import (
    ATTRIBUTE_FIELDS,
    CUSTOM_FIELD_MAX_LENGTH,
    CUSTOM_FIELD_PREFIX,
    MAX_CUSTOM_FIELDS_PER_CONTACT,
    NAME_FIELDS,
    FieldMapping,
)

__all__ = [
    "FieldKind",
    "MappedField",
    "contact_frame",
    "custom_field_problems",
    "mapped_fields",
    "mapping_problems",
    "truncation_counts",
]

_BIRTHDAY_RANGES = {"birthday_month": (1, 12), "birthday_day": (1, 31)}


class FieldKind(StrEnum):
    """How a mapped value is cleaned before it is sent."""

    EMAIL = "email"
    TEXT = "text"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class MappedField:
    """One Constant Contact field fed by one segment column."""

    field: str
    column: str
    kind: FieldKind
    max_length: int | None = None

    @property
    def is_custom(self) -> bool:
        """True for ``cf:<name>`` fields."""
        return self.field.startswith(CUSTOM_FIELD_PREFIX)


def mapped_fields(mapping: FieldMapping) -> list[MappedField]:
    """Every mapped field, e-mail first, in a fixed order (so batches are deterministic)."""
    fields = [MappedField("email", mapping.email, FieldKind.EMAIL)]
    for name, column in mapping.columns().items():
        if name == "email":
            continue
        if name in NAME_FIELDS:
            fields.append(MappedField(name, column, FieldKind.TEXT, NAME_FIELDS[name]))
        elif name in _BIRTHDAY_RANGES:
            fields.append(MappedField(name, column, FieldKind.NUMBER))
        elif name.startswith(CUSTOM_FIELD_PREFIX):
            fields.append(MappedField(name, column, FieldKind.TEXT, CUSTOM_FIELD_MAX_LENGTH))
        else:
            fields.append(MappedField(name, column, FieldKind.TEXT, ATTRIBUTE_FIELDS.get(name)))
    return fields


def mapping_problems(
    mapping: FieldMapping, columns_by_segment: Mapping[str, Sequence[str]]
) -> list[str]:
    """What is wrong with ``mapping`` for these segments (an empty list when nothing is)."""
    problems = []
    custom = [f for f in mapped_fields(mapping) if f.is_custom]
    if len(custom) > MAX_CUSTOM_FIELDS_PER_CONTACT:
        problems.append(
            f"{len(custom)} custom fields are mapped; Constant Contact takes at most "
            f"{MAX_CUSTOM_FIELDS_PER_CONTACT} per contact. Remove "
            f"{len(custom) - MAX_CUSTOM_FIELDS_PER_CONTACT}."
        )
    if ("birthday_month" in mapping.attributes) != ("birthday_day" in mapping.attributes):
        problems.append(
            "Map birthday_month and birthday_day together (Constant Contact "
            "needs both), or neither."
        )
    for segment, columns in columns_by_segment.items():
        missing = [f.column for f in mapped_fields(mapping) if f.column not in columns]
        if missing:
            problems.append(
                f"Segment '{segment}' has no column {', '.join(repr(m) for m in missing)}; "
                f"its columns are: {', '.join(columns) or '(none)'}."
            )
    return problems


def custom_field_problems(mapping: FieldMapping, account_fields: Collection[str]) -> list[str]:
    """Custom fields of ``mapping`` that the account does not have (names without ``cf:``)."""
    unknown = [
        f.field
        for f in mapped_fields(mapping)
        if f.is_custom and f.field[len(CUSTOM_FIELD_PREFIX) :] not in account_fields
    ]
    if not unknown:
        return []
    known = ", ".join(sorted(account_fields)) or "none"
    return [
        f"The account has no custom field {', '.join(unknown)} (its custom fields: {known}). "
        "Create it in Constant Contact first, or fix the name."
    ]


def _cleaned(field: MappedField) -> pl.Expr:
    """Step one: the trimmed value (lower-cased for the e-mail; parsed for numbers)."""
    value = pl.col(field.column).cast(pl.String).str.strip_chars()
    if field.kind is FieldKind.EMAIL:
        return value.str.to_lowercase()
    if field.kind is FieldKind.NUMBER:
        low, high = _BIRTHDAY_RANGES[field.field]
        number = value.cast(pl.Int64, strict=False)
        return pl.when(number.is_between(low, high)).then(number)
    return value


def _final(field: MappedField, truncate: Collection[str] | None) -> pl.Expr:
    """Step two, on the cleaned column: empty text becomes null, long text is cut."""
    value = pl.col(field.field)
    if field.kind is FieldKind.NUMBER:
        return value
    value = pl.when(value.str.len_bytes() > 0).then(value)
    if field.max_length is not None and (truncate is None or field.field in truncate):
        value = value.str.slice(0, field.max_length)
    return value.alias(field.field)


def contact_frame(
    rows: pl.DataFrame,
    fields: Sequence[MappedField],
    *,
    truncate: Collection[str] | None = None,
) -> pl.DataFrame:
    """``rows`` (source columns) as Constant Contact contacts: one column per field.

    ``truncate`` names the fields that may hold text over their limit (from
    :func:`truncation_counts`; None: any field may). Two steps, so each value is trimmed
    once rather than once per use.
    """
    cleaned = rows.select(_cleaned(field).alias(field.field) for field in fields)
    frame = cleaned.select(_final(field, truncate) for field in fields)
    if "birthday_month" in frame.columns and "birthday_day" in frame.columns:
        # Half a birthday is an error for Constant Contact: send both parts or neither.
        both = pl.col("birthday_month").is_not_null() & pl.col("birthday_day").is_not_null()
        frame = frame.with_columns(
            pl.when(both).then(pl.col(name)).alias(name) for name in _BIRTHDAY_RANGES
        )
    return frame


def truncation_counts(rows: pl.DataFrame, fields: Sequence[MappedField]) -> dict[str, int]:
    """Per field, how many of ``rows`` (source columns) hold text longer than the limit."""
    limited = [f for f in fields if f.kind is FieldKind.TEXT and f.max_length is not None]
    if not limited or rows.height == 0:
        return {}
    # A value cannot have more characters than bytes: only rows with a long raw value can be
    # truncated, and they are few, so the exact (slower) character count runs on those alone.
    long_raw = pl.any_horizontal(
        pl.col(f.column).cast(pl.String).str.len_bytes() > f.max_length for f in limited
    )
    candidates = rows.filter(long_raw)
    if candidates.height == 0:
        return {}
    counts = candidates.select(
        (pl.col(f.column).cast(pl.String).str.strip_chars().str.len_chars() > f.max_length)
        .sum()
        .alias(f.field)
        for f in limited
    ).row(0, named=True)
    return {name: int(count) for name, count in counts.items() if count}
