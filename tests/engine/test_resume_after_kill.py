"""Runs killed with SIGKILL, during uploads included, resume without a confirmed batch sent
again and with at most one batch sent twice per kill that hit an upload.

A kill during an upload leaves its batch ``uploading``: the resumed run looks for the import
among the account's recent activities and claims it rather than sending it again. The
emulator counts every contact it was sent (``contacts_submitted``), so duplicates are that
figure minus the contacts to send.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.models.run import RunStatus
from cc_tui.service.client import wait_for_service
from cc_tui.service.locate import service_files
from cc_tui.store.run_history import RunHistory
from tests.engine import kill_child
from tests.engine.conftest import Workspace
from tests.engine.test_runner import people_csv
from tests.timing import FAST

ROWS = 120_000  # three batches of 40,000
REPO = Path(__file__).resolve().parents[2]
WAIT_LIMIT = 60.0  # seconds a child may take to reach the moment a test waits for
RESUME_TIMING = FAST


def spawn_cc_tui_run(ws: Workspace) -> subprocess.Popen[bytes]:
    """``cc-tui run promo`` carried out by a service process of its own: the process returned.

    The run lives in the service (its client going away does not stop it), so the process
    these tests kill is the service's.
    """
    home = ws.services.paths.config_dir
    service = subprocess.Popen(
        [sys.executable, "-m", "cc_tui", "--home", str(home), "service", "start", "--foreground"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )  # fmt: skip
    files = service_files(ws.services.paths)
    wait_for_service(files, service.poll)
    subprocess.run(
        [sys.executable, "-m", "cc_tui", "--home", str(home), "run", "promo", "--detach"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ}, check=True,
    )  # fmt: skip
    return service


def spawn_kill_child(ws: Workspace, mode: str = "normal") -> subprocess.Popen[bytes]:
    home = ws.services.paths.config_dir
    return subprocess.Popen(
        [sys.executable, "-m", "tests.engine.kill_child", str(home), "promo", mode],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ}, cwd=REPO,
    )  # fmt: skip


def batches_now(history: RunHistory) -> dict[int, BatchRecord]:
    runs = history.runs(export="promo")
    return history.batches(runs[0].run_id) if runs else {}


def wait_until(child: subprocess.Popen[bytes], ready: Callable[[], bool], *, what: str) -> bool:
    """Poll until ``ready``; False if the child ended first."""
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        if ready():
            return True
        if child.poll() is not None:
            return False
        time.sleep(0.005)
    child.kill()
    raise AssertionError(f"the run never reached {what}")


def kill(child: subprocess.Popen[bytes]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)


def duplicates(ws: Workspace, to_send: int) -> int:
    return int(ws.emulator.stats()["contacts_submitted"]) - to_send


def resume(ws: Workspace, **options: object) -> None:
    record = asyncio.run(
        ExportRunner(ws.services).run("promo", RunOptions(timing=RESUME_TIMING, **options))  # type: ignore[arg-type]
    )
    assert record.status is RunStatus.SUCCEEDED, record.error


def test_sigkilled_run_resumes_and_resends_no_confirmed_batch(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace(processing_rate=40_000.0)  # about a second per batch
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    history = RunHistory(ws.services.history)
    child = spawn_cc_tui_run(ws)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = history.runs(export="promo")
            states = [b.state for b in history.batches(runs[0].run_id).values()] if runs else []
            if 1 <= states.count(BatchState.CONFIRMED) < 3:
                break
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    killed = history.runs(export="promo")[0]
    assert killed.status is RunStatus.RUNNING  # it never got to say anything else
    # Its figures, saved while it ran, are consistent; it was at work until about then.
    assert killed.figures.problems() == []
    assert killed.attempt_started_at is not None and killed.updated_at is not None
    worked = (killed.updated_at - killed.attempt_started_at).total_seconds()
    before = history.batches(killed.run_id)
    confirmed = {seq: b for seq, b in before.items() if b.state is BatchState.CONFIRMED}
    assert confirmed and len(confirmed) < 3

    record = asyncio.run(ExportRunner(ws.services).run("promo", RunOptions()))
    assert record.run_id == killed.run_id
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert record.confirmed == ROWS
    # Active time counts the killed attempt's work and this one's, never the gap between.
    assert record.active_s is not None and worked <= record.active_s <= record.span_s
    after = history.batches(record.run_id)
    for seq, batch in confirmed.items():
        assert (after[seq].activity_id, after[seq].attempts) == (batch.activity_id,
                                                                 batch.attempts)  # fmt: skip
    assert ws.members() == {f"person{i}@example.com" for i in range(ROWS)}


def test_cc_tui_run_killed_during_an_upload_sends_at_most_that_batch_twice(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace(latency=0.3)  # every request, imports included, takes 0.3 s or more
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    history = RunHistory(ws.services.history)
    child = spawn_cc_tui_run(ws)

    def in_upload() -> bool:
        return any(b.state is BatchState.UPLOADING for b in batches_now(history).values())

    assert wait_until(child, in_upload, what="an upload")
    kill(child)
    doubtful = [b for b in batches_now(history).values() if b.state is BatchState.UPLOADING]
    assert doubtful and all(b.sent_at is not None for b in doubtful)

    resume(ws)
    assert ws.members() == {f"person{i}@example.com" for i in range(ROWS)}
    assert 0 <= duplicates(ws, ROWS) <= 40_000  # at most the batch the kill hit
    after = batches_now(history)
    for batch in doubtful:  # the kill used none of its attempts
        assert after[batch.seq].state is BatchState.CONFIRMED and after[batch.seq].attempts == 1


def test_killed_after_the_import_was_created_resumes_by_claiming_it(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace()
    rows = 4 * kill_child.BATCH_CONTACTS
    ws.write("people.csv", people_csv(rows))
    ws.add_export()
    history = RunHistory(ws.services.history)
    child = spawn_kill_child(ws, "hang")

    def created() -> bool:
        return int(ws.emulator.stats()["activities_created"]) >= 1

    assert wait_until(child, created, what="its first import")
    kill(child)
    [doubtful] = [b for b in batches_now(history).values() if b.state is BatchState.UPLOADING]

    resume(ws, max_batch_contacts=kill_child.BATCH_CONTACTS)
    assert duplicates(ws, rows) == 0  # the import that arrived was claimed, not sent again
    assert ws.members() == {f"person{i}@example.com" for i in range(rows)}
    settled = batches_now(history)[doubtful.seq]
    assert (settled.state, settled.attempts, settled.uploads) == (BatchState.CONFIRMED, 1, 1)
    assert len(settled.activity_ids) == 1


def test_repeated_sigkills_at_random_moments_keep_members_exact(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace(latency=0.2, processing_rate=5_000.0)
    rows = 12 * kill_child.BATCH_CONTACTS
    ws.write("people.csv", people_csv(rows))
    ws.add_export()
    history = RunHistory(ws.services.history)
    rng = random.Random(20261129)
    kills = kills_in_upload = 0

    def uploads() -> int:
        return sum(b.uploads for b in batches_now(history).values())

    def finished() -> bool:
        return history.runs(export="promo")[0].status is RunStatus.SUCCEEDED

    for _ in range(5):
        if history.runs(export="promo") and finished():
            break  # a child finished the run between our look and the kill
        before = uploads()
        child = spawn_kill_child(ws)

        def uploaded_more(seen: int = before) -> bool:
            return uploads() > seen

        if not wait_until(child, uploaded_more, what="a new upload"):
            break  # it finished before this kill
        time.sleep(rng.uniform(0.0, 1.2))
        if child.poll() is not None:
            break
        kill(child)
        kills += 1
        if any(b.state is BatchState.UPLOADING for b in batches_now(history).values()):
            kills_in_upload += 1

    if not finished():
        resume(ws, max_batch_contacts=kill_child.BATCH_CONTACTS)
    [run] = history.runs(export="promo")
    assert run.status is RunStatus.SUCCEEDED and run.attempts > kills >= 2
    assert ws.members() == {f"person{i}@example.com" for i in range(rows)}
    assert 0 <= duplicates(ws, rows) <= kills_in_upload * kill_child.BATCH_CONTACTS
    after = batches_now(history)
    assert {b.state for b in after.values()} == {BatchState.CONFIRMED}
    assert all(b.attempts == 1 for b in after.values())  # no kill used up an attempt
