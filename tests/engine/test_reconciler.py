"""Settling batches whose import answer was lost: list lag, rivals, clock skew, paging."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cc_tui.engine.reconciler import ImportReconciler, Settlement
from cc_tui.errors import OutcomeUnknownError
from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.store.run_history import RunHistory
from tests.engine.sending_fakes import (
    ACTIVITIES_PATH,
    FakeAccount,
    SenderRig,
    make_rig,
    new_run,
)

WAIT = 30.0


def rig_with(tmp_path: Path, *, lag: float = 0.0, ahead: float | None = None) -> SenderRig:
    return make_rig(tmp_path, lambda clock: FakeAccount(clock, lag=lag, ahead=ahead))


def uploading(
    history: RunHistory, run_id: str, seq: int, contacts: int, sent: datetime
) -> BatchRecord:
    record = BatchRecord(
        run_id=run_id,
        seq=seq,
        state=BatchState.UPLOADING,
        contacts=contacts,
        bytes=1000,
        digest="0" * 64,
        sent_at=sent,
        uploads=1,
    )
    history.save_batch(record)
    return record


async def settle(rig: SenderRig, *records: BatchRecord, skew: float = 60.0) -> list[Settlement]:
    reconciler = ImportReconciler(
        rig.account.client(),
        rig.history,
        visibility_wait=WAIT,
        clock_skew=skew,
        creation_window=600.0,
        now=rig.clock.utc,
        sleep=rig.clock.sleep,
    )
    return await reconciler.settle(records)


def lists_read(rig: SenderRig) -> int:
    return rig.account.count("GET", ACTIVITIES_PATH)


async def test_an_import_that_shows_late_in_the_list_is_claimed_not_sent_again(
    tmp_path: Path,
) -> None:
    rig = rig_with(tmp_path, lag=5.0)
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    activity = rig.account.add_activity(100, created=rig.clock.now + 0.2)
    [settled] = await settle(rig, record)
    assert settled.record.state is BatchState.POSTED
    assert settled.record.activity_id == activity.activity_id
    assert (settled.record.attempts, settled.record.activity_ids) == (1, (activity.activity_id,))
    assert 5.0 <= rig.clock.now < WAIT  # it waited for the lag, and no longer
    saved = rig.history.batches(rig.run_id)[1]
    assert saved.state is BatchState.POSTED and saved.activity_ids == (activity.activity_id,)


async def test_an_import_that_never_arrived_is_sent_again_only_after_the_wait(
    tmp_path: Path,
) -> None:
    rig = rig_with(tmp_path)
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    [settled] = await settle(rig, record)
    assert settled.record.state is BatchState.PENDING and settled.activity is None
    assert settled.record.sent_at is None
    assert rig.clock.now >= WAIT
    assert lists_read(rig) <= 8  # 0, 0.5, 1.5, 3.5, 7.5, 15.5, 23.5, 30 s
    assert rig.history.batches(rig.run_id)[1].state is BatchState.PENDING


async def test_an_activity_another_batch_recorded_is_never_claimed(tmp_path: Path) -> None:
    rig = rig_with(tmp_path)
    theirs = rig.account.add_activity(100, created=rig.clock.now)
    other = uploading(rig.history, rig.run_id, 2, 100, rig.clock.utc())
    rig.history.record_answer(
        replace(other, state=BatchState.POSTED, activity_id=theirs.activity_id)
    )
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    [settled] = await settle(rig, record)
    assert settled.record.state is BatchState.PENDING
    assert rig.history.batches(rig.run_id)[2].activity_ids == (theirs.activity_id,)


async def test_an_activity_another_batch_in_doubt_could_own_is_left_to_nobody(
    tmp_path: Path,
) -> None:
    rig = rig_with(tmp_path)
    other_run = new_run(rig.history, "run-2", "other-export")
    rival = uploading(rig.history, other_run, 1, 100, rig.clock.utc() - timedelta(seconds=2))
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    activity = rig.account.add_activity(100, created=rig.clock.now + 0.1)
    [settled] = await settle(rig, record)
    assert settled.record.state is BatchState.PENDING
    assert settled.disputed == (activity.activity_id,)
    # The rival, settled later, cannot take it either: both are sent again, never mixed up.
    [theirs] = await settle(rig, rival)
    assert theirs.record.state is BatchState.PENDING and theirs.activity is None


async def test_two_batches_in_doubt_of_the_same_size_claim_nothing(tmp_path: Path) -> None:
    rig = rig_with(tmp_path)
    first = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    second = uploading(rig.history, rig.run_id, 2, 100, rig.clock.utc() + timedelta(seconds=1))
    found = {rig.account.add_activity(100, created=t).activity_id for t in (0.5, 1.5)}
    rig.clock.now = 2.0
    settled = await settle(rig, first, second)
    assert [s.record.state for s in settled] == [BatchState.PENDING, BatchState.PENDING]
    assert {i for s in settled for i in s.disputed} == found
    assert rig.history.recorded_activities(found) == found  # nobody may claim them later


async def test_batches_of_different_sizes_each_claim_their_own(tmp_path: Path) -> None:
    rig = rig_with(tmp_path)
    big = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    small = uploading(rig.history, rig.run_id, 2, 37, rig.clock.utc())
    for_small = rig.account.add_activity(37, created=0.1)
    for_big = rig.account.add_activity(100, created=0.2)
    rig.clock.now = 0.5
    settled = await settle(rig, big, small)
    assert [s.record.activity_id for s in settled] == [for_big.activity_id, for_small.activity_id]
    assert (rig.clock.now, lists_read(rig)) == (0.5, 1)  # found at the first look


@pytest.mark.parametrize(("behind", "skew", "claimed"), [(40, 60, True), (40, 30, False)])
async def test_the_server_clock_may_be_behind_ours_by_the_allowed_skew(
    tmp_path: Path, behind: float, skew: float, claimed: bool
) -> None:
    rig = rig_with(tmp_path)
    rig.clock.now = 100.0
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    rig.account.add_activity(100, created=rig.clock.now - behind)  # its clock says earlier
    [settled] = await settle(rig, record, skew=skew)
    assert (settled.record.state is BatchState.POSTED) is claimed


async def test_the_contact_count_must_match(tmp_path: Path) -> None:
    rig = rig_with(tmp_path)
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    rig.account.add_activity(99, created=0.1)
    [settled] = await settle(rig, record)
    assert settled.record.state is BatchState.PENDING and settled.disputed == ()


async def test_an_upload_long_past_its_window_is_looked_for_once(tmp_path: Path) -> None:
    rig = rig_with(tmp_path)
    rig.clock.now = 5_000.0
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc() - timedelta(hours=1))
    rig.account.add_activity(100, created=rig.clock.now - 10)  # too late to be its
    [settled] = await settle(rig, record)
    assert settled.record.state is BatchState.PENDING
    assert lists_read(rig) == 1 and rig.clock.now == 5_000.0


async def test_an_activity_whose_size_is_not_readable_stops_the_run_rather_than_guess(
    tmp_path: Path,
) -> None:
    rig = rig_with(tmp_path)
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    unknown = rig.account.add_activity(0, created=0.1, ends=[])
    with pytest.raises(OutcomeUnknownError, match=unknown.activity_id):
        await settle(rig, record)
    assert rig.history.batches(rig.run_id)[1].state is BatchState.UPLOADING


async def test_more_copies_of_the_same_batch_are_recorded_as_its_duplicates(
    tmp_path: Path,
) -> None:
    rig = rig_with(tmp_path)
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    early = rig.account.add_activity(100, created=0.1, ends=[])
    done = rig.account.add_activity(100, created=0.3, ends=[(0.0, "completed")])
    [settled] = await settle(rig, record)
    assert settled.record.activity_id == done.activity_id  # the completed one counts
    assert settled.duplicates == (early.activity_id,)
    saved = rig.history.batches(rig.run_id)[1]
    assert saved.activity_ids == (done.activity_id, early.activity_id)
    assert saved.attempts == 1


async def test_the_activity_list_is_paged_back_to_the_send_time(tmp_path: Path) -> None:
    rig = rig_with(tmp_path)
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    ours = rig.account.add_activity(100, created=0.1)
    for i in range(120):  # newer activities of other sizes push it to the third page
        rig.account.add_activity(10 + i, created=0.2 + i / 1000)
    rig.clock.now = 1.0
    [settled] = await settle(rig, record)
    assert settled.record.activity_id == ours.activity_id
    assert lists_read(rig) == 3


async def test_an_import_that_shows_after_its_batch_gave_up_is_never_another_batchs(
    tmp_path: Path,
) -> None:
    # Batch 1's answer was lost and its import did not show in time: it is sent again. The
    # import then shows up (a slow list). Batch 2, of the same size, loses its answer next: the
    # import it finds is batch 1's orphan, and claiming it would leave batch 2 unsent.
    rig = rig_with(tmp_path, lag=WAIT + 10.0)
    first = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    orphan = rig.account.add_activity(100, created=rig.clock.now + 0.2)
    [gave_up] = await settle(rig, first)
    assert gave_up.record.state is BatchState.PENDING  # not seen within the wait
    rig.clock.now += 20.0  # the orphan is listed by now
    second = uploading(rig.history, rig.run_id, 2, 100, rig.clock.utc())
    [settled] = await settle(rig, second)
    assert settled.record.state is BatchState.PENDING and settled.activity is None
    assert settled.disputed == (orphan.activity_id,)
    # Nobody may claim it later either: batch 2 is sent again (a duplicate, never a loss).
    assert rig.history.recorded_activities({orphan.activity_id}) == {orphan.activity_id}


@pytest.mark.parametrize("ahead", [-300.0, 300.0])
async def test_a_server_clock_further_off_than_the_skew_is_read_from_its_answers_dates(
    tmp_path: Path, ahead: float
) -> None:
    # A machine whose clock is five minutes off, resuming with no import answered yet: the
    # allowed skew (60 s) would put the batch's own import outside its window, and send the
    # batch a second time. The Date header of the list's answer tells the clock.
    rig = rig_with(tmp_path, ahead=ahead)
    rig.clock.now = 100.0
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    ours = rig.account.add_activity(100, created=rig.clock.now + ahead + 0.2)
    rig.clock.now += 1.0
    [settled] = await settle(rig, record)
    assert settled.record.state is BatchState.POSTED
    assert settled.record.activity_id == ours.activity_id
    assert rig.clock.now == 101.0  # found without waiting


@pytest.mark.parametrize(("dated", "claimed"), [(False, False), (True, True)])
async def test_an_import_sent_after_a_given_up_upload_is_claimed_once_dates_tell_the_clock(
    tmp_path: Path, dated: bool, claimed: bool
) -> None:
    # Batch 1's upload never arrived: given up after the wait, then sent again. Batch 2, of
    # the same size, is sent 10 s later and loses its answer. Its import falls inside batch
    # 1's given-up window only if our clock may be a minute off Constant Contact's: with no
    # date to tell, it is disputed and batch 2 sent twice; with the answers' dates, claimed.
    rig = rig_with(tmp_path, ahead=0.0 if dated else None)
    first = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    [gave_up] = await settle(rig, first)
    assert gave_up.record.state is BatchState.PENDING
    rig.clock.now += 10.0
    second = uploading(rig.history, rig.run_id, 2, 100, rig.clock.utc())
    ours = rig.account.add_activity(100, created=rig.clock.now + 0.2)
    rig.clock.now += 1.0
    [settled] = await settle(rig, second)
    assert (settled.record.state is BatchState.POSTED) is claimed
    if claimed:
        assert settled.record.activity_id == ours.activity_id
    else:
        assert settled.disputed == (ours.activity_id,)


async def test_a_listed_activity_not_served_by_id_yet_is_looked_at_again(tmp_path: Path) -> None:
    # Listed without its counters, so asked for by id, which answers 404 for 2 s: that 404
    # stopped the settling before; now the count is unknown for that look, and found later.
    rig = make_rig(tmp_path, lambda clock: FakeAccount(clock, brief=True, by_id_lag=2.0))
    record = uploading(rig.history, rig.run_id, 1, 100, rig.clock.utc())
    ours = rig.account.add_activity(100, created=0.1)
    rig.clock.now = 0.5
    [settled] = await settle(rig, record)
    assert settled.record.state is BatchState.POSTED
    assert settled.record.activity_id == ours.activity_id
    assert rig.clock.now >= 2.1  # found once it was served
