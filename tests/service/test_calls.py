"""The home's commands carried out by the service for the user the kernel names."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cc_tui.cli.entry import main
from cc_tui.models.config import Roles
from tests.engine.conftest import Workspace


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
