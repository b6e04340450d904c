"""The server object, test endpoints, reset and the state file."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from cc_tui.emulator.persistence import EmulatorStateError
from cc_tui.emulator.seed import SEED_CONTACTS
from cc_tui.emulator.server import EmulatorServer
from cc_tui.emulator.settings import EmulatorSettings
from tests.emulator.emu_helpers import (
    FAST,
    HTTP,
    NEWSLETTER,
    VIP,
    StartEmulator,
    api_client,
    import_contacts,
)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "example.com", "::"])
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        EmulatorServer(EmulatorSettings(host=host, port=0))


def test_urls_and_context_manager() -> None:
    with EmulatorServer(EmulatorSettings(port=0, seed_demo_data=False)) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.api_base_url == server.url + "/v3"
        assert server.auth_base_url == server.url + "/oauth2/default/v1"
        index = HTTP.get(server.url + "/").json()
        assert index["api_base_url"] == server.api_base_url
        assert server.stats()["contacts_stored"] == 0
    with pytest.raises(httpx.TransportError):
        HTTP.get(server.url + "/")


def test_ipv6_loopback(start_emulator: StartEmulator) -> None:
    try:
        server = start_emulator(host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    assert server.url.startswith("http://[::1]:")
    assert HTTP.get(server.url + "/").status_code == 200


def test_test_endpoints_approve_deny_members_and_seed(emulator: EmulatorServer) -> None:
    admin = emulator.url + "/__emulator"
    started = HTTP.post(
        emulator.auth_base_url + "/device/authorize",
        data={"client_id": "a", "scope": "contact_data"},
    ).json()
    assert HTTP.post(admin + "/device/approve", json={"user_code": started["user_code"]}).is_success
    again = HTTP.post(admin + "/device/deny", json={"user_code": started["user_code"]})
    assert again.status_code == 404
    with pytest.raises(KeyError):
        emulator.approve("ZZZZ-ZZZZ")
    seeded = HTTP.post(
        admin + "/contacts",
        json={
            "contacts": [
                {"email": "Opted.Out@Example.com", "permission_to_send": "unsubscribed"},
                {"email": "vip@example.com", "list_ids": [VIP], "first_name": "Vera"},
            ]
        },
    )
    assert seeded.json() == {"contacts": 2}
    members = HTTP.get(f"{admin}/lists/{VIP}/members").json()["members"]
    assert "vip@example.com" in members
    assert members == sorted(members)
    assert set(members) == emulator.list_members(VIP)
    bad = HTTP.post(admin + "/contacts", json={"contacts": [{"email": "x@y.z", "list_ids": ["n"]}]})
    assert bad.status_code == 400


def test_reset_restores_the_seeded_state(start_emulator: StartEmulator) -> None:
    server = start_emulator(**FAST)
    with api_client(server) as client:
        import_contacts(client, [{"email": "extra@example.com"}])
        client.post("/contact_lists", json={"name": "Temporary"})
        assert HTTP.post(server.url + "/__emulator/reset").json() == {"reset": True}
        assert server.stats()["requests_total"] == 0
        assert server.stats()["contacts_stored"] == SEED_CONTACTS
        names = [item["name"] for item in client.get("/contact_lists").json()["lists"]]
        assert client.get("/activities").json()["activities"] == []
    assert "Temporary" not in names
    assert "extra@example.com" not in server.list_members(NEWSLETTER)


def test_state_file_round_trip(start_emulator: StartEmulator, tmp_path: Path) -> None:
    path = tmp_path / "emulator" / "state.json"
    first = start_emulator(state_file=path, **FAST)
    client = api_client(first)
    created = client.post("/contact_lists", json={"name": "Kept"}).json()
    done = import_contacts(
        client, [{"email": "kept@example.com", "first_name": "K"}], [created["list_id"]]
    )
    assert HTTP.post(first.url + "/__emulator/save").json() == {"saved": str(path)}
    first.stop()
    assert path.exists()
    assert path.stat().st_mode & 0o077 == 0
    second = start_emulator(state_file=path, **FAST)
    client.base_url = httpx.URL(second.api_base_url + "/")
    # The access token survived the restart, so no new sign-in is needed.
    lists = client.get("/contact_lists", params={"name": "Kept"}).json()["lists"]
    assert [item["list_id"] for item in lists] == [created["list_id"]]
    assert second.list_members(created["list_id"]) == {"kept@example.com"}
    activity = client.get(f"/activities/{done['activity_id']}").json()
    assert activity["state"] == "completed"
    kept = client.get("/contacts", params={"email": "kept@example.com"}).json()["contacts"]
    assert kept[0]["first_name"] == "K"
    client.close()


def test_state_file_keeps_unfinished_imports(start_emulator: StartEmulator, tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    first = start_emulator(state_file=path, processing_rate=10.0, **FAST)
    with api_client(first) as client:
        contacts = [{"email": f"later{n}@example.com"} for n in range(30)]
        body = {"import_data": contacts, "list_ids": [NEWSLETTER]}
        created = client.post("/activities/contacts_json_import", json=body).json()
    activity_id = created["activity_id"]
    first.stop()
    second = start_emulator(
        state_file=path, processing_rate=float("inf"), activity_start_delay=0, **FAST
    )
    with api_client(second) as client:
        done = client.get(f"/activities/{activity_id}").json()
    assert done["state"] == "completed"
    assert done["status"]["person_count"] == 30
    assert {f"later{n}@example.com" for n in range(30)} <= second.list_members(NEWSLETTER)


def test_save_without_a_state_file_is_a_400(emulator: EmulatorServer) -> None:
    assert HTTP.post(emulator.url + "/__emulator/save").status_code == 400


@pytest.mark.parametrize("content", ["{not json", json.dumps({"format": "other"}), "[]"])
def test_a_corrupt_state_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(EmulatorStateError, match=r"state\.json") as caught:
        EmulatorServer(EmulatorSettings(port=0, state_file=path))
    assert "Fix:" in str(caught.value)
