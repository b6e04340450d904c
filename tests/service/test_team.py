"""A team's setup with real OS users: one shared service, an administrator and a contributor.

The test runs as root. It creates two throw-away OS users (``useradd``; removed at the end even
when the test fails), starts one ``cc-tui service start --foreground --shared`` as root (the
service account here) on a socket in a folder every user reaches, with roles in the home's
config naming the two users. Each user's commands are separate processes running as that user
(``tests/service/as_user.py``), so the service knows them from the kernel alone. The API is the
emulator on loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from cc_tui.engine.exports import build_export
from cc_tui.engine.segments.entries import make_source
from cc_tui.engine.services import Services
from cc_tui.models.config import Roles
from cc_tui.models.connection import UsableBy
from cc_tui.paths import AppPaths
from cc_tui.service.client import request, wait_for_service
from cc_tui.service.locate import ServiceFiles, service_files
from cc_tui.service.protocol import ServiceStop
from cc_tui.store.audit import AuditOutcome
from cc_tui.store.config import with_connection
from cc_tui.store.run_history import RunHistory
from tests.conftest import StartEmulator
from tests.engine.test_runner import people_csv
from tests.service.conftest import REPO, wait_for

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("setpriv") is None,
    reason="creates OS users: needs root, useradd and setpriv",
)

ROWS = 400
AUDIT_LIMIT = 1000  # entries: more than a test writes
CHILD_WAIT = 120.0  # seconds a client may take to end once its work is done
ATTACKER_API = "https://attacker.example/v3"
LIST = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"  # a list id of the right shape (never sent to)
NO_LOGIN_SHELL = "/usr/sbin/nologin"
WORLD_READABLE_FOLDER = 0o755


@dataclass(frozen=True)
class TeamUser:
    """A throw-away OS user of the test."""

    name: str
    uid: int
    gid: int


@dataclass
class Team:
    """The shared service, its home and the two people using it."""

    paths: AppPaths
    files: ServiceFiles
    admin: TeamUser
    contributor: TeamUser
    segments: Path

    def spawn(self, user: TeamUser, *args: str, **env: str) -> subprocess.Popen[str]:
        """``cc-tui ARGS`` as ``user``, a client of the shared service (environment: ``env``
        over a plain one; the shared socket is named as the README tells users to)."""
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": "/nonexistent",
            "LOGNAME": user.name,
            "USER": user.name,
            "PYTHONDONTWRITEBYTECODE": "1",
            "CC_TUI_SERVICE_SOCKET": str(self.files.socket),
            **env,
        }
        return subprocess.Popen(
            [sys.executable, "-m", "tests.service.as_user", user.name, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
            cwd=REPO,
        )  # fmt: skip

    def run(self, user: TeamUser, *args: str, **env: str) -> tuple[int, str, str]:
        """``cc-tui ARGS`` as ``user`` to its end: exit code, output, errors."""
        child = self.spawn(user, *args, **env)
        out, err = child.communicate(timeout=CHILD_WAIT)
        return child.returncode, out, " ".join(err.split())

    def run_as_root(self, *args: str) -> tuple[int, str, str]:
        """``cc-tui --home HOME ARGS`` as the service's own account (root here), a client of
        the shared service like everyone."""
        home = ["--home", str(self.paths.config_dir), "--service", str(self.files.socket)]
        child = subprocess.run(
            [sys.executable, "-m", "cc_tui", *home, *args],
            capture_output=True, text=True, cwd=REPO, timeout=CHILD_WAIT, check=False,
        )  # fmt: skip
        return child.returncode, child.stdout, child.stderr

    def audit(self) -> list[dict[str, Any]]:
        """The home's audit log (``cc-tui audit --json``), oldest first."""
        code, out, err = self.run_as_root("audit", "--json", "--limit", str(AUDIT_LIMIT))
        assert code == 0, err
        return sorted(json.loads(out), key=lambda entry: int(entry["seq"]))


def as_shell_user(user: TeamUser, *command: str) -> subprocess.CompletedProcess[str]:
    """``command`` (a plain system tool) as ``user``, through setpriv."""
    return subprocess.run(
        ["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups", *command],
        capture_output=True, text=True, timeout=CHILD_WAIT, check=False,
    )  # fmt: skip


@pytest.fixture
def make_user() -> Iterator[object]:
    """Creates OS users with unique throw-away names; every one is removed at the end."""
    made: list[str] = []

    def make(role: str) -> TeamUser:
        name = f"cct{role}{secrets.token_hex(4)}"
        subprocess.run(
            ["useradd", "--no-create-home", "--user-group", "--shell", NO_LOGIN_SHELL, name],
            check=True, capture_output=True,
        )  # fmt: skip
        made.append(name)
        entry = pwd.getpwnam(name)
        return TeamUser(name, entry.pw_uid, entry.pw_gid)

    try:
        yield make
    finally:
        for name in made:
            subprocess.run(["userdel", name], check=False, capture_output=True)


@pytest.fixture
def team(make_user: object, start_emulator: StartEmulator) -> Iterator[Team]:
    """The shared service (as root) over a home whose roles name the two new users."""
    admin = make_user("adm")  # type: ignore[operator]
    contributor = make_user("con")  # type: ignore[operator]
    # Every user reaches the socket's folder; the home inside it is root's alone (0700).
    base = Path(tempfile.mkdtemp(prefix="cct-team-", dir="/tmp"))
    base.chmod(WORLD_READABLE_FOLDER)
    paths = AppPaths.resolve(base / "home")
    paths.ensure()
    socket_dir = base / "run"
    socket_dir.mkdir(mode=WORLD_READABLE_FOLDER)
    files = service_files(paths, str(socket_dir / "team.sock"))
    segments = base / "segments"
    segments.mkdir(mode=WORLD_READABLE_FOLDER)
    (segments / "people.csv").write_text(people_csv(ROWS), encoding="utf-8")
    services = Services.open(paths)
    services.config.update(
        lambda config: replace(
            config,
            roles=Roles(admins=(admin.name, "root"), contributors=(contributor.name,)),
            segments_dirs=(segments,),
        )
    )
    services.close()
    service = subprocess.Popen(
        [sys.executable, "-m", "cc_tui", "--home", str(paths.config_dir), "--service",
         str(files.socket), "service", "start", "--foreground", "--shared"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        wait_for_service(files, service.poll)
        yield Team(paths, files, admin, contributor, segments)
    finally:
        try:
            request(paths, files, ServiceStop(), autostart=False)
            service.communicate(timeout=CHILD_WAIT)
        finally:
            if service.poll() is None:
                service.send_signal(signal.SIGKILL)
                service.communicate()
            shutil.rmtree(base, ignore_errors=True)


def add_args(emulator_api: str, emulator_auth: str, name: str) -> list[str]:
    return ["connection", "add", name, "--client-id", f"client-{name}", "--api-base-url",
            emulator_api, "--auth-base-url", emulator_auth, "--accept-privacy"]  # fmt: skip


def refused(events: list[dict[str, Any]], user: TeamUser, action: str) -> list[str]:
    """The subjects of ``user``'s refused ``action`` entries."""
    return [
        e["subject"] for e in events
        if (e["os_user"], e["action"], e["outcome"]) == (user.name, action, "refused")
    ]  # fmt: skip


def test_the_contributor_is_refused_and_audited_and_the_admin_allowed(
    team: Team, start_emulator: StartEmulator
) -> None:
    emulator = start_emulator(auto_approve=True, device_poll_interval=0.05)
    api, auth = emulator.api_base_url, emulator.auth_base_url
    code, out, err = team.run(
        team.admin, *add_args(api, auth, "team"), "--usable-by", "contributors"
    )
    assert code == 0, err
    assert f"accepted by {team.admin.name}" in " ".join(out.split())
    code, _, err = team.run(team.admin, "connection", "login", "team")
    assert code == 0, err

    # The contributor: add a connection (plainly, then passing as the admin), sign in.
    code, _, err = team.run(team.contributor, *add_args(ATTACKER_API, auth, "c3"))
    assert code == 2 and "Only administrators" in err, err
    code, _, err = team.run(
        team.contributor, *add_args(ATTACKER_API, auth, "c4"),
        LOGNAME=team.admin.name, USER=team.admin.name,
    )  # fmt: skip
    assert code == 2 and "Only administrators" in err and team.contributor.name in err, err
    code, _, err = team.run(team.contributor, "connection", "login", "team")
    assert code == 2 and "Only administrators" in err, err
    # ... and the shared connection is visible to them, without its tokens.
    code, out, err = team.run(team.contributor, "connection", "list", "--json")
    assert code == 0, err
    assert [(c["name"], c["signed_in"]) for c in json.loads(out)] == [("team", True)]

    # The home's files refuse the contributor outright.
    secrets_file = team.paths.secrets_file
    assert secrets_file.exists()
    read = as_shell_user(team.contributor, "cat", str(secrets_file))
    assert read.returncode != 0 and "Permission denied" in read.stderr
    edit = as_shell_user(
        team.contributor, "sh", "-c", f"echo 'admins = []' >> {team.paths.config_file}"
    )
    assert edit.returncode != 0 and "Permission denied" in edit.stderr
    assert team.contributor.name not in secrets_file.read_text()

    # Nor can they have the service read for them what they could not read themselves.
    code, _, err = team.run(team.contributor, "segment", "add", "leak", str(secrets_file))
    assert code == 2 and "home" in err, err
    hidden = team.segments.parent / "root-only"
    hidden.mkdir(mode=0o700)
    (hidden / "vip.csv").write_text(people_csv(3), encoding="utf-8")
    code, _, err = team.run(team.contributor, "segment", "add", "vip", str(hidden / "vip.csv"))
    assert code == 2 and "cannot reach" in err, err
    theirs = team.segments.parent / "shared"
    theirs.mkdir(mode=WORLD_READABLE_FOLDER)
    (theirs / "mine.csv").write_text(people_csv(3), encoding="utf-8")
    code, out, err = team.run(team.contributor, "segment", "add", "mine", str(theirs / "mine.csv"))
    assert code == 0 and "Added segment" in out, err

    events = team.audit()
    assert refused(events, team.contributor, "segment.add") == ["leak", "vip"]
    [added] = [e for e in events if (e["action"], e["subject"]) == ("connection.add", "team")]
    assert (added["os_user"], added["outcome"]) == (team.admin.name, "allowed")
    assert refused(events, team.contributor, "connection.add") == ["c3", "c4"]
    assert refused(events, team.contributor, "connection.sign_in") == ["team"]
    assert not [
        e for e in events if e["subject"] in ("c3", "c4") and e["os_user"] != team.contributor.name
    ]
    code, out, err = team.run(team.admin, "connection", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == ["team"]  # nothing was added by them

    # Editing the audit log (its guard triggers dropped first) is detected.
    assert team.run_as_root("audit", "verify")[0] == 0
    with sqlite3.connect(team.paths.history_db) as db:
        db.execute("DROP TRIGGER audit_events_no_update")
        db.execute(
            "UPDATE audit_events SET outcome = 'allowed' WHERE os_user = ? AND outcome = ?",
            (team.contributor.name, AuditOutcome.REFUSED.value),
        )
    code, out, _ = team.run_as_root("audit", "verify")
    assert code == 1 and "tampering detected" in out


def test_a_run_survives_its_killed_client_and_the_other_user_sees_it_finish(
    team: Team, start_emulator: StartEmulator
) -> None:
    emulator = start_emulator(
        auto_approve=True, device_poll_interval=0.05, activity_start_delay=0.5,
        processing_rate=200.0,
    )  # fmt: skip
    api, auth = emulator.api_base_url, emulator.auth_base_url
    assert team.run(team.admin, *add_args(api, auth, "team"), "--usable-by", "contributors")[0] == 0
    assert team.run(team.admin, "connection", "login", "team")[0] == 0
    # The export is set up by the service account (the README's administrators' setup).
    services = Services.open(team.paths)
    try:

        async def new_list() -> str:
            async with services.connections.client("team") as client:
                return (await client.create_contact_list("team list", "by the test")).list_id

        list_id = asyncio.run(new_list())
        services.exports.save(
            build_export(
                "promo", connection="team", list_ids=[list_id], segments=["people"], email="email"
            )
        )
        history = RunHistory(services.history)

        client = team.spawn(team.contributor, "run", "promo")
        try:

            def a_batch_posted() -> bool:
                runs = history.runs(export="promo", limit=1)
                return bool(runs) and any(
                    b.state.value in ("posted", "confirmed")
                    for b in history.batches(runs[0].run_id).values()
                )

            wait_for(a_batch_posted, what="a batch posted")
        finally:
            client.send_signal(signal.SIGKILL)
            client.communicate(timeout=CHILD_WAIT)
        assert client.returncode == -signal.SIGKILL
        [running] = history.runs(export="promo")
    finally:
        services.close()

    code, out, err = team.run(team.admin, "run", "promo", "--attach", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["run_id"] == running.run_id
    assert (summary["status"], summary["attempts"], summary["confirmed"]) == (
        "succeeded",
        1,
        ROWS,
    )
    assert len(emulator.list_members(list_id)) == ROWS
    started = [e for e in team.audit() if e["action"] == "run.start"]
    assert [e["os_user"] for e in started] == [team.contributor.name]
    code, out, err = team.run(team.contributor, "history", "--json")
    assert code == 0, err
    assert [run["run_id"] for run in json.loads(out)] == [running.run_id]

    # Once the connection is the administrators' alone, its runs are hidden from the contributor.
    services = Services.open(team.paths)
    try:
        private = replace(services.config.load().connections["team"], usable_by=UsableBy.ADMINS)
        services.config.update(lambda config: with_connection(config, private))
    finally:
        services.close()
    code, out, err = team.run(team.contributor, "history", "--json")
    assert (code, json.loads(out)) == (0, []), err
    code, out, err = team.run(team.admin, "history", "--json")
    assert [run["run_id"] for run in json.loads(out)] == [running.run_id]


def test_a_contributor_reads_and_runs_only_what_they_could_read(
    team: Team, start_emulator: StartEmulator
) -> None:
    emulator = start_emulator(auto_approve=True, device_poll_interval=0.05)
    api, auth = emulator.api_base_url, emulator.auth_base_url
    assert team.run(team.admin, *add_args(api, auth, "team"), "--usable-by", "contributors")[0] == 0
    assert team.run(team.admin, "connection", "login", "team")[0] == 0
    # The service account sets up a segment in a folder closed to everyone else, and two
    # exports on the shared connection: one reads it, one the open segments folder.
    closed = team.segments.parent / "root-only"
    closed.mkdir(mode=0o700)
    (closed / "vip.csv").write_text(people_csv(3), encoding="utf-8")
    services = Services.open(team.paths)
    try:
        services.sources.add(make_source("vip", closed / "vip.csv"))
        for name, segment in (("promo", "people"), ("vipx", "vip")):
            services.exports.save(
                build_export(
                    name, connection="team", list_ids=[LIST], segments=[segment], email="email"
                )
            )
    finally:
        services.close()

    # They see the segments of their exports and what they could read; rows only of the latter.
    code, out, err = team.run(team.contributor, "segment", "list", "--json")
    assert code == 0, err
    assert [(s["name"], s["rows"]) for s in json.loads(out)] == [("people", ROWS), ("vip", 3)]
    code, _, err = team.run(team.contributor, "segment", "show", "vip")
    assert code == 2 and "cannot read the files of segment 'vip'" in err, err
    code, out, err = team.run(team.contributor, "segment", "show", "people", "--json")
    assert code == 0 and len(json.loads(out)["preview"]) == 10, err
    # The plan and the run of an export whose segment is closed to them are refused...
    code, _, err = team.run(team.contributor, "plan", "vipx")
    assert code == 2 and "cannot reach" in err, err
    code, _, err = team.run(team.contributor, "run", "vipx", "--dry-run")
    assert code == 2 and "reads segment 'vip'" in err and "cannot reach" in err, err
    # ... the other's plan is theirs to see.
    code, out, err = team.run(team.contributor, "plan", "promo", "--json")
    assert code == 0 and json.loads(out)["rows"] == ROWS, err
    # The audit log is the administrators'; the history's repair the home owner's.
    code, _, err = team.run(team.contributor, "audit")
    assert code == 2 and "Only administrators may read the audit log" in err, err
    code, out, err = team.run(team.admin, "audit", "--json", "--action", "audit.")
    assert code == 0, err
    code, _, err = team.run(
        team.contributor, "--home", str(team.paths.config_dir), "history", "repair"
    )
    assert code == 2 and "Only the home's owner (root) may repair its history" in err, err

    events = team.audit()
    assert refused(events, team.contributor, "segment.show") == ["vip"]
    assert refused(events, team.contributor, "plan") == ["vipx"]
    assert refused(events, team.contributor, "run.start") == ["vipx"]
    assert refused(events, team.contributor, "audit.read") == ["audit log"]
