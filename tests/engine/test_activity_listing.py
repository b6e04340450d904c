"""``GET /activities`` as the swagger allows it (docs/api-rules.md section 4), against the
emulator on a real loopback socket.

Without counters (``brief_activity_list``): the swagger requires no property of a listed
activity; a listing without ``status`` would otherwise read as zeros and count every contact of
a batch confirmed, and a lost import could not be found by its contact count. Oldest first
(``activities_oldest_first``): the swagger states no order; a search for a lost import that
stopped at the first older activity never reached the new ones.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from cc_tui.models.run import RunStatus
from cc_tui.store.run_history import RunHistory
from tests.emulator.emu_helpers import NEWSLETTER, api_client
from tests.engine.conftest import Workspace
from tests.engine.test_runner import assert_accounted, options, people_csv, run

ROWS = 60
BATCH = 20
OLDER_ACTIVITIES = 60  # more than a page of the lost-import search (50)


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


def test_a_lost_answer_is_found_when_activities_are_listed_oldest_first(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace(activities_oldest_first=True, rate_limit_per_second=10_000)
    # Older activities than the search's first page holds (another application's imports).
    settings = f"{ws.emulator.url}/__emulator/settings"
    httpx.post(settings, json={"auto_approve": False})  # api_client approves its own code
    with api_client(ws.emulator, "other-app") as other:
        for n in range(OLDER_ACTIVITIES):
            body = {"import_data": [{"email": f"old{n}@example.com"}], "list_ids": [NEWSLETTER]}
            other.post("/activities/contacts_json_import", json=body).raise_for_status()
    httpx.post(settings, json={"ambiguous_rate": 1.0})
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    record = run(ws, opts=options(max_batch_contacts=BATCH))
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.confirmed, record.failed) == (ROWS, 0)
    submitted = int(ws.emulator.stats()["contacts_submitted"])
    assert submitted == ROWS + OLDER_ACTIVITIES  # nothing of the run sent twice


def test_an_activity_not_served_by_id_yet_is_asked_for_again(
    make_workspace: Callable[..., Workspace],
) -> None:
    # Listed without counters after 1 s, readable by id only after 2 s: the confirmer asks by
    # id and is told 404 first (that stopped the run before).
    ws = make_workspace(brief_activity_list=True, activity_by_id_lag=2.0)
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    record = run(ws, opts=options(max_batch_contacts=BATCH))
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.confirmed, record.failed) == (ROWS, 0)
    assert int(ws.emulator.stats()["contacts_submitted"]) == ROWS
