"""A run while it goes: its stage (:class:`Phase`), the lines of its story, and the snapshot an
observer shows (:class:`RunProgress`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cc_tui.models.run import RunFigures

__all__ = ["Phase", "RunEvent", "RunProgress"]


class Phase(StrEnum):
    """The stages of a run, in order."""

    RESOLVING = "resolving"
    CHECKING_EMAILS = "checking e-mails"
    SENDING = "sending"
    CONFIRMING = "confirming"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class RunEvent:
    """One line of the run's story ("batch 3 confirmed: 39,987 added, 13 refused")."""

    at: datetime
    message: str
    level: str = "info"  # info | warning | error
    milestone: bool = False
    """A line that says where the whole run stands (it resumes, it ended): faces keep it in
    view, where other lines scroll away."""


@dataclass(frozen=True, slots=True)
class RunProgress:
    """Everything an observer may show about a run at one moment."""

    run_id: str
    export: str
    dry_run: bool
    phase: Phase
    rows_total: int | None = None  # every input row (known after the e-mail check)
    rows_read: int = 0  # rows through preparation so far
    contacts_total: int | None = None  # contacts to send (known after the e-mail check)
    rejected: Mapping[str, int] = field(default_factory=dict)
    fields_changed: int = 0  # values sent in a changed form so far (see RunRecord.fields)
    fields_dropped: int = 0  # values left out of their contact so far
    batches_total: int | None = None  # set once pass 2 cut every batch (None: not yet known)
    batches_cut: int = 0  # batches cut so far (the head start's included)
    batches_posted: int = 0
    batches_done: int = 0
    in_flight: int = 0  # batches posted and not final yet
    contacts_posted: int = 0
    confirmed: int = 0
    failed: int = 0
    unsubscribed: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    bytes_sent: int = 0
    elapsed: float = 0.0  # seconds of this attempt
    throughput: float = 0.0  # contacts per second, recent (posting and confirming, weighted)
    eta: float | None = None  # seconds left, once there is a throughput
    attempt: int = 1  # 2 and more: a resumed run
    earlier_active: float = 0.0  # seconds earlier attempts of the run were at work

    @property
    def figures(self) -> RunFigures:
        """The accounted figures so far (``sent`` None until pass 1 counted the rows)."""
        return RunFigures(
            dry_run=self.dry_run,
            rows_read=self.rows_total,
            sent=self.contacts_total,
            rejected=self.rejected,
            posted=self.contacts_posted,
            confirmed=self.confirmed,
            failed=self.failed,
            unsubscribed=self.unsubscribed,
        )

    @property
    def done_fraction(self) -> float:
        """0..1 of the work on the contacts to send (see :attr:`RunFigures.fraction`)."""
        if not self.contacts_total:
            return 1.0 if self.phase is Phase.FINISHED else 0.0
        if self.phase is Phase.FINISHED and self.dry_run:
            return 1.0
        if self.dry_run:  # a preview's work is building the batches: nothing is posted
            return min(1.0, self.rows_read / self.rows_total) if self.rows_total else 0.0
        return self.figures.fraction
