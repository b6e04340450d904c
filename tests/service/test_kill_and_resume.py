"""Every row accounted for, every run resumable: the service killed at chosen moments, with
faults on, then resumed with ``cc-tui run NAME``, checked against the emulator's own state.

The service is a real process of its own (tests/service/service_child.py: the server of
``cc-tui service start --foreground`` with small batches) that freezes at the moment a test
names (pass 1 done, an import answered but not checkpointed, the final accounting) so the
SIGKILL lands there and nowhere else; the kill during polling waits for that state in the
history. The emulator answers some requests 503, drops some connections (before or after
creating the activity) and answers some imports 500 after creating their activity, from a
fixed seed. At the end Constant Contact's side (the emulator's list members, its activities
and the contacts it was sent) must hold every sendable contact once, each batch as one activity,
and the run's summary, history and rejected.csv must account for every row once.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from cc_tui.cli.entry import main
from cc_tui.models.batch import BatchState
from cc_tui.models.run import RunStatus
from cc_tui.service.client import wait_for_service
from cc_tui.service.locate import service_files
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.service import service_child
from tests.service.conftest import spawn_cc_tui, wait_for

ROWS = 2_400
CHILD_WAIT = 120.0  # seconds a child may take to end once told to
REPO = Path(__file__).resolve().parents[2]
# Faults the emulator injects once the account is set up (a fixed seed replays them), and a
# Constant Contact whose clock is a minute and a half behind ours (past the allowed skew).
FAULTS = {
    "seed": 20261205,
    "error_rate": 0.06,
    "drop_rate": 0.04,
    "ambiguous_rate": 0.1,
    "clock_offset": -90.0,
}
_STARTED = itertools.count(1)  # services started, to name their files
PROCESSING_RATE = 200.0  # contacts a second: a batch of 150 takes 0.75 s, so polls wait


@dataclass(frozen=True)
class Expected:
    """What a run of the segment must come to, worked out here row by row."""

    rejected: dict[tuple[int, str], str]  # (data row, e-mail as written) -> reason
    sendable: list[str]  # normalised e-mails to send, in order
    unsubscribed: set[str]

    @property
    def members(self) -> set[str]:
        return set(self.sendable) - self.unsubscribed

    @property
    def batches(self) -> int:
        return math.ceil(len(self.sendable) / service_child.BATCH_CONTACTS)

    def reasons(self) -> Counter[str]:
        return Counter(self.rejected.values())


def segment(rows: int) -> tuple[str, Expected]:
    """A CSV of ``rows`` people, some without an e-mail, some invalid, some repeated."""
    lines = ["email,first_name"]
    rejected: dict[tuple[int, str], str] = {}
    sendable: list[str] = []
    seen: set[str] = set()
    for i in range(rows):
        if i % 97 == 5:
            email = ""
        elif i % 89 == 7:
            email = f"not-an-email-{i}"
        elif i % 41 == 3:
            email = f" Person{i // 2}@Example.com"  # an earlier row's, written differently
        else:
            email = f"Person{i}@Example.com"
        lines.append(f"{email},Ana{i}")
        key = email.strip().lower()
        row = i + 1  # rejected.csv counts data rows from 1
        if not key:
            rejected[row, email] = "missing_email"
        elif "@" not in key:
            rejected[row, email] = "invalid_email"
        elif key in seen:
            rejected[row, email] = "duplicate_email"
        else:
            seen.add(key)
            sendable.append(key)
    unsubscribed = set(sendable[7::50])
    return "\n".join(lines) + "\n", Expected(rejected, sendable, unsubscribed)


@pytest.fixture
def torture(make_workspace: Callable[..., Workspace]) -> Iterator[tuple[Workspace, Expected]]:
    """A home whose export ``promo`` sends a few thousand rows in small batches, to an emulator
    with slow activities, some contacts unsubscribed, and faults on once it is set up."""
    ws = make_workspace(processing_rate=PROCESSING_RATE)
    text, expected = segment(ROWS)
    ws.write("people.csv", text)
    ws.add_export(first_name="first_name")
    ws.emulator.state.seed_contacts(
        {"email": email, "permission_to_send": "unsubscribed", "list_ids": []}
        for email in sorted(expected.unsubscribed)
    )
    ws.emulator.emulator.update_settings(FAULTS)
    yield ws, expected


class ServiceProcess:
    """The test's service (service_child), started frozen at one moment, killed by the test."""

    def __init__(self, ws: Workspace, mode: str) -> None:
        self.marker = ws.segments.parent / f"frozen-{mode}-{next(_STARTED)}"
        self.log = self.marker.with_suffix(".log")  # what the service logged, for a failure
        home = str(ws.services.paths.config_dir)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.service.service_child", home, mode, str(self.marker)],
                stdout=log, stderr=log, env={**os.environ}, cwd=REPO,
            )  # fmt: skip
        wait_for_service(service_files(ws.services.paths), self.process.poll)

    def frozen(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the service ended ({self.process.returncode}) unfrozen")
        return self.marker.exists()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=CHILD_WAIT)


def start_detached(ws: Workspace) -> None:
    """``cc-tui run promo --detach``: the run starts (or resumes) in the service."""
    client = spawn_cc_tui(ws, "run", "promo", "--detach")
    _, err = client.communicate(timeout=CHILD_WAIT)
    assert client.returncode == 0, err


def batches(ws: Workspace) -> dict[int, BatchState]:
    history = RunHistory(ws.services.history)
    runs = history.runs(export="promo", limit=1)
    return {seq: b.state for seq, b in history.batches(runs[0].run_id).items()} if runs else {}


def attempt_frozen_at(ws: Workspace, mode: str) -> None:
    """Start or resume the run in a service that freezes at ``mode``'s moment; kill it there."""
    service = ServiceProcess(ws, mode)
    try:
        start_detached(ws)
        wait_for(service.frozen, what=f"the service frozen at {mode}")
    finally:
        service.kill()
    killed_consistent(ws)


def killed_consistent(ws: Workspace) -> None:
    """The killed run's record, saved while it went, says ``running`` with figures that add up."""
    [killed] = RunHistory(ws.services.history).runs(export="promo", limit=1)
    assert killed.status is RunStatus.RUNNING
    assert killed.figures.problems() == []


def attempt_killed_while_polling(ws: Workspace, expected: Expected) -> None:
    """Resume; kill once every batch is at Constant Contact and some are still being polled."""
    service = ServiceProcess(ws, "normal")

    def polling() -> bool:
        states = Counter(batches(ws).values())
        every_batch_sent = states[BatchState.POSTED] + states[BatchState.CONFIRMED]
        return every_batch_sent == expected.batches and states[BatchState.POSTED] >= 2

    try:
        start_detached(ws)
        wait_for(polling, what="every batch posted, some not confirmed")
    finally:
        service.kill()
    killed_consistent(ws)
    assert Counter(batches(ws).values())[BatchState.POSTED] >= 1


def rejected_rows(path: Path) -> list[tuple[int, str, str]]:
    frame = pl.read_csv(path, infer_schema=False)
    return [
        (int(row), email or "", reason)
        for row, email, reason in frame.select("row", "email", "reason").iter_rows()
    ]


def test_killed_at_every_stage_with_faults_on_resumes_to_exact_figures(
    torture: tuple[Workspace, Expected], capsys: pytest.CaptureFixture[str]
) -> None:
    ws, expected = torture
    history = RunHistory(ws.services.history)

    # 1. Killed in pass 1 (the head start's batches may be at Constant Contact).
    attempt_frozen_at(ws, "pass-1")
    [run] = history.runs(export="promo")
    assert run.status is RunStatus.RUNNING  # it never got to say anything else

    # 2. Killed with an import answered (its activity exists) but not checkpointed.
    created = ws.emulator.stats()["activities_created"]
    attempt_frozen_at(ws, "answer")
    assert ws.emulator.stats()["activities_created"] > created
    assert BatchState.UPLOADING in batches(ws).values()

    # 3. Killed while activities are polled.
    attempt_killed_while_polling(ws, expected)

    # 4. Killed in the final accounting: every batch confirmed, the run still "running".
    attempt_frozen_at(ws, "finish")
    assert set(batches(ws).values()) == {BatchState.CONFIRMED}
    assert history.runs(export="promo")[0].status is RunStatus.RUNNING

    # 5. `cc-tui run promo` resumes it to the end.
    service = ServiceProcess(ws, "normal")
    try:
        client = spawn_cc_tui(ws, "run", "promo", "--json")
        out, err = client.communicate(timeout=CHILD_WAIT)
    finally:
        service.kill()
    assert client.returncode == 0, err
    summary = json.loads(out)

    # The summary accounts for every row, once.
    sent, reasons = len(expected.sendable), expected.reasons()
    assert summary["run_id"] == run.run_id
    assert (summary["status"], summary["attempts"]) == ("succeeded", 5)
    assert summary["rows_read"] == ROWS == sent + sum(summary["rejected"].values())
    assert summary["rejected"] == {"missing_email": reasons["missing_email"],
                                   "invalid_email": reasons["invalid_email"],
                                   "duplicate_email": reasons["duplicate_email"],
                                   "over_cap": 0}  # fmt: skip
    assert summary["sent"] == sent
    assert (summary["confirmed"], summary["failed"], summary["unsubscribed"]) == (
        sent - len(expected.unsubscribed), 0, len(expected.unsubscribed))  # fmt: skip
    assert summary["batches"] == expected.batches

    # Constant Contact holds every sendable contact once, each batch as one activity.
    assert ws.members() == expected.members
    stats = ws.emulator.stats()
    assert stats["faults"], "the emulator injected no fault: the test proves less than it says"
    assert stats["contacts_submitted"] == sent  # nothing was sent twice
    assert stats["activities_created"] == expected.batches
    activities = {a.activity_id: a for a in ws.emulator.state.queue.activities.values()}
    final = history.batches(run.run_id)
    claimed = [b.activity_id or "" for b in final.values()]
    assert sorted(claimed) == sorted(activities)  # one activity per batch, and no other
    for batch in final.values():
        assert batch.state is BatchState.CONFIRMED and batch.activity_ids == (batch.activity_id,)
        assert activities[batch.activity_id or ""].total == batch.contacts

    # The history shows the run resumed, with the summary's figures.
    home = str(ws.services.paths.config_dir)
    assert main(["--home", home, "history", "--export", "promo", "--json"]) == 0
    [shown] = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in shown.items() if k in summary and k != "unseen"} == {
        k: v for k, v in summary.items() if k in shown and k != "unseen"
    }
    assert (shown["attempts"], shown["pending"], shown["posted"]) == (5, 0, sent)
    [recorded] = history.runs(export="promo")
    assert (recorded.status, recorded.attempts) == (RunStatus.SUCCEEDED, 5)
    assert recorded.figures.problems() == []
    figures = ("rows_read", "sent", "confirmed", "failed", "unsubscribed")
    assert {name: getattr(recorded, name) for name in figures} == {
        name: summary[name] for name in figures
    }

    # rejected.csv has every rejected row once, with its reason.
    rows = rejected_rows(Path(summary["rejected_rows_file"]))
    assert len(rows) == len({row for row, _, _ in rows})
    assert {(row, email): reason for row, email, reason in rows} == expected.rejected


def no_contact_twice(ws: Workspace, expected: Expected, summary: dict[str, object]) -> None:
    """Constant Contact got each sendable contact once; the summary accounts for each row."""
    assert ws.members() == expected.members
    stats = ws.emulator.stats()
    assert (stats["contacts_submitted"], stats["activities_created"]) == (
        len(expected.sendable), expected.batches)  # fmt: skip
    assert (summary["rows_read"], summary["sent"], summary["failed"]) == (
        ROWS, len(expected.sendable), 0)  # fmt: skip
    assert summary["confirmed"] == len(expected.members)
    assert summary["unsubscribed"] == len(expected.unsubscribed)


def test_a_killed_client_leaves_the_run_going_and_sigterm_stops_it_resumable(
    torture: tuple[Workspace, Expected],
) -> None:
    ws, expected = torture
    history = RunHistory(ws.services.history)
    service = ServiceProcess(ws, "normal")
    try:
        client = spawn_cc_tui(ws, "run", "promo")
        wait_for(lambda: BatchState.POSTED in batches(ws).values(), what="a batch posted")
        client.send_signal(signal.SIGKILL)
        client.communicate(timeout=CHILD_WAIT)
        # The run goes on in the service: a client attaches and sees more batches go.
        watcher = spawn_cc_tui(ws, "run", "promo", "--attach", "--json")
        posted_before = len(batches(ws))
        wait_for(lambda: len(batches(ws)) >= posted_before + 3, what="three more batches")
        [going] = history.runs(export="promo")
        assert going.status is RunStatus.RUNNING
        service.process.send_signal(signal.SIGTERM)
        assert service.process.wait(timeout=CHILD_WAIT) == 0  # it stopped cleanly
    finally:
        service.kill()
    assert not service_files(ws.services.paths).socket.exists()
    out, err = watcher.communicate(timeout=CHILD_WAIT)
    assert watcher.returncode == 3, err  # told the run stopped, resumable
    told = json.loads(out)
    assert (told["run_id"], told["status"]) == (going.run_id, "interrupted")
    [stopped] = history.runs(export="promo")
    assert stopped.status is RunStatus.INTERRUPTED and stopped.figures.problems() == []
    assert (told["confirmed"], told["sent"]) == (stopped.confirmed, stopped.sent)

    service = ServiceProcess(ws, "normal")
    try:
        client = spawn_cc_tui(ws, "run", "promo", "--json")
        out, err = client.communicate(timeout=CHILD_WAIT)
    finally:
        service.kill()
    assert client.returncode == 0, err
    summary = json.loads(out)
    assert summary["run_id"] == going.run_id
    assert (summary["status"], summary["attempts"]) == ("succeeded", 2)
    no_contact_twice(ws, expected, summary)


def test_a_segment_changed_after_a_kill_refuses_to_resume_and_restart_starts_over(
    torture: tuple[Workspace, Expected],
) -> None:
    ws, expected = torture
    history = RunHistory(ws.services.history)
    attempt_frozen_at(ws, "answer")
    [killed] = history.runs(export="promo")
    people = ws.segments / "people.csv"
    people.write_text(people.read_text(encoding="utf-8") + "late@example.com,Late\n", "utf-8")

    service = ServiceProcess(ws, "normal")
    try:
        refused = spawn_cc_tui(ws, "run", "promo")
        _, err = refused.communicate(timeout=CHILD_WAIT)
        assert refused.returncode == 2, err
        said = " ".join(err.split())
        assert f"Run {killed.run_id} of 'promo' was interrupted" in said
        assert "people" in said and "--restart" in said
        assert history.runs(export="promo")[0].status is RunStatus.RUNNING  # left as it was

        restarted = spawn_cc_tui(ws, "run", "promo", "--restart", "--json")
        out, err = restarted.communicate(timeout=CHILD_WAIT)
    finally:
        service.kill()
    assert restarted.returncode == 0, err
    summary = json.loads(out)
    assert summary["run_id"] != killed.run_id and summary["attempts"] == 1
    assert (summary["status"], summary["rows_read"]) == ("succeeded", ROWS + 1)
    assert summary["confirmed"] == len(expected.members) + 1
    assert ws.members() == expected.members | {"late@example.com"}
    abandoned = {r.run_id: r for r in history.runs(export="promo")}[killed.run_id]
    assert abandoned.status is RunStatus.FAILED and "restarted" in (abandoned.error or "")


def test_ctrl_c_in_pass_1_stops_the_run_resumable_with_figures_that_add_up(
    torture: tuple[Workspace, Expected],
) -> None:
    ws, expected = torture
    history = RunHistory(ws.services.history)
    service = ServiceProcess(ws, "pass-1")
    try:
        client = spawn_cc_tui(ws, "run", "promo", "--json")
        wait_for(service.frozen, what="the service frozen in pass 1")
        wait_for(lambda: BatchState.POSTED in batches(ws).values(), what="a head start batch")
        client.send_signal(signal.SIGINT)
        out, err = client.communicate(timeout=CHILD_WAIT)
    finally:
        service.kill()
    assert client.returncode == 130, err
    told = json.loads(out)
    [stopped] = history.runs(export="promo")
    assert (told["run_id"], told["status"]) == (stopped.run_id, "interrupted")
    assert stopped.status is RunStatus.INTERRUPTED
    assert stopped.figures.problems() == []
    # Every contact posted was read, valid and sent: the rows known until pass 1 counts them.
    assert stopped.sent == stopped.posted > 0 and stopped.confirmed <= stopped.sent

    service = ServiceProcess(ws, "normal")
    try:
        client = spawn_cc_tui(ws, "run", "promo", "--json")
        out, err = client.communicate(timeout=CHILD_WAIT)
    finally:
        service.kill()
    assert client.returncode == 0, err
    summary = json.loads(out)
    assert (summary["run_id"], summary["attempts"]) == (stopped.run_id, 2)
    no_contact_twice(ws, expected, summary)


def test_a_restart_killed_as_it_begins_leaves_one_resumable_run(
    torture: tuple[Workspace, Expected],
) -> None:
    ws, _ = torture
    history = RunHistory(ws.services.history)
    attempt_frozen_at(ws, "answer")
    [killed] = history.runs(export="promo")
    service = ServiceProcess(ws, "restart")
    try:
        client = spawn_cc_tui(ws, "run", "promo", "--restart", "--detach")
        wait_for(service.frozen, what="the restarted run recorded")
    finally:
        service.kill()
    client.communicate(timeout=CHILD_WAIT)  # its service went away: it ends
    # The new run and the old one's end are one change: never two runs left "running".
    runs = {r.run_id: r for r in history.runs(export="promo")}
    [fresh] = [r for r in runs.values() if r.run_id != killed.run_id]
    assert runs[killed.run_id].status is RunStatus.FAILED
    assert f"restarted as run {fresh.run_id}" in (runs[killed.run_id].error or "")
    assert history.resumable("promo") == fresh
