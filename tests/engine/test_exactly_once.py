"""Exactly-once imports against the emulator on a real loopback socket.

``contacts_submitted`` (every contact of every import the emulator accepted) minus the
contacts to send is what was sent twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace

import httpx
import polars as pl
import pytest

from cc_tui.engine.poll_budget import PollBudget
from cc_tui.engine.run_options import RunOptions, SenderTiming
from cc_tui.engine.runner import ExportRunner
from cc_tui.models.batch import BatchState
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.engine.test_runner import options, people_csv, run
from tests.timing import FAST

ROWS = 200
BATCH = 25


def everyone(rows: int = ROWS) -> set[str]:
    return {f"person{i}@example.com" for i in range(rows)}


def sent_twice(ws: Workspace, rows: int = ROWS) -> int:
    return int(ws.emulator.stats()["contacts_submitted"]) - rows


def run_to_the_end(ws: Workspace, opts: RunOptions) -> RunRecord:
    record = run(ws, opts=opts)
    for _ in range(5):  # a read that failed five times interrupts the run: resume it
        if record.status is not RunStatus.INTERRUPTED:
            break
        record = run(ws, opts=opts)
    return record


def test_ambiguous_500s_after_the_activity_was_created_send_nothing_twice(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace(ambiguous_rate=1.0)  # every import: activity created, then a 500
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    record = run(ws, opts=options(max_batch_contacts=BATCH))
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.confirmed, record.failed) == (ROWS, 0)
    assert sent_twice(ws) == 0
    assert ws.emulator.stats()["faults"]["ambiguous"] == ROWS // BATCH
    assert ws.members() == everyone()
    batches = RunHistory(ws.services.history).batches(record.run_id).values()
    assert {(b.uploads, b.attempts, len(b.activity_ids)) for b in batches} == {(1, 1, 1)}


@pytest.mark.parametrize(
    ("faults", "visibility_wait"),
    [
        # Dropped before the emulator creates anything: a short look is enough to be sure.
        ({"drop_rate": 0.3, "drop_after_create_share": 0.0, "seed": 11}, 0.3),
        ({"ambiguous_rate": 0.4, "drop_rate": 0.15, "error_rate": 0.15, "seed": 5}, 1.5),
    ],
    ids=["dropped", "mixed"],
)
def test_lost_answers_never_send_a_batch_twice(
    make_workspace: Callable[..., Workspace], faults: dict[str, object], visibility_wait: float
) -> None:
    ws = make_workspace(**faults)
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    timing = replace(FAST, visibility_wait=visibility_wait)
    record = run_to_the_end(ws, options(max_batch_contacts=BATCH, timing=timing))
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert record.confirmed == ROWS
    assert sent_twice(ws) == 0  # found when it existed; sent again only when it did not
    assert ws.members() == everyone()
    batches = RunHistory(ws.services.history).batches(record.run_id).values()
    assert all(b.attempts == 1 for b in batches)
    # Some answers really were lost: sent again (nothing was created), or claimed (a 500 came
    # after the activity existed). Which faults hit imports depends on every request before.
    resent = sum(b.uploads for b in batches) - ROWS // BATCH
    assert resent + ws.emulator.stats()["faults"].get("ambiguous", 0) > 0


def test_imports_listed_later_than_the_wait_cost_duplicates_never_contacts(
    make_workspace: Callable[..., Workspace],
) -> None:
    # Every dropped import was created, but the list shows it only after 1 s while the sender
    # looks for 0.3 s: each such batch is sent again, and its first import turns up later,
    # where another batch of the same size must not take it for its own.
    ws = make_workspace(drop_rate=0.3, drop_after_create_share=1.0, seed=11)
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    timing = replace(FAST, visibility_wait=0.3)
    record = run_to_the_end(ws, options(max_batch_contacts=BATCH, timing=timing))
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert record.confirmed == ROWS
    assert ws.members() == everyone()  # nobody left out
    assert ws.emulator.stats()["faults"]["drop_after_create"] > 0


def test_an_activity_that_failed_then_a_completed_resend_reports_nothing_refused(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace(failed_activity_rate=1.0)
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    settings_url = f"{ws.emulator.url}/__emulator/settings"

    class FirstImportFails(httpx.AsyncHTTPTransport):
        """After the first import is accepted (its activity will fail), the rest complete."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await super().handle_async_request(request)
            if request.url.path.endswith("/contacts_json_import"):
                async with httpx.AsyncClient() as admin:
                    await admin.post(settings_url, json={"failed_activity_rate": 0.0})
            return response

    runner = ExportRunner(ws.services, transport=FirstImportFails())
    record = asyncio.run(runner.run("promo", options(max_batch_contacts=BATCH)))
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.confirmed, record.failed, record.unsubscribed) == (ROWS, 0, 0)
    assert ws.emulator.stats()["faults"]["failed_activity"] == 1
    batches = RunHistory(ws.services.history).batches(record.run_id).values()
    [retried] = [b for b in batches if len(b.activity_ids) == 2]
    assert (retried.state, retried.attempts, retried.failed) == (BatchState.CONFIRMED, 2, 0)
    rejected = pl.read_csv(record.rejected_rows_file or "", infer_schema=False)
    assert rejected.filter(pl.col("reason") == "refused_by_constant_contact").height == 0
    assert ws.members() == everyone()


def test_an_activity_that_never_finishes_stops_the_run_resumable_naming_it(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace(processing_rate=0.001)  # 20 contacts would take 20,000 s
    ws.write("people.csv", people_csv(20))
    ws.add_export()
    home = ws.services.paths.config_dir
    done = subprocess.run(
        [sys.executable, "-m", "cc_tui", "--home", str(home), "run", "promo", "--json",
         "--activity-deadline", "3s"],
        capture_output=True, text=True, timeout=120, env={**os.environ}, check=False,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    summary = json.loads(done.stdout)
    [batch] = RunHistory(ws.services.history).batches(summary["run_id"]).values()
    assert batch.state is BatchState.POSTED and batch.activity_id is not None
    assert summary["status"] == "interrupted"
    assert batch.activity_id in summary["error"] and "cc-tui run promo" in summary["error"]
    stats = ws.emulator.stats()
    assert stats["imports"] == 1  # waiting never sends again
    polls = sum(n for route, n in stats["by_path"].items() if route.startswith("GET /v3/activ"))
    timing = SenderTiming()
    budget = PollBudget(timing.poll_burst, timing.poll_refill, lambda: 0.0)
    assert 0 < polls <= budget.max_requests(3)


def test_a_success_answer_without_the_activity_sends_nothing_twice(
    make_workspace: Callable[..., Workspace],
) -> None:
    # A 202 with an empty body (a gateway that strips it) after the activity was created: the
    # import was taken, so it is looked for among the recent activities, never sent again.
    ws = make_workspace(empty_answer_rate=1.0)
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    record = run(ws, opts=options(max_batch_contacts=BATCH))
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.confirmed, record.failed) == (ROWS, 0)
    assert sent_twice(ws) == 0
    assert ws.emulator.stats()["faults"]["empty_answer"] == ROWS // BATCH
    assert ws.members() == everyone()
