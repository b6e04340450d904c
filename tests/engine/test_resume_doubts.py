"""A run stopped with an import in doubt resumes without sending that batch twice, whatever
lost uploads of other batches came before it (clock skew allowed as in production)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.models.batch import BatchState
from cc_tui.models.run import RunStatus
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.engine.test_runner import people_csv
from tests.timing import FAST

BATCH = 100
ROWS = 3 * BATCH  # three batches of the same size
IMPORT_PATH = "/v3/activities/contacts_json_import"
# Production's allowance for Constant Contact's clock against ours; the rest brisk.
TIMING = replace(FAST, clock_skew=60.0)
OPTIONS = RunOptions(max_batch_contacts=BATCH, workers=1, timing=TIMING)


class _LostThenHeld(httpx.AsyncHTTPTransport):
    """The first import never reaches Constant Contact (a 503 from a proxy in front of it);
    the third reaches it and its answer never comes back (the process dies waiting)."""

    def __init__(self) -> None:
        super().__init__()
        self.imports = 0
        self.held = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != IMPORT_PATH:
            return await super().handle_async_request(request)
        self.imports += 1
        if self.imports == 1:
            await request.aread()
            return httpx.Response(503, text="Service Unavailable", request=request)
        response = await super().handle_async_request(request)
        if self.imports == 3:
            await response.aread()
            self.held.set()
            await asyncio.Event().wait()  # until the run is stopped
        return response


async def _stopped_while_held(ws: Workspace) -> None:
    transport = _LostThenHeld()
    going = asyncio.create_task(
        ExportRunner(ws.services, transport=transport).run("promo", OPTIONS)
    )
    held = asyncio.create_task(transport.held.wait())
    await asyncio.wait({going, held}, return_when=asyncio.FIRST_COMPLETED)
    assert held.done(), going.result()
    going.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await going


@pytest.mark.parametrize(
    "server_ahead",
    [
        0.0,
        # Constant Contact's clock five minutes behind ours (a machine without time sync, or
        # set by hand): past the allowed skew, the doubtful batch's own import would fall
        # outside its window and the batch be sent twice; its answers' Date headers tell it.
        -300.0,
    ],
)
def test_an_import_in_doubt_after_another_batch_s_lost_upload_is_claimed_not_sent_again(
    make_workspace: Callable[..., Workspace], server_ahead: float
) -> None:
    ws = make_workspace(clock_offset=server_ahead)
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    asyncio.run(_stopped_while_held(ws))
    history = RunHistory(ws.services.history)
    [stopped] = history.runs(export="promo")
    doubtful = [
        b for b in history.batches(stopped.run_id).values() if b.state is BatchState.UPLOADING
    ]
    assert len(doubtful) == 1 and ws.emulator.stats()["activities_created"] == 2

    events: list[str] = []
    runner = ExportRunner(ws.services)
    record = asyncio.run(
        runner.run("promo", OPTIONS, on_event=lambda event: events.append(event.message))
    )
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert any(e.startswith("1 batch was being uploaded when the run stopped") for e in events)
    assert ws.members() == {f"person{i}@example.com" for i in range(ROWS)}
    assert ws.emulator.stats()["contacts_submitted"] == ROWS  # nothing sent twice
    [settled] = [history.batches(record.run_id)[b.seq] for b in doubtful]
    assert (settled.state, settled.uploads, settled.attempts) == (BatchState.CONFIRMED, 1, 1)
