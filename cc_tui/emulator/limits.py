"""Per-application request limits: a sliding one-second window and a daily quota.

An application is a client_id. At most ``rate_limit_per_second`` accepted requests may fall in
any one-second window; a request over that is throttled and does not take a slot. The daily
quota counts accepted requests per UTC day. The limiter also records, for the statistics, the
most requests (throttled ones included) that arrived within one second, and the shortest time
in which one more request than the limit arrived (under 1 s means the limit was exceeded; the
amount over 1 s is the headroom a client's spacing kept after the network's jitter).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["WINDOW_SECONDS", "RequestLimiter", "Verdict"]

WINDOW_SECONDS = 1.0
DAY_SECONDS = 86_400


class Verdict(Enum):
    """What happens to one request."""

    ACCEPTED = "accepted"
    THROTTLED = "throttled"
    QUOTA_EXCEEDED = "quota_exceeded"


@dataclass(slots=True)
class _Application:
    accepted: deque[float] = field(default_factory=deque)  # monotonic arrival times
    arrivals: deque[float] = field(default_factory=deque)  # every arrival, for the statistics
    day: int = -1
    used_today: int = 0
    max_in_window: int = 0
    recent: deque[float] = field(default_factory=deque)  # the last `per_second + 1` arrivals
    tightest_span: float = math.inf  # shortest time spanned by `per_second + 1` arrivals


class RequestLimiter:
    """Decides each request's fate from its arrival time; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._apps: dict[str, _Application] = {}
        self.resets = 0
        """How many times :meth:`reset` ran (what is seeded per reset follows it)."""

    def admit(
        self, client_id: str, arrived: float, wall_time: float, per_second: int, daily_quota: int
    ) -> Verdict:
        """Record one request arriving at monotonic time ``arrived`` and judge it."""
        with self._lock:
            app = self._apps.setdefault(client_id, _Application())
            _record_arrival(app, arrived, per_second)
            day = int(wall_time // DAY_SECONDS)  # UTC days: the quota resets at 00:00 UTC
            if day != app.day:
                app.day, app.used_today = day, 0
            if app.used_today >= daily_quota:
                return Verdict.QUOTA_EXCEEDED
            accepted = app.accepted
            while accepted and arrived - accepted[0] >= WINDOW_SECONDS:
                accepted.popleft()
            if len(accepted) >= per_second:
                return Verdict.THROTTLED
            accepted.append(arrived)
            app.used_today += 1
            return Verdict.ACCEPTED

    def max_requests_in_one_second(self) -> tuple[int, dict[str, int]]:
        """The highest arrivals-per-second overall and per application."""
        with self._lock:
            per_app = {key: app.max_in_window for key, app in self._apps.items()}
        return max(per_app.values(), default=0), per_app

    def tightest_spans(self) -> dict[str, float]:
        """Per application, the shortest time in which ``per_second + 1`` requests arrived
        (seconds, rounded to the millisecond); applications that never sent that many are left
        out."""
        with self._lock:
            return {
                key: round(app.tightest_span, 3)
                for key, app in sorted(self._apps.items())
                if math.isfinite(app.tightest_span)
            }

    def reset(self) -> None:
        """Forget every window, quota count and maximum."""
        with self._lock:
            self._apps.clear()
            self.resets += 1


def _record_arrival(app: _Application, arrived: float, per_second: int) -> None:
    recent = app.recent
    recent.append(arrived)
    while len(recent) > per_second + 1:
        recent.popleft()
    if len(recent) == per_second + 1:
        app.tightest_span = min(app.tightest_span, recent[-1] - recent[0])
    arrivals = app.arrivals
    while arrivals and arrived - arrivals[0] >= WINDOW_SECONDS:
        arrivals.popleft()
    arrivals.append(arrived)
    app.max_in_window = max(app.max_in_window, len(arrivals))
