"""`cc-tui storage add|list|show|test|remove`, and remote segments on the command line."""

from __future__ import annotations

import io
import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from cc_tui.cli import main
from cc_tui.cli.storage_commands import SECRET_ENV_VAR
from cc_tui.engine.services import current_os_user
from cc_tui.models.config import Roles
from cc_tui.paths import AppPaths
from cc_tui.store.config import ConfigStore
from tests.azurite import ACCOUNT, ACCOUNT_KEY, Azurite

SECRET = "c2VjcmV0LWtleS1mb3ItdGhlLWNsaS10ZXN0cy1vbmx5IQ=="


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *extra: str,
    secret: str = SECRET,
    name: str = "ci",
) -> tuple[int, str, str]:
    monkeypatch.setenv(SECRET_ENV_VAR, secret)
    return run(capsys, "storage", "add", name, "--account", ACCOUNT, "--account-key", *extra)


def test_the_secret_is_kept_private_and_never_shown(
    cc_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = add(capsys, monkeypatch, "--endpoint", "http://127.0.0.1:10000/contosoci")
    assert code == 0, err
    assert "Added storage connection ci" in " ".join(out.split())

    shown = [run(capsys, "storage", *argv) for argv in (["list"], ["list", "--json"],
             ["show", "ci"], ["show", "ci", "--json"])]  # fmt: skip

    assert all(code == 0 for code, _, _ in shown)
    assert all(SECRET not in out + err for _, out, err in shown)
    assert json.loads(shown[3][1]) == {
        "name": "ci", "account": ACCOUNT, "auth": "account-key",
        "endpoint": "http://127.0.0.1:10000/contosoci", "secret_stored": True,
    }  # fmt: skip
    secrets = cc_home / "secrets.toml"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert SECRET in secrets.read_text()
    assert SECRET not in (cc_home / "config.toml").read_text()

    code, out, _ = run(capsys, "storage", "remove", "ci")
    assert code == 0 and SECRET not in secrets.read_text()


def test_the_secret_may_come_from_standard_input(
    cc_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV_VAR, raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"?sv=2024&sig={SECRET}\n"))

    code, _, err = run(capsys, "storage", "add", "ci", "--account", ACCOUNT, "--sas-token")

    assert code == 0, err
    assert f"sig={SECRET}" in (cc_home / "secrets.toml").read_text()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--endpoint", "http://storage.example.com/contosoci"], "plain http:// only for a loop"),
        (["--endpoint", "https://user:pw@example.com"], "user name or password"),
    ],
)
def test_an_unsafe_endpoint_is_refused(
    cc_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
    expected: str,
) -> None:
    code, _, err = add(capsys, monkeypatch, *extra)

    assert code == 2 and expected in " ".join(err.split())
    assert "pw" not in err and not (cc_home / "config.toml").exists()


def test_only_administrators_add_storage(
    cc_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = ConfigStore(AppPaths.resolve().config_file)
    config.update(
        lambda c: replace(c, roles=Roles(admins=("boss",), contributors=(current_os_user(),)))
    )

    code, _, err = add(capsys, monkeypatch)

    assert code == 2 and "Only administrators may add storage connections" in err
    assert config.load().storage == {}


def test_storage_test_lists_the_container_and_names_a_refusal(
    cc_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    azurite: Azurite,
    container_name: str,
) -> None:
    container = azurite.container(container_name)
    azurite.upload(container, "exports/people.csv", b"email\na@example.com\n")
    azurite.upload(container, "top.csv", b"email\n")
    assert add(capsys, monkeypatch, "--endpoint", azurite.endpoint, secret=ACCOUNT_KEY)[0] == 0

    code, out, err = run(capsys, "storage", "test", "ci", "--container", container_name)

    assert code == 0, err
    assert "exports/, top.csv" in out

    add(capsys, monkeypatch, "--endpoint", azurite.endpoint, "--replace", secret=SECRET)
    code, out, err = run(capsys, "storage", "test", "ci", "--container", container_name)

    text = " ".join(err.split())
    assert code == 2 and "refused access" in text
    assert f"account '{ACCOUNT}'" in text and f"container '{container_name}'" in text
    assert SECRET not in out + err and "Traceback" not in err


def test_segment_add_of_a_missing_blob_says_which(
    cc_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    azurite: Azurite,
    container_name: str,
) -> None:
    azurite.container(container_name)
    add(capsys, monkeypatch, "--endpoint", azurite.endpoint, secret=ACCOUNT_KEY)
    location = f"az://{container_name}/exports/vip.csv"

    code, _, err = run(capsys, "segment", "add", "vip", location)

    assert code == 2
    assert location in err and "does not exist" in err and "Traceback" not in err


def test_segment_add_of_a_blob_then_list_and_show(
    cc_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    azurite: Azurite,
    container_name: str,
) -> None:
    container = azurite.container(container_name)
    azurite.upload(container, "vip.csv", b"Email,First\nann@example.com,Ann\nbo@example.com,Bo\n")
    add(capsys, monkeypatch, "--endpoint", azurite.endpoint, secret=ACCOUNT_KEY)
    location = f"abfss://{container_name}@{ACCOUNT}.dfs.core.windows.net/vip.csv"

    code, out, err = run(capsys, "segment", "add", "vip", location)
    assert code == 0, err
    assert "ann@example.com" in out

    code, out, err = run(capsys, "segment", "list", "--json")
    assert code == 0, err
    listed = {item["name"]: item for item in json.loads(out)}
    assert listed["vip"]["path"] == location and listed["vip"]["rows"] == 2
    assert location in (cc_home / "config.toml").read_text()
