"""Client-side rate limiting: never send more than Constant Contact's 4 requests per second.

The limit is per application (API key), so every request of a connection in this process, from
any thread or event loop, must draw from one :class:`RateLimiter`; :func:`limiter_for` hands out
that shared instance. The limiter reserves a send time under a ``threading.Lock`` and then
sleeps until it, so it holds no asyncio primitive tied to one loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_MAX_REQUESTS",
    "DEFAULT_WINDOW",
    "RateLimiter",
    "limiter_for",
]

DEFAULT_MAX_REQUESTS = 4  # Constant Contact: 4 requests per second per API key
DEFAULT_WINDOW = 1.0
# Extra seconds added to the window: requests reach the server a little later or earlier than
# we send them, and a burst that looks spaced by exactly 1.000 s here may not be over there.
DEFAULT_MARGIN = 0.1

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """At most ``max_requests`` send times in any sliding window of ``window + margin`` seconds.

    ``acquire`` books the earliest free send time, then sleeps until it. Booked times are kept
    even if the caller is cancelled while waiting: a wasted slot only makes us slower, never
    faster than allowed.
    """

    def __init__(
        self,
        max_requests: int = DEFAULT_MAX_REQUESTS,
        window: float = DEFAULT_WINDOW,
        margin: float = DEFAULT_MARGIN,
        clock: Clock = time.monotonic,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if window <= 0 or margin < 0:
            raise ValueError("window must be positive and margin not negative")
        self.max_requests = max_requests
        self.window = window
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # The last `max_requests` booked send times, oldest first (always non-decreasing).
        self._booked: deque[float] = deque(maxlen=max_requests)
        self.waits = 0
        """How many acquisitions had to wait for a slot."""
        self.acquired = 0
        """How many slots were handed out in total."""

    def __repr__(self) -> str:
        return (
            f"RateLimiter(max_requests={self.max_requests}, window={self.window}, "
            f"margin={self.margin}, acquired={self.acquired}, waits={self.waits})"
        )

    @property
    def span(self) -> float:
        """The sliding window actually enforced: ``window + margin`` seconds."""
        return self.window + self.margin

    def reserve(self) -> float:
        """Book the next free send time and return how many seconds to wait for it."""
        with self._lock:
            now = self._clock()
            slot = now
            if len(self._booked) == self.max_requests:
                # The oldest of the last `max_requests` bookings must leave the window first.
                slot = max(now, self._booked[0] + self.span)
            self._booked.append(slot)
            self.acquired += 1
            delay = slot - now
            if delay > 0:
                self.waits += 1
            return delay

    async def acquire(self) -> None:
        """Wait until this caller may send one request."""
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)


_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(key: str) -> RateLimiter:
    """The process-wide limiter for ``key`` (the application's client id + API host).

    Every client of the same connection in this process gets the same instance, so the UI, a
    run and the scheduler together stay under the limit.
    """
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = RateLimiter()
        return limiter
