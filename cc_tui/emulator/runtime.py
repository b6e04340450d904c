"""One running emulator: its settings, account state, tokens, limits, faults and statistics."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

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


class Emulator:
    """Everything the routes share; reached as ``request.app.state.emulator``."""

    def __init__(self, settings: EmulatorSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.state = EmulatorState(lambda: self.settings, clock)
        self.oauth = OAuthServer(lambda: self.settings, clock)
        self.limiter = RequestLimiter()
        self.stats = Stats()
        self.faults = FaultInjector(settings.seed)
        self.checker = ImportChecker()
        path = settings.state_file
        if path is not None and path.exists():
            load_state_file(path, self.state, self.oauth)
        elif settings.seed_demo_data:
            seed_demo_data(self.state)

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
        self.limiter.reset()
        self.faults.reseed(self.settings.seed)

    def save(self) -> Path | None:
        """Write the state file if one is configured; returns its path."""
        path = self.settings.state_file
        if path is not None:
            save_state_file(path, self.state, self.oauth)
        return path

    def stats_snapshot(self) -> dict[str, Any]:
        """The body of ``GET /__emulator/stats``."""
        body = self.stats.snapshot()
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
        fail_after = None
        if self.faults.happens(settings.failed_activity_rate):
            fail_after = int(self.faults.fraction() * len(prepared.items))
            self.stats.fault("failed_activity")
            logger.debug("fault: the next activity fails after %d contacts", fail_after)
        activity = self.state.create_import(prepared.list_ids, prepared.items, fail_after)
        self.stats.event("imports")
        self.stats.event("activities_created")
        self.stats.event("contacts_submitted", len(prepared.items))
        return activity
