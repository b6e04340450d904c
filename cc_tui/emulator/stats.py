"""Request statistics for tests: counts per status, per route, per fault, and more."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["DROPPED", "Stats"]

DROPPED = "dropped"  # the "status" of a request whose connection was dropped


class Stats:
    """Thread-safe counters; :meth:`snapshot` is the body of ``GET /__emulator/stats``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_status: Counter[str] = Counter()
        self._by_path: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._events: Counter[str] = Counter()

    def api_request(self, route: str, status: int | str) -> None:
        """One finished /v3 request (``route`` is ``"GET /v3/contact_lists/{list_id}"``)."""
        with self._lock:
            self._by_status[str(status)] += 1
            self._by_path[route] += 1

    def fault(self, kind: str) -> None:
        """One injected fault (error, ambiguous, drop, latency, failed_activity)."""
        with self._lock:
            self._faults[kind] += 1

    def event(self, name: str, count: int = 1) -> None:
        """Anything else worth counting (throttled, imports, token_requests...)."""
        with self._lock:
            self._events[name] += count

    def snapshot(self) -> dict[str, Any]:
        """Every counter, JSON-ready."""
        with self._lock:
            events = self._events
            return {
                "requests_total": sum(self._by_status.values()),
                "by_status": dict(sorted(self._by_status.items())),
                "by_path": dict(sorted(self._by_path.items())),
                "throttled": events["throttled"],
                "quota_exceeded": events["quota_exceeded"],
                "imports": events["imports"],
                "activities_created": events["activities_created"],
                "contacts_submitted": events["contacts_submitted"],
                "device_authorizations": events["device_authorizations"],
                "token_requests": events["token_requests"],
                "refresh_requests": events["refresh_requests"],
                "faults": dict(sorted(self._faults.items())),
            }

    def reset(self) -> None:
        """Zero everything."""
        with self._lock:
            for counter in (self._by_status, self._by_path, self._faults, self._events):
                counter.clear()
