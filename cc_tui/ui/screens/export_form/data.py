"""What the export form reads: segment columns and samples, row counts, lists, custom fields.

The reading functions block (Polars, files) and run in thread workers; the fetching ones are
coroutines for async workers. None of them touches a widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.engine.connections import ConnectionService
from cc_tui.engine.exports import ACCOUNT_CHECK_RETRY, ACCOUNT_CHECK_TIMEOUT
from cc_tui.engine.segments.model import Segment
from cc_tui.engine.segments.reading import count_rows, preview, segment_columns
from cc_tui.errors import CcTuiError, NotFoundError, SignInRequiredError
from cc_tui.next_steps import NextSteps
from cc_tui.ui.screens.export_form.checks import sign_in_hint
from cc_tui.ui.widgets.list_picker import ListChoice

__all__ = [
    "UNCHECKED_LIST",
    "ColumnsRead",
    "check_list",
    "common_columns",
    "count_segment",
    "fetch_custom_fields",
    "fetch_error",
    "fetch_lists",
    "merged_samples",
    "read_columns",
]

SAMPLE_ROWS = 5
UNCHECKED_LIST = "(not checked: the account could not be asked)"
_READ_ERRORS = (CcTuiError, OSError, pl.exceptions.PolarsError)


@dataclass(frozen=True, slots=True)
class ColumnsRead:
    """A segment's columns and the first non-empty values of each (or why it is unreadable)."""

    columns: tuple[str, ...] = ()
    samples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    error: str = ""


def read_columns(segment: Segment) -> ColumnsRead:
    """Columns and sample values of ``segment`` (reads only the start of the file)."""
    try:
        columns = tuple(column.name for column in segment_columns(segment))
        frame = preview(segment, SAMPLE_ROWS)
    except _READ_ERRORS as exc:
        return ColumnsRead(error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    samples = {}
    for name in frame.columns:
        values = frame.get_column(name).cast(pl.String).drop_nulls().str.strip_chars().to_list()
        samples[name] = tuple(value for value in values if value)
    return ColumnsRead(columns, samples)


def count_segment(segment: Segment) -> tuple[int | None, str]:
    """Rows of ``segment``, or None and why they could not be counted."""
    try:
        return count_rows(segment), ""
    except _READ_ERRORS as exc:
        return None, "(unreadable)" if not str(exc) else f"(unreadable: {str(exc)[:60]})"


def common_columns(reads: Sequence[ColumnsRead]) -> list[str]:
    """Columns every readable segment has, in the first one's order."""
    readable = [read for read in reads if not read.error]
    if not readable:
        return []
    shared = set.intersection(*(set(read.columns) for read in readable))
    return [name for name in readable[0].columns if name in shared]


def merged_samples(reads: Sequence[ColumnsRead], limit: int = 3) -> dict[str, list[str]]:
    """Up to ``limit`` distinct sample values per column, earlier segments first."""
    merged: dict[str, list[str]] = {}
    for read in reads:
        for name, values in read.samples.items():
            bucket = merged.setdefault(name, [])
            for value in values:
                if len(bucket) < limit and value not in bucket:
                    bucket.append(value)
    return merged


def fetch_error(exc: CcTuiError, connection: str, steps: NextSteps, reload_key: str) -> str:
    """What to say when the account could not be reached through ``connection``."""
    if isinstance(exc, SignInRequiredError):
        return f"Connection '{connection}' is not signed in: {sign_in_hint(connection, steps)}."
    return (
        f"Could not reach the account ({exc}). {reload_key} tries again; you can still paste an ID."
    )


def _client(connections: ConnectionService, name: str) -> ConstantContactClient:
    # The form's questions are advice: offline, it says so after one retry, not after minutes.
    return connections.client(name, retry=ACCOUNT_CHECK_RETRY, timeout=ACCOUNT_CHECK_TIMEOUT)


async def fetch_lists(connections: ConnectionService, name: str) -> list[ListChoice]:
    """The account's contact lists, for the picker."""
    async with _client(connections, name) as client:
        lists = await client.contact_lists(include_membership_count=True)
    return [ListChoice(item.list_id, item.name, item.membership_count) for item in lists]


async def fetch_custom_fields(connections: ConnectionService, name: str) -> frozenset[str]:
    """The names (without ``cf:``) of the account's custom fields."""
    async with _client(connections, name) as client:
        return frozenset(item.name for item in await client.custom_fields())


async def check_list(connections: ConnectionService, name: str, list_id: str) -> ListChoice | str:
    """The list ``list_id`` of the account, or why it cannot be used.

    When the account cannot be asked, the id is taken unchecked (saving works offline; the
    save then says the lists were not checked).
    """
    try:
        async with _client(connections, name) as client:
            found = await client.contact_list(list_id)
    except NotFoundError:
        return f"The account has no list with ID {list_id}."
    except CcTuiError:
        return ListChoice(list_id, UNCHECKED_LIST)
    if found.deleted:
        return f"List '{found.name}' ({found.list_id}) was deleted in Constant Contact."
    return ListChoice(found.list_id, found.name, found.membership_count)
