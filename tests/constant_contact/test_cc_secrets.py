"""Tokens never reach logs, reprs or error messages."""

from __future__ import annotations

import logging

import httpx
import pytest

from cc_tui.constant_contact.auth import DeviceFlow
from cc_tui.errors import CcTuiError
from tests.constant_contact.cc_fakes import (
    AUTH,
    MemoryTokenStore,
    MockApi,
    make_client,
    refreshed,
    reply,
    token_set,
)

ACCESS_1 = "eyJACCESS-ONE-0123456789abcdef"
ACCESS_2 = "eyJACCESS-TWO-0123456789abcdef"
REFRESH_1 = "REFRESH-ONE-0123456789abcdef"
REFRESH_2 = "REFRESH-TWO-0123456789abcdef"
REFRESH_3 = "REFRESH-THREE-0123456789abcdef"
DEVICE_CODE = "DEVICE-CODE-0123456789abcdef"
SECRETS = (ACCESS_1, ACCESS_2, REFRESH_1, REFRESH_2, REFRESH_3, DEVICE_CODE)


async def test_tokens_stay_out_of_logs_reprs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = MemoryTokenStore(token_set(access=ACCESS_1, refresh=REFRESH_1, expires_in=5))
    unauthorized = reply(401, {"error_key": "unauthorized", "error_message": "Unauthorized"})
    api = MockApi()
    api.on("GET", "/v3/account/summary", reply(503, text="busy"), unauthorized, reply(200, {}))
    api.on("GET", "/v3/contact_lists", reply(500, [{"error_key": "x", "error_message": "y"}]))
    api.token(refreshed(ACCESS_2, REFRESH_2), refreshed(ACCESS_2 + "x", REFRESH_3))
    api.token(reply(400, {"error": "invalid_grant", "error_description": "used"}))
    api.on(
        "POST",
        "/oauth2/default/v1/device/authorize",
        reply(
            200,
            {
                "device_code": DEVICE_CODE,
                "user_code": "ABCD-EFGH",
                "verification_uri": "https://auth.example.test/activate",
                "expires_in": 60,
                "interval": 0.01,
            },
        ),
    )
    client = make_client(api, store)
    await client.account_summary()  # refresh, 503, 401, refresh, success
    errors: list[CcTuiError] = []
    try:
        await client.contact_lists()
    except CcTuiError as exc:
        errors.append(exc)
    store.tokens = token_set(access=ACCESS_2, refresh=REFRESH_3, expires_in=1)
    try:
        await make_client(api, store).account_summary()  # invalid_grant
    except CcTuiError as exc:
        errors.append(exc)
    flow = DeviceFlow(
        httpx.AsyncClient(transport=api.transport()), auth_base_url=AUTH, client_id="c"
    )
    authz = await flow.start()

    assert len(errors) == 2
    assert client.stats.refreshes == 2
    shown = "\n".join(
        [
            caplog.text,
            repr(client),
            repr(store),
            repr(store.tokens),
            str(store.tokens),
            *(repr(t) for t in store.saved),
            repr(authz),
            repr(flow),
            repr(client._keeper),
            *(str(e) for e in errors),
            *(repr(e) for e in errors),
        ]
    )
    assert "account/summary" in caplog.text  # the log did record the requests
    for secret in SECRETS:
        assert secret not in shown
