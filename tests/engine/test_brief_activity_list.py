"""A server that lists activities without their counters (docs/api-rules.md section 4).

The swagger requires no property of an activity in ``GET /activities``; a listing without
``status`` would otherwise read as zeros and count every contact of a batch confirmed, and a
lost import could not be found by its contact count. Against the emulator on a real loopback
socket, with ``brief_activity_list`` on.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from cc_tui.models.run import RunStatus
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.engine.test_runner import assert_accounted, options, people_csv, run

ROWS = 60
BATCH = 20


def test_unsubscribed_contacts_are_counted_from_the_activity_not_the_brief_listing(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace(brief_activity_list=True)
    ws.write("people.csv", people_csv(20))
    httpx.post(f"{ws.emulator.url}/__emulator/contacts", json={"contacts": [
        {"email": "person3@example.com", "permission_to_send": "unsubscribed", "list_ids": []},
    ]}).raise_for_status()  # fmt: skip
    ws.add_export()
    record = run(ws)
    assert (record.confirmed, record.unsubscribed, record.failed) == (19, 1, 0)
    assert_accounted(record)
    assert "person3@example.com" not in ws.members()


def test_a_lost_answer_is_found_by_its_count_though_the_listing_has_none(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace(brief_activity_list=True, ambiguous_rate=1.0)  # every answer lost
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    record = run(ws, opts=options(max_batch_contacts=BATCH))
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.confirmed, record.failed) == (ROWS, 0)
    assert int(ws.emulator.stats()["contacts_submitted"]) == ROWS  # nothing sent twice
    batches = RunHistory(ws.services.history).batches(record.run_id).values()
    assert {(b.uploads, b.attempts, len(b.activity_ids)) for b in batches} == {(1, 1, 1)}
