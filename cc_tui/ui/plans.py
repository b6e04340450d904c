"""The plans the app shows (export details).

A plan reads the export's segments (a row count; never the e-mails: ``count=False``), so the
service makes it (for someone who could read them) and a worker waits for it, never the event
loop; it is kept per export until something that
changes it happens (a run ends, an export is edited: :meth:`PlanBook.forget`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from cc_tui.errors import CcTuiError

if TYPE_CHECKING:
    from cc_tui.engine.plan import ExportPlan
    from cc_tui.service.home_client import HomeClient

__all__ = ["PLAN_FAILED", "PlanBook", "make_plan"]

PLAN_FAILED = "it could not be worked out here (cc-tui plan EXPORT says why)"
"""What the details say when the worker making a plan failed or was stopped."""


async def make_plan(client: HomeClient, export: str) -> ExportPlan | str:
    """The plan of a run of ``export``, or why there is none (in words)."""
    try:
        return await client.plan(export, count=False)
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
