"""The plans the app shows (export details) and asks about (a run today's quota cannot hold).

A plan reads the export's segments (a row count; never the e-mails: ``count=False``), so it is
made in a worker thread, never on the event loop, and kept per export until something that
changes it happens (a run ends, an export is edited: :meth:`PlanBook.forget`).
"""

from __future__ import annotations

import threading

from cc_tui.engine.plan import ExportPlan, plan_export
from cc_tui.engine.services import Services
from cc_tui.errors import CcTuiError
from cc_tui.store.run_history import RunHistory
from cc_tui.store.verifications import VerificationStore

__all__ = ["PlanBook", "make_plan"]


def make_plan(services: Services, export: str) -> ExportPlan | str:
    """The plan of a run of ``export``, or why there is none (in words). Blocking."""
    try:
        return plan_export(
            services.config.load(),
            export,
            services.connections,
            RunHistory(services.history),
            VerificationStore(services.history),
            count=False,
        )
    except CcTuiError as exc:
        return str(exc)


class PlanBook:
    """Plans made so far, per export (thread-safe: workers write, the screen reads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[str, ExportPlan | str] = {}

    def get(self, export: str) -> ExportPlan | str | None:
        """The plan made for ``export``, or why there is none; None: not made yet."""
        with self._lock:
            return self._plans.get(export)

    def put(self, export: str, plan: ExportPlan | str) -> None:
        """Keep what a worker made."""
        with self._lock:
            self._plans[export] = plan

    def forget(self) -> None:
        """Make every plan again when next shown (runs ended, exports changed)."""
        with self._lock:
            self._plans.clear()
