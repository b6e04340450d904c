"""RateLimiter: booked slots, the check at the wire, pacing and an adaptive margin; safe across
tasks, threads and event loops. Time is virtual here: nothing waits on the wall clock."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import threading
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from cc_tui.constant_contact.limiter import (
    DEFAULT_MARGIN,
    DEFAULT_MIN_GAP,
    MARGIN_DECAY,
    MARGIN_STEP,
    MAX_MARGIN,
    MIN_RTT_SAMPLES,
    RTT_SAMPLES,
    WIRE_EVENT,
    RateLimiter,
    limiter_for,
)

T = TypeVar("T")
_SETTLE_TURNS = 20  # event-loop turns that let every woken task run to its next sleep


class FakeClock:
    """A monotonic clock that only moves when the fake sleep says so (one caller at a time)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += delay
        await asyncio.sleep(0)


class VirtualTime:
    """A clock and a sleep for many concurrent tasks: time jumps to the next wake-up once every
    task is asleep, so the tasks interleave as they would in real time, instantly."""

    def __init__(self) -> None:
        self.now = 100.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(0.0, delay), next(self._order), woken))
        await woken

    async def run(self, *jobs: Awaitable[T]) -> list[T]:
        tasks = [asyncio.ensure_future(job) for job in jobs]
        while not all(task.done() for task in tasks):
            for _ in range(_SETTLE_TURNS):
                await asyncio.sleep(0)
            if not self._timers:
                break
            when, _, woken = heapq.heappop(self._timers)
            self.now = max(self.now, when)
            woken.set_result(None)
        return [task.result() for task in tasks]


def assert_window_respected(times: list[float], max_requests: int, span: float) -> None:
    ordered = sorted(times)
    for first, later in zip(ordered, ordered[max_requests:], strict=False):
        assert later - first >= span - 1e-9, (first, later)


async def test_default_limits_pace_requests_and_keep_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for _ in range(12):
        await limiter.acquire()
        sent.append(clock.now)
    span = 1.0 + DEFAULT_MARGIN
    assert_window_respected(sent, 4, span)
    assert all(b - a >= DEFAULT_MIN_GAP - 1e-9 for a, b in itertools.pairwise(sent))
    # Each window's first request waits for the window; the next three only for the gap.
    gap = DEFAULT_MIN_GAP
    window = [0.0, gap, 2 * gap, 3 * gap]
    assert sent == pytest.approx([100.0 + w * span + g for w in range(3) for g in window])


async def test_without_a_gap_the_first_burst_is_free_then_requests_are_spaced() -> None:
    clock = FakeClock()
    limiter = RateLimiter(margin=0.1, min_gap=0.0, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for _ in range(12):
        await limiter.acquire()
        sent.append(clock.now)
    assert sent[:4] == [100.0] * 4
    assert_window_respected(sent, 4, 1.1)
    assert sent == pytest.approx([100.0] * 4 + [101.1] * 4 + [102.2] * 4)
    # Only the first caller of each new window sleeps; the next three find the slot open.
    assert limiter.waits == 2
    assert limiter.acquired == 12


async def test_idle_time_frees_slots() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        max_requests=2, window=1.0, margin=0.0, min_gap=0.0, clock=clock, sleep=clock.sleep
    )
    await limiter.acquire()
    await limiter.acquire()
    clock.now += 5.0
    await limiter.acquire()
    await limiter.acquire()
    assert limiter.waits == 0


async def test_concurrent_tasks_share_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(margin=0.1, min_gap=0.0, clock=clock, sleep=clock.sleep)
    delays = [limiter.reserve() for _ in range(20)]
    # Reservations are handed out in order: 4 per 1.1 s.
    assert delays == pytest.approx([1.1 * (i // 4) for i in range(20)])


def test_reservations_are_thread_safe() -> None:
    limiter = RateLimiter(max_requests=4, window=1.0, margin=0.1, min_gap=0.0, clock=lambda: 0.0)
    with ThreadPoolExecutor(max_workers=8) as pool:
        delays = list(pool.map(lambda _: limiter.reserve(), range(400)))
    assert sorted(delays) == pytest.approx([1.1 * (i // 4) for i in range(400)])
    assert limiter.acquired == 400


def test_one_limiter_serves_several_event_loops() -> None:
    limiter = RateLimiter(max_requests=3, window=0.05, margin=0.01, min_gap=0.0)
    departed: list[float] = []
    lock = threading.Lock()

    def run_loop() -> None:
        async def main() -> None:
            for _ in range(4):
                departure = await limiter.acquire()
                await departure.at_wire()
                with lock:
                    departed.append(departure.departed_at or 0.0)

        asyncio.run(main())

    started = time.monotonic()
    threads = [threading.Thread(target=run_loop) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(departed) == 12
    assert limiter.departures == 12
    # 12 requests, 3 per 0.06 s, whichever loop sent them: the window holds on departures,
    # and the last cannot leave before three full windows have passed.
    assert_window_respected(departed, 3, limiter.span)
    assert max(departed) - started >= 3 * limiter.span - 0.005
    assert limiter.waits > 0


# -- the check at the wire ----------------------------------------------------------------


async def test_a_request_that_left_late_holds_back_the_one_four_later() -> None:
    time_ = VirtualTime()
    limiter = RateLimiter(margin=0.25, min_gap=0.0, clock=time_, sleep=time_.sleep)

    async def request(delay: float) -> tuple[float, float | None]:
        departure = await limiter.acquire()
        await time_.sleep(delay)  # a busy event loop, a new connection, a 4 MB body...
        await departure.at_wire()
        return departure.slot, departure.departed_at

    # The first four leave late (the first 0.3 s, the next three later still); the fifth is
    # on time.
    results = await time_.run(request(0.3), *(request(0.4) for _ in range(3)), request(0.0))
    (first_slot, first_left), *_, (fifth_slot, fifth_left) = results
    assert (first_slot, first_left) == pytest.approx((100.0, 100.3))
    # The plan booked the fifth a window after the first's slot; the server counts from when
    # the first really left, so the fifth is held until a window after that.
    assert fifth_slot == pytest.approx(101.25)
    assert fifth_left == pytest.approx(100.3 + 1.25)
    assert limiter.held_at_wire == 1
    assert limiter.longest_hold == pytest.approx(0.3)
    assert sorted(limiter.wire_delays) == pytest.approx([0.0, 0.3, 0.4, 0.4, 0.4])


async def test_bookings_made_after_a_late_departure_plan_for_it() -> None:
    clock = FakeClock()
    limiter = RateLimiter(max_requests=1, margin=0.0, min_gap=0.0, clock=clock, sleep=clock.sleep)
    first = await limiter.acquire()
    clock.now += 0.4
    await first.at_wire()
    assert not limiter.has_free_slot()
    clock.now = 101.0  # a window after the booked slot, not yet one after the departure
    assert not limiter.has_free_slot()
    second = await limiter.acquire()
    assert second.slot == pytest.approx(101.4)
    await second.at_wire()
    assert limiter.held_at_wire == 0


@pytest.mark.parametrize("seed", range(8))
async def test_departures_keep_the_window_whatever_the_client_delays(seed: int) -> None:
    rng = random.Random(seed)
    time_ = VirtualTime()
    limiter = RateLimiter(margin=0.25, clock=time_, sleep=time_.sleep)

    async def request(delay: float) -> float:
        departure = await limiter.acquire()
        await time_.sleep(delay)  # token check, pool wait, TLS handshake, busy loop...
        await departure.at_wire()
        assert departure.departed_at is not None
        return departure.departed_at

    # Most requests leave at once; some much later than their slot, in any order.
    delays = [rng.choice([0.0, 0.0, 0.003, rng.uniform(0.0, 0.6)]) for _ in range(40)]
    departed = await time_.run(*(request(delay) for delay in delays))
    assert len(departed) == 40
    assert_window_respected(departed, 4, 1.25)
    assert limiter.departures == 40
    # Only the slips cost time: the whole run takes about as long as the plan plus the
    # largest slip, never a slip per window.
    assert max(departed) - 100.0 <= 9 * 1.25 + 3 * DEFAULT_MIN_GAP + max(delays) + 1e-6


async def test_without_delays_nothing_is_held_at_the_wire() -> None:
    time_ = VirtualTime()
    limiter = RateLimiter(clock=time_, sleep=time_.sleep)

    async def request() -> tuple[float, float | None]:
        departure = await limiter.acquire()
        await departure.at_wire()
        return departure.slot, departure.departed_at

    results = await time_.run(*(request() for _ in range(16)))
    assert all(slot == departed for slot, departed in results)
    assert limiter.held_at_wire == 0
    assert set(limiter.wire_delays) == {0.0}


async def test_a_departure_is_recorded_once_and_only_at_the_first_byte() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    departure = await limiter.acquire()
    await departure.trace("connection.connect_tcp.started", {})
    await departure.trace("connection.connect_tcp.complete", {})
    assert departure.departed_at is None
    clock.now += 0.05
    await departure.trace("http11" + WIRE_EVENT, {})
    await departure.trace("http11.send_request_body.started", {})
    await departure.at_wire()  # a second call (a transport retrying the same request)
    assert departure.departed_at == pytest.approx(100.05)
    assert limiter.departures == 1


def test_requests_that_never_reach_the_wire_only_cost_their_booking() -> None:
    clock = FakeClock()
    limiter = RateLimiter(max_requests=2, margin=0.0, min_gap=0.0, clock=clock)
    limiter.reserve()  # booked, then cancelled or failed to connect
    limiter.reserve()
    assert limiter.departures == 0
    assert not limiter.has_free_slot()
    clock.now += 1.0
    assert limiter.has_free_slot()


# -- the margin ---------------------------------------------------------------------------


def test_a_throttle_widens_the_margin_and_calm_narrows_it_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    limiter.throttled()
    limiter.throttled()
    assert limiter.margin == pytest.approx(DEFAULT_MARGIN + 2 * MARGIN_STEP)
    assert limiter.span == pytest.approx(1.0 + DEFAULT_MARGIN + 2 * MARGIN_STEP)
    assert limiter.throttles == 2
    for _ in range(10):
        limiter.reserve()
    assert limiter.margin == pytest.approx(DEFAULT_MARGIN + 2 * MARGIN_STEP - 10 * MARGIN_DECAY)
    for _ in range(round(2 * MARGIN_STEP / MARGIN_DECAY)):
        limiter.reserve()
    assert limiter.margin == pytest.approx(DEFAULT_MARGIN)  # never below where it started


async def test_a_widened_margin_applies_at_the_wire_too() -> None:
    clock = FakeClock()
    limiter = RateLimiter(margin=0.0, min_gap=0.0, clock=clock, sleep=clock.sleep)
    departures = [await limiter.acquire() for _ in range(4)]
    for departure in departures:
        await departure.at_wire()
    limiter.throttled()
    fifth = await limiter.acquire()
    await fifth.at_wire()
    assert fifth.departed_at is not None
    assert fifth.departed_at - 100.0 >= 1.0 + MARGIN_STEP - MARGIN_DECAY - 1e-9


def _round_trips(limiter: RateLimiter, clock: FakeClock, *seconds: float) -> None:
    """Requests that left now and were answered ``seconds`` later, one after another."""
    for rtt in seconds:
        left = clock.now
        clock.now += rtt
        limiter.answered(left)


def test_slow_answers_widen_the_margin_and_fast_ones_narrow_it_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    _round_trips(limiter, clock, *[0.1, 0.9, 0.9][: MIN_RTT_SAMPLES - 1])
    assert limiter.effective_margin == DEFAULT_MARGIN  # too few answers to say anything
    _round_trips(limiter, clock, 0.5, 0.6)
    # Answers took 0.1, 0.5, 0.6, 0.9, 0.9 s: the middle one waited 0.5 s longer than the
    # fastest, time it may have spent in front of the server's counter.
    assert limiter.queueing == pytest.approx(0.5)
    assert limiter.effective_margin == pytest.approx(0.5)
    assert limiter.span == pytest.approx(1.5)
    _round_trips(limiter, clock, *[0.2] * RTT_SAMPLES)
    assert limiter.queueing == 0.0
    assert limiter.effective_margin == DEFAULT_MARGIN
    assert limiter.widest_margin == 0.0  # nothing was booked meanwhile


def test_a_measured_margin_below_the_stated_one_changes_nothing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    _round_trips(limiter, clock, 0.1, 0.15, 0.2, 0.25, 0.3)
    assert limiter.queueing == pytest.approx(0.1)
    assert limiter.effective_margin == DEFAULT_MARGIN


def test_the_measured_margin_is_capped() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    _round_trips(limiter, clock, 0.1, 3.0, 3.0, 3.0)
    assert limiter.queueing == pytest.approx(2.9)
    assert limiter.effective_margin == MAX_MARGIN
    wide = RateLimiter(margin=0.8, clock=clock)  # a stated margin above the cap is kept
    _round_trips(wide, clock, 0.1, 3.0, 3.0, 3.0)
    assert wide.effective_margin == 0.8


async def test_a_measured_margin_spaces_bookings_and_departures() -> None:
    clock = FakeClock()
    limiter = RateLimiter(min_gap=0.0, clock=clock, sleep=clock.sleep)
    departures = [await limiter.acquire() for _ in range(4)]
    for departure in departures:
        await departure.at_wire()
    for departure, rtt in zip(departures, (0.1, 0.4, 0.5, 0.6), strict=True):
        clock.now = 100.0 + rtt
        departure.answered()
        departure.answered()  # once only
    assert [d.answered_at for d in departures] == pytest.approx([100.1, 100.4, 100.5, 100.6])
    assert limiter.queueing == pytest.approx(0.4)
    fifth = await limiter.acquire()
    await fifth.at_wire()
    assert fifth.slot == fifth.departed_at == pytest.approx(101.4)
    assert limiter.widest_margin == pytest.approx(0.4)


async def test_an_answer_before_departure_teaches_nothing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    departure = await limiter.acquire()
    departure.answered()  # a transport that failed before the first byte
    assert departure.answered_at is None


def test_the_margin_never_grows_past_its_cap() -> None:
    limiter = RateLimiter()
    for _ in range(100):
        limiter.throttled()
    assert limiter.margin == pytest.approx(MAX_MARGIN)


def test_the_default_margin_covers_the_stated_jitter() -> None:
    # docs/api-rules.md §2: arrivals jitter by 0-80 ms on a realistic network; the margin must
    # cover that spread, with room left for a server that stamps requests late under load.
    assert DEFAULT_MARGIN >= 2 * 0.08
    assert MAX_MARGIN > DEFAULT_MARGIN


def test_has_free_slot_says_whether_a_request_would_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(max_requests=2, window=1.0, margin=0.0, min_gap=0.1, clock=clock)
    assert limiter.has_free_slot()
    limiter.reserve()
    assert not limiter.has_free_slot()  # the gap
    clock.now += 0.1
    assert limiter.has_free_slot()
    limiter.reserve()
    clock.now += 0.5
    assert not limiter.has_free_slot()  # the window: two in the last second
    clock.now += 0.5
    assert limiter.has_free_slot()


def test_limiter_for_is_one_instance_per_key() -> None:
    key = "test_limiter_for|client|host"
    with ThreadPoolExecutor(max_workers=8) as pool:
        limiters = list(pool.map(lambda _: limiter_for(key), range(64)))
    assert all(limiter is limiters[0] for limiter in limiters)
    assert limiter_for(key + "-other") is not limiters[0]
    assert limiters[0].max_requests == 4
    assert limiters[0].margin == DEFAULT_MARGIN


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"max_requests": 0}, "max_requests"),
        ({"window": 0.0}, "window"),
        ({"margin": -1}, "margin"),
        ({"min_gap": -0.1}, "min_gap"),
    ],
)
def test_nonsense_settings_are_refused(kwargs: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        RateLimiter(**kwargs)  # type: ignore[arg-type]
