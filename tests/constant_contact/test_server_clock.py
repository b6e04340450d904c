"""Constant Contact's clock read from its answers' Date headers: narrowed, spanned, ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cc_tui.constant_contact.server_clock import FRONT_SERVER_ALLOWANCE, ServerClock
from tests.constant_contact.cc_fakes import make_client

OURS = datetime(2026, 12, 5, 12, 0, 0, 500_000, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def at(seconds: float) -> datetime:
    return OURS + timedelta(seconds=seconds)


def test_nothing_is_known_before_an_answer_states_its_date() -> None:
    clock = ServerClock()
    assert clock.offset() is None
    clock.observe(at(0), at(0.1), None)
    clock.observe(at(0), at(0.1), "not a date")
    clock.observe(at(0), at(0.1), "")
    assert clock.offset() is None


def test_one_answer_bounds_the_offset_by_its_round_trip_and_the_dates_second() -> None:
    clock = ServerClock()
    # Sent at 12:00:00.5, answered at 12:00:01.0, dated 12:05:00 (whole seconds, cut).
    clock.observe(at(0), at(0.5), "Sat, 05 Dec 2026 12:05:00 GMT")
    low, high = clock.offset() or (None, None)
    assert low == timedelta(seconds=299) - FRONT_SERVER_ALLOWANCE  # 12:05:00 - 12:00:01
    assert high == timedelta(seconds=300.5) + FRONT_SERVER_ALLOWANCE


def test_answers_that_agree_narrow_it() -> None:
    clock = ServerClock()
    clock.observe(at(0), at(2.0), "Sat, 05 Dec 2026 12:00:01 GMT")  # offset in [-1.5, 0.5]
    clock.observe(at(10), at(10.1), "Sat, 05 Dec 2026 12:00:10 GMT")  # in [-0.6, 0.5]
    assert clock.offset() == (
        timedelta(seconds=-0.6) - FRONT_SERVER_ALLOWANCE,
        timedelta(seconds=0.5) + FRONT_SERVER_ALLOWANCE,
    )


def test_answers_that_disagree_span_all_of_them_from_then_on() -> None:
    clock = ServerClock()
    clock.observe(at(0), at(0.1), "Sat, 05 Dec 2026 12:00:00 GMT")  # in [-0.6, 0.5]
    clock.observe(at(1), at(1.1), "Sat, 05 Dec 2026 12:00:11 GMT")  # another server: 9.4..10.5
    wide = (
        timedelta(seconds=-0.6) - FRONT_SERVER_ALLOWANCE,
        timedelta(seconds=10.5) + FRONT_SERVER_ALLOWANCE,
    )
    assert clock.offset() == wide
    # An answer agreeing with one of them again does not pick that one.
    clock.observe(at(2), at(2.1), "Sat, 05 Dec 2026 12:00:02 GMT")
    assert clock.offset() == wide


@pytest.mark.parametrize(
    "date",
    [
        "Saturday, 05-Dec-26 12:05:00 GMT",  # RFC 850, obsolete but to be read (RFC 9110)
        "Sat Dec  5 12:05:00 2026",  # asctime
    ],
)
def test_obsolete_date_forms_are_read_as_gmt(date: str) -> None:
    clock = ServerClock()
    clock.observe(at(0), at(0.5), date)
    low, _ = clock.offset() or (None, None)
    assert low == timedelta(seconds=299) - FRONT_SERVER_ALLOWANCE


async def test_the_client_reads_every_answers_date() -> None:
    now = [at(0)]

    def answer(request: httpx.Request) -> httpx.Response:
        now[0] += SECOND / 10  # the answer takes 0.1 s
        return httpx.Response(
            200,
            json={"activities": []},
            headers={"Date": "Sat, 05 Dec 2026 11:58:00 GMT"},  # two minutes behind
        )

    client = make_client(httpx.MockTransport(answer), server_clock=ServerClock(lambda: now[0]))
    assert client.clock_offset() is None
    await client.activities_since(at(-60))
    low, high = client.clock_offset() or (None, None)
    assert low == timedelta(seconds=-120.6) - FRONT_SERVER_ALLOWANCE
    assert high == timedelta(seconds=-119.5) + FRONT_SERVER_ALLOWANCE
    await client.aclose()
