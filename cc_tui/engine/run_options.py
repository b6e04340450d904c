"""How to run an export: what a face asks of :class:`~cc_tui.engine.runner.ExportRunner`."""

from __future__ import annotations

from dataclasses import dataclass, field

from cc_tui.engine.batching import MAX_BATCH_BYTES, MAX_CONTACTS_PER_BATCH
from cc_tui.engine.sending import DEFAULT_UPLOAD_WORKERS, SenderTiming
from cc_tui.next_steps import CLI_STEPS, NextSteps

__all__ = ["RunOptions"]


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
