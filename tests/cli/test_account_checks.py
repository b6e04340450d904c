"""`export add` and `run` check what the account can tell: lists, custom fields, sign-in, scope."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from cc_tui.cli import main
from cc_tui.constant_contact.auth import DeviceFlow
from cc_tui.emulator.seed import list_id_for
from cc_tui.engine.exports import build_export
from cc_tui.models.config import MissedPolicy
from cc_tui.paths import AppPaths
from cc_tui.store.config import ConfigStore, with_export
from cc_tui.store.secrets import SecretsStore

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer
    from tests.conftest import StartEmulator

NEWSLETTER = list_id_for("Newsletter subscribers")
GHOST = str(uuid.UUID(int=0x6057))
PEOPLE = "email,city\n" + "".join(f"p{i}@example.com,Lisboa\n" for i in range(30))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@dataclass
class Home:
    emulator: EmulatorServer
    segment: Path
    config: ConfigStore
    secrets: SecretsStore

    def export_add(self, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
        return run(capsys, "export", "add", "spring", "--connection", "marketing",
                   "--segment", "people", "--email", "email", *extra)  # fmt: skip

    def save_unchecked(self, list_id: str, **attributes: str) -> None:
        """An export as saved offline: the account never saw its lists or fields."""
        export = build_export(
            "spring", connection="marketing", list_ids=[list_id], segments=["people"],
            email="email", attributes=list(attributes.items()))  # fmt: skip
        self.config.update(lambda config: with_export(config, export))

    def runs(self, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
        code, out, _ = run(capsys, "history", "--json")
        assert code == 0
        runs: list[dict[str, object]] = json.loads(out)
        return runs


def _home(
    cc_home: Path,
    start_emulator: StartEmulator,
    capsys: pytest.CaptureFixture[str],
    *,
    signed_in: bool,
) -> Home:
    emulator = start_emulator(auto_approve=True, device_poll_interval=0.05,
                              activity_start_delay=0.05)  # fmt: skip
    code, _, err = run(
        capsys, "connection", "add", "marketing", "--client-id", "cli-account-checks",
        "--accept-privacy", "--api-base-url", emulator.api_base_url,
        "--auth-base-url", emulator.auth_base_url)  # fmt: skip
    assert code == 0, err
    if signed_in:
        assert run(capsys, "connection", "login", "marketing")[0] == 0
    paths = AppPaths.resolve()
    segments = cc_home / "segments"
    segments.mkdir()
    segment = segments / "people.csv"
    segment.write_text(PEOPLE)
    config = ConfigStore(paths.config_file)
    config.update(lambda c: replace(c, segments_dirs=(segments,)))
    return Home(emulator, segment, config, SecretsStore(paths.secrets_file))


@pytest.fixture
def home(cc_home: Path, start_emulator: StartEmulator, capsys: pytest.CaptureFixture[str]) -> Home:
    return _home(cc_home, start_emulator, capsys, signed_in=True)


# -- export add ------------------------------------------------------------------------------


def test_export_add_refuses_an_unknown_list_and_lists_the_account_lists(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = home.export_add(capsys, "--list-id", NEWSLETTER, "--list-id", GHOST)
    assert code == 2
    assert f"Export 'spring' was not saved: The account has no list with ID {GHOST}." in err
    assert f"Newsletter subscribers ({NEWSLETTER})" in err
    assert "cc-tui lists marketing" in err
    assert "spring" not in home.config.load().exports


def test_export_add_refuses_an_unknown_custom_field_and_lists_the_account_fields(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = home.export_add(
        capsys, "--list-id", NEWSLETTER, "--attr", "cf:nope=city", "--attr", "cf:loyalty_tier=city"
    )
    assert code == 2
    assert "no custom field cf:nope (its custom fields: " in err
    assert "customer_since" in err and "favorite_store" in err
    assert "spring" not in home.config.load().exports


def test_export_add_names_the_account_lists_as_they_are_never_as_markup(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    async def create() -> None:
        conn = ConfigStore(AppPaths.resolve().config_file).load().connections["marketing"]
        from cc_tui.constant_contact.client import ConstantContactClient

        async with ConstantContactClient(conn, home.secrets.for_connection("marketing")) as api:
            await api.create_contact_list("[bold red]Promo[/] \x1b[31m", "outside text")

    asyncio.run(create())
    code, _, err = home.export_add(capsys, "--list-id", GHOST)
    assert code == 2
    assert "[bold red]Promo[/]" in err  # shown as written, not styled


def test_export_add_checks_against_the_account_and_saves(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = home.export_add(
        capsys, "--list-id", NEWSLETTER, "--attr", "cf:loyalty_tier=city"
    )
    assert code == 0, err
    assert "Saved export spring" in out
    assert "Its lists and custom fields were checked against the account of marketing." in err
    assert home.config.load().exports["spring"].list_ids == (NEWSLETTER,)


def test_export_add_on_refresh_saves_the_trigger_and_the_missed_policy(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = home.export_add(
        capsys, "--list-id", NEWSLETTER, "--schedule", "0 6 * * *", "--on-refresh",
        "--quiet-seconds", "5", "--missed", "skip")  # fmt: skip
    assert code == 0, err
    saved = home.config.load().exports["spring"]
    assert (saved.on_refresh, saved.quiet_seconds, saved.missed) == (True, 5, MissedPolicy.SKIP)
    code, out, _ = run(capsys, "export", "show", "spring")
    assert code == 0 and "0 6 * * * + on refresh" in out
    code, _, err = home.export_add(capsys, "--list-id", NEWSLETTER, "--on-refresh",
                                   "--quiet-seconds", "-1", "--replace")  # fmt: skip
    assert code == 2 and "--quiet-seconds -1 is out of range" in err


def test_export_add_offline_saves_unchecked_and_says_so(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    home.emulator.stop()
    code, out, err = home.export_add(capsys, "--list-id", GHOST)
    assert code == 0, err
    assert "Saved export spring" in out
    assert "warning: Could not check the lists against Constant Contact (" in err
    assert "could not be reached" in err and "): saved unchecked." in err
    assert home.config.load().exports["spring"].list_ids == (GHOST,)


def test_export_add_with_a_connection_never_signed_in_says_it_could_not_check(
    cc_home: Path, start_emulator: StartEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(cc_home, start_emulator, capsys, signed_in=False)
    code, _, err = home.export_add(capsys, "--list-id", GHOST, "--attr", "cf:nope=city")
    assert code == 0, err
    assert (
        "Connection 'marketing' is not signed in yet, so the lists and custom fields could not "
        "be checked against Constant Contact: saved unchecked. Sign in with: cc-tui connection "
        "login marketing"
    ) in err
    assert "spring" in home.config.load().exports


# -- run -------------------------------------------------------------------------------------


def test_run_to_a_list_that_does_not_exist_is_refused_with_the_fix(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    home.save_unchecked(GHOST)
    for _ in range(2):  # every time the same answer: nothing to resume
        code, out, err = run(capsys, "run", "spring", "--json")
        assert code == 2
        assert out == ""
        assert f"The account has no list with ID {GHOST}." in err
        assert "cc-tui export add spring ... --replace" in err
        assert "Resume" not in err
    assert home.runs(capsys) == []
    assert home.emulator.stats()["imports"] == 0


def test_run_never_signed_in_says_so_before_reading_the_segment(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    home.save_unchecked(NEWSLETTER)
    home.secrets.delete("marketing")
    home.segment.unlink()  # were it read, the error would be "segment not found"
    code, _, err = run(capsys, "run", "spring")
    assert code == 2
    assert "Connection 'marketing' is not signed in yet: cc-tui connection login marketing" in err
    assert "segment" not in err
    assert home.runs(capsys) == []


def test_run_with_an_unknown_custom_field_names_it(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    home.save_unchecked(NEWSLETTER, **{"cf:nope": "city"})
    code, _, err = run(capsys, "run", "spring")
    assert code == 2
    assert "no custom field cf:nope" in err and "loyalty_tier" in err
    assert home.runs(capsys) == []


def test_run_refused_a_scope_fails_naming_the_scope(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    home.save_unchecked(NEWSLETTER)
    conn = home.config.load().connections["marketing"]

    async def sign_in_without_contact_data() -> None:
        async with httpx.AsyncClient() as http:
            flow = DeviceFlow(http, auth_base_url=conn.auth_base_url, client_id=conn.client_id,
                              scopes=("account_read", "offline_access"))  # fmt: skip
            home.secrets.save_tokens("marketing", await flow.wait_for_tokens(await flow.start()))

    asyncio.run(sign_in_without_contact_data())
    code, _, err = run(capsys, "run", "spring")
    assert code == 1
    assert "connection 'marketing' needs the contact_data scope" in err
    assert "cc-tui connection login marketing" in err and "Resume" not in err


def test_run_stopped_by_the_quota_is_resumable_and_says_when_it_resets(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    home.save_unchecked(NEWSLETTER)
    used = home.emulator.stats()["requests_total"]
    home.emulator.emulator.update_settings({"daily_quota": used + 2})  # the preflight + 1 import
    code, out, _ = run(capsys, "run", "spring", "--json")
    assert code == 3
    summary = json.loads(out)
    assert summary["status"] == "interrupted"
    assert "daily request quota is used up; it resets at" in summary["error"]
    assert summary["error"].endswith("Resume with: cc-tui run spring")
    home.emulator.emulator.update_settings({"daily_quota": used})  # now spent at the preflight
    code, out, err = run(capsys, "run", "spring", "--json")
    assert code == 3 and out == ""
    assert "it resets at" in err and "00:00 UTC" in err
