"""The account preflight of a run, and errors a retry cannot fix, against the emulator."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cc_tui.constant_contact.auth import DeviceFlow
from cc_tui.emulator.seed import DELETED_LIST, list_id_for
from cc_tui.engine.exports import build_export
from cc_tui.engine.preflight import check_account
from cc_tui.engine.runner import ExportRunner
from cc_tui.errors import (
    EXIT_USAGE,
    AccountMismatchError,
    ScopeMissingError,
    SignInRequiredError,
)
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import RunEvent
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.engine.test_runner import assert_accounted, options, people_csv, run

GHOST = str(uuid.UUID(int=0x6057))  # a well-formed list ID no account has


def save_export(ws: Workspace, list_ids: list[str], **attributes: str) -> None:
    """Save ``promo`` as an offline save would: local checks only, the account not asked."""
    ws.services.exports.save(build_export(
        "promo", connection="conn", list_ids=list_ids, segments=["people"], email="email",
        attributes=list(attributes.items())), replace=True)  # fmt: skip


def no_runs(ws: Workspace) -> bool:
    return RunHistory(ws.services.history).runs(export="promo") == []


def test_unknown_list_stops_the_run_before_any_segment_is_read(workspace: Workspace) -> None:
    segment = workspace.write("people.csv", people_csv(5))
    save_export(workspace, [workspace.list_id, GHOST])
    segment.unlink()  # planning would say "segment not found": the account is asked first
    with pytest.raises(AccountMismatchError) as caught:
        run(workspace)
    text = str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert f"The account has no list with ID {GHOST}." in text
    assert f"cc-tui test list ({workspace.list_id})" in text  # the account's lists, by name
    assert "Newsletter subscribers" in text
    assert "Resume" not in text
    assert no_runs(workspace)


def test_deleted_list_is_named_with_the_day_it_was_deleted(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(5))
    deleted = list_id_for(DELETED_LIST[0])
    save_export(workspace, [deleted])
    with pytest.raises(AccountMismatchError, match=rf"List 'Holiday raffle 2024' \({deleted}\) "
                       r"was deleted on \d{4}-\d\d-\d\d\."):  # fmt: skip
        run(workspace)
    assert no_runs(workspace)


def test_unknown_custom_field_is_named_with_the_account_fields(workspace: Workspace) -> None:
    workspace.write("people.csv", "email,tier\na@x.com,gold\n")
    save_export(workspace, [workspace.list_id], **{"cf:loyalty_tier": "tier", "cf:nope": "tier"})
    with pytest.raises(AccountMismatchError) as caught:
        run(workspace)
    assert caught.value.exit_code == EXIT_USAGE
    assert "no custom field cf:nope" in str(caught.value)
    assert all(name in str(caught.value) for name in ("customer_since", "favorite_store"))
    assert "loyalty_tier" in str(caught.value)
    assert "cf:loyalty_tier" not in str(caught.value)
    assert no_runs(workspace)


def test_custom_fields_come_back_with_their_types(workspace: Workspace) -> None:
    export = build_export(
        "promo", connection="conn", list_ids=[workspace.list_id], segments=["people"],
        email="email", attributes=[("cf:customer_since", "since")])  # fmt: skip

    async def ask() -> tuple[str, str, bool]:
        async with workspace.services.connections.client("conn") as client:
            facts = await check_account(client, export, granted_scope="contact_data")
        since = facts.custom_field("cf:customer_since")
        tier = facts.custom_field("loyalty_tier")
        assert since is not None and tier is not None
        return since.type, tier.type, facts.missing_lists == frozenset()

    assert asyncio.run(ask()) == ("date", "string", True)


def test_the_preflight_costs_a_page_of_lists_and_one_of_custom_fields(
    workspace: Workspace,
) -> None:
    workspace.write("people.csv", "email,tier\n" + "".join(f"p{i}@x.com,gold\n" for i in range(9)))
    newsletter = list_id_for("Newsletter subscribers")
    save_export(workspace, [workspace.list_id, newsletter], **{"cf:loyalty_tier": "tier"})
    before = dict(workspace.emulator.stats()["by_path"])
    record = run(workspace)
    assert record.status is RunStatus.SUCCEEDED and record.confirmed == 9
    after = workspace.emulator.stats()["by_path"]
    asked = {path: count - before.get(path, 0) for path, count in after.items()
             if "contact_lists" in path or "custom_fields" in path}  # fmt: skip
    assert {path: n for path, n in asked.items() if n} == {
        "GET /v3/contact_lists": 1,
        "GET /v3/contact_custom_fields": 1,
        # Not the preflight: each list's membership count before the run and after it (verify).
        "GET /v3/contact_lists/{list_id}": 2 * 2,
    }


def test_never_signed_in_is_said_before_the_segment_is_read(workspace: Workspace) -> None:
    segment = workspace.write("people.csv", people_csv(5))
    save_export(workspace, [workspace.list_id])
    segment.unlink()
    workspace.services.secrets.delete("conn")
    requests_before = workspace.emulator.stats()["requests_total"]
    with pytest.raises(SignInRequiredError) as caught:
        run(workspace)
    assert (
        str(caught.value) == "Connection 'conn' is not signed in yet: cc-tui connection login conn"
    )
    assert caught.value.exit_code == EXIT_USAGE
    assert workspace.emulator.stats()["requests_total"] == requests_before  # not even one request
    assert no_runs(workspace)


def test_a_dead_refresh_token_asks_for_a_new_sign_in(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(5))
    save_export(workspace, [workspace.list_id])
    tokens = workspace.services.secrets.tokens("conn")
    assert tokens is not None
    expired = datetime.now(UTC) - timedelta(hours=1)
    workspace.services.secrets.save_tokens(
        "conn", replace(tokens, expires_at=expired, refresh_token="revoked-long-ago")
    )
    with pytest.raises(SignInRequiredError, match="must sign in again") as caught:
        run(workspace)
    assert "cc-tui connection login conn" in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert no_runs(workspace)


def test_a_missing_scope_is_named(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(5))
    save_export(workspace, [workspace.list_id])
    conn = workspace.services.connections.get("conn")

    async def sign_in_without_contact_data() -> None:
        async with httpx.AsyncClient() as http:
            flow = DeviceFlow(http, auth_base_url=conn.auth_base_url, client_id=conn.client_id,
                              scopes=("account_read", "offline_access"))  # fmt: skip
            tokens = await flow.wait_for_tokens(await flow.start())
        workspace.services.secrets.save_tokens("conn", tokens)

    asyncio.run(sign_in_without_contact_data())
    with pytest.raises(ScopeMissingError) as caught:
        run(workspace)
    text = str(caught.value)
    assert caught.value.exit_code == 1
    assert "needs the contact_data scope" in text
    assert "it was granted only: account_read offline_access" in text
    assert "cc-tui connection login conn" in text
    assert no_runs(workspace)


def test_list_deleted_during_the_run_fails_it_and_the_next_run_is_new(
    workspace: Workspace,
) -> None:
    workspace.write("people.csv", people_csv(100))
    save_export(workspace, [workspace.list_id])
    state = workspace.emulator.state

    def delete_list_once_checked(event: RunEvent) -> None:
        # The first event comes after the preflight and before any import is sent.
        with state.lock:
            if state.lists[workspace.list_id].deleted_at is None:
                state.lists[workspace.list_id].deleted_at = time.time()

    async def first_run() -> RunRecord:
        runner = ExportRunner(workspace.services)
        return await runner.run("promo", options(), on_event=delete_list_once_checked)

    failed = asyncio.run(first_run())
    assert failed.status is RunStatus.FAILED
    error = failed.error or ""
    assert "Constant Contact answered 400" in error
    assert "cc-tui lists conn" in error and "starts a new run" in error
    assert "Resume" not in error
    assert_accounted(failed)
    history = RunHistory(workspace.services.history)
    assert history.get(failed.run_id) == failed
    assert history.resumable("promo") is None
    with pytest.raises(AccountMismatchError, match="was deleted"):  # still gone: refused early
        run(workspace)
    with state.lock:
        state.lists[workspace.list_id].deleted_at = None
    again = run(workspace)
    assert again.run_id != failed.run_id and again.attempts == 1
    assert again.status is RunStatus.SUCCEEDED and again.confirmed == 100


def test_quota_spent_during_the_run_stops_it_resumable_until_the_reset(
    workspace: Workspace,
) -> None:
    workspace.write("people.csv", people_csv(100))
    save_export(workspace, [workspace.list_id])
    used = workspace.emulator.stats()["requests_total"]
    # The preflight's page of lists and one import fit in the quota; the next request does not.
    workspace.emulator.emulator.update_settings({"daily_quota": used + 2})
    record = run(workspace)
    assert record.status is RunStatus.INTERRUPTED
    error = record.error or ""
    assert "daily request quota is used up; it resets at" in error
    assert re.search(r"resets at \d{4}-\d\d-\d\d 00:00 UTC", error)
    assert error.endswith("Resume with: cc-tui run promo")
    assert RunHistory(workspace.services.history).resumable("promo") == record
