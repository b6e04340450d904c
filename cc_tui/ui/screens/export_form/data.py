"""What the export form reads: segment columns and samples, row counts, lists, custom fields.

The service reads the files and asks the account (it holds the connection's tokens); these turn
its answers into what the form shows, and the fetching ones are coroutines for async workers.
None of them touches a widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cc_tui.errors import CcTuiError, SignInRequiredError
from cc_tui.next_steps import NextSteps
from cc_tui.service.failure_kinds import kind_of
from cc_tui.service.protocol import FailureKind
from cc_tui.ui.screens.export_form.checks import sign_in_hint
from cc_tui.ui.widgets.list_picker import ListChoice

if TYPE_CHECKING:
    from cc_tui.service.home_client import HomeClient
    from cc_tui.service.segment_views import SegmentShown

__all__ = [
    "UNCHECKED_LIST",
    "ColumnsRead",
    "check_list",
    "columns_shown",
    "common_columns",
    "fetch_custom_fields",
    "fetch_error",
    "fetch_lists",
    "merged_samples",
    "rows_note",
]

SAMPLE_ROWS = 5
UNCHECKED_LIST = "(not checked: the account could not be asked)"


@dataclass(frozen=True, slots=True)
class ColumnsRead:
    """A segment's columns and the first non-empty values of each (or why it is unreadable)."""

    columns: tuple[str, ...] = ()
    samples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    error: str = ""


def columns_shown(shown: SegmentShown) -> ColumnsRead:
    """Columns and sample values of a segment, from what the service read of it."""
    columns = tuple(name for name, _ in shown.columns)
    samples: dict[str, tuple[str, ...]] = {}
    for name in shown.header:
        values = (row.get(name) for row in shown.preview)
        texts = (str(value).strip() for value in values if value is not None)
        samples[name] = tuple(text for text in texts if text)
    return ColumnsRead(columns, samples)


def rows_note(rows: int | None, error: str | None) -> str:
    """What the picker says beside a segment whose rows could not be counted ("" if they were)."""
    if rows is not None:
        return ""
    return "(unreadable)" if not error else f"(unreadable: {error[:60]})"


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
    if kind_of(exc).needs_sign_in:
        return f"Connection '{connection}' is not signed in: {sign_in_hint(connection, steps)}."
    return (
        f"Could not reach the account ({exc}). {reload_key} tries again; you can still paste an ID."
    )


def _as_sign_in_required(exc: CcTuiError, connection: str) -> CcTuiError:
    """The service's "not signed in yet" refusal as the engine's error, so a save's note about
    the unchecked lists words the way to sign in as the app does (the error, and whether the
    connection ever signed in, stay in the service; the refusal's kind says it)."""
    if kind_of(exc) is FailureKind.NEVER_SIGNED_IN:
        return SignInRequiredError.never_signed_in(connection)
    return exc


async def fetch_lists(client: HomeClient, name: str) -> list[ListChoice]:
    """The account's contact lists, for the picker."""
    try:
        lists = await client.contact_lists(name)
    except CcTuiError as exc:
        raise _as_sign_in_required(exc, name) from None
    return [ListChoice(item.list_id, item.name, item.membership_count) for item in lists]


async def fetch_custom_fields(client: HomeClient, name: str) -> frozenset[str]:
    """The names (without ``cf:``) of the account's custom fields."""
    try:
        return await client.custom_fields(name)
    except CcTuiError as exc:
        raise _as_sign_in_required(exc, name) from None


async def check_list(client: HomeClient, name: str, list_id: str) -> ListChoice | str:
    """The list ``list_id`` of the account, or why it cannot be used.

    When the account cannot be asked, the id is taken unchecked (saving works offline; the
    save then says the lists were not checked).
    """
    try:
        answer = await client.find_list(name, list_id)
    except CcTuiError:
        return ListChoice(list_id, UNCHECKED_LIST)
    if answer.problem is not None:
        return answer.problem
    if answer.found is None:
        return ListChoice(list_id, UNCHECKED_LIST)
    found = answer.found
    return ListChoice(found.list_id, found.name, found.membership_count)
