"""What the service answers about segments: the engine's statuses with what it read of them.

``segment list`` and ``segment show`` (and the app's segment screens) read segments in the
service, which counts their rows and reads their first rows with its own rights, for the
segments the asker may see (:mod:`cc_tui.service.calls.segments`). These carry the engine's
:class:`~cc_tui.engine.sources.SegmentStatus` with those counts, and a preview as JSON values,
so a client needs neither Polars nor the files to show them. Imported by the commands that
use them (the engine's segment types come with Polars).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from cc_tui.engine.sources import SegmentStatus
from cc_tui.errors import CcTuiError

if TYPE_CHECKING:
    import polars as pl

    from cc_tui.engine.segments.model import Segment

__all__ = ["SegmentCounted", "SegmentShown", "SegmentsListed", "count_rows_of", "json_cells"]

_JSON_SCALARS = (str, int, bool)


class SegmentCounted(msgspec.Struct, frozen=True, kw_only=True):
    """One segment as listed: its status, and its rows (None: not counted, ``rows_error``
    says why; a segment that is not ready is never counted)."""

    status: SegmentStatus
    rows: int | None = None
    rows_error: str | None = None


class SegmentsListed(msgspec.Struct, frozen=True, kw_only=True):
    """``segment list``: the segments the asker may see, and the files discovery skipped
    (with the reason; empty for an asker who does not see every segment)."""

    segments: list[SegmentCounted]
    skipped: list[str]


class SegmentShown(msgspec.Struct, frozen=True, kw_only=True):
    """``segment show``: a ready segment, its columns, its row count and its first rows."""

    counted: SegmentCounted
    columns: list[tuple[str, str]]
    """Column name and type."""
    header: list[str]
    """The preview's column names (kept when it has no rows)."""
    preview: list[dict[str, Any]]
    """The first rows as JSON values: numbers, text, booleans and nulls as they are, anything
    else (dates, decimals, binary) as its text, as ``--json`` always printed them."""


def count_rows_of(segment: Segment) -> tuple[int | None, str | None]:
    """The rows of ``segment``, or None and the first line of why they could not be counted
    (one segment that cannot be counted never stops a listing)."""
    import polars as pl

    from cc_tui.engine.segments.reading import count_rows

    try:
        return count_rows(segment), None
    except (CcTuiError, OSError, pl.exceptions.PolarsError) as exc:
        text = str(exc).strip()
        return None, text.splitlines()[0] if text else type(exc).__name__


def json_cells(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON values (see :attr:`SegmentShown.preview`)."""
    return [{key: _json_value(value) for key, value in row.items()} for row in frame.to_dicts()]


def _json_value(value: object) -> Any:
    if value is None or isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, float):
        # JSON has no NaN or infinity: their text, as the table shows them.
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_json_value(item) for item in value]
    return str(value)
