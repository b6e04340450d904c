"""Activities (api-rules section 4): how they end, how GET /activities shows them, their texts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_tui.emulator.schema import check, definitions
from cc_tui.emulator.server import EmulatorServer
from tests.emulator.emu_helpers import (
    FAST,
    HTTP,
    NEWSLETTER,
    StartEmulator,
    api_client,
    import_contacts,
    wait_for_activity,
)

IMPORT = "/activities/contacts_json_import"


def _contacts(prefix: str, count: int) -> list[dict[str, Any]]:
    return [{"email": f"{prefix}{n}@example.com"} for n in range(count)]


def _post(client: httpx.Client, contacts: list[dict[str, Any]]) -> Any:
    response = client.post(IMPORT, json={"import_data": contacts, "list_ids": [NEWSLETTER]})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("rate", "state", "fault"),
    [
        ("failed_activity_rate", "failed", "failed_activity"),
        ("cancelled_activity_rate", "cancelled", "cancelled_activity"),
        ("timed_out_activity_rate", "timed_out", "timed_out_activity"),
    ],
)
def test_an_activity_can_end_early_and_its_counters_still_add_up(
    start_emulator: StartEmulator, rate: str, state: str, fault: str
) -> None:
    server = start_emulator(**{rate: 1.0}, seed=4, **FAST)
    contacts = [*_contacts("early", 300), {"email": "bad@@example.com"}]
    with api_client(server) as client:
        done = wait_for_activity(client, _post(client, contacts)["activity_id"])
    assert done["state"] == state
    status = done["status"]
    assert status["items_completed_count"] < len(contacts)
    # The contacts never processed are errors: the counters of a final activity add up.
    assert status["items_total_count"] == (
        status["person_count"] + status["correctable_count"] + status["error_count"]
    )
    assert "completed_at" in done
    assert server.stats()["faults"] == {fault: 1}
    imported = {email for email in server.list_members(NEWSLETTER) if email.startswith("early")}
    assert len(imported) == status["person_count"]


def test_an_activity_may_never_finish_without_blocking_the_next(
    start_emulator: StartEmulator,
) -> None:
    server = start_emulator(unfinished_activity_rate=1.0, seed=2, **FAST)
    url = server.url + "/__emulator/settings"
    with api_client(server) as client:
        stuck = _post(client, _contacts("stuck", 200))
        HTTP.post(url, json={"unfinished_activity_rate": 0.0})
        after = wait_for_activity(client, _post(client, _contacts("after", 5))["activity_id"])
        assert after["state"] == "completed"
        still = client.get(f"/activities/{stuck['activity_id']}").json()
        processing = client.get("/activities", params={"state": "processing"}).json()
    assert still["state"] == "processing"
    assert "completed_at" not in still
    assert still["status"]["items_completed_count"] < 200
    assert [item["activity_id"] for item in processing["activities"]] == [stuck["activity_id"]]
    assert server.stats()["faults"] == {"unfinished_activity": 1}


def test_new_activities_show_in_the_list_only_after_the_lag(
    start_emulator: StartEmulator,
) -> None:
    server = start_emulator(rate_limit_per_second=10_000, activity_list_lag=3600.0)
    with api_client(server) as client:
        created = _post(client, _contacts("lag", 2))
        assert client.get("/activities").json()["activities"] == []
        found = client.get(f"/activities/{created['activity_id']}")
        assert found.status_code == 200  # found at once by id
        HTTP.post(server.url + "/__emulator/settings", json={"activity_list_lag": 0})
        listed = client.get("/activities").json()["activities"]
    assert [item["activity_id"] for item in listed] == [created["activity_id"]]


def test_a_new_activity_is_not_found_by_id_before_its_lag(
    start_emulator: StartEmulator,
) -> None:
    server = start_emulator(rate_limit_per_second=10_000, activity_by_id_lag=3600.0)
    with api_client(server) as client:
        created = _post(client, _contacts("young", 2))
        path = f"/activities/{created['activity_id']}"
        assert client.get(path).status_code == 404
        HTTP.post(server.url + "/__emulator/settings", json={"activity_by_id_lag": 0})
        assert client.get(path).json()["activity_id"] == created["activity_id"]


def test_the_default_lag_is_harsh_but_realistic() -> None:
    from cc_tui.emulator.settings import EmulatorSettings

    assert EmulatorSettings().activity_list_lag == 1.0


def test_a_brief_listing_leaves_out_counters_and_texts_that_the_activity_keeps(
    start_emulator: StartEmulator,
) -> None:
    # The swagger requires no property of a listed activity (docs/api-rules.md section 4).
    server = start_emulator(brief_activity_list=True, **FAST)
    with api_client(server) as client:
        created = _post(client, [*_contacts("brief", 3), {"email": "bad@@example.com"}])
        done = wait_for_activity(client, created["activity_id"])
        listing = client.get("/activities").json()
    assert check(listing, definitions()["Activities"]) == []
    [listed] = listing["activities"]
    assert listed["activity_id"] == created["activity_id"] and listed["state"] == "completed"
    assert "status" not in listed and "activity_errors" not in listed
    assert done["status"]["correctable_count"] == 1 and done["activity_errors"]


def test_activities_can_be_listed_oldest_first(start_emulator: StartEmulator) -> None:
    server = start_emulator(activities_oldest_first=True, **FAST)
    with api_client(server) as client:
        ids = [_post(client, _contacts(f"old{n}-", 1))["activity_id"] for n in range(3)]
        listed = client.get("/activities", params={"limit": 2}).json()
        rest = client.get(listed["_links"]["next"]["href"].removeprefix("/v3")).json()
    assert [a["activity_id"] for a in listed["activities"] + rest["activities"]] == ids


def test_activities_are_listed_newest_first_with_created_at(api: httpx.Client) -> None:
    ids = [_post(api, _contacts(f"order{n}-", 1))["activity_id"] for n in range(3)]
    listing = api.get("/activities").json()
    assert check(listing, definitions()["Activities"]) == []
    items = listing["activities"]
    assert [item["activity_id"] for item in items] == ids[::-1]
    created = [item["created_at"] for item in items]
    assert all(created)
    assert created == sorted(created, reverse=True)
    assert api.get("/activities", params={"state": "initialized"}).status_code == 400


def _error_contacts(count: int) -> list[dict[str, Any]]:
    return [{"email": f"broken{n}@@example.com"} for n in range(count)]


def test_error_texts_vary_and_only_the_counters_are_exact(api: httpx.Client) -> None:
    contacts = [*_error_contacts(40), *_contacts("good", 10)]
    done = import_contacts(api, contacts)
    assert done["status"]["correctable_count"] == 40
    texts = done["activity_errors"]
    assert len(texts) == 40
    row_first = [text for text in texts if re.match(r"Row \d+", text)]
    quoting = [text for text in texts if '"broken' in text]
    neither = [text for text in texts if "broken" not in text and not re.search(r"\d", text)]
    assert row_first and quoting and neither
    assert len(row_first) < len(texts)
    # At least four different shapes once the e-mail and the numbers are blanked out.
    shapes = {re.sub(r"\d+", "N", text.replace("@@", "@")) for text in texts}
    shapes = {re.sub(r"broken\w*@example\.com", "E", shape) for shape in shapes}
    assert len(shapes) >= 4, shapes


def test_error_texts_are_the_same_for_the_same_seed(start_emulator: StartEmulator) -> None:
    runs = []
    for _ in range(2):
        server = start_emulator(seed=77, **FAST)
        with api_client(server) as client:
            runs.append(import_contacts(client, _error_contacts(12))["activity_errors"])
    assert runs[0] == runs[1]


def test_error_texts_are_capped_but_counters_are_not(start_emulator: StartEmulator) -> None:
    server = start_emulator(max_activity_errors=5, **FAST)
    with api_client(server) as client:
        done = import_contacts(client, _error_contacts(12))
    assert done["status"]["correctable_count"] == 12
    assert len(done["activity_errors"]) == 6
    assert done["activity_errors"][-1] == "7 more errors were not listed"


def test_state_file_keeps_unfinished_activities(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "state.json"
    first: EmulatorServer = start_emulator(state_file=path, unfinished_activity_rate=1.0, **FAST)
    with api_client(first) as client:
        stuck = _post(client, _contacts("stuck", 5))
        assert (
            wait_for_activity(client, stuck["activity_id"], ("processing",))["state"]
            == "processing"
        )
    first.stop()
    second = start_emulator(state_file=path, **FAST)
    with api_client(second) as client:
        still = client.get(f"/activities/{stuck['activity_id']}").json()
        after = import_contacts(client, _contacts("after", 2))
    assert still["state"] == "processing"
    assert after["state"] == "completed"


def test_state_file_resumes_an_import_with_its_refusals(
    start_emulator: StartEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "state.json"
    first = start_emulator(state_file=path, processing_rate=0.001, **FAST)
    with api_client(first) as client:
        queued = _post(client, [*_error_contacts(3), *_contacts("later", 4)])
    first.stop()
    second = start_emulator(state_file=path, activity_start_delay=0, **FAST)
    with api_client(second) as client:
        done = wait_for_activity(client, queued["activity_id"])
    assert (done["status"]["correctable_count"], done["status"]["person_count"]) == (3, 4)
    assert len(done["activity_errors"]) == 3


@pytest.mark.parametrize("ahead", [0.0, -300.0])
def test_every_answer_is_dated_by_the_servers_clock_as_its_activities_are(
    start_emulator: StartEmulator, ahead: float
) -> None:
    server = start_emulator(clock_offset=ahead, **FAST)
    with api_client(server) as client:
        before = datetime.now(UTC)
        answer = client.post(
            IMPORT, json={"import_data": _contacts("dated", 3), "list_ids": [NEWSLETTER]}
        )
        after = datetime.now(UTC)
        listed = client.get("/activities", params={"limit": 1})
    login = HTTP.post(server.auth_base_url + "/token", data={"grant_type": "nonsense"})
    low = before + timedelta(seconds=ahead - 1)  # HTTP dates are cut to the second
    high = after + timedelta(seconds=ahead + 1)
    for response in (answer, listed, login):  # the API and the sign-in server alike
        assert len(response.headers.get_list("Date")) == 1
        assert low <= parsedate_to_datetime(response.headers["Date"]) <= high
    created = datetime.fromisoformat(answer.json()["created_at"].replace("Z", "+00:00"))
    assert low <= created <= high
