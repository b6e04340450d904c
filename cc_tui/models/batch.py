"""One batch (one JSON import request) as the history checkpoints it: its state and activities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["BatchRecord", "BatchState"]


class BatchState(StrEnum):
    """Checkpointed life of one batch: ``pending → uploading → posted → confirmed | failed``.

    ``uploading`` is written, with the send time, *before* the import request goes out, so a
    batch whose answer was lost (killed during the upload, an ambiguous 5xx, a dropped
    connection, a timeout) is known to be in doubt. It is never sent again blindly: its import
    is first looked for among the account's recent activities and claimed if found; only when
    it is not there is the batch sent again.
    """

    PENDING = "pending"
    """Built, and certainly not (or no longer) at Constant Contact: the next step sends it."""
    UPLOADING = "uploading"
    """Its import request went out at ``sent_at`` and no answer is recorded: in doubt."""
    POSTED = "posted"
    """Its import activity is known (answered, or claimed among recent activities)."""
    CONFIRMED = "confirmed"
    """An activity of it completed; its counters are the batch's accounting."""
    FAILED = "failed"
    """Its activities ended failed, cancelled or timed out as often as a batch may try."""


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """The checkpoint of one batch of a run."""

    run_id: str
    seq: int
    state: BatchState
    contacts: int
    bytes: int
    digest: str
    attempts: int = 0
    """Import activities of this batch waited on (answered or claimed); a process killed
    during an upload uses none: its activity is claimed, or the batch is sent as if new."""
    activity_id: str | None = None
    """The activity the batch waits on, or was accounted from."""
    activity_state: str | None = None
    confirmed: int = 0
    failed: int = 0
    unsubscribed: int = 0
    errors: tuple[str, ...] = ()
    """Constant Contact's ``activity_errors`` texts of the accounted activity, as sent (they
    have no documented format: kept for people, never parsed for counts)."""
    posted_at: datetime | None = None
    finished_at: datetime | None = None
    sent_at: datetime | None = None
    """When the latest import request of the batch went out (written before it did)."""
    uploads: int = 0
    """Import requests sent for this batch, lost ones included."""
    activity_ids: tuple[str, ...] = ()
    """Every activity known to hold this batch, oldest first (failed ones included)."""
