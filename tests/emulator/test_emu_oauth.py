"""Device flow, tokens, refresh rotation, token expiry and scopes."""

from __future__ import annotations

import re
import time

from cc_tui.emulator.server import EmulatorServer
from tests.emulator.emu_helpers import (
    FAST,
    HTTP,
    StartEmulator,
    api_client,
    authorize,
    poll,
    refresh,
    sign_in,
)


def test_device_authorize_answers_the_rfc_8628_fields(emulator: EmulatorServer) -> None:
    body = authorize(emulator)
    assert re.fullmatch(r"[B-Z]{4}-[B-Z]{4}", body["user_code"])
    assert not set(body["user_code"]) & set("AEIOUY")
    assert body["verification_uri"] == emulator.url + "/activate"
    assert body["verification_uri_complete"].endswith(f"?user_code={body['user_code']}")
    assert body["expires_in"] == 600
    assert body["interval"] == 5


def test_device_authorize_needs_a_client_id_and_known_scopes(emulator: EmulatorServer) -> None:
    url = emulator.auth_base_url + "/device/authorize"
    missing = HTTP.post(url, data={"scope": "contact_data"})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_client"
    unknown = HTTP.post(url, data={"client_id": "a", "scope": "contact_data nonsense"})
    assert unknown.json()["error"] == "invalid_scope"
    by_query = HTTP.post(url, params={"client_id": "a", "scope": "contact_data"})
    assert by_query.status_code == 200


def test_pending_then_slow_down_then_tokens_once(start_emulator: StartEmulator) -> None:
    server = start_emulator(device_poll_interval=0.5)
    started = authorize(server)
    first = poll(server, started["device_code"])
    assert first.status_code == 400
    assert first.json()["error"] == "authorization_pending"
    assert poll(server, started["device_code"]).json()["error"] == "slow_down"
    server.approve(started["user_code"])
    tokens = poll(server, started["device_code"])
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86_400
    assert body["scope"] == "contact_data account_read offline_access"
    assert len(body["access_token"]) > 800
    assert body["access_token"].count(".") == 2
    assert body["refresh_token"]
    assert poll(server, started["device_code"]).json()["error"] == "invalid_grant"


def test_slow_down_grows_the_interval(start_emulator: StartEmulator) -> None:
    server = start_emulator(device_poll_interval=0.2)
    started = authorize(server)
    poll(server, started["device_code"])
    assert poll(server, started["device_code"]).json()["error"] == "slow_down"
    time.sleep(0.25)  # past the first interval but not the grown one (0.4 s)
    assert poll(server, started["device_code"]).json()["error"] == "slow_down"


def test_denied_expired_and_foreign_codes(start_emulator: StartEmulator) -> None:
    server = start_emulator(device_code_lifetime=0.3)
    denied = authorize(server)
    server.deny(denied["user_code"])
    assert poll(server, denied["device_code"]).json()["error"] == "access_denied"
    other = authorize(server)
    assert poll(server, other["device_code"], client_id="someone-else").json()["error"] == (
        "invalid_grant"
    )
    assert poll(server, "no-such-code").json()["error"] == "invalid_grant"
    time.sleep(0.35)
    expired = poll(server, other["device_code"])
    assert expired.status_code == 400
    assert expired.json()["error"] == "expired_token"


def test_auto_approve_and_no_refresh_token_without_offline_access(
    start_emulator: StartEmulator,
) -> None:
    server = start_emulator(auto_approve=True)
    started = authorize(server, scope="contact_data")
    body = poll(server, started["device_code"]).json()
    assert body["scope"] == "contact_data"
    assert "refresh_token" not in body


def test_verification_page_approves_a_code(emulator: EmulatorServer) -> None:
    started = authorize(emulator)
    page = HTTP.get(started["verification_uri_complete"])
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert started["user_code"] in page.text
    assert "test-app" in page.text
    code = started["user_code"].replace("-", "").lower()  # people type sloppily
    result = HTTP.post(emulator.url + "/activate", data={"user_code": code, "action": "approve"})
    assert result.status_code == 200
    assert "approved" in result.text
    assert poll(emulator, started["device_code"]).status_code == 200


def test_verification_page_denies_and_rejects_unknown_codes(emulator: EmulatorServer) -> None:
    started = authorize(emulator)
    form = {"user_code": started["user_code"], "action": "deny"}
    assert "denied" in HTTP.post(emulator.url + "/activate", data=form).text
    assert poll(emulator, started["device_code"]).json()["error"] == "access_denied"
    unknown = HTTP.post(emulator.url + "/activate", data={"user_code": "BBBB-CCCC"})
    assert unknown.status_code == 400
    assert "unknown" in unknown.text
    assert "unknown" in HTTP.get(emulator.url + "/activate?user_code=BBBB-CCCC").text


def test_rotating_refresh_tokens_and_reuse_revokes_the_family(emulator: EmulatorServer) -> None:
    first = sign_in(emulator)
    second = refresh(emulator, first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    reused = refresh(emulator, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    # Okta-style reuse detection: the newest token of the family is dead too.
    assert refresh(emulator, rotated["refresh_token"]).json()["error"] == "invalid_grant"
    # Access tokens already issued stay valid until they expire.
    headers = {"Authorization": f"Bearer {first['access_token']}"}
    assert HTTP.get(emulator.api_base_url + "/contact_lists", headers=headers).status_code == 200


def test_long_lived_refresh_token_is_returned_every_time(start_emulator: StartEmulator) -> None:
    server = start_emulator(refresh_token_mode="long-lived")
    first = sign_in(server)
    for _ in range(3):
        again = refresh(server, first["refresh_token"]).json()
        assert again["refresh_token"] == first["refresh_token"]
        assert again["access_token"] != first["access_token"]


def test_refresh_errors(emulator: EmulatorServer) -> None:
    tokens = sign_in(emulator)
    assert refresh(emulator, tokens["refresh_token"], client_id="other").json()["error"] == (
        "invalid_grant"
    )
    assert refresh(emulator, "nonsense").json()["error"] == "invalid_grant"
    url = emulator.auth_base_url + "/token"
    unsupported = HTTP.post(url, data={"client_id": "a", "grant_type": "password"})
    assert unsupported.json()["error"] == "unsupported_grant_type"
    no_client = HTTP.post(url, data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert no_client.json()["error"] == "invalid_client"


def test_expired_and_missing_tokens_get_401(start_emulator: StartEmulator) -> None:
    server = start_emulator(token_lifetime=0.3, **FAST)
    with api_client(server) as client:
        assert client.get("/contact_lists").status_code == 200
        time.sleep(0.35)
        expired = client.get("/contact_lists")
    assert expired.status_code == 401
    assert expired.json() == {"error_key": "unauthorized", "error_message": "Unauthorized"}
    assert HTTP.get(server.api_base_url + "/contact_lists").status_code == 401
    bogus = {"Authorization": "Bearer abc.def.ghi"}
    assert HTTP.get(server.api_base_url + "/contacts", headers=bogus).status_code == 401


def test_fractional_token_lifetime_is_reported_as_is(start_emulator: StartEmulator) -> None:
    server = start_emulator(token_lifetime=2.5)
    assert sign_in(server)["expires_in"] == 2.5


def test_missing_scope_gets_403(fast_emulator: EmulatorServer) -> None:
    with api_client(fast_emulator, scope="contact_data") as contacts_only:
        denied = contacts_only.get("/account/summary")
        assert contacts_only.get("/contact_lists").status_code == 200
    assert denied.status_code == 403
    assert denied.json() == {"error_key": "forbidden", "error_message": "Forbidden"}
    with api_client(fast_emulator, scope="account_read") as account_only:
        assert account_only.get("/account/summary").status_code == 200
        assert account_only.get("/contact_lists").status_code == 403
