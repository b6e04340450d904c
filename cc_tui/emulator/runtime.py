"""One running emulator: its settings, account state, tokens, limits, faults and statistics."""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cc_tui.emulator.activity import UNFINISHED, ImportActivity
from cc_tui.emulator.faults import FaultInjector
from cc_tui.emulator.imports import prepare_import
from cc_tui.emulator.limits import RequestLimiter
from cc_tui.emulator.oauth import OAuthServer
from cc_tui.emulator.persistence import load_state_file, save_state_file
from cc_tui.emulator.schema import ImportChecker
from cc_tui.emulator.seed import seed_demo_data
from cc_tui.emulator.settings import EmulatorSettings
from cc_tui.emulator.state import EmulatorState
from cc_tui.emulator.stats import Stats
from cc_tui.emulator.tuning import apply_changes

__all__ = ["Emulator"]

logger = logging.getLogger(__name__)

_TEXT_SEED_BITS = 32


class Emulator:
    """Everything the routes share; reached as ``request.app.state.emulator``."""

    def __init__(self, settings: EmulatorSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._machine_clock = clock
        self.state = EmulatorState(lambda: self.settings, self.clock)
        self.oauth = OAuthServer(lambda: self.settings, self.clock)
        self.limiter = RequestLimiter()
        self.stats = Stats()
        self.faults = FaultInjector(settings.seed)
        # The wording of activity_errors: seeded, but apart from the faults so that it never
        # shifts their sequence.
        self._text_seeds = random.Random(settings.seed)
        self._refused: Counter[str] = Counter()
        self._refused_lock = threading.Lock()
        self.checker = ImportChecker()
        path = settings.state_file
        if path is not None and path.exists():
            load_state_file(path, self.state, self.oauth)
        elif settings.seed_demo_data:
            seed_demo_data(self.state)

    def clock(self) -> float:
        """The server's time (seconds since the epoch): the machine's, moved by
        ``clock_offset``."""
        return self._machine_clock() + self.settings.clock_offset

    def update_settings(self, changes: Mapping[str, Any]) -> EmulatorSettings:
        """Change settings at run time (``ValueError`` names a bad one).

        A ``seed`` change restarts the fault sequence from that seed.
        """
        changes = dict(changes)
        reseed = "seed" in changes
        seed = changes.pop("seed", None)
        if reseed and seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("seed: must be a whole number or null")
        updated = apply_changes(self.settings, changes)
        if reseed:
            updated = dataclasses.replace(updated, seed=seed)
            self.faults.reseed(seed)
            self._text_seeds.seed(seed)
        # Finish the processing that happened at the old speed before the speed changes.
        self.state.advance()
        self.settings = updated
        return updated

    def reset(self) -> None:
        """Back to the seeded account with fresh statistics, limits and fault sequence.

        Tokens survive, so a signed-in client keeps working across test cases.
        """
        with self.state.lock:  # nobody sees the empty account in between
            self.state.clear()
            if self.settings.seed_demo_data:
                seed_demo_data(self.state)
        self.stats.reset()
        with self._refused_lock:
            self._refused.clear()
        self.limiter.reset()
        self.faults.reseed(self.settings.seed)
        self._text_seeds.seed(self.settings.seed)

    def save(self) -> Path | None:
        """Write the state file if one is configured; returns its path."""
        path = self.settings.state_file
        if path is not None:
            save_state_file(path, self.state, self.oauth)
        return path

    def stats_snapshot(self) -> dict[str, Any]:
        """The body of ``GET /__emulator/stats``.

        ``contacts_refused`` counts the contacts of accepted imports that were refused one by
        one, by reason (api-rules section 3 "Values"; see :mod:`cc_tui.emulator.refusals`).
        """
        body = self.stats.snapshot()
        with self._refused_lock:
            body["contacts_refused"] = dict(sorted(self._refused.items()))
        overall, per_app = self.limiter.max_requests_in_one_second()
        body["max_requests_in_one_second"] = overall
        body["max_requests_in_one_second_per_application"] = per_app
        body["contacts_stored"] = self.state.contact_count()
        return body

    def submit_import(self, body: bytes) -> dict[str, Any]:
        """Check an import body and queue its activity (runs in a worker thread)."""
        settings = self.settings
        known_lists, custom_fields = self.state.import_targets()
        prepared = prepare_import(body, settings, self.checker, known_lists, custom_fields)
        outcome, stop_after = self._draw_outcome(len(prepared.items))
        activity = ImportActivity(
            str(uuid.uuid4()),
            0.0,  # set when queued
            prepared.list_ids,
            prepared.items,
            len(prepared.items),
            stop_after=stop_after,
            outcome=outcome,
            refusals=prepared.refusals,
            text_seed=self._text_seeds.getrandbits(_TEXT_SEED_BITS),
            max_errors=settings.max_activity_errors,
        )
        created = self.state.create_import(activity)
        self.stats.event("imports")
        self.stats.event("activities_created")
        self.stats.event("contacts_submitted", len(prepared.items))
        with self._refused_lock:
            self._refused.update(refusal.reason.value for refusal in prepared.refusals.values())
        return created

    def _draw_outcome(self, total: int) -> tuple[str, int | None]:
        """How the next activity ends, and after how many contacts if not ``completed``.

        At most one outcome per activity, drawn in this order; a rate of 0 draws nothing.
        """
        settings = self.settings
        draws = (
            ("failed", settings.failed_activity_rate, "failed_activity"),
            ("cancelled", settings.cancelled_activity_rate, "cancelled_activity"),
            ("timed_out", settings.timed_out_activity_rate, "timed_out_activity"),
            (UNFINISHED, settings.unfinished_activity_rate, "unfinished_activity"),
        )
        for outcome, rate, fault in draws:
            if self.faults.happens(rate):
                stop_after = int(self.faults.fraction() * total)
                self.stats.fault(fault)
                logger.debug(
                    "fault: the next activity is %s after %d contacts", outcome, stop_after
                )
                return outcome, stop_after
        return "completed", None
