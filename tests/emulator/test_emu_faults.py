"""Injected faults: 503 errors, ambiguous 500s, empty 202s, dropped connections, latency,
failed activities."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.emulator.emu_helpers import (
    FAST,
    HTTP,
    NEWSLETTER,
    StartEmulator,
    api_client,
    wait_for_activity,
)

IMPORT = "/activities/contacts_json_import"
ONE_CONTACT = {"import_data": [{"email": "fault@example.com"}], "list_ids": [NEWSLETTER]}


def test_error_rate_answers_503_before_any_effect(start_emulator: StartEmulator) -> None:
    server = start_emulator(error_rate=1.0, seed=1, **FAST)
    with api_client(server) as client:
        refused = client.post("/contact_lists", json={"name": "Never made"})
    assert refused.status_code == 503
    assert refused.json()[0]["error_key"] == "service.unavailable"
    HTTP.post(server.url + "/__emulator/settings", json={"error_rate": 0})
    with api_client(server) as client:
        names = [item["name"] for item in client.get("/contact_lists").json()["lists"]]
    assert "Never made" not in names
    assert server.stats()["faults"] == {"error": 1}


def test_faults_never_touch_auth_or_test_endpoints(start_emulator: StartEmulator) -> None:
    server = start_emulator(error_rate=1.0, drop_rate=1.0, latency=5.0)
    assert HTTP.get(server.url + "/__emulator/stats").status_code == 200
    with api_client(server):  # the whole device flow works
        pass


def test_ambiguous_500_still_creates_the_activity(start_emulator: StartEmulator) -> None:
    server = start_emulator(ambiguous_rate=1.0, seed=3, **FAST)
    with api_client(server) as client:
        answer = client.post(IMPORT, json=ONE_CONTACT)
        assert answer.status_code == 500
        assert answer.json()[0]["error_key"] == "server.error"
        activities = client.get("/activities").json()["activities"]
        assert len(activities) == 1
        done = wait_for_activity(client, activities[0]["activity_id"])
    assert done["state"] == "completed"
    assert "fault@example.com" in server.list_members(NEWSLETTER)
    assert server.stats()["faults"] == {"ambiguous": 1}


def test_an_empty_202_still_creates_the_activity(start_emulator: StartEmulator) -> None:
    server = start_emulator(empty_answer_rate=1.0, seed=3, **FAST)
    with api_client(server) as client:
        answer = client.post(IMPORT, json=ONE_CONTACT)
        assert (answer.status_code, answer.content) == (202, b"")
        activities = client.get("/activities").json()["activities"]
        assert len(activities) == 1
        done = wait_for_activity(client, activities[0]["activity_id"])
    assert done["state"] == "completed"
    assert "fault@example.com" in server.list_members(NEWSLETTER)
    assert server.stats()["faults"] == {"empty_answer": 1}


def test_a_dropped_connection_is_a_transport_error_and_does_nothing(
    start_emulator: StartEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    server = start_emulator(drop_rate=1.0, drop_after_create_share=0.0, seed=5, **FAST)
    with api_client(server) as client:
        with pytest.raises(httpx.TransportError):
            client.post("/contact_lists", json={"name": "Dropped"})
        with pytest.raises(httpx.TransportError):
            client.post(IMPORT, json=ONE_CONTACT)
    HTTP.post(server.url + "/__emulator/settings", json={"drop_rate": 0.0})
    with api_client(server) as client:
        names = [item["name"] for item in client.get("/contact_lists").json()["lists"]]
        assert client.get("/activities").json()["activities"] == []
    assert "Dropped" not in names
    stats = server.stats()
    assert stats["faults"] == {"drop": 2}
    assert stats["by_status"]["dropped"] == 2
    assert "Traceback" not in capfd.readouterr().err


def test_a_dropped_import_may_have_created_its_activity(
    start_emulator: StartEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    server = start_emulator(drop_rate=1.0, drop_after_create_share=1.0, seed=5, **FAST)
    with api_client(server) as client, pytest.raises(httpx.TransportError):
        client.post(IMPORT, json=ONE_CONTACT)
    stats = server.stats()
    assert stats["faults"] == {"drop": 1, "drop_after_create": 1}
    assert stats["by_status"] == {"dropped": 1}
    assert stats["activities_created"] == 1
    HTTP.post(server.url + "/__emulator/settings", json={"drop_rate": 0.0})
    with api_client(server) as client:
        activities = client.get("/activities").json()["activities"]
        assert len(activities) == 1
        done = wait_for_activity(client, activities[0]["activity_id"])
    assert done["state"] == "completed"
    assert "fault@example.com" in server.list_members(NEWSLETTER)
    assert "Traceback" not in capfd.readouterr().err


def test_dropped_imports_are_lost_before_or_after_by_a_seeded_coin(
    start_emulator: StartEmulator,
) -> None:
    outcomes = []
    for _ in range(2):
        server = start_emulator(drop_rate=1.0, seed=21, **FAST)
        with api_client(server) as client:
            for _ in range(12):
                with pytest.raises(httpx.TransportError):
                    client.post(IMPORT, json=ONE_CONTACT)
        stats = server.stats()
        outcomes.append(stats["faults"])
        assert stats["activities_created"] == stats["faults"]["drop_after_create"]
    assert outcomes[0] == outcomes[1]  # replayed with the same seed
    assert 0 < outcomes[0]["drop_after_create"] < outcomes[0]["drop"] == 12


def test_faults_replay_with_the_same_seed(start_emulator: StartEmulator) -> None:
    runs = []
    for _ in range(2):
        server = start_emulator(error_rate=0.5, seed=42, **FAST)
        with api_client(server) as client:
            runs.append([client.get("/contact_lists").status_code for _ in range(12)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 503}


def test_latency_delays_api_answers(start_emulator: StartEmulator) -> None:
    server = start_emulator(latency=0.3, **FAST)
    with api_client(server) as client:
        started = time.monotonic()
        assert client.get("/contact_lists").status_code == 200
        assert time.monotonic() - started >= 0.3
    assert server.stats()["faults"] == {"latency": 1}


def test_failed_activity_stops_part_way(start_emulator: StartEmulator) -> None:
    server = start_emulator(failed_activity_rate=1.0, seed=9, **FAST)
    contacts = [{"email": f"f{n}@example.com"} for n in range(200)]
    with api_client(server) as client:
        created = client.post(IMPORT, json={"import_data": contacts, "list_ids": [NEWSLETTER]})
        done = wait_for_activity(client, created.json()["activity_id"])
    assert done["state"] == "failed"
    status = done["status"]
    assert status["items_completed_count"] < 200
    assert status["error_count"] == 200 - status["items_completed_count"]
    assert done["activity_errors"]  # a text for people; its wording varies
    imported = {email for email in server.list_members(NEWSLETTER) if email.startswith("f")}
    assert len(imported & {c["email"] for c in contacts}) == status["items_completed_count"]
    assert server.stats()["faults"] == {"failed_activity": 1}


def test_settings_change_at_run_time_and_are_checked(start_emulator: StartEmulator) -> None:
    server = start_emulator(**FAST)
    url = server.url + "/__emulator/settings"
    changed = HTTP.post(url, json={"latency": 0.01, "token_lifetime": 60, "error_rate": 0.25})
    assert changed.status_code == 200
    assert changed.json()["error_rate"] == 0.25
    assert server.emulator.settings.token_lifetime == 60
    assert HTTP.get(url).json()["latency"] == 0.01
    for bad in (
        {"error_rate": 2},
        {"latency": -1},
        {"host": "0.0.0.0"},
        {"rate_limit_per_second": 0},
    ):
        refused = HTTP.post(url, json=bad)
        assert refused.status_code == 400, bad
    assert server.emulator.settings.host == "127.0.0.1"
