"""The simulated network: arrival jitter before a request is counted, latency as a range, and
what the statistics say about arrivals (the most in one second, the tightest span, throttles
per application)."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from collections import Counter

import httpx
import pytest

from cc_tui.emulator.command import add_emulator_arguments, settings_from_args
from cc_tui.emulator.faults import FaultInjector
from cc_tui.emulator.limits import RequestLimiter
from cc_tui.emulator.network import NetworkTiming
from cc_tui.emulator.settings import EmulatorSettings
from tests.emulator.emu_helpers import HTTP, StartEmulator, api_client, sign_in


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cc-tui emulator")
    add_emulator_arguments(parser)
    return parser.parse_args(list(argv))


# -- options and settings -----------------------------------------------------------------


def test_latency_takes_a_value_or_a_range_and_jitter_a_value() -> None:
    fixed = settings_from_args(_parse("--latency", "0.05"))
    assert (fixed.latency, fixed.latency_max, fixed.arrival_jitter) == (0.05, 0.0, 0.0)
    ranged = settings_from_args(_parse("--latency", "0.02-0.15", "--arrival-jitter", "0.08"))
    assert (ranged.latency, ranged.latency_max, ranged.arrival_jitter) == (0.02, 0.15, 0.08)
    assert settings_from_args(_parse("--latency", "1e-3")).latency == 0.001


@pytest.mark.parametrize(
    "argv",
    [
        ("--latency", "0.2-0.1"),
        ("--latency", "0.02-"),
        ("--latency", "-0.02"),
        ("--latency", "fast"),
        ("--arrival-jitter", "-1"),
        ("--arrival-jitter", "0-0.08"),
    ],
)
def test_bad_network_values_are_usage_errors(
    argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        _parse(*argv)
    assert caught.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_network_settings_change_at_run_time(start_emulator: StartEmulator) -> None:
    server = start_emulator()
    url = server.url + "/__emulator/settings"
    changed = HTTP.post(url, json={"arrival_jitter": 0.08, "latency": 0.02, "latency_max": 0.15})
    assert changed.status_code == 200
    assert (changed.json()["arrival_jitter"], changed.json()["latency_max"]) == (0.08, 0.15)
    assert HTTP.post(url, json={"arrival_jitter": -0.1}).status_code == 400


# -- the draws ------------------------------------------------------------------------------


def test_draws_are_seeded_within_their_ranges_and_apart_from_the_faults() -> None:
    settings = EmulatorSettings(arrival_jitter=0.08, latency=0.02, latency_max=0.15)
    first, second = NetworkTiming(5), NetworkTiming(5)
    draws = [(first.arrival_delay(settings), first.answer_delay(settings)) for _ in range(200)]
    assert draws == [(second.arrival_delay(settings), second.answer_delay(settings)) for _ in draws]
    assert all(0 <= arrival <= 0.08 and 0.02 <= answer <= 0.15 for arrival, answer in draws)
    assert len(set(draws)) == len(draws)
    # Another stream than the faults' of the same seed (both draw uniformly from 0..1 here).
    faults, timing = FaultInjector(5), NetworkTiming(5)
    whole_second = EmulatorSettings(arrival_jitter=1.0)
    assert [faults.fraction() for _ in range(5)] != [
        timing.arrival_delay(whole_second) for _ in range(5)
    ]
    first.reseed(5)
    assert first.arrival_delay(settings) == draws[0][0]


def test_no_range_draws_nothing() -> None:
    timing, reference = NetworkTiming(3), NetworkTiming(3)
    fixed = EmulatorSettings(latency=0.05)
    assert [timing.answer_delay(fixed), timing.arrival_delay(fixed)] == [0.05, 0.0]
    jittery = EmulatorSettings(arrival_jitter=0.08)
    assert timing.arrival_delay(jittery) == reference.arrival_delay(jittery)


# -- arrivals -------------------------------------------------------------------------------


def _seed_with_draws_apart(jitter: float, apart: float) -> int:
    """A seed whose first two arrival delays differ by at least ``apart`` seconds."""
    settings = EmulatorSettings(arrival_jitter=jitter)
    for seed in itertools.count():
        timing = NetworkTiming(seed)
        if abs(timing.arrival_delay(settings) - timing.arrival_delay(settings)) >= apart:
            return seed
    raise AssertionError("unreachable")


async def test_arrival_jitter_comes_before_the_count(start_emulator: StartEmulator) -> None:
    # One request a second, and two sent together: without jitter one would be throttled. With
    # jitter drawn more than a second apart, the server counts them more than a second apart.
    jitter = 1.3
    seed = _seed_with_draws_apart(jitter, 1.1)
    server = start_emulator(rate_limit_per_second=1, arrival_jitter=jitter, seed=seed)
    headers = {"Authorization": f"Bearer {sign_in(server)['access_token']}"}
    async with httpx.AsyncClient(base_url=server.api_base_url, headers=headers) as client:
        answers = await asyncio.gather(*(client.get("/account/summary") for _ in range(2)))
    assert [answer.status_code for answer in answers] == [200, 200]
    stats = server.stats()
    assert stats["throttled"] == 0
    assert stats["max_requests_in_one_second"] == 1
    assert stats["tightest_span_per_application"]["test-app"] >= 1.0


def test_a_latency_range_delays_answers(start_emulator: StartEmulator) -> None:
    server = start_emulator(latency=0.2, latency_max=0.3, seed=1)
    with api_client(server) as client:
        started = time.monotonic()
        assert client.get("/contact_lists").status_code == 200
        assert time.monotonic() - started >= 0.2
    assert server.stats()["faults"] == {"latency": 1}


async def test_throttles_are_counted_per_application(start_emulator: StartEmulator) -> None:
    server = start_emulator(rate_limit_per_second=2)
    for client_id, count in (("app-one", 3), ("app-two", 5)):
        token = sign_in(server, client_id=client_id)["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.api_base_url, headers=headers) as client:
            answers = await asyncio.gather(*(client.get("/account/summary") for _ in range(count)))
        assert Counter(a.status_code for a in answers) == {200: 2, 429: count - 2}
    stats = server.stats()
    assert stats["throttled_per_application"] == {"app-one": 1, "app-two": 3}
    assert stats["throttled"] == 4
    assert stats["max_requests_in_one_second_per_application"] == {"app-one": 3, "app-two": 5}
    assert HTTP.post(server.url + "/__emulator/reset").status_code == 200
    assert server.stats()["throttled_per_application"] == {}


def test_the_tightest_span_is_the_shortest_time_one_more_than_the_limit_arrived() -> None:
    limiter = RequestLimiter()
    for arrived in (0.0, 0.3, 0.6, 0.9, 1.25, 1.5, 2.6):
        limiter.admit("app", arrived, 0.0, 4, 100)
    # (0.0 .. 1.25) spans 1.25 s, (0.3 .. 1.5) 1.2 s, (0.6 .. 2.6) 2.0 s.
    assert limiter.tightest_spans() == {"app": 1.2}
    limiter.admit("other", 0.0, 0.0, 4, 100)
    assert "other" not in limiter.tightest_spans()  # never sent five
    limiter.reset()
    assert limiter.tightest_spans() == {}
    assert limiter.resets == 1
