"""The service names each client by the kernel (SO_PEERCRED), never by its environment.

A throw-away OS user (``useradd``; the suite runs as root) is a client of a shared service:
with ``LOGNAME=root USER=root`` it is still named by its uid, and roles apply to that name.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cc_tui.engine.services import Services, current_os_user
from cc_tui.models.config import Roles
from cc_tui.paths import AppPaths
from cc_tui.service.identity import peer_of, user_name
from cc_tui.service.locate import ServiceFiles, service_files
from cc_tui.service.server import ServiceServer, ServiceThread
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.engine.test_runner import people_csv

REPO = Path(__file__).resolve().parents[2]
CHILD_WAIT = 120.0

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("setpriv") is None,
    reason="needs root, useradd and setpriv to make a throw-away OS user",
)


@pytest.fixture
def os_user() -> Iterator[pwd.struct_passwd]:
    """A throw-away OS user, removed afterwards."""
    name = f"cct{secrets.token_hex(3)}"
    subprocess.run(
        ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], check=False, capture_output=True)


@pytest.fixture
def shared_socket(tmp_path: Path) -> Iterator[Path]:
    """A socket path other users can reach (a team's /run/cc-tui), short enough for a socket."""
    folder = Path(f"/tmp/cct-team-{secrets.token_hex(4)}")
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    yield folder / "team.sock"
    shutil.rmtree(folder, ignore_errors=True)


def serve(paths: AppPaths, files: ServiceFiles, *, shared: bool) -> ServiceThread:
    return ServiceThread(ServiceServer(paths, files, shared=shared, schedule=False)).start()


def as_user(
    user: pwd.struct_passwd, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``cc-tui ARGS`` as ``user``, claiming to be root in every variable that could say so."""
    claims = {"LOGNAME": "root", "USER": "root", "USERNAME": "root", "HOME": "/tmp"}
    return subprocess.run(
        ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
         sys.executable, "-m", "cc_tui", *args],
        env={"PATH": os.environ["PATH"], **claims, **(env or {})}, cwd="/tmp",
        capture_output=True, text=True, timeout=CHILD_WAIT, check=False,
    )  # fmt: skip


def test_the_service_names_a_client_by_its_uid_whatever_its_environment_says(
    cc_home: Path, os_user: pwd.struct_passwd, shared_socket: Path
) -> None:
    paths = AppPaths.resolve(cc_home)
    service = serve(paths, service_files(paths, shared_socket), shared=True)
    try:
        done = as_user(os_user, "--service", str(shared_socket), "service", "status", "--json")
    finally:
        service.stop()
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state["you"] == os_user.pw_name
    assert state["user"] == "root" and state["shared"] is True


def test_roles_hold_against_a_contributor_who_claims_to_be_the_admin(
    workspace: Workspace, os_user: pwd.struct_passwd, shared_socket: Path
) -> None:
    workspace.write("people.csv", people_csv(20))
    workspace.add_export()  # its connection is for admins only
    workspace.services.config.update(
        lambda c: replace(c, roles=Roles(admins=("root",), contributors=(os_user.pw_name,)))
    )
    paths = workspace.services.paths
    service = serve(paths, service_files(paths, shared_socket), shared=True)
    try:
        run = as_user(os_user, "--service", str(shared_socket), "run", "promo")
        stop = as_user(os_user, "--service", str(shared_socket), "service", "stop")
        still = as_user(os_user, "--service", str(shared_socket), "service", "status")
    finally:
        service.stop()
    assert run.returncode == 2, run.stderr
    assert "connection" in run.stderr.lower()
    assert RunHistory(workspace.services.history).runs(export="promo") == []
    assert workspace.emulator.stats()["imports"] == 0
    assert stop.returncode == 2
    assert f"Only administrators may stop the service; '{os_user.pw_name}' is not one" in (
        " ".join(stop.stderr.split())
    )
    assert still.returncode == 0  # the refused stop stopped nothing


def test_a_single_user_service_refuses_other_users(
    cc_home: Path, os_user: pwd.struct_passwd
) -> None:
    paths = AppPaths.resolve(cc_home)
    files = service_files(paths)
    service = serve(paths, files, shared=False)
    try:
        assert oct(files.socket.stat().st_mode & 0o777) == oct(0o600)
        assert oct(files.socket.parent.stat().st_mode & 0o777) == oct(0o700)
        done = as_user(os_user, "--service", str(files.socket), "service", "status")
    finally:
        service.stop()
    assert done.returncode == 2
    assert "You may not connect to the cc-tui service" in " ".join(done.stderr.split())


def test_peer_credentials_of_a_socket_pair_are_this_process() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        peer = peer_of(left)
    assert (peer.uid, peer.pid, peer.user) == (os.geteuid(), os.getpid(), user_name(os.geteuid()))


def test_a_uid_without_a_name_is_named_by_its_number() -> None:
    unused = max(entry.pw_uid for entry in pwd.getpwall()) + 12345
    assert user_name(unused) == f"uid:{unused}"


def test_the_os_user_of_in_process_commands_ignores_logname_and_user(
    monkeypatch: pytest.MonkeyPatch, cc_home: Path
) -> None:
    monkeypatch.setenv("LOGNAME", "alice")
    monkeypatch.setenv("USER", "alice")
    me = pwd.getpwuid(os.geteuid()).pw_name
    assert current_os_user() == me
    services = Services.open(AppPaths.resolve(cc_home))
    try:
        assert services.os_user == me
    finally:
        services.close()
