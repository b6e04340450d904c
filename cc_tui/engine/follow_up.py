"""Around a run, beside sending: list counts before it, then verify and notify after it.

:class:`~cc_tui.engine.runner.ExportRunner` hands every run (from the CLI, the app, the
scheduler or the service) to a :class:`RunFollowUp`, so they all get the same checks and
notifications. Nothing here changes a run's status or exit code: a verification mismatch marks
the run *unverified* (stored beside its status), and a notifier that fails is logged.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import httpx

from cc_tui.engine.execution import ClientFactory
from cc_tui.engine.notify import notify_run, notify_settings
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.resolution import ResolvedRun
from cc_tui.engine.verify import DEFAULT_SAMPLE, SampleKeeper, count_members, verify_run
from cc_tui.errors import CcTuiError
from cc_tui.models.config import AppConfig
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.verification import VerifyState
from cc_tui.store.run_history import RunHistory
from cc_tui.store.verifications import VerificationStore
from cc_tui.verify_words import verify_sentence

__all__ = ["RunFollowUp"]

log = logging.getLogger("cc_tui.engine.runner")
# Runs whose every contact reached a final state: the ones worth checking on the lists.
_CHECKED = frozenset({RunStatus.SUCCEEDED, RunStatus.PARTIAL})


class RunFollowUp:
    """Counts a new run's lists before it, keeps e-mails to sample, verifies and notifies."""

    def __init__(
        self,
        config: AppConfig,
        resolved: ResolvedRun,
        history: RunHistory,
        store: VerificationStore,
        open_client: ClientFactory,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.resolved = resolved
        self.history = history
        self.store = store
        self._open_client = open_client
        self._transport = transport
        self.keeper = SampleKeeper()

    async def before(self, run: RunRecord) -> None:
        """A new real run: count its lists' members now (one request per list)."""
        connection = self.resolved.connection
        if run.dry_run or run.attempts > 1 or connection is None:
            return
        try:
            async with self._open_client(connection) as client:
                counts = await count_members(client, self.resolved.export.list_ids)
        except CcTuiError as exc:
            # The run goes on; its check will say the count from before is unknown.
            log.warning("run %s: list counts before the run not taken: %s", run.run_id, exc)
            return
        self.store.save_lists_before(run.run_id, counts)

    async def after(self, record: RunRecord, tracker: ProgressTracker) -> RunRecord:
        """Keep the sampled e-mails, verify a finished real run, then notify."""
        if record.dry_run:
            return record
        self.store.add_sample(record.run_id, self.keeper.taken())
        connection = self.resolved.connection
        if record.status in _CHECKED and connection is not None and record.confirmed:
            tracker.event("Checking the lists: membership counts and a sample of e-mails")
            async with self._open_client(connection) as client:
                result = await verify_run(
                    client,
                    self.history,
                    self.store,
                    record,
                    self.resolved.export.list_ids,
                    sample=DEFAULT_SAMPLE,
                )
            record = replace(record, verification=result)
            level = "info" if result.state is VerifyState.VERIFIED else "warning"
            tracker.event(
                f"{verify_sentence(result)} ({result.requests} requests)", level, milestone=True
            )
        settings = notify_settings(self.config, record.export)
        for problem in await notify_run(settings, record, transport=self._transport):
            tracker.event(f"Notification failed (the run's result stands): {problem}", "warning")
        return record
