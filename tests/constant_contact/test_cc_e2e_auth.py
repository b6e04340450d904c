"""Sign-in and tokens against the emulator: device flow, rotation, 401 recovery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from cc_tui.constant_contact.auth import DeviceFlow, DeviceFlowStatus, refresh_tokens
from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.errors import DeviceFlowError, SignInRequiredError
from cc_tui.models.connection import TokenSet
from tests.constant_contact.cc_e2e import connection_for, sign_in, signed_in_client
from tests.constant_contact.cc_fakes import MemoryTokenStore

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer

StartEmulator = Callable[..., "EmulatorServer"]


def flow_for(server: EmulatorServer, http: httpx.AsyncClient, **options: object) -> DeviceFlow:
    return DeviceFlow(
        http,
        auth_base_url=server.auth_base_url,
        client_id="e2e-app",
        **options,  # type: ignore[arg-type]
    )


async def test_device_flow_pending_then_approved(fast_emulator: EmulatorServer) -> None:
    seen: list[DeviceFlowStatus] = []

    def on_status(status: DeviceFlowStatus) -> None:
        seen.append(status)
        if len(seen) == 2:  # the user approves after two "still waiting" answers
            fast_emulator.approve(authz.user_code)

    async with httpx.AsyncClient() as http:
        flow = flow_for(fast_emulator, http)
        authz = await flow.start()
        assert authz.interval == pytest.approx(0.05)
        assert authz.verification_uri == fast_emulator.verification_uri
        tokens = await flow.wait_for_tokens(authz, on_status=on_status)
    assert [s.state for s in seen] == ["pending", "pending", "approved"]
    assert tokens.refresh_token
    assert set(tokens.scope.split()) == {"contact_data", "account_read", "offline_access"}
    assert tokens.expires_at > datetime.now(UTC) + timedelta(hours=23)


async def test_device_flow_slow_down(fast_emulator: EmulatorServer) -> None:
    seen: list[DeviceFlowStatus] = []
    real_sleeps = 0

    async def impatient_sleep(delay: float) -> None:
        # Skip the first two waits: polling too fast is what earns a slow_down.
        nonlocal real_sleeps
        real_sleeps += 1
        if real_sleeps > 2:
            await asyncio.sleep(delay)

    def on_status(status: DeviceFlowStatus) -> None:
        seen.append(status)
        if status.state == "slow_down":
            fast_emulator.approve(authz.user_code)

    async with httpx.AsyncClient() as http:
        flow = flow_for(fast_emulator, http, sleep=impatient_sleep)
        authz = await flow.start()
        await flow.wait_for_tokens(authz, on_status=on_status)
    assert [s.state for s in seen] == ["pending", "slow_down", "approved"]
    assert seen[1].interval == pytest.approx(0.1)


async def test_device_flow_denied(fast_emulator: EmulatorServer) -> None:
    async with httpx.AsyncClient() as http:
        flow = flow_for(fast_emulator, http)
        authz = await flow.start()
        fast_emulator.deny(authz.user_code)
        with pytest.raises(DeviceFlowError) as caught:
            await flow.wait_for_tokens(authz)
    assert caught.value.code == "access_denied"


async def test_device_flow_expires(start_emulator: StartEmulator) -> None:
    server = start_emulator(device_poll_interval=0.05, device_code_lifetime=0.3)
    async with httpx.AsyncClient() as http:
        flow = flow_for(server, http)
        with pytest.raises(DeviceFlowError) as caught:
            await flow.wait_for_tokens(await flow.start())
    assert caught.value.code == "expired_token"


async def test_refresh_tokens_rotate_and_old_ones_die(start_emulator: StartEmulator) -> None:
    # Access tokens live 2 s, less than the 60 s refresh margin: every call refreshes first.
    server = start_emulator(device_poll_interval=0.05, token_lifetime=2)
    client, store = await signed_in_client(server)
    first_refresh = store.tokens.refresh_token if store.tokens else None
    async with client:
        for _ in range(3):
            await client.account_summary()
    rotated = [tokens.refresh_token for tokens in store.saved]
    assert len(rotated) == 3
    assert len({first_refresh, *rotated}) == 4  # a new refresh token every time
    assert client.stats.refreshes == 3
    assert server.stats()["refresh_requests"] == 3

    async with httpx.AsyncClient() as http:
        with pytest.raises(SignInRequiredError):
            assert first_refresh is not None
            await refresh_tokens(
                http,
                auth_base_url=server.auth_base_url,
                client_id="e2e-app",
                refresh_token=first_refresh,
                connection="e2e",
            )
    # Reusing a rotated-out token revoked the family: the connection must sign in again.
    async with ConstantContactClient(connection_for(server), store) as again:
        with pytest.raises(SignInRequiredError):
            await again.account_summary()


async def test_a_refused_access_token_is_refreshed_once(fast_emulator: EmulatorServer) -> None:
    connection = connection_for(fast_emulator)
    real = await sign_in(fast_emulator, connection)
    forged = TokenSet(
        access_token="not-a-token-the-server-issued",
        refresh_token=real.refresh_token,
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    store = MemoryTokenStore(forged)
    async with ConstantContactClient(connection, store) as client:
        summary = await client.account_summary()
    assert summary.organization_name
    assert client.stats.refreshes == 1
    assert client.stats.requests == 2
    assert fast_emulator.stats()["by_status"] == {"200": 1, "401": 1}
    assert store.tokens is not None and store.tokens.access_token != forged.access_token
