"""The sender against a scripted account and a fake clock: lost answers settled before
anything is sent again, a killed run's uploads, one import of a size in flight at a time."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from cc_tui.engine.run_options import SenderTiming
from cc_tui.models.batch import BatchRecord, BatchState
from tests.engine.sending_fakes import (
    IMPORT_PATH,
    FakeAccount,
    make_batch,
    rig_with,
)

TIMING = SenderTiming(poll_busy=0.05, poll_idle=0.5)
_TURNS = 500  # event-loop turns an import is held: long enough for another to start


@pytest.mark.parametrize("outcome", ["500", "drop"])
async def test_an_import_created_before_its_answer_was_lost_is_claimed_not_sent_again(
    tmp_path: Path, outcome: str
) -> None:
    rig = rig_with(tmp_path, outcomes=[outcome, "201"], lag=1.0)
    await rig.send([make_batch(1, 100)], TIMING)
    assert rig.account.count("POST", IMPORT_PATH) == 1
    assert rig.account.contacts_submitted == 100
    record = rig.history.batches(rig.run_id)[1]
    assert record.state is BatchState.CONFIRMED and record.confirmed == 100
    assert (record.uploads, record.attempts) == (1, 1)
    assert record.activity_ids == (rig.account.activities[0].activity_id,)
    assert any("did reach Constant Contact" in e.message for e in rig.tracker.events)


async def test_a_request_that_never_arrived_is_sent_again_once_the_list_had_time(
    tmp_path: Path,
) -> None:
    rig = rig_with(tmp_path, outcomes=["lost", "201"], lag=1.0)
    await rig.send([make_batch(1, 100)], TIMING)
    posts = [t for t, method, path in rig.account.requests if path == IMPORT_PATH]
    assert len(posts) == 2 and posts[1] - posts[0] >= TIMING.visibility_wait
    assert rig.account.contacts_submitted == 100  # the lost one created nothing
    record = rig.history.batches(rig.run_id)[1]
    assert (record.state, record.uploads, record.attempts) == (BatchState.CONFIRMED, 2, 1)


async def test_a_killed_runs_upload_is_settled_before_anything_is_sent(tmp_path: Path) -> None:
    rig = rig_with(tmp_path)
    rig.clock.now = 50.0
    batch = make_batch(1, 100)
    arrived = rig.account.add_activity(100, created=47.0, ends=[(0.0, "completed")])
    record = BatchRecord(
        run_id=rig.run_id, seq=1, state=BatchState.UPLOADING, contacts=100,
        bytes=len(batch.body), digest=batch.digest, uploads=1,
        sent_at=rig.clock.utc() - timedelta(seconds=5),
    )  # fmt: skip
    rig.history.save_batch(record)
    await rig.send([batch], TIMING, checkpoints={1: record})
    assert rig.account.count("POST", IMPORT_PATH) == 0
    saved = rig.history.batches(rig.run_id)[1]
    assert (saved.state, saved.activity_id) == (BatchState.CONFIRMED, arrived.activity_id)
    assert (saved.attempts, saved.uploads) == (1, 1)


class _SlowImports(httpx.AsyncBaseTransport):
    """Holds each import a few loop turns and notes which sizes were in flight together."""

    def __init__(self, account: FakeAccount) -> None:
        self.account = account
        self.in_flight: Counter[int] = Counter()
        self.most_same_size = 0
        self.most_at_once = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != IMPORT_PATH:
            return self.account(request)
        await request.aread()
        size = len(json.loads(request.content)["import_data"])
        self.in_flight[size] += 1
        self.most_same_size = max(self.most_same_size, self.in_flight[size])
        self.most_at_once = max(self.most_at_once, sum(self.in_flight.values()))
        for _ in range(_TURNS):
            await asyncio.sleep(0)
        self.in_flight[size] -= 1
        return self.account(request)


async def test_two_imports_of_the_same_size_are_never_in_flight_together(tmp_path: Path) -> None:
    rig = rig_with(tmp_path)
    slow = _SlowImports(rig.account)
    rig.transport = slow
    batches = [make_batch(1, 50), make_batch(2, 50, start=50), make_batch(3, 50, start=100),
               make_batch(4, 17, start=150)]  # fmt: skip
    queue: asyncio.Queue[object] = asyncio.Queue()
    for batch in [*batches, None]:
        queue.put_nowait(batch)
    await rig.sender(TIMING, workers=4).run(queue)  # type: ignore[arg-type]
    assert slow.most_same_size == 1
    assert slow.most_at_once == 2  # sizes that cannot be confused still go in parallel
    states = {b.state for b in rig.history.batches(rig.run_id).values()}
    assert states == {BatchState.CONFIRMED}
