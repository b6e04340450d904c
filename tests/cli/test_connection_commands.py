"""`cc-tui connection …` and `cc-tui lists` end to end against the emulator."""

from __future__ import annotations

import json
import stat
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cc_tui.cli import main
from cc_tui.paths import AppPaths
from cc_tui.store.config import ConfigStore, with_export
from cc_tui.store.history import HistoryStore
from cc_tui.store.secrets import SecretsStore

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer
    from tests.conftest import StartEmulator

LIST_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add_args(emulator: EmulatorServer, name: str = "marketing") -> list[str]:
    return [
        "connection",
        "add",
        name,
        "--client-id",
        f"client-{name}",
        "--display-name",
        "Marketing account",
        "--api-base-url",
        emulator.api_base_url,
        "--auth-base-url",
        emulator.auth_base_url,
    ]


@pytest.fixture
def fast_emulator(start_emulator: StartEmulator) -> EmulatorServer:
    return start_emulator(auto_approve=True, device_poll_interval=0.05)


def test_add_without_consent_exits_2_and_says_why(
    cc_home: Path, emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, *add_args(emulator))
    assert code == 2
    assert "--accept-privacy" in err and "consent" in err.lower()
    assert ConfigStore(AppPaths.resolve().config_file).load().connections == {}


def test_add_records_consent_with_user_and_time(
    cc_home: Path, emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *add_args(emulator), "--accept-privacy")
    assert code == 0, out
    assert "connection login marketing" in out
    conn = ConfigStore(AppPaths.resolve().config_file).load().connections["marketing"]
    assert conn.consent is not None and conn.consent.accepted_by
    assert conn.display_name == "Marketing account"
    events = HistoryStore(AppPaths.resolve().history_db).events(subject="marketing")
    assert {e.action for e in events} == {"connection.add", "connection.consent"}


def test_plain_http_to_a_remote_host_is_refused(
    cc_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        "connection",
        "add",
        "x",
        "--client-id",
        "c",
        "--accept-privacy",
        "--api-base-url",
        "http://api.example.com/v3",
    )
    assert code == 2
    assert "https://" in err


def test_login_stores_tokens_privately_and_shows_the_account(
    cc_home: Path, fast_emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, *add_args(fast_emulator), "--accept-privacy")[0] == 0
    code, out, err = run(capsys, "connection", "login", "marketing")
    assert code == 0, err
    assert "/activate" in err  # the verification URL is shown
    assert "Signed in" in out and "contact lists" in out
    secrets = AppPaths.resolve().secrets_file
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    tokens = SecretsStore(secrets).tokens("marketing")
    assert tokens is not None
    assert tokens.access_token not in out + err

    code, out, _ = run(capsys, "connection", "show", "marketing", "--json")
    shown = json.loads(out)
    assert shown["signed_in"] is True and shown["consent"]["accepted_by"]
    assert tokens.access_token not in out and (tokens.refresh_token or "x") not in out


def test_login_waits_for_a_person_to_approve(
    cc_home: Path, start_emulator: StartEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = start_emulator(device_poll_interval=0.05)
    assert run(capsys, *add_args(emulator), "--accept-privacy")[0] == 0

    def approve_when_issued() -> None:
        for _ in range(200):
            codes = emulator.pending_user_codes()
            if codes:
                emulator.approve(codes[0])
                return
            time.sleep(0.02)

    approver = threading.Thread(target=approve_when_issued)
    approver.start()
    code, out, err = run(capsys, "connection", "login", "marketing")
    approver.join()
    assert code == 0, err
    assert "Signed in" in out


def test_test_list_and_lists_commands(
    cc_home: Path, fast_emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, *add_args(fast_emulator), "--accept-privacy")
    run(capsys, "connection", "login", "marketing")
    code, out, _ = run(capsys, "connection", "test", "marketing", "--json")
    assert code == 0
    checked = json.loads(out)
    assert checked["organization_name"] and checked["lists"] > 0

    code, out, _ = run(capsys, "lists", "marketing", "--json")
    assert code == 0
    lists = json.loads(out)
    assert len(lists) == checked["lists"]
    assert all({"list_id", "name", "members"} <= set(item) for item in lists)

    code, out, _ = run(capsys, "connection", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == ["marketing"]


def test_commands_need_sign_in_first(
    cc_home: Path, emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, *add_args(emulator), "--accept-privacy")
    code, _, err = run(capsys, "lists", "marketing")
    assert code == 2  # a person must sign in: a usage error, not a failed request
    assert "not signed in yet: cc-tui connection login marketing" in err


def test_remove_is_refused_while_an_export_uses_it(
    cc_home: Path, fast_emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from cc_tui.models.config import Export, FieldMapping

    run(capsys, *add_args(fast_emulator), "--accept-privacy")
    run(capsys, "connection", "login", "marketing")
    store = ConfigStore(AppPaths.resolve().config_file)
    export = Export(
        name="spring",
        connection="marketing",
        list_ids=(LIST_ID,),
        segments=("vip",),
        mapping=FieldMapping(email="email"),
    )
    store.update(lambda c: with_export(c, export))

    code, _, err = run(capsys, "connection", "remove", "marketing", "--yes")
    assert code == 2 and "spring" in err
    code, out, _ = run(capsys, "connection", "remove", "marketing", "--yes", "--detach-exports")
    assert code == 0 and "spring" in out
    config = store.load()
    assert config.connections == {} and config.exports["spring"].connection is None
    assert SecretsStore(AppPaths.resolve().secrets_file).tokens("marketing") is None


def test_contributors_cannot_add_and_see_only_shared_connections(
    cc_home: Path,
    emulator: EmulatorServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(capsys, *add_args(emulator, "private"), "--accept-privacy")
    run(capsys, *add_args(emulator, "shared"), "--accept-privacy", "--usable-by", "contributors")
    config = AppPaths.resolve().config_file
    config.write_text(
        config.read_text() + '\n[roles]\nadmins = ["alice"]\ncontributors = ["bob"]\n'
    )
    # The service names its client from the kernel (SO_PEERCRED uid -> name): say "bob".
    monkeypatch.setattr("cc_tui.service.identity.user_name", lambda uid: "bob")
    code, _, err = run(capsys, *add_args(emulator, "mine"), "--accept-privacy")
    assert code == 2 and "Only administrators" in err
    code, out, _ = run(capsys, "connection", "list", "--json")
    assert [c["name"] for c in json.loads(out)] == ["shared"]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["connection"],
        ["connection", "add"],
        ["connection", "login"],
        ["connection", "list"],
        ["connection", "show"],
        ["connection", "test"],
        ["connection", "remove"],
        ["lists"],
        ["emulator"],
        ["segment", "list"],
        ["segment", "show"],
        ["segment", "add"],
        ["segment", "remove"],
        ["export", "add"],
        ["export", "list"],
        ["export", "show"],
        ["export", "remove"],
        ["run"],
        ["history"],
        ["demo"],
        ["scheduler"],
    ],
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    assert "usage: cc-tui" in capsys.readouterr().out


def test_scheduler_lists_next_runs(
    cc_home: Path, emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from cc_tui.models.config import Export, FieldMapping

    run(capsys, *add_args(emulator), "--accept-privacy")
    store = ConfigStore(AppPaths.resolve().config_file)
    export = Export(name="spring", connection="marketing", list_ids=(LIST_ID,),
                    segments=("vip",), mapping=FieldMapping(email="email"),
                    schedule="30 7 * * 1-5")  # fmt: skip
    store.update(lambda c: with_export(c, export))
    code, out, _ = run(capsys, "scheduler", "--list")
    assert code == 0
    assert "spring" in out and "At 07:30 on Monday through Friday (UTC)" in out
    store.update(lambda c: with_export(c, replace(export, name="fresh", schedule=None,
                                                  on_refresh=True, quiet_seconds=30)))  # fmt: skip
    code, out, _ = run(capsys, "scheduler", "--list")
    assert code == 0
    assert "fresh" in out and "on refresh" in out and "after 30 s of quiet" in out
