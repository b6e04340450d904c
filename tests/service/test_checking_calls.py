"""verify, storage, the scheduler's plan, consent and run starts, carried out by the service.

Commands go through a real service on a Unix socket (this test's own, on a thread); role
rules are checked on the handlers and the service's start check with an unprivileged peer
(uid NOBODY), whose rights the permission bits of real files decide.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cc_tui.cli.entry import main
from cc_tui.engine.exports import build_export
from cc_tui.engine.services import Services
from cc_tui.errors import AccessDeniedError, UsageError
from cc_tui.models.config import Roles
from cc_tui.models.connection import UsableBy
from cc_tui.service.identity import Peer
from cc_tui.service.locate import service_files
from cc_tui.service.protocol import RunStart, RunVerify
from cc_tui.service.server import ServiceServer
from cc_tui.store.audit import AuditOutcome
from cc_tui.store.config import with_connection, with_export
from tests.engine.conftest import Workspace
from tests.engine.test_runner import people_csv
from tests.service.conftest import wait_for
from tests.service.test_reading_calls import (
    ADMIN,
    CONTRIBUTOR,
    NOBODY,
    ask,
    folders,
    refusals,
    team_home,
)

__all__ = ["folders", "team_home"]  # fixtures used here, defined with the reading calls' tests

ROWS = 6


def home_of(ws: Workspace) -> list[str]:
    return ["--home", str(ws.services.paths.config_dir)]


def with_promo(ws: Workspace) -> Workspace:
    ws.write("people.csv", people_csv(ROWS))
    ws.services.exports.save(
        build_export(
            "promo", connection="conn", list_ids=[ws.list_id], segments=["people"], email="email"
        )
    )
    return ws


def test_verify_checks_a_run_in_the_service_and_is_audited(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = with_promo(workspace)
    assert main([*home_of(ws), "run", "promo", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]

    assert main([*home_of(ws), "verify", run_id, "--json", "--sample", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["run_id"], result["state"], result["sample"]["checked"]) == (
        run_id,
        "verified",
        3,
    )
    [entry] = ws.services.history.events(action="run.verify")
    assert (entry.subject, entry.outcome, entry.detail["state"]) == (
        run_id,
        AuditOutcome.ALLOWED,
        "verified",
    )
    assert main([*home_of(ws), "verify", "no-such-run"]) == 2
    assert "No run 'no-such-run'" in capsys.readouterr().err


def test_a_run_of_an_export_hidden_from_them_is_unknown_and_the_refusal_audited(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = with_promo(workspace)
    assert main([*home_of(ws), "run", "promo", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    ws.services.config.update(
        lambda c: replace(c, roles=Roles(admins=(ADMIN,), contributors=(CONTRIBUTOR,)))
    )
    with pytest.raises(UsageError, match=f"No run '{run_id}'"):
        ask(ws, CONTRIBUTOR, RunVerify(run_id=run_id))
    assert refusals(ws, "run.verify") == [(CONTRIBUTOR, run_id)]


def test_scheduler_list_and_service_status_show_every_trigger(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = with_promo(workspace)
    promo = ws.services.exports.get("promo")
    ws.services.exports.save(replace(promo, schedule="30 7 * * 1-5"), replace=True)
    ws.services.exports.save(
        replace(promo, name="fresh", on_refresh=True, quiet_seconds=30, schedule=None)
    )
    assert main([*home_of(ws), "scheduler", "--list"]) == 0
    out = capsys.readouterr().out
    assert "At 07:30 on Monday through Friday (UTC)" in out
    assert "fresh" in out and "after 30 s of quiet" in out

    def status() -> dict[str, Any]:  # the JSON status, as parsed
        assert main([*home_of(ws), "service", "status", "--json"]) == 0
        return dict(json.loads(capsys.readouterr().out))

    wait_for(lambda: "promo" in status()["scheduled"], what="the scheduler's first look")
    assert status()["on_refresh"] == {"fresh": 30}
    assert main([*home_of(ws), "service", "status"]) == 0
    text = capsys.readouterr().out
    assert "next scheduled: promo at" in text
    assert "on refresh: fresh (when its data is refreshed, after 30 s of quiet)" in text


def test_a_contributor_is_refused_a_storage_add_before_the_secret_is_asked(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace
    ws.services.config.update(
        lambda c: replace(c, roles=Roles(admins=(ADMIN,), contributors=(CONTRIBUTOR,)))
    )
    monkeypatch.setattr("cc_tui.service.identity.user_name", lambda uid: CONTRIBUTOR)
    # No secret anywhere: reading one (standard input, captured here) would fail the test.
    monkeypatch.delenv("CC_TUI_STORAGE_SECRET", raising=False)
    argv = ["storage", "add", "ci", "--account", "contosoci", "--account-key"]
    assert main([*home_of(ws), *argv]) == 2
    assert "Only administrators may add storage connections" in capsys.readouterr().err
    assert refusals(ws, "storage.add") == [(CONTRIBUTOR, "ci")]
    assert main([*home_of(ws), "storage", "remove", "ci"]) == 2
    assert refusals(ws, "storage.remove") == [(CONTRIBUTOR, "ci")]
    assert main([*home_of(ws), "storage", "list", "--json"]) == 0  # nothing secret: for all
    assert json.loads(capsys.readouterr().out) == []


def test_a_connection_added_without_consent_is_refused_by_the_service_and_audited(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = workspace
    argv = ["connection", "add", "c2", "--client-id", "x", "--emulator"]
    assert main([*home_of(ws), *argv]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Data-privacy consent is required" in err and "--accept-privacy" in err
    [attempt] = ws.services.history.events(action="connection.add", subject="c2")
    assert attempt.outcome is AuditOutcome.FAILED  # as the engine records a bad add
    assert "c2" not in ws.services.config.load().connections


def test_a_run_is_refused_to_someone_who_could_not_read_its_segments(
    team_home: Workspace,
) -> None:
    paths = team_home.services.paths
    server = ServiceServer(paths, service_files(paths), schedule=False)
    contributor = Peer(uid=NOBODY, gid=NOBODY, pid=1, user=CONTRIBUTOR)
    # people.csv (promo's segment) is in a folder closed to them, so even a dry run is refused.
    with pytest.raises(AccessDeniedError, match="reads segment 'people'"):
        server._check_start(RunStart(export="promo", dry_run=True), contributor)
    assert refusals(team_home, "run.start") == [(CONTRIBUTOR, "promo")]
    # Administrators set segments up: they are not checked (nor the service's own user).
    server._check_start(RunStart(export="promo", dry_run=True), replace(contributor, user=ADMIN))
    # An export that reads only what they can read starts for them.
    admin = Services.open(paths, os_user=ADMIN)
    try:
        admin.exports.save(
            build_export(
                "open-promo",
                connection="conn",
                list_ids=[team_home.list_id],
                segments=["open"],
                email="email",
            )
        )
    finally:
        admin.close()
    server._check_start(RunStart(export="open-promo", dry_run=True), contributor)
    assert refusals(team_home, "run.start") == [(CONTRIBUTOR, "promo")]


def test_a_contributor_sees_no_trigger_of_an_export_kept_from_them(team_home: Workspace) -> None:
    paths = team_home.services.paths
    server = ServiceServer(paths, service_files(paths), schedule=False)
    config = team_home.services.config
    promo = config.load().exports["promo"]
    config.update(lambda c: with_export(c, replace(promo, on_refresh=True)))
    contributor = Peer(uid=NOBODY, gid=NOBODY, pid=1, user=CONTRIBUTOR)
    assert server._state(contributor).on_refresh == {"promo": promo.quiet_seconds}
    private = replace(config.load().connections["conn"], usable_by=UsableBy.ADMINS)
    config.update(lambda c: with_connection(c, private))
    assert server._state(contributor).on_refresh == {}
    assert server._state(replace(contributor, user=ADMIN)).on_refresh == {
        "promo": promo.quiet_seconds
    }


def test_history_repair_is_for_the_home_s_owner_only(
    cc_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cc_tui.cli.history_repair.os.geteuid", lambda: NOBODY)
    assert main(["history", "repair"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Only the home's owner (root) may repair its history" in err
    assert "sudo -u root cc-tui --home" in err


def test_a_damaged_history_is_not_repaired_under_a_running_service(
    cc_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history"]) == 0  # starts the home's service
    history = cc_home / "history.sqlite3"
    # New files in its place: the service's open history (the old files) stays as it was.
    damaged = cc_home / "damaged"
    damaged.write_bytes(b"not sqlite at all " * 300)
    damaged.replace(history)
    for side in ("-wal", "-shm"):
        Path(f"{history}{side}").unlink(missing_ok=True)
    capsys.readouterr()
    assert main(["history", "repair"]) == 2
    assert "stop it first (cc-tui service stop" in " ".join(capsys.readouterr().err.split())
    assert main(["service", "stop"]) == 0
    assert main(["history", "repair"]) == 0
    assert "was damaged" in capsys.readouterr().out
