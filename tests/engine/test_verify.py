"""Verification after a run, against the emulator on a real loopback socket: the list's
membership count before and after, and a sample of confirmed e-mails looked up on the list."""

from __future__ import annotations

import asyncio
import random

import httpx

from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.verify import verify_run
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.verification import VerifyState
from cc_tui.store.run_history import RunHistory
from cc_tui.store.verifications import VerificationStore
from tests.engine.conftest import Workspace
from tests.engine.test_runner import options, people_csv


def _run(ws: Workspace) -> RunRecord:
    return asyncio.run(ExportRunner(ws.services).run("promo", options()))


def _check_again(ws: Workspace, record: RunRecord, sample: int) -> RunRecord:
    history = RunHistory(ws.services.history)

    async def check() -> None:
        async with ws.services.connections.client("conn") as client:
            await verify_run(
                client,
                history,
                VerificationStore(ws.services.history),
                record,
                [ws.list_id],
                sample=sample,
                rng=random.Random(7),
            )

    asyncio.run(check())
    found = history.get(record.run_id)
    assert found is not None
    return found


def _drop(ws: Workspace, body: dict[str, object]) -> int:
    url = f"{ws.emulator.url}/__emulator/lists/{ws.list_id}/drop"
    answer = httpx.post(url, json=body)
    answer.raise_for_status()
    return int(answer.json()["dropped"])


def test_a_run_is_verified_after_it_ends_and_the_result_is_kept(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(90))
    workspace.add_export()

    record = _run(workspace)

    assert record.status is RunStatus.SUCCEEDED
    check = record.verification
    assert check is not None and check.state is VerifyState.VERIFIED
    assert (check.sample_checked, check.sample_on_lists, check.sample_missing) == (90, 90, 0)
    (lists,) = check.lists
    assert (lists.before, lists.after, lists.change) == (0, 90, 90)
    assert check.expected_max == 90
    # 90 members fit on one page: the list read whole is cheaper than 90 look-ups.
    assert check.requests == 2
    stored = RunHistory(workspace.services.history).get(record.run_id)
    assert stored is not None and stored.verification == check
    assert record.to_json()["verification"] == check.to_json()


def test_a_list_that_lost_members_makes_the_run_unverified(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(30))
    workspace.add_export()
    record = _run(workspace)
    assert record.verification is not None
    assert record.verification.state is VerifyState.VERIFIED

    lost = ["person3@example.com", "person4@example.com", "person5@example.com"]
    assert _drop(workspace, {"emails": lost}) == len(lost)
    checked = _check_again(workspace, record, sample=100)

    check = checked.verification
    assert check is not None and check.state is VerifyState.UNVERIFIED
    assert (check.sample_checked, check.sample_on_lists, check.sample_missing) == (30, 27, 3)
    assert check.lists[0].change == 30 - 3
    assert any("not on the lists" in p and "person3@example.com" in p for p in check.problems)
    # The run's own status (and so its exit code) is not what a check changes.
    assert checked.status is RunStatus.SUCCEEDED


def test_a_list_that_shrank_below_its_count_before_is_a_mismatch(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(12))
    workspace.add_export()
    _run(workspace)
    again = _run(workspace)  # a second run: the list held 12 when it began
    assert again.verification is not None
    assert again.verification.lists[0].before == 12
    assert _drop(workspace, {"count": 12}) == 12

    checked = _check_again(workspace, again, sample=0)

    check = checked.verification
    assert check is not None and check.state is VerifyState.UNVERIFIED
    assert check.lists[0].change == -12
    assert check.sample_checked == 0
    assert any("lost 12 members" in p for p in check.problems)


def test_sampled_emails_are_looked_up_one_by_one_when_the_list_is_large(
    workspace: Workspace,
) -> None:
    workspace.write("people.csv", people_csv(20))
    workspace.add_export()
    record = _run(workspace)

    # Reading the list whole would cost a page: no cheaper than looking up a sample of one.
    checked = _check_again(workspace, record, sample=1)

    check = checked.verification
    assert check is not None and check.state is VerifyState.VERIFIED
    assert (check.sample_checked, check.sample_on_lists) == (1, 1)
    assert check.requests == 2  # the count after, and one look-up
