"""How to run an export: what a face asks of :class:`~cc_tui.engine.runner.ExportRunner`."""

from __future__ import annotations

from dataclasses import dataclass, field

from cc_tui.engine.batching import MAX_BATCH_BYTES, MAX_CONTACTS_PER_BATCH
from cc_tui.engine.reconciler import (
    DEFAULT_CLOCK_SKEW,
    DEFAULT_CREATION_WINDOW,
    DEFAULT_VISIBILITY_WAIT,
)
from cc_tui.next_steps import CLI_STEPS, NextSteps

__all__ = [
    "DEFAULT_ACTIVITY_DEADLINE",
    "DEFAULT_UPLOAD_WORKERS",
    "RunOptions",
    "SenderTiming",
]

DEFAULT_UPLOAD_WORKERS = 4
DEFAULT_ACTIVITY_DEADLINE = 2 * 3600.0  # seconds one activity may take, per process


@dataclass(frozen=True, slots=True)
class SenderTiming:
    """How often to poll activities, how long to wait for them, and how to settle lost answers.

    The clocks of the sending and confirming stages (:mod:`cc_tui.engine.sending`,
    :mod:`cc_tui.engine.confirming`), one value for both, so a face sets them in one place.

    While uploads still go, polls come at most every ``poll_busy`` seconds and only when every
    upload worker waits for a batch and the rate limiter has a free slot (a poll that delays an
    upload delays the whole run: the rate limit chains every later request to it). Once the
    uploads are done, the first poll waits ``poll_idle`` seconds and each poll that finds
    nothing finished waits ``backoff`` times longer, up to ``poll_max``.

    Whatever happens, polling spends at most ``poll_burst`` requests at once and one more every
    ``poll_refill`` seconds (:class:`~cc_tui.engine.poll_budget.PollBudget`): with the defaults
    at most 30 + 60 = **90 requests in any hour and 1,470 in any day, under 15% of Constant
    Contact's 10,000-request daily quota**, however many activities are watched. After the
    first few minutes of polling without progress there are at least 60 s between polls. An
    activity not final ``activity_deadline`` seconds after this process began watching it
    (2 h: at most 150 poll requests) stops the run, resumable, naming it.

    ``visibility_wait``, ``clock_skew`` and ``creation_window`` size the search for an import
    whose answer was lost (:mod:`cc_tui.engine.reconciler`); each such search reads the
    activity list at most eight times in the 30 s it may wait (more only to page back).
    """

    poll_busy: float = 4.0
    poll_idle: float = 0.1
    poll_max: float = 60.0
    backoff: float = 1.5
    poll_burst: int = 30
    poll_refill: float = 60.0
    activity_deadline: float = DEFAULT_ACTIVITY_DEADLINE
    visibility_wait: float = DEFAULT_VISIBILITY_WAIT
    clock_skew: float = DEFAULT_CLOCK_SKEW
    creation_window: float = DEFAULT_CREATION_WINDOW


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run: dry run, restart, and knobs tests and benchmarks turn.

    ``timing`` holds the sender's clocks: how often activities are polled (within a stated
    share of the daily quota), how long one activity may take before the run stops resumable
    (``activity_deadline``, 2 h; ``cc-tui run --activity-deadline``), and how long an import
    whose answer was lost is looked for before it is sent again (``visibility_wait``).
    """

    dry_run: bool = False
    restart: bool = False
    cap: int | None = None  # lower the contact cap (tests)
    workers: int = DEFAULT_UPLOAD_WORKERS
    max_batch_contacts: int = MAX_CONTACTS_PER_BATCH
    max_batch_bytes: int = MAX_BATCH_BYTES
    timing: SenderTiming = field(default_factory=SenderTiming)
    steps: NextSteps = CLI_STEPS  # the words of the face that runs it for "what to do next"
