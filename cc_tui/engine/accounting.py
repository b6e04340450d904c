"""The run's account: a record's figures from what its stages left behind.

One accounting for every face (``docs/architecture.md``, "Run accounting"): the row figures
come from pass 1's classification (``rows_read = sent + rejected``), the contact figures from
the batch checkpoints alone (``posted``, ``confirmed``, ``refused``, ``unsubscribed``), so a
resumed attempt starts from what the history holds and a killed one loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from cc_tui.engine.email_check import Classification, RowClass
from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.models.run import RunRecord

__all__ = [
    "checkpoint_counts",
    "checkpoint_figures",
    "classified_figures",
    "row_figures",
    "uncounted_figures",
]

# Batch states whose contacts reached Constant Contact, and those that are final.
_POSTED_STATES = frozenset({BatchState.POSTED, BatchState.CONFIRMED, BatchState.FAILED})
_FINAL_STATES = frozenset({BatchState.CONFIRMED, BatchState.FAILED})


def row_figures(classification: Classification) -> tuple[int, dict[str, int]]:
    """Pass 1's figures: the contacts to send, and the rejected rows by reason (a
    :class:`~cc_tui.models.reasons.RejectReason`)."""
    counts = classification.counts()
    rejected: dict[str, int] = {c.reason: n for c, n in counts.items() if c is not RowClass.SENT}
    return counts[RowClass.SENT], rejected


def classified_figures(run: RunRecord, classification: Classification) -> RunRecord:
    """``run`` with the row figures of pass 1: rows read, contacts to send, rejected rows."""
    sent, rejected = row_figures(classification)
    return replace(run, rows_read=classification.rows_read, sent=sent, rejected=rejected)


def uncounted_figures(run: RunRecord) -> RunRecord:
    """``run`` stopped before pass 1 counted its rows (no attempt has): row figures from what
    its posted batches prove, so the identities hold until a resumed attempt counts them all.

    The head start posts batches from the first rows while pass 1 still reads; every contact
    posted was read, valid and sent, so those are the rows known so far.
    """
    if run.sent >= run.posted:
        return run
    return replace(run, sent=run.posted, rows_read=run.posted + sum(run.rejected.values()))


def checkpoint_figures(run: RunRecord, batches: Iterable[BatchRecord]) -> RunRecord:
    """``run`` with its contact figures from its batch checkpoints: the one accounting of
    sending (posted, confirmed, refused, unsubscribed)."""
    posted = confirmed = failed = unsubscribed = 0
    for batch in batches:
        if batch.state in _POSTED_STATES:
            posted += batch.contacts
        if batch.state in _FINAL_STATES:
            confirmed += batch.confirmed
            failed += batch.failed
            unsubscribed += batch.unsubscribed
    return replace(
        run, posted=posted, confirmed=confirmed, failed=failed, unsubscribed=unsubscribed
    )


def checkpoint_counts(batches: Iterable[BatchRecord]) -> dict[str, int]:
    """The progress counters a resumed run starts from (see :func:`checkpoint_figures`)."""
    batches = list(batches)
    posted = [b for b in batches if b.state in _POSTED_STATES]
    final = [b for b in batches if b.state in _FINAL_STATES]
    return {
        "contacts_posted": sum(b.contacts for b in posted),
        "confirmed": sum(b.confirmed for b in final),
        "failed": sum(b.failed for b in final),
        "unsubscribed": sum(b.unsubscribed for b in final),
        "batches_posted": len(posted),
        "batches_done": len(final),
    }
