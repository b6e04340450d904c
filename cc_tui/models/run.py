"""A run as the history records it: its status, its accounting (:class:`RunFigures`) and its
record (:class:`RunRecord`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from cc_tui.models.reasons import (
    FIELD_CHANGED_PREFIX,
    FIELD_DROPPED_PREFIX,
    REJECT_REASONS,
)
from cc_tui.models.verification import Verification
from cc_tui.paths import RunPaths

__all__ = ["POSTED_WEIGHT", "RunFigures", "RunRecord", "RunStatus"]


class RunStatus(StrEnum):
    """Where a run stands. ``running`` is only ever seen while its process lives."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"  # every contact confirmed (unsubscribed ones included)
    PARTIAL = "partial"  # finished, but Constant Contact refused some contacts
    FAILED = "failed"  # stopped by an error that a resume would not fix
    INTERRUPTED = "interrupted"  # stopped part-way; `cc-tui run NAME` resumes it

    @property
    def is_final(self) -> bool:
        """True once nothing more will happen to the run (it cannot be resumed)."""
        return self in {RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED}


# How far a contact counts towards a run's progress once its batch is posted (Constant Contact
# holds it); reaching a final state (confirmed, refused, unsubscribed) counts the rest. Posting
# is most of a run's wall time with the emulator and a real account alike (4 requests a second),
# so the bar, the rate and the ETA move while contacts go out instead of waiting for the
# activities to finish.
POSTED_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class RunFigures:
    """The accounted figures of a run at one moment: what every face shows, from one place.

    ``rows_read = sent + sum(rejected)`` (``sent``: the contacts to send, valid rows) and
    ``sent = confirmed + failed + unsubscribed + pending``, where ``pending`` splits into
    contacts ``awaiting`` confirmation (their batch is posted) and contacts ``not_posted`` yet.
    ``failed`` is what the faces call **refused** (the JSON says ``refused``, and ``failed`` too
    for older scripts). ``sent`` is None while pass 1 has not counted the rows yet.
    """

    dry_run: bool
    rows_read: int | None
    sent: int | None
    rejected: Mapping[str, int]
    posted: int
    confirmed: int
    failed: int
    unsubscribed: int

    @property
    def final(self) -> int:
        """Contacts that reached a final state: confirmed, refused or unsubscribed."""
        return self.confirmed + self.failed + self.unsubscribed

    @property
    def pending(self) -> int:
        """Contacts to send that are not final yet (awaiting confirmation or not posted)."""
        return max(0, (self.sent or 0) - self.final)

    @property
    def awaiting(self) -> int:
        """Contacts posted to Constant Contact whose activity has not ended yet."""
        return max(0, self.posted - self.final)

    @property
    def not_posted(self) -> int:
        """Contacts to send whose batch has not reached Constant Contact (yet): the pending
        ones that are not awaiting confirmation."""
        return max(0, self.pending - self.awaiting)

    @property
    def rejected_total(self) -> int:
        """Input rows not sent, every reason."""
        return sum(int(self.rejected.get(reason, 0)) for reason in REJECT_REASONS)

    @property
    def fraction(self) -> float:
        """0..1 of the work on the contacts to send: posting counts :data:`POSTED_WEIGHT` of a
        contact, reaching a final state the rest."""
        if not self.sent:
            return 0.0
        done = POSTED_WEIGHT * self.posted + (1 - POSTED_WEIGHT) * self.final
        return min(1.0, done / self.sent)

    def problems(self) -> list[str]:
        """The identities that do not hold (empty when the figures are consistent)."""
        found = []
        counted = self.sent is not None and self.rows_read is not None
        if counted and self.rows_read != (self.sent or 0) + self.rejected_total:
            found.append(
                f"rows_read {self.rows_read} != sent {self.sent} + rejected {self.rejected_total}"
            )
        if self.sent is not None:
            if self.sent != self.final + self.pending:
                found.append(f"sent {self.sent} < final {self.final}")
            if self.posted > self.sent:
                found.append(f"posted {self.posted} > sent {self.sent}")
            if self.posted - self.final > self.pending:
                found.append(f"awaiting {self.posted - self.final} > pending {self.pending}")
        if self.final > self.posted:
            found.append(f"final {self.final} > posted {self.posted}")
        return found


def _reason_total(fields: Mapping[str, Mapping[str, int]], prefix: str) -> int:
    return sum(
        count
        for reasons in fields.values()
        for reason, count in reasons.items()
        if reason.startswith(prefix)
    )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of an export, as the history keeps it and ``--json`` prints it.

    Accounting, always (:class:`RunFigures`): ``rows_read = sent + sum(rejected)`` and
    ``sent = confirmed + failed + unsubscribed + pending``, where ``pending`` (contacts not
    final yet: ``posted`` ones awaiting confirmation, and those not posted yet) is zero once a
    run has finished; a dry run sends nothing, so for it every contact to send stays pending.

    Time: ``started_at`` is the first attempt's start and ``finished_at`` the last attempt's
    end; ``active_s`` sums the attempts that ended (None for runs recorded before cc-tui kept
    it), and ``attempt_started_at`` is when the latest attempt began.
    """

    run_id: str
    export: str
    connection: str | None
    status: RunStatus
    dry_run: bool
    os_user: str
    started_at: datetime
    finished_at: datetime | None = None
    attempts: int = 1
    rows_read: int = 0
    sent: int = 0
    confirmed: int = 0
    failed: int = 0
    unsubscribed: int = 0
    # Every reason, zeros included: a run that stopped before pass 1 ended reads back the same.
    rejected: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(REJECT_REASONS, 0))
    fields: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Optional fields changed or left out, per field and :class:`FieldReason`:
    ``{"anniversary": {"dropped_invalid_date": 809}}``. They never change a row's class."""
    truncated: int = 0
    """Values cut short by cc-tui versions before fields were checked; new runs never cut a
    value (an over-long one is dropped and counted in ``fields``), so this stays 0."""
    batches: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    bytes_sent: int = 0
    error: str | None = None
    rejected_rows_file: str | None = None
    unseen: bool = False
    """Finished in the app while its summary was not on screen; cleared once it is shown."""
    posted: int = 0
    """Contacts whose batch reached Constant Contact (posted, confirmed or failed batches)."""
    batches_complete: bool = False
    """True once pass 2 cut every batch: ``batches`` is then the real total, else so far."""
    active_s: float | None = None
    """Seconds the attempts that ended were at work (None: recorded before it was kept)."""
    attempt_started_at: datetime | None = None
    """When the latest attempt began."""
    updated_at: datetime | None = field(default=None, compare=False)
    """When the history last wrote the record (a killed attempt worked until about then);
    bookkeeping of the store, not part of the run's account."""
    verification: Verification | None = None
    """The last check that the confirmed contacts are on the lists (None: never checked)."""

    @property
    def figures(self) -> RunFigures:
        """The accounted figures (the one source every face shows)."""
        return RunFigures(
            dry_run=self.dry_run,
            rows_read=self.rows_read,
            sent=self.sent,
            rejected=self.rejected,
            posted=self.posted,
            confirmed=self.confirmed,
            failed=self.failed,
            unsubscribed=self.unsubscribed,
        )

    @property
    def pending(self) -> int:
        """Contacts to send that are not confirmed, refused or unsubscribed (yet)."""
        return self.sent - self.confirmed - self.failed - self.unsubscribed

    @property
    def refused(self) -> int:
        """Contacts Constant Contact refused (the code's older word: ``failed``)."""
        return self.failed

    @property
    def span_s(self) -> float:
        """Seconds from the first attempt's start to the last one's end (to now while it
        runs), the gaps between attempts included."""
        end = self.finished_at or datetime.now(UTC)
        return max(0.0, (end - self.started_at).total_seconds())

    @property
    def duration_s(self) -> float:
        """Seconds the run was at work, over every attempt (to now while an attempt runs);
        the span for runs recorded before active time was kept."""
        if self.active_s is None:
            return self.span_s
        current = 0.0
        if self.finished_at is None and self.attempt_started_at is not None:
            current = (datetime.now(UTC) - self.attempt_started_at).total_seconds()
        return max(0.0, self.active_s + current)

    @property
    def field_problems_file(self) -> str | None:
        """This run's ``field_problems.csv`` (beside the rejected rows), if it has a folder."""
        if not self.rejected_rows_file:
            return None
        return str(RunPaths.beside(self.rejected_rows_file).field_problems)

    @property
    def would_send_file(self) -> str | None:
        """A dry run's ``would_send.jsonl`` (beside the rejected rows), if it has a folder."""
        if not self.rejected_rows_file:
            return None
        return str(RunPaths.beside(self.rejected_rows_file).would_send)

    @property
    def fields_changed(self) -> int:
        """Values sent in a changed form (``changed_*`` reasons), over every field."""
        return _reason_total(self.fields, FIELD_CHANGED_PREFIX)

    @property
    def fields_dropped(self) -> int:
        """Values left out of their contact (``dropped_*`` reasons), over every field."""
        return _reason_total(self.fields, FIELD_DROPPED_PREFIX)

    def to_json(self) -> dict[str, object]:
        """The JSON summary (README.md, "JSON summary"): the record's figures, plus ``refused``,
        ``posted``, ``pending``, ``fields`` (sorted by field, then reason), ``field_problems_file``,
        ``attempts``, ``span_s``, ``batches_complete`` and the legacy ``truncated`` (kept so
        scripts that read it keep working; 0 for every run that checks fields).

        ``failed`` repeats ``refused`` for scripts written before the faces' word became the
        JSON's (README, "JSON summary"): kept until cc-tui 2.0. ``duration_s`` is the active
        time over every attempt; ``span_s`` includes the gaps between attempts.
        """
        return {
            "run_id": self.run_id,
            "export": self.export,
            "status": self.status.value,
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "sent": self.sent,
            "confirmed": self.confirmed,
            "refused": self.failed,
            "failed": self.failed,
            "unsubscribed": self.unsubscribed,
            "pending": self.pending,
            "posted": self.posted,
            "rejected": {reason: int(self.rejected.get(reason, 0)) for reason in REJECT_REASONS},
            "fields": {
                name: dict(sorted(reasons.items())) for name, reasons in sorted(self.fields.items())
            },
            "truncated": self.truncated,
            "batches": self.batches,
            "batches_complete": self.batches_complete,
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "rejected_rows_file": self.rejected_rows_file,
            "field_problems_file": self.field_problems_file,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_s": round(self.duration_s, 3),
            "span_s": round(self.span_s, 3),
            "attempts": self.attempts,
            "error": self.error,
            "verification": self.verification.to_json() if self.verification else None,
        }
