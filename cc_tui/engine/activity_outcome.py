"""What one finished import activity means for its batch: counts, and the rows to report.

The activity's state and counters are the only source of a batch's accounting (the API
contract documents them; ``activity_errors`` texts have no documented format and vary). The
texts are kept in the batch record for people, and used for one convenience only: a refused
contact whose e-mail address a text names gets that text beside its row in rejected.csv.

Why by e-mail and not by "Row N": a row number's base and meaning are not documented (0- or
1-based, counted in the request or in some file, header included or not), so a text that
changed its wording could silently name the wrong contact. An e-mail address is the key of
Constant Contact's upsert and unique within a batch (a run sends each address once), so a text
that contains it is about that contact. The rows named are capped at the refused count from
the counters and each is named once: the texts can never change a count, and refused contacts
no text names are reported as such in the run's events rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import polars as pl

from cc_tui.constant_contact.schemas import Activity
from cc_tui.engine.batching import REF_EMAIL
from cc_tui.models.batch import BatchRecord, BatchState

__all__ = ["COMPLETED", "final_record", "named_rows", "posted_record", "unfinished_detail"]

COMPLETED = "completed"  # the one final state whose counters say what reached the list
_EMAIL_IN_TEXT = re.compile(r"[^\s:;,'\"<>()\[\]{}]+@[^\s:;,'\"<>()\[\]{}]+")


def posted_record(
    record: BatchRecord, activity: Activity, now: datetime, duplicates: Sequence[str] = ()
) -> BatchRecord:
    """The batch's checkpoint once ``activity`` is known to hold it (answered, or claimed among
    the recent activities); ``duplicates`` are other activities found holding it too."""
    return replace(
        record,
        state=BatchState.POSTED,
        activity_id=activity.activity_id,
        activity_state=activity.state,
        attempts=record.attempts + 1,
        posted_at=now,
        activity_ids=(*record.activity_ids, activity.activity_id, *duplicates),
    )


def final_record(record: BatchRecord, activity: Activity, now: datetime) -> BatchRecord:
    """The batch's checkpoint once ``activity`` (the one accounted) reached a final state.

    Completed: Constant Contact's counters split the batch into added or updated
    (``confirmed``), refused (``error_count + correctable_count``, plus any contacts it did not
    take at all) and kept off the list because they unsubscribed (``cannot_add_to_list_count``).
    Failed, cancelled or timed out: nothing of the batch is vouched for, so all of it is
    ``failed``. Either way ``confirmed + failed + unsubscribed`` is the batch's contact count.
    """
    contacts = record.contacts
    common = replace(
        record,
        activity_id=activity.activity_id,
        activity_state=activity.state,
        errors=activity.activity_errors,
        finished_at=now,
    )
    if activity.state != COMPLETED:
        return replace(
            common, state=BatchState.FAILED, confirmed=0, failed=contacts, unsubscribed=0
        )
    status = activity.status
    total = status.items_total_count
    not_taken = contacts - total if 0 < total < contacts else 0
    unsubscribed = min(status.cannot_add_to_list_count, contacts - not_taken)
    errors = status.error_count + status.correctable_count
    failed = min(errors, contacts - not_taken - unsubscribed) + not_taken
    return replace(
        common,
        state=BatchState.CONFIRMED,
        confirmed=contacts - unsubscribed - failed,
        failed=failed,
        unsubscribed=unsubscribed,
    )


def named_rows(
    errors: Sequence[str], refs: pl.DataFrame, limit: int
) -> tuple[list[int], list[str]]:
    """Rows of the batch (positions in ``refs``) whose e-mail an error text names, at most
    ``limit`` of them, each once, with the text that names it (see the module docstring)."""
    if limit <= 0 or not errors:
        return [], []
    positions = {email: i for i, email in enumerate(refs.get_column(REF_EMAIL).to_list())}
    indexes: list[int] = []
    details: list[str] = []
    seen: set[int] = set()
    for text in errors:
        for candidate in _EMAIL_IN_TEXT.findall(text):
            index = positions.get(candidate.strip(".").lower())
            if index is not None and index not in seen:
                seen.add(index)
                indexes.append(index)
                details.append(text)
                break
        if len(indexes) >= limit:
            break
    return indexes, details


def unfinished_detail(record: BatchRecord) -> str:
    """The rejected.csv detail of a batch whose every activity ended badly."""
    text = f"import activity {record.activity_id} ended {record.activity_state}"
    if record.errors:
        text += f": {record.errors[0]}"
    return text
