"""A token bucket that bounds how many requests polling may spend, whatever happens.

Every poll request takes a token; the bucket holds at most ``burst`` tokens and gains one every
``refill`` seconds. So in any stretch of T seconds polling sends at most ``burst + T / refill``
requests: brisk polls while imports are young, then (the bucket empty) one every ``refill``
seconds, however many activities are watched or how long they take.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["PollBudget"]

_EPSILON = 1e-9  # tokens: a sleep of exactly wait() must be enough despite float rounding


class PollBudget:
    """At most ``burst`` requests at once, then one more per ``refill`` seconds."""

    def __init__(self, burst: int, refill: float, clock: Callable[[], float]) -> None:
        if burst < 1 or refill <= 0:
            raise ValueError("a poll budget needs burst >= 1 and refill > 0")
        self.burst = burst
        self.refill = refill
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def max_requests(self, seconds: float) -> int:
        """The most requests this budget allows in any stretch of ``seconds``."""
        return self.burst + int(seconds / self.refill)

    def _update(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) / self.refill)
        self._at = now

    def available(self) -> int:
        """Whole requests that may be sent now."""
        self._update()
        return int(self._tokens + _EPSILON)

    def wait(self) -> float:
        """Seconds until one request may be sent (0 when it may be sent now)."""
        self._update()
        return max(0.0, (1.0 - self._tokens - _EPSILON) * self.refill)

    def spend(self) -> None:
        """Take the token of one request (call only when :meth:`available` says so)."""
        self._update()
        if self._tokens + _EPSILON < 1.0:
            raise RuntimeError("poll budget overspent")
        self._tokens = max(0.0, self._tokens - 1.0)
