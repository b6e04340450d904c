"""Client-side rate limiting that holds where it is counted: at the server, on arrival.

Constant Contact takes at most 4 requests per application in **any** 1-second window, and it
counts a request when it **arrives** (docs/api-rules.md §2). The client only controls when a
request leaves; between that and the count lie the client's own delays, the network's and the
server's. The previous design booked send times 1.02 s apart per four and trusted them: that
holds only when "sent" equals "arrived". Against the emulator with the realistic jitter (each
request counted 0-80 ms late, answered 20-150 ms late) it was throttled in 3 runs of 3 of the
1M-contact benchmark, 5 requests arriving within 0.86-0.93 s. The limiter now has four parts.

1. **Plan.** :meth:`RateLimiter.acquire` books a send time: first come, first served, at most
   ``max_requests`` in any ``window + margin`` seconds, consecutive ones ``min_gap`` apart, then
   sleeps until it. Booking under a ``threading.Lock`` and sleeping outside it keeps one limiter
   usable from any thread and event loop; :func:`limiter_for` hands out the one instance per
   application, so the UI, a run and the scheduler together stay under the limit.

2. **Hold the line at the wire.** The booked time is not when the request leaves: after it come
   the token check, waiting for a pooled connection or opening one (a TLS handshake to a real
   server is one to three round trips) and a late wake-up of an event loop busy with a run.
   Measured in the 1M-contact benchmark on the shared 2-core machine: slot to first byte 2-4 ms
   typically, but up to 90 ms at a load average of 4 and 280 ms at 10. So each request is
   checked again at the moment its first byte is written (httpx's documented ``trace``
   extension, event ``send_request_headers.started``): it goes only if the last
   ``max_requests`` requests that *actually left* did so at least a span ago, else it waits
   there; actual departures are recorded under the lock in the order they happen and are what
   later requests (and later bookings) are checked against. So departures keep the window
   exactly, whatever the client's own delays. (A transport without tracing, a test double, is
   checked when the request is handed to it.)

3. **A stated margin for what happens after the wire.** One-way network delay varies, and a
   busy server counts a request late; both move arrivals closer together than departures. If
   every request's delay from leaving to being counted lies within a spread of ``J`` seconds,
   departures ``window + J`` apart arrive at least ``window`` apart: ``margin >= J`` is enough.
   The stated bound is a quarter of the window, ``DEFAULT_MARGIN = 0.25`` s: 80 ms of network
   jitter (the realistic case of docs/api-rules.md §2; ITU-T Y.1541 allows 50 ms of delay
   variation in its interactive classes) and the rest for a server that counts late when busy
   (load is just more jitter). It costs at most a quarter of the throughput in a long steady
   run, less in a real one: the first window is free and the floor ``ceil(requests / 4)`` rounds
   up (1M contacts, 26 requests: about 1.15x the floor).

4. **A measured margin when the server is busy.** On a loaded machine the emulator counted
   requests much later than 80 ms: its worker threads parsing 3.4 MB imports hold the GIL, and
   its event loop cannot stamp an arrival until they let go. At a load average of 10, 5
   requests sent 1.25 s apart arrived within 0.91 s (one run in about ten). Such a server also
   answers late, so the limiter learns from round trips (first byte to answer) of the latest
   ``RTT_SAMPLES`` answers: the middle one minus the fastest one is time a request may have
   waited in front of the server's counter (:attr:`RateLimiter.queueing`), and the margin in
   force is the larger of it and the stated one, at most ``MAX_MARGIN``. A round trip mixes the
   way back and the server's work in, so this errs on the side of caution; the cap bounds what
   that caution costs against a server that works slowly but counts at its door. Measured in
   the benchmark: import round trips of 0.12-0.36 s (middle about 0.2 s) on a quiet machine,
   where the stated margin rules, and 0.36-1.5 s at a load average of 10, where the margin
   widens to the cap.

Throttled answers still widen the margin: a 429 ``throttled`` is proof the path is worse than
both estimates, so :meth:`RateLimiter.throttled` adds ``MARGIN_STEP`` (up to ``MAX_MARGIN``),
taken back by ``MARGIN_DECAY`` per booking over a couple of hundred requests. Requests are also
paced ``min_gap`` apart rather than sent in bursts of four, so the server is not handed four
4 MB bodies at once; three gaps fit in one window, so pacing costs nothing, and it is not
enforced at the wire, where it would only add delay.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_MAX_REQUESTS",
    "DEFAULT_MIN_GAP",
    "DEFAULT_WINDOW",
    "MARGIN_DECAY",
    "MARGIN_STEP",
    "MAX_MARGIN",
    "MIN_RTT_SAMPLES",
    "RTT_SAMPLES",
    "WIRE_EVENT",
    "Departure",
    "RateLimiter",
    "limiter_for",
]

DEFAULT_MAX_REQUESTS = 4  # Constant Contact: 4 requests per second per API key
DEFAULT_WINDOW = 1.0
# Seconds by which the server may count one request later, relative to another, than they
# left: a quarter of the window, for 80 ms of network jitter and a server counting late when
# busy (see the module docstring).
DEFAULT_MARGIN = 0.25
MARGIN_STEP = 0.05  # added to the margin per throttled answer: the path is worse than assumed
# The widest margin throttles or measured queueing can ask for: it bounds what caution costs
# (4 requests per 1.5 s instead of per 1.25 s).
MAX_MARGIN = 0.5
# Taken off the margin per booked request, down to where it started: 200 requests (about a
# minute at full speed) to forget one throttle.
MARGIN_DECAY = MARGIN_STEP / 200
# Seconds between two consecutive booked send times, so four 4 MB bodies never reach the server
# together; 3 gaps fit in a window, so it does not slow a run.
DEFAULT_MIN_GAP = 0.15
# httpcore's trace event fired just before a request's first byte is written (http11.… or
# http2.…); see https://www.python-httpx.org/advanced/extensions/ ("trace").
WIRE_EVENT = ".send_request_headers.started"
# Answers whose round trips (first byte to answer) estimate how long requests queue in front
# of the server's counter: the middle of the latest RTT_SAMPLES minus the fastest of them, once
# there are MIN_RTT_SAMPLES (fewer say nothing about a spread).
RTT_SAMPLES = 16
MIN_RTT_SAMPLES = 4
# How many slot-to-wire delays are kept for measurement.
_KEPT_DELAYS = 4096
# Clock readings this close count as equal: a fake clock plus a float sleep may land a hair short.
_EPSILON = 1e-9

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Departure:
    """One booked request on its way out: call :meth:`at_wire` right before its first byte.

    :meth:`trace` is a ready-made httpx ``trace`` extension that does so. Calling it more than
    once is harmless; a request that never reaches the wire (cancelled, could not connect)
    simply never departs.
    """

    __slots__ = ("_limiter", "answered_at", "departed_at", "slot")

    def __init__(self, limiter: RateLimiter, slot: float) -> None:
        self._limiter = limiter
        self.slot = slot
        """The booked send time (the limiter's clock)."""
        self.departed_at: float | None = None
        """When the request actually left, once it has."""
        self.answered_at: float | None = None
        """When its answer arrived, once it has."""

    async def at_wire(self) -> None:
        """Wait until the request may leave without breaking the window, and record it."""
        if self.departed_at is None:
            self.departed_at = await self._limiter.depart(self.slot)

    def answered(self) -> None:
        """Its answer arrived: the round trip tells the limiter how busy the server is."""
        if self.departed_at is not None and self.answered_at is None:
            self.answered_at = self._limiter.answered(self.departed_at)

    async def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpx ``trace`` extension: holds the request at its first byte."""
        if event.endswith(WIRE_EVENT):
            await self.at_wire()


class RateLimiter:
    """At most ``max_requests`` requests in any :attr:`span` (``window`` plus the margin in
    force), counted both when they are booked and when they actually leave; bookings
    ``min_gap`` apart.

    ``acquire`` books the earliest free send time, sleeps until it and returns the
    :class:`Departure` whose :meth:`~Departure.at_wire` records when the request really left and
    whose :meth:`~Departure.answered` reports its round trip. Booked times are kept even if the
    caller is cancelled while waiting: a wasted slot only makes us slower, never faster than
    allowed. ``throttled`` widens the margin (up to ``MAX_MARGIN``); each booking narrows it by
    ``MARGIN_DECAY``, down to where it started.
    """

    def __init__(
        self,
        max_requests: int = DEFAULT_MAX_REQUESTS,
        window: float = DEFAULT_WINDOW,
        margin: float = DEFAULT_MARGIN,
        clock: Clock = time.monotonic,
        *,
        min_gap: float = DEFAULT_MIN_GAP,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if window <= 0 or margin < 0 or min_gap < 0:
            raise ValueError("window must be positive, margin and min_gap not negative")
        self.max_requests = max_requests
        self.window = window
        self.margin = margin
        self._base_margin = margin
        self.min_gap = min_gap
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # The last `max_requests` booked send times and actual departure times, oldest first
        # (each always non-decreasing).
        self._booked: deque[float] = deque(maxlen=max_requests)
        self._departed: deque[float] = deque(maxlen=max_requests)
        self.waits = 0
        """How many acquisitions had to wait for a slot."""
        self.acquired = 0
        """How many slots were handed out in total."""
        self.throttles = 0
        """How many throttled answers widened the margin."""
        self.departures = 0
        """How many requests were recorded leaving at the wire."""
        self.held_at_wire = 0
        """How many of them had to wait at the wire: they reached it less than a span after
        the request ``max_requests`` before them left (it left late, or the margin has widened
        since they were booked)."""
        self.longest_hold = 0.0
        """The longest wait at the wire, in seconds."""
        self.wire_delays: deque[float] = deque(maxlen=_KEPT_DELAYS)
        """Seconds from each request's booked slot to its first byte, the latest few thousand."""
        self._round_trips: deque[float] = deque(maxlen=RTT_SAMPLES)
        self.queueing = 0.0
        """Seconds the latest answers took beyond the fastest of them (their middle one): how
        long a request may wait in front of the server's counter, as measured."""
        self.widest_margin = 0.0
        """The widest margin any booking was made with."""

    def __repr__(self) -> str:
        return (
            f"RateLimiter(max_requests={self.max_requests}, window={self.window}, "
            f"margin={self.effective_margin:.3f}, min_gap={self.min_gap}, "
            f"acquired={self.acquired}, waits={self.waits}, held_at_wire={self.held_at_wire})"
        )

    @property
    def effective_margin(self) -> float:
        """The margin in force: the stated one (widened by throttles) or the measured queueing,
        whichever is larger, at most ``MAX_MARGIN`` (or the stated one, if set above it)."""
        return min(max(MAX_MARGIN, self._base_margin), max(self.margin, self.queueing))

    @property
    def span(self) -> float:
        """The sliding window actually enforced: ``window + effective_margin`` seconds."""
        return self.window + self.effective_margin

    def _window_free_at(self, times: deque[float]) -> float:
        """When the oldest of the last ``max_requests`` ``times`` has left the window."""
        if len(times) == self.max_requests:
            return times[0] + self.span
        return -math.inf

    def _next_slot(self, now: float) -> float:
        slot = max(now, self._window_free_at(self._booked), self._window_free_at(self._departed))
        if self._booked:
            slot = max(slot, self._booked[-1] + self.min_gap)
        return slot

    def _book(self) -> tuple[float, float]:
        """Book the next free send time: ``(slot, seconds to wait for it)``."""
        with self._lock:
            now = self._clock()
            slot = self._next_slot(now)
            self.widest_margin = max(self.widest_margin, self.effective_margin)
            self._booked.append(slot)
            self.acquired += 1
            if self.margin > self._base_margin:
                self.margin = max(self._base_margin, self.margin - MARGIN_DECAY)
            delay = slot - now
            if delay > 0:
                self.waits += 1
            return slot, delay

    def reserve(self) -> float:
        """Book the next free send time and return how many seconds to wait for it."""
        return self._book()[1]

    def has_free_slot(self) -> bool:
        """True when a request now would not wait (nobody booked the next slots)."""
        with self._lock:
            now = self._clock()
            return self._next_slot(now) <= now

    def throttled(self) -> None:
        """The server said we went too fast: space requests further apart from now on."""
        with self._lock:
            self.throttles += 1
            self.margin = min(max(MAX_MARGIN, self._base_margin), self.margin + MARGIN_STEP)

    async def acquire(self) -> Departure:
        """Wait until this caller may send one request; pass its first byte through the
        returned :class:`Departure`."""
        slot, delay = self._book()
        if delay > 0:
            await self._sleep(delay)
        return Departure(self, slot)

    def answered(self, departed_at: float) -> float:
        """An answer arrived for a request that left at ``departed_at``; returns when."""
        with self._lock:
            now = self._clock()
            self._round_trips.append(max(0.0, now - departed_at))
            if len(self._round_trips) >= MIN_RTT_SAMPLES:
                ordered = sorted(self._round_trips)
                self.queueing = ordered[len(ordered) // 2] - ordered[0]
            return now

    async def depart(self, slot: float) -> float:
        """Hold a request booked for ``slot`` until it may leave; returns when it left.

        Checked against the actual departures only: the plan already spaced the bookings, and
        this check corrects the slips between plan and wire.
        """
        reached: float | None = None
        while True:
            with self._lock:
                now = self._clock()
                if reached is None:  # the client's own delay, before any hold of ours
                    reached = now
                    self.wire_delays.append(max(0.0, now - slot))
                free_at = self._window_free_at(self._departed)
                if now >= free_at - _EPSILON:
                    self._departed.append(now)
                    self.departures += 1
                    if now > reached:
                        self.held_at_wire += 1
                        self.longest_hold = max(self.longest_hold, now - reached)
                    return now
            await self._sleep(free_at - now)


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
