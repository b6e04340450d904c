"""The home's commands carried out by the service for the user the kernel names."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cc_tui.cli.entry import main
from cc_tui.models.config import Roles
from cc_tui.paths import AppPaths
from cc_tui.store.audit import AuditOutcome
from cc_tui.store.history import HistoryStore
from cc_tui.store.secrets import SecretsStore
from tests.engine.conftest import Workspace
from tests.service.conftest import REPO, wait_for

if TYPE_CHECKING:
    from tests.conftest import StartEmulator

CHILD_WAIT = 120.0  # seconds a killed client may take to be reaped
CODE_LIFETIME = 60  # seconds the emulator's device code lives


def test_a_refused_call_exits_2_with_the_engine_s_message_and_is_audited(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = str(workspace.services.paths.config_dir)
    config = workspace.services.config
    config.update(lambda c: replace(c, roles=Roles(admins=("alice",), contributors=("bob",))))
    monkeypatch.setattr("cc_tui.service.identity.user_name", lambda uid: "bob")

    assert main(["--home", home, "connection", "remove", "conn", "--yes"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "Only administrators may remove connections; 'bob' is not one" in err
    assert "conn" in config.load().connections
    [refusal] = workspace.services.history.events(user="bob", action="connection.remove")
    assert (refusal.subject, refusal.outcome.value) == ("conn", "refused")


def test_a_sign_in_whose_client_hangs_up_is_cancelled_in_the_service(
    cc_home: Path, start_emulator: StartEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # A short-lived code: if the client never saw it, the sign-in still ends on its own.
    emulator = start_emulator(
        auto_approve=False, device_poll_interval=0.05, device_code_lifetime=CODE_LIFETIME
    )
    urls = ["--api-base-url", emulator.api_base_url, "--auth-base-url", emulator.auth_base_url]
    add = ["connection", "add", "m", "--client-id", "c", "--accept-privacy", *urls]
    assert main(add) == 0  # starts this test's service
    capsys.readouterr()
    login = subprocess.Popen(
        [sys.executable, "-m", "cc_tui", "connection", "login", "m"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert login.stdout is not None
        shown = ""
        while "enter the code" not in shown:  # the service streamed the code to the client
            line = login.stdout.readline()
            assert line, f"the client ended without showing the code: {shown}"
            shown += line
    finally:
        login.send_signal(signal.SIGKILL)
        login.communicate(timeout=CHILD_WAIT)
    history = HistoryStore(AppPaths.resolve().history_db)
    try:

        def sign_in_ended() -> bool:
            return bool(history.events(action="connection.sign_in"))

        wait_for(sign_in_ended, what="the sign-in's audit entry")
        [entry] = history.events(action="connection.sign_in")
    finally:
        history.close()
    assert entry.outcome is AuditOutcome.FAILED  # cancelled: no tokens stored
    assert SecretsStore(AppPaths.resolve().secrets_file).tokens("m") is None
