"""The plan of a run (``cc-tui plan``): rows, contacts, batches, requests, time, today's quota
counted from the history of every export of the same application, and the refusal of a run
that would not fit unless ``--allow-quota-spill``."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cc_tui.cli.entry import main
from cc_tui.engine.plan import DAILY_QUOTA, ExportPlan, plan_export, quota_sentence
from cc_tui.engine.runner import ExportRunner
from cc_tui.errors import EXIT_USAGE
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.run_history import RunHistory
from cc_tui.store.verifications import VerificationStore
from tests.engine.conftest import Workspace
from tests.engine.test_runner import options, people_csv

NOW = datetime(2026, 12, 5, 18, 30, tzinfo=UTC)


def _plan(ws: Workspace, *, count: bool = True, at: datetime | None = None) -> ExportPlan:
    services = ws.services
    return plan_export(
        services.config.load(),
        "promo",
        services.connections,
        RunHistory(services.history),
        VerificationStore(services.history),
        count=count,
        at=at or datetime.now(UTC),
    )


def _spent(ws: Workspace, requests: int, *, at: datetime, connection: str = "conn") -> str:
    """A finished run in the history that spent ``requests`` at ``at``."""
    history = RunHistory(ws.services.history)
    run = RunRecord(
        run_id=f"spent-{requests}-{at:%H%M%S}-{connection}",
        export="other-export",
        connection=connection,
        status=RunStatus.SUCCEEDED,
        dry_run=False,
        os_user="me",
        started_at=at,
        finished_at=at,
        requests=requests,
    )
    history.create(run, inputs={}, plan={})
    # The history stamps updated_at with the real clock: set it to the run's own time.
    with ws.services.history.transaction() as db:
        db.execute("UPDATE runs SET updated_at = ? WHERE run_id = ?", (at.isoformat(), run.run_id))
    return run.run_id


def test_plan_counts_contacts_batches_and_requests(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(95) + ",Ana,Lopez,Buyer\nnot-an-email,A,B,C\n")
    workspace.add_export()

    plan = _plan(workspace)

    assert plan.rows == 97
    assert (plan.basis, plan.contacts, plan.batches) == ("counted", 95, 1)
    requests = plan.requests
    # One page of lists, one import, two polls, the list counted before and after, and the
    # sample (at most 95 look-ups, fewer when the list is read whole).
    assert (requests.account_check, requests.imports, requests.polls) == (1, 1, 2)
    assert requests.verify == 2 + 95
    assert plan.seconds == requests.total / 4
    assert plan.spent_today == 0 and plan.fits


def test_plan_after_a_run_takes_its_figures_and_counts_its_requests(
    workspace: Workspace,
) -> None:
    workspace.write("people.csv", people_csv(90))
    workspace.add_export()
    record = asyncio.run(ExportRunner(workspace.services).run("promo", options()))
    assert record.verification is not None

    plan = _plan(workspace)

    assert (plan.basis, plan.rows, plan.contacts, plan.batches) == ("last run", 90, 90, 3)
    # The run's own requests, its list counted before it, and its check after it.
    assert plan.spent_today == record.requests + 1 + record.verification.requests


def test_requests_of_other_days_and_other_applications_are_not_counted(
    workspace: Workspace,
) -> None:
    workspace.write("people.csv", people_csv(10))
    workspace.add_export()
    _spent(workspace, 400, at=NOW - timedelta(hours=2))
    _spent(workspace, 7_000, at=NOW - timedelta(days=1))  # yesterday
    _spent(workspace, 5_000, at=NOW - timedelta(hours=1), connection="another-app")

    plan = _plan(workspace, at=NOW)

    assert plan.spent_today == 400


def test_a_run_that_does_not_fit_today_says_when_it_would(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(10))
    workspace.add_export()
    _spent(workspace, DAILY_QUOTA - 3, at=NOW - timedelta(hours=3))

    plan = _plan(workspace, at=NOW)

    assert not plan.fits
    assert plan.left_today == 3
    assert plan.quota_resets_at == datetime(2026, 12, 6, tzinfo=UTC)
    assert plan.days_needed == 2
    sentence = quota_sentence(plan)
    assert "does NOT fit today's quota" in sentence
    assert "2026-12-06 00:00 UTC (in 5 h 30 min)" in sentence
    assert plan.to_json()["fits_today"] is False


def test_cli_run_refuses_a_quota_spill_unless_allowed(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace.write("people.csv", people_csv(6))
    workspace.add_export()
    _spent(workspace, DAILY_QUOTA, at=datetime.now(UTC))
    home = str(workspace.services.paths.config_dir)

    assert main(["--home", home, "run", "promo"]) == EXIT_USAGE
    said = " ".join(capsys.readouterr().err.split())
    assert "does NOT fit today's quota" in said
    assert "cc-tui run promo --allow-quota-spill" in said
    assert RunHistory(workspace.services.history).runs(export="promo") == []

    assert main(["--home", home, "plan", "promo", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["fits_today"], shown["left_today"], shown["contacts"]) == (False, 0, 6)

    # Allowed, it runs (the emulator's own quota is not the history's: it is not spent).
    assert main(["--home", home, "run", "promo", "--allow-quota-spill", "--json"]) == 0
    ran = json.loads(capsys.readouterr().out)
    assert ran["confirmed"] == 6


def test_a_dry_run_needs_no_quota(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(3))
    workspace.add_export()
    _spent(workspace, DAILY_QUOTA, at=datetime.now(UTC))
    home = str(workspace.services.paths.config_dir)

    assert main(["--home", home, "run", "promo", "--dry-run"]) == 0


def test_a_detached_export_plans_with_no_quota_spent(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(3))
    workspace.add_export()
    detached = replace(workspace.services.config.load().exports["promo"], connection=None)
    workspace.services.config.update(lambda c: replace(c, exports={**c.exports, "promo": detached}))

    plan = _plan(workspace)

    assert plan.contacts == 3 and plan.spent_today == 0
