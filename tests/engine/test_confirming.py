"""The confirmer against a scripted account and a fake clock: bad endings sent again,
counts from counters only, refused rows, and polling within its stated budget."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from cc_tui.engine.batching import Batch
from cc_tui.engine.confirming import MAX_ACTIVITY_ATTEMPTS
from cc_tui.engine.poll_budget import PollBudget
from cc_tui.engine.run_options import SenderTiming
from cc_tui.errors import ActivityDeadlineError
from cc_tui.models.batch import BatchRecord, BatchState
from tests.engine.sending_fakes import (
    IMPORT_PATH,
    FakeClock,
    SenderRig,
    make_batch,
    refused_rows,
    rig_with,
)

TIMING = SenderTiming(poll_busy=0.05, poll_idle=0.5)


async def test_bad_endings_are_sent_again_and_the_completed_activity_counts(
    tmp_path: Path,
) -> None:
    endings = [[(1.0, "cancelled")], [(1.0, "timed_out")], [(1.0, "completed")]]
    rig = rig_with(tmp_path, endings=endings)
    await rig.send([make_batch(1, 100)], TIMING)
    record = rig.history.batches(rig.run_id)[1]
    assert record.state is BatchState.CONFIRMED
    assert (record.confirmed, record.failed, record.unsubscribed) == (100, 0, 0)
    assert record.attempts == MAX_ACTIVITY_ATTEMPTS == 3
    assert record.activity_ids == tuple(a.activity_id for a in rig.account.activities)
    assert refused_rows(rig).height == 0  # never reported refused: an import completed
    assert rig.tracker.snapshot().failed == 0


async def test_a_batch_whose_every_activity_failed_is_refused_whole_with_the_reason(
    tmp_path: Path,
) -> None:
    rig = rig_with(tmp_path, endings=[[(1.0, "failed")]])
    await rig.send([make_batch(1, 20)], TIMING)
    record = rig.history.batches(rig.run_id)[1]
    assert (record.state, record.failed, record.attempts) == (BatchState.FAILED, 20, 3)
    rows = refused_rows(rig)
    assert rows.height == 20
    assert rows["detail"].str.contains(f"{record.activity_id} ended failed").all()


async def test_refused_counts_come_from_the_counters_and_texts_never_add_rows(
    tmp_path: Path,
) -> None:
    texts = [
        "Row 3 could not be imported",  # a row number alone names nobody for sure
        "p5@example.com: email domain does not accept mail",
        "bad value for p5@example.com",  # the same contact twice counts once
        "stranger@example.com is refused",  # not in this batch
        "P7@Example.com. rejected",
    ]
    counters = {"correctable_count": 2, "error_count": 1, "person_count": 97}
    rig = rig_with(tmp_path, counters=counters, errors=texts)
    await rig.send([make_batch(1, 10)], TIMING)
    record = rig.history.batches(rig.run_id)[1]
    assert (record.confirmed, record.failed) == (7, 3)
    assert record.errors[0] == "Row 3 could not be imported"  # kept as sent
    rows = refused_rows(rig)
    assert rows["row"].to_list() == ["6", "8"]
    assert any("1 contacts refused" in e.message for e in rig.tracker.events)


async def test_a_never_finishing_activity_stops_at_its_deadline_within_the_poll_budget(
    tmp_path: Path,
) -> None:
    rig = rig_with(tmp_path, endings=[[]])
    timing = SenderTiming()  # the defaults: a 2-hour deadline
    with pytest.raises(ActivityDeadlineError) as stopped:
        await rig.send([make_batch(1, 100)], timing)
    activity_id = rig.account.activities[0].activity_id
    assert stopped.value.activity_ids == (activity_id,)
    assert activity_id in str(stopped.value) and "2 h" in str(stopped.value)
    polls = rig.account.poll_times()
    assert rig.clock.now >= timing.activity_deadline
    budget = PollBudget(timing.poll_burst, timing.poll_refill, FakeClock().monotonic)
    assert len(polls) <= budget.max_requests(rig.clock.now) <= 150
    hourly = Counter(int(t // 3600) for t in polls)
    assert max(hourly.values()) <= budget.max_requests(3600) == 90
    assert budget.max_requests(86_400) == 1_470  # the daily figure SenderTiming states
    late = [b - a for a, b in itertools.pairwise(polls) if a >= 600]
    assert late and min(late) >= 60 - 1e-6  # a minute or more apart after the first minutes
    assert rig.account.count("POST", IMPORT_PATH) == 1  # waiting never sends again
    assert rig.history.batches(rig.run_id)[1].state is BatchState.POSTED


async def test_an_activity_not_served_by_id_yet_is_asked_for_again_not_a_failure(
    tmp_path: Path,
) -> None:
    # Listed only after 20 s, readable by id after 10 s: the confirmer asks by id after 5 s
    # and is told 404. Nothing promises an activity is readable the moment its import is
    # answered: that 404 stopped the run (NotFoundError) before.
    rig = rig_with(tmp_path, lag=20.0, by_id_lag=10.0)
    await rig.send([make_batch(1, 100)], TIMING)
    record = rig.history.batches(rig.run_id)[1]
    assert (record.state, record.confirmed, record.attempts) == (BatchState.CONFIRMED, 100, 1)
    assert rig.account.count("POST", IMPORT_PATH) == 1


def _posted_days_ago(rig: SenderRig, batch: Batch, days: float) -> BatchRecord:
    """A checkpoint of a run stopped after posting ``batch``, resumed ``days`` later; the
    account no longer lists its activity (or never had it)."""
    rig.clock.now = days * 86_400
    posted = rig.clock.utc() - timedelta(days=days)
    gone = str(uuid.uuid4())
    record = BatchRecord(
        run_id=rig.run_id,
        seq=batch.seq,
        state=BatchState.POSTED,
        contacts=batch.contacts,
        bytes=len(batch.body),
        digest=batch.digest,
        sent_at=posted,
        posted_at=posted,
        activity_id=gone,
        activity_ids=(gone,),
        attempts=1,
        uploads=1,
    )
    rig.history.record_answer(record)
    return record


async def test_a_run_resumed_after_its_activity_was_purged_sends_the_batch_again(
    tmp_path: Path,
) -> None:
    rig = rig_with(tmp_path)
    batch = make_batch(1, 100)
    stopped = _posted_days_ago(rig, batch, days=11)
    await rig.send([batch], TIMING, checkpoints={1: stopped})
    record = rig.history.batches(rig.run_id)[1]
    assert (record.state, record.confirmed, record.failed) == (BatchState.CONFIRMED, 100, 0)
    [fresh] = rig.account.activities
    assert record.activity_ids == (stopped.activity_id, fresh.activity_id)
    assert rig.account.count("POST", IMPORT_PATH) == 1
    assert any("no longer kept" in e.message for e in rig.tracker.events)


async def test_a_young_activity_that_is_not_found_is_never_sent_again(tmp_path: Path) -> None:
    rig = rig_with(tmp_path)
    batch = make_batch(1, 100)
    stopped = _posted_days_ago(rig, batch, days=1)
    with pytest.raises(ActivityDeadlineError):
        await rig.send([batch], TIMING, checkpoints={1: stopped})
    assert rig.account.count("POST", IMPORT_PATH) == 0  # waited for it, sent nothing twice
    assert rig.history.batches(rig.run_id)[1].state is BatchState.POSTED
