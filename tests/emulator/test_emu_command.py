"""``cc-tui emulator`` options and running in the foreground."""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cc_tui.emulator.command import add_emulator_arguments, run_emulator, settings_from_args
from cc_tui.emulator.settings import EmulatorSettings, RefreshTokenMode
from tests.emulator.emu_helpers import HTTP


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cc-tui emulator")
    add_emulator_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults_match_the_settings() -> None:
    settings = settings_from_args(_parse())
    assert settings == EmulatorSettings()


def test_every_option_reaches_the_settings(tmp_path: Path) -> None:
    args = _parse(
        *("--host", "::1", "--port", "0", "--seed", "7", "--token-lifetime", "30"),
        *("--refresh-token-mode", "long-lived", "--device-code-lifetime", "60"),
        *("--device-poll-interval", "0.5", "--auto-approve", "--rate-limit", "8"),
        *("--daily-quota", "100", "--processing-rate", "1000", "--activity-start-delay", "1"),
        *("--error-rate", "0.1", "--ambiguous-rate", "0.2", "--drop-rate", "0.3"),
        *("--failed-activity-rate", "0.4", "--latency", "0.05", "--no-seed-data"),
        *("--state", str(tmp_path / "s.json"), "--activity-list-lag", "0"),
        *("--cancelled-activity-rate", "0.05", "--timed-out-activity-rate", "0.06"),
        *("--unfinished-activity-rate", "0.07", "--drop-after-create-share", "0.8"),
        *("--max-activity-errors", "50"),
    )
    assert settings_from_args(args) == EmulatorSettings(
        host="::1",
        port=0,
        seed=7,
        token_lifetime=30.0,
        refresh_token_mode=RefreshTokenMode.LONG_LIVED,
        device_code_lifetime=60.0,
        device_poll_interval=0.5,
        auto_approve=True,
        rate_limit_per_second=8,
        daily_quota=100,
        processing_rate=1000.0,
        activity_start_delay=1.0,
        error_rate=0.1,
        ambiguous_rate=0.2,
        drop_rate=0.3,
        failed_activity_rate=0.4,
        latency=0.05,
        seed_demo_data=False,
        state_file=tmp_path / "s.json",
        activity_list_lag=0.0,
        cancelled_activity_rate=0.05,
        timed_out_activity_rate=0.06,
        unfinished_activity_rate=0.07,
        drop_after_create_share=0.8,
        max_activity_errors=50,
    )


@pytest.mark.parametrize(
    "argv",
    [
        *(("--error-rate", "1.5"), ("--latency", "-1"), ("--port", "70000"), ("--rate-limit", "0")),
        *(("--activity-list-lag", "-0.5"), ("--cancelled-activity-rate", "2")),
        *(("--drop-after-create-share", "-1"), ("--max-activity-errors", "0")),
    ],
)
def test_bad_values_are_usage_errors(argv: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as caught:
        _parse(*argv)
    assert caught.value.code == 2


def test_every_option_has_help() -> None:
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    assert all(action.help for action in parser._actions)


def test_help_describes_every_fault_and_what_is_refused() -> None:
    parser = argparse.ArgumentParser(prog="cc-tui emulator")
    add_emulator_arguments(parser)
    text = parser.format_help()
    rates = [
        option
        for action in parser._actions
        for option in action.option_strings
        if option.endswith(("-rate", "-share")) and option != "--processing-rate"
    ]
    assert len(rates) == 9
    epilog = text.split("faults (seeded", 1)[1]
    for option in [*rates, "--latency"]:
        assert option in epilog, option
    rules = ("null", "UTF-16", "North American", "correctable_count", "--activity-list-lag")
    for rule in (*rules, "--brief-activity-list"):
        assert rule in text


def test_non_loopback_host_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_emulator(EmulatorSettings(host="0.0.0.0")) == 2
    assert "loopback" in capsys.readouterr().err


def test_port_in_use_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run_emulator(EmulatorSettings(port=port)) == 2
    assert "already in use" in capsys.readouterr().err


def test_corrupt_state_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text("nope")
    assert run_emulator(EmulatorSettings(port=0, state_file=path)) == 2
    assert "bad.json" in capsys.readouterr().err


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_foreground_run_prints_urls_and_stops_on_a_signal(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    state = tmp_path / "state.json"
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from cc_tui.emulator.command import run_emulator\n"
        "from cc_tui.emulator.settings import EmulatorSettings\n"
        f"sys.exit(run_emulator(EmulatorSettings(port=0, state_file=Path({str(state)!r}))))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(9)]
        banner = "".join(lines)
        api = next(line.split()[-1] for line in lines if "API base URL" in line)
        assert "cc-tui connection add NAME --client-id ANY --emulator http://127.0.0.1" in banner
        assert f"--api-base-url {api}" in banner
        assert "/activate" in banner
        assert HTTP.get(api.removesuffix("/v3") + "/").status_code == 200
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
    assert state.exists()


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_ipv6_loopback_serves_and_prints_bracketed_urls(host: str) -> None:
    settings = settings_from_args(_parse("--host", host, "--port", "0"))
    assert settings.host == "::1"
    code = (
        "import sys\n"
        "from cc_tui.emulator.command import run_emulator\n"
        "from cc_tui.emulator.settings import EmulatorSettings\n"
        "sys.exit(run_emulator(EmulatorSettings(host='::1', port=0, seed_demo_data=False)))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(9)]
        api = next(line.split()[-1] for line in lines if "API base URL" in line)
        assert api.startswith("http://[::1]:") and api.endswith("/v3")
        assert "--emulator http://[::1]:" in "".join(lines)
        assert HTTP.get(api.removesuffix("/v3") + "/__emulator/stats").status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
