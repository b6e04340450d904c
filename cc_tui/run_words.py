"""The words of a run's accounting, composed in one place for every face.

The command line, the app (live view, summary, history) and the event log all say what a run
did with these sentences, built from the same :class:`~cc_tui.models.run.RunFigures`, so they
cannot disagree: ``sent`` (the contacts to send), ``confirmed``, ``refused``,
``unsubscribed``, ``pending`` (awaiting confirmation, or not posted yet) and the rejected rows
by reason (docs/glossary.md). Plain text only: a face adds its own colours.
"""

from __future__ import annotations

from collections.abc import Mapping

from cc_tui.models.reasons import REJECT_REASONS
from cc_tui.models.run import RunFigures, RunRecord, RunStatus
from cc_tui.units import duration_text

__all__ = [
    "batches_phrase",
    "closing_sentence",
    "contacts_sentence",
    "counted",
    "noun",
    "pending_phrase",
    "reasons_phrase",
    "resume_sentence",
    "rows_sentence",
    "stand_phrase",
    "status_word",
    "time_sentence",
]


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """``singular`` for one, else ``plural`` (``singular + "s"`` unless given): the app and the
    CLI say "1 segment", "2 segments", never "segment(s)"."""
    return singular if count == 1 else (plural or f"{singular}s")


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``1 segment``, ``1,200 batches``: the count and its :func:`noun`."""
    return f"{count:,} {noun(count, singular, plural)}"


def status_word(record: RunRecord) -> str:
    """``succeeded``, ``interrupted``..., or ``preview`` / ``preview failed`` for a dry run."""
    if not record.dry_run:
        return record.status.value
    if record.status is RunStatus.SUCCEEDED:
        return "preview"
    return f"preview {record.status.value}"


def time_sentence(record: RunRecord) -> str:
    """Active time, and apart from it the span across attempts when there were several:
    ``12.3 s active`` / ``3 min 58 s active in 3 attempts, 1 h 02 min from first start to
    last stop``."""
    active = duration_text(record.duration_s)
    if record.attempts <= 1:
        return f"{active} active" if record.active_s is not None else active
    if record.active_s is None:  # recorded before active time was kept
        return f"{record.attempts} attempts over {duration_text(record.span_s)}"
    return (
        f"{active} active in {record.attempts} attempts, "
        f"{duration_text(record.span_s)} from first start to last stop"
    )


def reasons_phrase(rejected: Mapping[str, int], *, zeros: bool = True) -> str:
    """``missing_email 3, invalid_email 0, ...`` (every reason, or only those counted)."""
    parts = [
        f"{reason} {int(rejected.get(reason, 0)):,}"
        for reason in REJECT_REASONS
        if zeros or rejected.get(reason, 0)
    ]
    return ", ".join(parts) or "none"


def rows_sentence(figures: RunFigures, *, reasons: bool = True) -> str:
    """``rows read 1,000 = sent 950 + rejected 50 (missing_email 50, ...)``."""
    if figures.rows_read is None or figures.sent is None:
        return "rows read: not counted yet (checking e-mails)"
    text = (
        f"rows read {figures.rows_read:,} = sent {figures.sent:,} + "
        f"rejected {figures.rejected_total:,}"
    )
    if reasons:
        text += f" ({reasons_phrase(figures.rejected)})"
    return text


def pending_phrase(figures: RunFigures) -> str:
    """``12 awaiting confirmation, 30 not posted yet`` (the parts of ``pending``)."""
    parts = []
    if figures.awaiting:
        parts.append(f"{figures.awaiting:,} awaiting confirmation")
    if figures.not_posted:
        parts.append(f"{figures.not_posted:,} not posted yet")
    return ", ".join(parts)


def contacts_sentence(figures: RunFigures) -> str:
    """``sent 950 = confirmed 900 + refused 10 + unsubscribed 20 + pending 20 (20 awaiting
    confirmation)``; for a preview, what would be sent."""
    if figures.sent is None:
        return "sent: not counted yet (checking e-mails)"
    if figures.dry_run:
        return f"would send {figures.sent:,} contacts: a preview, nothing was sent"
    text = (
        f"sent {figures.sent:,} = confirmed {figures.confirmed:,} + refused "
        f"{figures.failed:,} + unsubscribed {figures.unsubscribed:,} + pending "
        f"{figures.pending:,}"
    )
    detail = pending_phrase(figures)
    return f"{text} ({detail})" if detail else text


def batches_phrase(batches: int, *, complete: bool, posted: int | None = None) -> str:
    """``24 batches`` once every batch is cut, ``13 batches so far`` before; with ``posted``:
    ``13/24 posted`` or ``13 posted of 20 cut so far``."""
    if posted is None:
        return counted(batches, "batch", "batches") + ("" if complete else " so far")
    if complete:
        return f"{posted:,}/{batches:,} posted"
    return f"{posted:,} posted of {batches:,} cut so far"


def closing_sentence(record: RunRecord) -> str:
    """One line saying how a run ended (the event log's last line, the CLI's notes)."""
    figures = record.figures
    if record.dry_run:
        if record.status is RunStatus.SUCCEEDED:
            return (
                f"Preview finished: {record.sent:,} contacts would be sent in "
                f"{batches_phrase(record.batches, complete=record.batches_complete)}, "
                f"{figures.rejected_total:,} rows rejected; nothing was sent"
            )
        return f"Preview {record.status.value}: {record.error}"
    if record.status is RunStatus.FAILED:
        return f"Run failed: {record.error}"
    if record.status is RunStatus.INTERRUPTED:
        return f"Run interrupted ({record.error}): {stand_phrase(figures)}"
    return (
        f"Run {record.status.value}: {contacts_sentence(figures)}; "
        f"{figures.rejected_total:,} rows rejected"
    )


def stand_phrase(figures: RunFigures) -> str:
    """Where an unfinished run stands: ``400 of 950 confirmed (3 refused, 2 unsubscribed),
    300 awaiting confirmation, 245 not posted yet``."""
    if figures.sent is None:
        return "stopped while checking e-mails; nothing was sent"
    text = f"{figures.confirmed:,} of {figures.sent:,} confirmed"
    others = [
        f"{count:,} {word}"
        for count, word in ((figures.failed, "refused"), (figures.unsubscribed, "unsubscribed"))
        if count
    ]
    if others:
        text += f" ({', '.join(others)})"
    detail = pending_phrase(figures)
    return f"{text}, {detail}" if detail else text


def resume_sentence(record: RunRecord) -> str:
    """What a resumed run takes up: ``Resuming run R (attempt 3): 400 of 950 confirmed, ...``."""
    stand = stand_phrase(record.figures)
    return f"Resuming run {record.run_id} (attempt {record.attempts}): {stand}"
