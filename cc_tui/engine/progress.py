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

from cc_tui.models import Phase, RunEvent, RunProgress

__all__ = [
    "PROGRESS_INTERVAL",
    "Phase",
    "ProgressTracker",
    "RunEvent",
    "RunObserver",
    "RunProgress",
]

PROGRESS_INTERVAL = 0.1  # seconds between snapshots (about ten a second)
_RATE_WINDOW = 5.0  # seconds of history behind the throughput figure
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
            run_id=run_id, export=export, dry_run=dry_run, phase=Phase.PLANNING
        )
        self._samples: deque[tuple[float, int]] = deque()
        self.events: deque[RunEvent] = deque(maxlen=_RECENT_EVENTS)
        self._event_observers: list[EventObserver] = []

    def update(self, **changes: object) -> None:
        """Set fields of the next snapshot."""
        with self._lock:
            self._state = replace(self._state, **changes)  # type: ignore[arg-type]

    def add(self, **increments: int) -> None:
        """Add to counters of the next snapshot."""
        with self._lock:
            state = self._state
            self._state = replace(
                state, **{name: getattr(state, name) + value for name, value in increments.items()}
            )

    def on_event(self, observer: EventObserver) -> None:
        """Call ``observer`` for every event from now on."""
        self._event_observers.append(observer)

    def event(self, message: str, level: str = "info") -> None:
        """Record an event and tell the event observers."""
        item = RunEvent(at=datetime.now(UTC), message=message, level=level)
        with self._lock:
            self.events.append(item)
        for observer in self._event_observers:
            observer(item)

    def snapshot(self) -> RunProgress:
        """The current state, with elapsed time, throughput and ETA filled in."""
        with self._lock:
            state = self._state
            now = self._clock()
            done = state.confirmed + state.failed + state.unsubscribed
            self._samples.append((now, done))
            while len(self._samples) > 2 and now - self._samples[0][0] > _RATE_WINDOW:
                self._samples.popleft()
        first_time, first_done = self._samples[0]
        span = now - first_time
        rate = (done - first_done) / span if span > 0 else 0.0
        eta = None
        if state.contacts_total is not None and rate > 0:
            eta = max(0.0, (state.contacts_total - done) / rate)
        return replace(state, elapsed=now - self._started, throughput=rate, eta=eta)
