"""Request statistics for tests: counts per status, per route, per fault, and more."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
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
        self._app_events: Counter[tuple[str, str]] = Counter()  # (event, client_id)
        self._sources: dict[str, Callable[[], Any]] = {}

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

    def application_event(self, client_id: str, name: str) -> None:
        """An event also counted per application (``throttled``, ``quota_exceeded``)."""
        with self._lock:
            self._app_events[name, client_id] += 1

    def include(self, key: str, source: Callable[[], Any]) -> None:
        """Add ``key`` to every snapshot, its value read from ``source`` (another part's
        figures, such as the rate limiter's)."""
        with self._lock:
            self._sources[key] = source

    def _per_application(self, name: str) -> dict[str, int]:
        found = {app: n for (event, app), n in self._app_events.items() if event == name}
        return dict(sorted(found.items()))

    def snapshot(self) -> dict[str, Any]:
        """Every counter, JSON-ready."""
        with self._lock:
            events = self._events
            body = {
                "requests_total": sum(self._by_status.values()),
                "by_status": dict(sorted(self._by_status.items())),
                "by_path": dict(sorted(self._by_path.items())),
                "throttled": events["throttled"],
                "throttled_per_application": self._per_application("throttled"),
                "quota_exceeded": events["quota_exceeded"],
                "imports": events["imports"],
                "activities_created": events["activities_created"],
                "contacts_submitted": events["contacts_submitted"],
                "device_authorizations": events["device_authorizations"],
                "token_requests": events["token_requests"],
                "refresh_requests": events["refresh_requests"],
                "faults": dict(sorted(self._faults.items())),
            }
            sources = list(self._sources.items())
        for key, source in sources:  # outside our lock: each source takes its own
            body[key] = source()
        return body

    def reset(self) -> None:
        """Zero everything."""
        with self._lock:
            for counter in (self._by_status, self._by_path, self._faults, self._events):
                counter.clear()
            self._app_events.clear()
