"""A run killed with SIGKILL mid-way resumes without re-sending any confirmed batch."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from cc_tui.engine.runner import ExportRunner, RunOptions
from cc_tui.models import BatchState, RunStatus
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.engine.test_runner import people_csv

ROWS = 120_000  # three batches of 40,000


def test_sigkilled_run_resumes_and_resends_no_confirmed_batch(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace(processing_rate=40_000.0)  # about a second per batch
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    history = RunHistory(ws.services.history)
    home = ws.services.paths.config_dir
    child = subprocess.Popen(
        [sys.executable, "-m", "cc_tui", "--home", str(home), "run", "promo"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )  # fmt: skip
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
    before = history.batches(killed.run_id)
    confirmed = {seq: b for seq, b in before.items() if b.state is BatchState.CONFIRMED}
    assert confirmed and len(confirmed) < 3

    record = asyncio.run(ExportRunner(ws.services).run("promo", RunOptions()))
    assert record.run_id == killed.run_id
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert record.confirmed == ROWS
    after = history.batches(record.run_id)
    for seq, batch in confirmed.items():
        assert (after[seq].activity_id, after[seq].attempts) == (batch.activity_id,
                                                                 batch.attempts)  # fmt: skip
    assert ws.members() == {f"person{i}@example.com" for i in range(ROWS)}
