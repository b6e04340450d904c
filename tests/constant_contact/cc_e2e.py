"""Helpers for end-to-end tests against the emulator on a loopback socket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from cc_tui.constant_contact.auth import DeviceFlow
from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.models.connection import Connection, TokenSet
from tests.constant_contact.cc_fakes import MemoryTokenStore

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer

__all__ = ["admin", "connection_for", "sign_in", "signed_in_client"]

# Fast emulator settings: sub-second device polling and activity processing.
FAST = {"device_poll_interval": 0.05, "activity_start_delay": 0.05}


def connection_for(
    server: EmulatorServer, *, name: str = "e2e", client_id: str = "e2e-app"
) -> Connection:
    return Connection(
        name=name,
        display_name=name.upper(),
        client_id=client_id,
        api_base_url=server.api_base_url,
        auth_base_url=server.auth_base_url,
    )


async def sign_in(server: EmulatorServer, connection: Connection) -> TokenSet:
    """The device flow, approved by 'the user' as soon as it is pending."""
    async with httpx.AsyncClient() as http:
        flow = DeviceFlow(
            http, auth_base_url=connection.auth_base_url, client_id=connection.client_id
        )
        authz = await flow.start()
        server.approve(authz.user_code)
        return await flow.wait_for_tokens(authz)


async def signed_in_client(
    server: EmulatorServer, *, client_id: str = "e2e-app", **options: Any
) -> tuple[ConstantContactClient, MemoryTokenStore]:
    connection = connection_for(server, client_id=client_id)
    store = MemoryTokenStore(await sign_in(server, connection))
    return ConstantContactClient(connection, store, **options), store


def admin(server: EmulatorServer, method: str, path: str, body: Any = None) -> Any:
    """Call a test endpoint under ``/__emulator/``."""
    response = httpx.request(method, f"{server.url}/__emulator/{path}", json=body)
    response.raise_for_status()
    return response.json()
