"""Lists, contacts, imports and activities against the emulator."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.constant_contact.schemas import Activity
from cc_tui.errors import BadRequestError, NotFoundError, UsageError
from tests.constant_contact.cc_e2e import admin, signed_in_client

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer

POLL_INTERVAL = 0.05


async def wait_until_final(client: ConstantContactClient, activity: Activity) -> Activity:
    while not activity.is_final:
        await asyncio.sleep(POLL_INTERVAL)
        activity = await client.activity(activity.activity_id)
    return activity


async def test_created_lists_are_listed_and_fetched(fast_emulator: EmulatorServer) -> None:
    client, _ = await signed_in_client(fast_emulator)
    async with client:
        seeded = await client.contact_lists()
        created = [
            await client.create_contact_list(f"E2E list {n}", "made by a test") for n in (1, 2)
        ]
        every = await client.contact_lists()
        one = await client.contact_list(created[0].list_id)
        with pytest.raises(BadRequestError) as conflict:
            await client.create_contact_list("E2E list 1")
        with pytest.raises(NotFoundError):
            await client.contact_list("00000000-0000-4000-8000-000000000000")
    assert len(every) == len(seeded) + 2
    assert {c.list_id for c in created} <= {item.list_id for item in every}
    assert one.name == "E2E list 1"
    assert one.membership_count == 0
    assert conflict.value.status == 409
    assert all(item.membership_count is not None for item in every)


async def test_contacts_are_read_across_pages(fast_emulator: EmulatorServer) -> None:
    client, _ = await signed_in_client(fast_emulator)
    async with client:
        target = await client.create_contact_list("Paging")
        emails = [f"page{n:04d}@example.com" for n in range(1_100)]
        admin(
            fast_emulator,
            "POST",
            "contacts",
            {"contacts": [{"email": e, "list_ids": [target.list_id]} for e in emails]},
        )
        requests_before = client.stats.requests
        found = await client.contacts(list_id=target.list_id)
        pages = client.stats.requests - requests_before
        one = await client.contacts(email="page0042@example.com")
    assert sorted(c.email for c in found) == emails
    assert pages == 3  # 500 + 500 + 100
    assert all(target.list_id in c.list_memberships for c in found)
    assert [c.email for c in one] == ["page0042@example.com"]


async def test_import_then_poll_to_completed(fast_emulator: EmulatorServer) -> None:
    # GET /activities shows a new activity only after a lag (api-rules section 4); this test
    # reads the listing right after the import, so it asks for no lag.
    admin(fast_emulator, "POST", "settings", {"activity_list_lag": 0})
    client, _ = await signed_in_client(fast_emulator)
    async with client:
        target = await client.create_contact_list("Import target")
        admin(
            fast_emulator,
            "POST",
            "contacts",
            {"contacts": [{"email": "gone@example.com", "permission_to_send": "unsubscribed"}]},
        )
        body = json.dumps(
            {
                "import_data": [
                    {"email": "new.one@example.com", "first_name": "New"},
                    {"email": "new.two@example.com", "last_name": "Two"},
                    {"email": "not-an-email"},
                    {"email": "gone@example.com"},
                ],
                "list_ids": [target.list_id],
            }
        ).encode()
        started = await client.import_contacts_json(body)
        done = await wait_until_final(client, started)
        recent = await client.activities()
    assert started.state in {"initialized", "processing"}
    assert done.state == "completed"
    assert done.percent_done == 100
    status = done.status
    assert status.items_total_count == 4
    assert status.items_completed_count == 4
    assert status.person_count == 3
    assert status.correctable_count == 1
    assert status.cannot_add_to_list_count == 1
    assert status.error_count == 0
    assert len(done.activity_errors) == 1
    assert fast_emulator.list_members(target.list_id) == {
        "new.one@example.com",
        "new.two@example.com",
    }
    assert recent[0].activity_id == done.activity_id


async def test_a_malformed_list_id_never_reaches_the_api(fast_emulator: EmulatorServer) -> None:
    client, _ = await signed_in_client(fast_emulator)
    async with client:
        with pytest.raises(UsageError, match="not-a-uuid"):
            await client.contact_list("not-a-uuid")
    assert fast_emulator.stats()["requests_total"] == 0
