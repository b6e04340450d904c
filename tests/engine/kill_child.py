"""A process for kill tests to SIGKILL: ``python -m tests.engine.kill_child HOME EXPORT MODE``.

It runs (or resumes) the export exactly as ``cc-tui run`` does, through ExportRunner, with test
timings (small batches, a short wait for the activity list), so a test can kill it several times
without waiting the 30 s a real server is given. MODE ``hang`` lets the first import request
reach the emulator, then never hands its answer back: the process is killed after Constant
Contact created the activity and before cc-tui could record it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

from cc_tui.engine.run_options import RunOptions, SenderTiming
from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.services import Services
from cc_tui.paths import AppPaths

BATCH_CONTACTS = 500
TIMING = SenderTiming(poll_busy=0.05, poll_idle=0.05, visibility_wait=1.5, clock_skew=0.1)
IMPORT_PATH = "/v3/activities/contacts_json_import"


class _AnswerNeverComes(httpx.AsyncHTTPTransport):
    """Sends every request; the answer to the first import is held back forever."""

    def __init__(self) -> None:
        super().__init__()
        self._held = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if request.url.path == IMPORT_PATH and not self._held:
            self._held = True
            await response.aread()
            await asyncio.Event().wait()  # until the test kills the process
        return response


def main(home: str, export: str, mode: str) -> None:
    services = Services.open(AppPaths.resolve(Path(home)))
    transport = _AnswerNeverComes() if mode == "hang" else None
    options = RunOptions(max_batch_contacts=BATCH_CONTACTS, timing=TIMING)
    asyncio.run(ExportRunner(services, transport=transport).run(export, options))


if __name__ == "__main__":
    main(*sys.argv[1:4])
