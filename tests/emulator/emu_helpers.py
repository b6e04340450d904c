"""Helpers of the emulator tests: sign in and call /v3 with plain httpx (never the client)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from cc_tui.emulator.seed import SEED_LISTS, list_id_for
from cc_tui.emulator.server import EmulatorServer

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ALL_SCOPES = "contact_data account_read offline_access"
NEWSLETTER = list_id_for(SEED_LISTS[0][0])
VIP = list_id_for("VIP customers")
# Most tests are not about the rate limit, nor about how late GET /activities shows a new one.
FAST: dict[str, Any] = {"rate_limit_per_second": 10_000, "activity_list_lag": 0.0}

StartEmulator = Callable[..., EmulatorServer]
# Plain http on loopback: verify=False spares loading CA certificates (~60 ms per client).
HTTP = httpx.Client(verify=False, timeout=30)


def authorize(server: EmulatorServer, client_id: str = "test-app", scope: str = ALL_SCOPES) -> Any:
    """Start a device authorization; returns its JSON body."""
    response = HTTP.post(
        server.auth_base_url + "/device/authorize", data={"client_id": client_id, "scope": scope}
    )
    assert response.status_code == 200, response.text
    return response.json()


def poll(server: EmulatorServer, device_code: str, client_id: str = "test-app") -> httpx.Response:
    """One device-code token request."""
    form = {"client_id": client_id, "device_code": device_code, "grant_type": DEVICE_GRANT}
    return HTTP.post(server.auth_base_url + "/token", data=form)


def refresh(server: EmulatorServer, token: str, client_id: str = "test-app") -> httpx.Response:
    """One refresh-token request."""
    form = {"client_id": client_id, "refresh_token": token, "grant_type": "refresh_token"}
    return HTTP.post(server.auth_base_url + "/token", data=form)


def sign_in(server: EmulatorServer, client_id: str = "test-app", scope: str = ALL_SCOPES) -> Any:
    """The whole device flow with the test-only approval; returns the token response."""
    started = authorize(server, client_id, scope)
    server.approve(started["user_code"])
    response = poll(server, started["device_code"], client_id)
    assert response.status_code == 200, response.text
    return response.json()


def api_client(
    server: EmulatorServer, client_id: str = "test-app", scope: str = ALL_SCOPES
) -> httpx.Client:
    """An httpx client on /v3 with a fresh access token."""
    tokens = sign_in(server, client_id, scope)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return httpx.Client(base_url=server.api_base_url, headers=headers, timeout=30, verify=False)


FINAL_STATES = ("completed", "failed", "cancelled", "timed_out")


def wait_for_activity(
    client: httpx.Client, activity_id: str, states: tuple[str, ...] = FINAL_STATES
) -> Any:
    """Poll an activity until it reaches one of ``states`` (10 s at most)."""
    deadline = time.monotonic() + 10
    while True:
        body = client.get(f"/activities/{activity_id}").json()
        if body["state"] in states or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def import_contacts(
    client: httpx.Client,
    contacts: list[dict[str, Any]],
    list_ids: list[str] | None = None,
    **extra: Any,
) -> Any:
    """POST a JSON import and wait for it to finish; returns the final activity."""
    body = {"import_data": contacts, "list_ids": list_ids or [NEWSLETTER], **extra}
    response = client.post("/activities/contacts_json_import", json=body)
    assert response.status_code == 201, response.text
    return wait_for_activity(client, response.json()["activity_id"])
