"""What a run reports while it goes: immutable snapshots and events for any observer.

The runner updates a :class:`ProgressTracker` from its threads and tasks; observers (the live
command-line display, the app's run view, ``--json`` collectors) receive frozen
:class:`RunProgress` snapshots about ten times a second and :class:`RunEvent` lines as things
happen. Observers never see the tracker itself.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from cc_tui.models.run import POSTED_WEIGHT
from cc_tui.models.run_progress import Phase, RunEvent, RunProgress

__all__ = [
    "PROGRESS_INTERVAL",
    "Phase",
    "ProgressTracker",
    "RunEvent",
    "RunObserver",
    "RunProgress",
]

PROGRESS_INTERVAL = 0.1  # seconds between snapshots (about ten a second)
# Seconds of history behind the throughput figure. Long enough to hold several batches (one
# batch of up to 40,000 contacts is posted in one step, and a run posts at most four a second),
# so the rate neither reads 0 between batches nor leaps when a burst of activities ends; short
# enough to follow a long run's changes of pace.
_RATE_WINDOW = 30.0
_RECENT_EVENTS = 50


RunObserver = Callable[[RunProgress], None]
EventObserver = Callable[[RunEvent], None]


class ProgressTracker:
    """Thread-safe counters behind the snapshots; also keeps the recent events."""

    def __init__(
        self,
        run_id: str,
        export: str,
        *,
        dry_run: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._started = clock()
        self._state = RunProgress(
            run_id=run_id, export=export, dry_run=dry_run, phase=Phase.RESOLVING
        )
        self._samples: deque[tuple[float, float]] = deque()
        self.events: deque[RunEvent] = deque(maxlen=_RECENT_EVENTS)
        self._event_observers: list[EventObserver] = []

    def update(self, **changes: object) -> None:
        """Set fields of the next snapshot."""
        with self._lock:
            self._state = replace(self._state, **changes)  # type: ignore[arg-type]

    def at_least(self, **values: int) -> None:
        """Raise counters of the next snapshot to at least ``values`` (never lower them)."""
        with self._lock:
            state = self._state
            self._state = replace(
                state, **{name: max(getattr(state, name), value) for name, value in values.items()}
            )

    def rebase_rate(self) -> None:
        """Measure the throughput from now on: what was just counted (imports of an earlier
        attempt found to have arrived) is not this attempt's pace."""
        with self._lock:
            self._samples.clear()
            self._samples.append((self._clock(), _work(self._state)[0]))

    def add(self, **increments: int) -> None:
        """Add to counters of the next snapshot."""
        with self._lock:
            state = self._state
            self._state = replace(
                state, **{name: getattr(state, name) + value for name, value in increments.items()}
            )

    def current(self) -> RunProgress:
        """The counters as they are (no throughput sample taken)."""
        with self._lock:
            return self._state

    def on_event(self, observer: EventObserver) -> None:
        """Call ``observer`` for every event from now on."""
        self._event_observers.append(observer)

    def event(self, message: str, level: str = "info", *, milestone: bool = False) -> None:
        """Record an event and tell the event observers (see :attr:`RunEvent.milestone`)."""
        item = RunEvent(at=datetime.now(UTC), message=message, level=level, milestone=milestone)
        with self._lock:
            self.events.append(item)
        for observer in self._event_observers:
            observer(item)

    def snapshot(self) -> RunProgress:
        """The current state, with elapsed time, throughput and ETA filled in.

        Throughput and ETA count work in contacts the way the progress bar does
        (:attr:`~cc_tui.models.run.RunFigures.fraction`): a posted contact is part of the way, a
        final one all of it; so they move while contacts go out, and the rate is the pace of
        the last :data:`_RATE_WINDOW` seconds of this attempt. (A preview posts nothing: its
        work is the rows pass 2 has built.) What a resumed run's checkpoints already held is
        the starting point, not part of the pace.
        """
        with self._lock:
            state = self._state
            now = self._clock()
            done, total = _work(state)
            if not self._samples:
                self._samples.append((self._started, done))
            self._samples.append((now, done))
            while len(self._samples) > 2 and now - self._samples[1][0] >= _RATE_WINDOW:
                self._samples.popleft()
        first_time, first_done = self._samples[0]
        span = now - first_time
        rate = max(0.0, (done - first_done) / span) if span > 0 else 0.0
        eta = None
        if total and rate > 0 and state.phase is not Phase.FINISHED:
            eta = max(0.0, (total - done) / rate)
        return replace(state, elapsed=now - self._started, throughput=rate, eta=eta)


def _work(state: RunProgress) -> tuple[float, int]:
    """Work done so far and in all, in contacts (rows for a preview); the total is 0 while
    pass 1 has not counted the contacts yet."""
    if state.dry_run:
        return float(state.rows_read), state.rows_total or 0
    final = state.confirmed + state.failed + state.unsubscribed
    done = POSTED_WEIGHT * state.contacts_posted + (1 - POSTED_WEIGHT) * final
    return done, state.contacts_total or 0
