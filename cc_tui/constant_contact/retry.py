"""How hard the client tries again, and the counters that show what it did.

Retry delays grow exponentially with a random jitter, so a fleet of clients that failed
together does not come back together. Per-second throttling (429 ``throttled``) is expected
under load: a short pause, then a fresh rate-limiter slot; it has its own, larger cap instead of
``max_attempts``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_THROTTLED",
    "RETRY_AFTER_CAP",
    "THROTTLE_DELAY",
    "ClientStats",
    "RetryPolicy",
]

DEFAULT_MAX_ATTEMPTS = 5
# Throttled answers tolerated for one call: generous, but a server stuck answering 429 must not
# keep a run looping forever.
DEFAULT_MAX_THROTTLED = 20
# After a 429 throttled the retry also waits for a fresh slot of the limiter, which already
# spaces requests a window apart (and has widened its margin for the arrival jitter that caused
# the throttle), so a short extra pause is enough (measured: a full second per throttle cost
# 10% of a run).
THROTTLE_DELAY = 0.25
RETRY_AFTER_CAP = 120.0  # a Retry-After longer than this is not waited out in one go


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    """Attempts per call for 5xx, timeouts, dropped connections and queue-full 429s."""
    base_delay: float = 0.5
    """Delay after the first failure; doubled after each further one."""
    max_delay: float = 20.0
    """Longest backoff between two attempts."""
    jitter: float = 0.25
    """Random spread of each delay, as a fraction of it (0.25 = plus or minus 25%)."""
    max_throttled: int = DEFAULT_MAX_THROTTLED
    """Throttled (429) answers tolerated per call before giving up."""

    def backoff(self, failures: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after the ``failures``-th failed attempt of a call."""
        raw = min(self.max_delay, self.base_delay * 2.0 ** max(0, failures - 1))
        delay = min(self.max_delay, raw * (1.0 + self.jitter * (2.0 * rng.random() - 1.0)))
        if retry_after is not None:
            delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
        return delay

    def throttle_wait(self, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after a 429 ``throttled`` (before a fresh limiter slot)."""
        if retry_after is not None:
            return min(retry_after, RETRY_AFTER_CAP)
        return THROTTLE_DELAY * (1.0 + self.jitter * rng.random())


@dataclass(slots=True)
class ClientStats:
    """What one client did so far (the run summary reports these)."""

    requests: int = 0
    """API requests sent, retries included (sign-in server requests excluded)."""
    retries: int = 0
    """Requests sent again after a failure, a throttle or a refused token."""
    throttled: int = 0
    """429 ``throttled`` answers received."""
    bytes_sent: int = 0
    """Request body bytes sent to the API."""
    bytes_received: int = 0
    """Response body bytes received from the API."""
    refreshes: int = 0
    """Access-token refreshes this client made."""
