"""The simulated network: how late a /v3 request is counted, and how late it is answered.

A real network delays requests unevenly on their way in (so the server counts them closer
together, or further apart, than the client sent them) and answers on their way out. Both
delays are drawn from one ``random.Random`` of their own, seeded from the emulator's ``seed``
(a separate stream from the faults', so turning jitter on does not change which request gets a
fault): the same seed and the same order of requests give the same delays.
"""

from __future__ import annotations

import random
import threading

from cc_tui.emulator.settings import EmulatorSettings

__all__ = ["NetworkTiming"]

_STREAM = "network-timing"  # mixed into the seed so this stream differs from the faults'


class NetworkTiming:
    """Seeded draws of arrival jitter and answer latency; thread-safe."""

    def __init__(self, seed: int | None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random()
        self.seed = seed
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        """Start the sequence again from ``seed`` (None: unpredictable)."""
        with self._lock:
            self.seed = seed
            self._rng = random.Random(None if seed is None else f"{_STREAM}:{seed}")

    def arrival_delay(self, settings: EmulatorSettings) -> float:
        """Seconds before a request is counted: uniform in ``0..arrival_jitter``."""
        return self._uniform(0.0, settings.arrival_jitter)

    def answer_delay(self, settings: EmulatorSettings) -> float:
        """Seconds before a request is answered: ``latency``, or uniform in
        ``latency..latency_max`` when that is a range."""
        return self._uniform(settings.latency, max(settings.latency, settings.latency_max))

    def _uniform(self, low: float, high: float) -> float:
        if high <= low:  # no range: nothing drawn, so the sequence does not shift
            return low
        with self._lock:
            return self._rng.uniform(low, high)
