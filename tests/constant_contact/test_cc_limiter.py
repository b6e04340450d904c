"""RateLimiter: sliding-window reservations, pacing and an adaptive margin; safe across tasks,
threads and event loops."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cc_tui.constant_contact.limiter import (
    DEFAULT_MARGIN,
    DEFAULT_MIN_GAP,
    MARGIN_DECAY,
    MARGIN_STEP,
    MAX_MARGIN,
    RateLimiter,
    limiter_for,
)


class FakeClock:
    """A monotonic clock that only moves when the fake sleep says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += delay
        await asyncio.sleep(0)


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
    sent: list[float] = []
    lock = threading.Lock()

    def run_loop() -> None:
        async def main() -> None:
            for _ in range(4):
                await limiter.acquire()
                with lock:
                    sent.append(time.monotonic())

        asyncio.run(main())

    started = time.monotonic()

    threads = [threading.Thread(target=run_loop) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 12
    # 12 requests, 3 per 0.06 s: the last cannot go before three full windows have passed.
    assert max(sent) - started >= 3 * limiter.span - 0.005
    assert limiter.waits > 0


def test_a_throttle_widens_the_margin_and_calm_narrows_it_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    limiter.throttled()
    limiter.throttled()
    assert limiter.margin == pytest.approx(DEFAULT_MARGIN + 2 * MARGIN_STEP)
    assert limiter.throttles == 2
    for _ in range(10):
        limiter.reserve()
    assert limiter.margin == pytest.approx(DEFAULT_MARGIN + 2 * MARGIN_STEP - 10 * MARGIN_DECAY)
    for _ in range(round(2 * MARGIN_STEP / MARGIN_DECAY)):
        limiter.reserve()
    assert limiter.margin == pytest.approx(DEFAULT_MARGIN)  # never below where it started


def test_the_margin_never_grows_past_its_cap() -> None:
    limiter = RateLimiter()
    for _ in range(100):
        limiter.throttled()
    assert limiter.margin == pytest.approx(MAX_MARGIN)


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
