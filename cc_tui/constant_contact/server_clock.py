"""Constant Contact's clock against ours, read from the ``Date`` header of its answers.

An origin server with a clock must date every answer (RFC 9110 section 6.6.1: ``Date``, the
moment the answer was generated, to the second). An answer to a request that left at ``sent``
and came back at ``answered`` (both by our clock) was dated between the two, so Constant
Contact's clock minus ours lies in ``[date - answered, date + 1 s - sent]``. Every answer
narrows that range; a run knows it from its first request on, before any import of its own has
been answered (which measures it too, to the millisecond: see
:mod:`cc_tui.engine.reconciler`).

The range is widened by :data:`FRONT_SERVER_ALLOWANCE` when it is used: the ``Date`` may be
written by a front server and an activity's ``created_at`` by another machine. Answers that
disagree (servers whose clocks differ, a clock stepped during the run) make it the span of all
of them from then on, never a guess between them. A server that sends no ``Date``, or one that
cannot be read, measures nothing: the caller keeps its allowed skew.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = ["DATE_PRECISION", "FRONT_SERVER_ALLOWANCE", "OffsetRange", "ServerClock"]

OffsetRange = tuple[timedelta, timedelta]
"""Constant Contact's clock minus ours: at least the first, at most the second."""

DATE_PRECISION = timedelta(seconds=1)  # HTTP dates have whole seconds (cut, not rounded)
# Between the clock that dates an answer and the one that stamps an activity: servers kept by
# NTP agree to milliseconds; this allows two seconds, so a window is never cut by a front
# server's clock.
FRONT_SERVER_ALLOWANCE = timedelta(seconds=2)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ServerClock:
    """What the answers' ``Date`` headers say of Constant Contact's clock (module docstring)."""

    def __init__(self, now: Callable[[], datetime] = _utc_now) -> None:
        self._now = now
        self._range: OffsetRange | None = None
        self._disagreed = False

    def now(self) -> datetime:
        """Our clock, as the observations read it (a test may give another)."""
        return self._now()

    def observe(self, sent: datetime, answered: datetime, date: str | None) -> None:
        """Take one answer's ``Date`` header (None or unreadable: nothing measured)."""
        stated = _http_date(date)
        if stated is None:
            return
        low, high = stated - answered, stated + DATE_PRECISION - sent
        if self._range is None:
            self._range = (low, high)
            return
        old_low, old_high = self._range
        narrowed = (max(old_low, low), min(old_high, high))
        if not self._disagreed and narrowed[0] <= narrowed[1]:
            self._range = narrowed
            return
        self._disagreed = True
        self._range = (min(old_low, low), max(old_high, high))

    def offset(self) -> OffsetRange | None:
        """The measured range, widened by :data:`FRONT_SERVER_ALLOWANCE`; None before any
        answer stated its date."""
        if self._range is None:
            return None
        low, high = self._range
        return low - FRONT_SERVER_ALLOWANCE, high + FRONT_SERVER_ALLOWANCE


def _http_date(value: str | None) -> datetime | None:
    """An HTTP date (IMF-fixdate, or the obsolete RFC 850 and asctime forms Python reads) as
    an aware UTC time; None when absent or unreadable."""
    if not value:
        return None
    try:
        stated = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # HTTP dates are always in GMT; "-0000" reads as naive.
    return stated.replace(tzinfo=UTC) if stated.tzinfo is None else stated.astimezone(UTC)
