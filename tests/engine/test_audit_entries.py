"""What the engine records in the audit log: allowed, refused and failed attempts, and runs
(start, finish with counts, cancel, resume), under the OS user its services were built for."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from cc_tui.engine.exports import build_export
from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.services import Services
from cc_tui.errors import AccessDeniedError, UsageError
from cc_tui.models.batch import BatchState
from cc_tui.models.config import Roles
from cc_tui.models.connection import UsableBy
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.audit import AuditEvent, AuditOutcome
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.engine.test_runner import options, people_csv

CONTRIBUTOR = "bob"


def as_contributor(ws: Workspace) -> Services:
    """Roles: the workspace's user is the admin; ``bob`` a contributor over the same home."""
    admin = ws.services.os_user
    ws.services.config.update(
        lambda c: replace(c, roles=Roles(admins=(admin,), contributors=(CONTRIBUTOR,)))
    )
    return Services.open(ws.services.paths, os_user=CONTRIBUTOR)


def newest(ws: Workspace, action: str | None = None) -> AuditEvent:
    return ws.services.history.events(action=action, limit=1)[0]


def test_a_contributor_adding_a_connection_is_refused_and_recorded(workspace: Workspace) -> None:
    bob = as_contributor(workspace)
    try:
        with pytest.raises(AccessDeniedError):
            bob.connections.add(
                "c3", client_id="x", accept_privacy=True,
                api_base_url="https://user:pw@attacker.example/v3",
            )  # fmt: skip
    finally:
        bob.close()
    entry = newest(workspace)
    assert (entry.os_user, entry.action, entry.subject, entry.outcome) == (
        CONTRIBUTOR, "connection.add", "c3", AuditOutcome.REFUSED,
    )  # fmt: skip
    assert "Only administrators may add connections" in entry.detail["reason"]
    assert entry.detail["api_base_url"] == "https://attacker.example/v3"  # no password kept
    assert "c3" not in workspace.services.config.load().connections
    assert workspace.services.history.verify_audit().intact


def test_contributor_refusals_of_every_admin_action_are_recorded(workspace: Workspace) -> None:
    bob = as_contributor(workspace)
    try:
        with pytest.raises(AccessDeniedError):
            bob.connections.check_removable("conn")
        with pytest.raises(AccessDeniedError):
            bob.connections.edit("conn", api_base_url="https://attacker.example/v3")
        with pytest.raises(AccessDeniedError):
            bob.connections.accept_privacy("conn")
        with pytest.raises(AccessDeniedError):
            asyncio.run(bob.connections.sign_in("conn", on_code=lambda _: None))
    finally:
        bob.close()
    refused = workspace.services.history.events(user=CONTRIBUTOR)
    assert [(e.action, e.outcome) for e in refused] == [
        ("connection.sign_in", AuditOutcome.REFUSED),
        ("connection.consent", AuditOutcome.REFUSED),
        ("connection.edit", AuditOutcome.REFUSED),
        ("connection.remove", AuditOutcome.REFUSED),
    ]
    assert all("Only administrators" in e.detail["reason"] for e in refused)
    assert refused[2].detail["changed"] == ["api_base_url"]


def test_export_changes_are_recorded_with_their_outcome(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(3))
    workspace.add_export("promo")
    workspace.add_export("promo")  # again, replacing it
    with pytest.raises(UsageError):
        workspace.services.exports.save(build_export(
            "bad", connection="conn", list_ids=["not-a-uuid"], segments=["people"],
            email="email"))  # fmt: skip
    workspace.services.exports.remove("promo")
    user = workspace.services.os_user
    got = [(e.action, e.subject, e.outcome, e.os_user) for e in
           workspace.services.history.events(action="export.", limit=None)]  # fmt: skip
    assert got == [
        ("export.remove", "promo", AuditOutcome.ALLOWED, user),
        ("export.add", "bad", AuditOutcome.FAILED, user),
        ("export.edit", "promo", AuditOutcome.ALLOWED, user),
        ("export.add", "promo", AuditOutcome.ALLOWED, user),
    ]
    failed = workspace.services.history.events(action="export.add", limit=1)[0]
    assert "not a list ID" in failed.detail["reason"]


def test_a_run_records_its_start_and_its_finish_with_counts(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(90) + ",NoEmail,X,Buyer\n")
    workspace.add_export()
    record = asyncio.run(ExportRunner(workspace.services).run("promo", options()))
    assert record.status is RunStatus.SUCCEEDED
    start, finish = (newest(workspace, "run.start"), newest(workspace, "run.finish"))
    assert start.seq + 1 == finish.seq and start.subject == finish.subject == "promo"
    assert start.os_user == finish.os_user == workspace.services.os_user
    assert start.detail == {"run_id": record.run_id, "dry_run": False}
    assert finish.outcome is AuditOutcome.ALLOWED
    detail = finish.detail
    assert detail["run_id"] == record.run_id and detail["status"] == "succeeded"
    assert (detail["rows_read"], detail["sent"], detail["confirmed"]) == (91, 90, 90)
    assert detail["rejected"]["missing_email"] == 1 and detail["batches"] == record.batches


def test_a_cancelled_run_and_its_resume_are_recorded(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(400))
    workspace.add_export()
    history = RunHistory(workspace.services.history)

    async def cancel_after_a_batch() -> None:
        task = asyncio.create_task(
            ExportRunner(workspace.services).run("promo", options(workers=1))
        )
        while True:
            await asyncio.sleep(0.02)
            runs = history.runs(export="promo")
            states = history.batches(runs[0].run_id).values() if runs else []
            if any(b.state in (BatchState.POSTED, BatchState.CONFIRMED) for b in states):
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_after_a_batch())
    cancel = newest(workspace, "run.cancel")
    assert cancel.detail["status"] == "interrupted" and cancel.detail["sent"] >= 0
    resumed: RunRecord = asyncio.run(ExportRunner(workspace.services).run("promo", options()))
    resume = newest(workspace, "run.resume")
    assert resume.detail == {"run_id": resumed.run_id, "dry_run": False, "attempt": 2}
    assert newest(workspace, "run.finish").detail["confirmed"] == 400
    assert workspace.services.history.verify_audit().intact


def test_a_run_refused_for_the_role_is_recorded_as_refused(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(3))
    workspace.add_export()
    bob = as_contributor(workspace)
    try:
        with pytest.raises(UsageError):
            asyncio.run(ExportRunner(bob).run("promo", options()))
    finally:
        bob.close()
    entry = newest(workspace)
    assert (entry.action, entry.os_user, entry.outcome) == (
        "run.start", CONTRIBUTOR, AuditOutcome.REFUSED,
    )  # fmt: skip
    assert entry.detail["reason"] == "connection 'conn' is not shared with contributors"
    assert RunHistory(workspace.services.history).runs(export="promo") == []


def test_a_shared_connection_lets_the_contributor_run_and_the_log_says_who(
    workspace: Workspace,
) -> None:
    workspace.write("people.csv", people_csv(3))
    workspace.add_export()
    workspace.services.connections.edit("conn", usable_by=UsableBy.CONTRIBUTORS)
    bob = as_contributor(workspace)
    try:
        asyncio.run(ExportRunner(bob).run("promo", options(dry_run=True)))
    finally:
        bob.close()
    finish = newest(workspace, "run.finish")
    assert finish.os_user == CONTRIBUTOR and finish.detail["dry_run"] is True
