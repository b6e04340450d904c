"""The command line as an operator's shell meets it: pipes, locales, read-only homes, typos.

Each test runs the real ``cc-tui`` (``python -m cc_tui``) in a child process where the edge is
the process's own (a closed stdout, an ASCII-only locale, a read-only filesystem), and checks
the contract: the exit code README.md gives, a clear message, never a Python traceback, and
outside text never reaching the terminal as control characters.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile import HOSTILE, assert_harmless

EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell shows for `ls | head` when ls is cut off
SEGMENT_ROWS = 2_000  # more rows than fit one pipe buffer once shown as a table


def cc_tui(
    *argv: str,
    home: Path,
    stdout: int | None = subprocess.PIPE,
    env: dict[str, str] | None = None,
    encoding: str = "utf-8",
) -> subprocess.CompletedProcess[str]:
    """``cc-tui --home HOME ARGV`` in a child process (stdout/stderr read as ``encoding``)."""
    return subprocess.run(
        [sys.executable, "-m", "cc_tui", "--home", str(home), *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        encoding=encoding,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def assert_no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr


@pytest.fixture
def segment_home(cc_home: Path, tmp_path: Path) -> Path:
    """A home with one segment ``people`` (a CSV of SEGMENT_ROWS rows, in a folder with a space)."""
    folder = tmp_path / "my data"
    folder.mkdir()
    lines = ["Email,Name", *(f"p{n}@example.com,Person {n}" for n in range(SEGMENT_ROWS))]
    (folder / "people list.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    added = cc_tui("segment", "add", "people", str(folder / "people list.csv"), home=cc_home)
    assert added.returncode == 0, added.stderr
    return cc_home


@pytest.mark.parametrize(
    "argv",
    [
        ["segment", "show", "people"],  # a Rich table
        ["segment", "list", "--json"],  # JSON written directly
        ["history", "--json"],
    ],
)
def test_output_to_a_pipe_closed_early_ends_quietly(segment_home: Path, argv: list[str]) -> None:
    # `cc-tui ... | head -1`: the reader is gone before (or while) cc-tui writes.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = cc_tui(*argv, home=segment_home, stdout=write_end)
    finally:
        os.close(write_end)
    assert_no_traceback(result.stderr)
    assert result.returncode == EXIT_BROKEN_PIPE, result.stderr


@pytest.mark.parametrize("text", HOSTILE)
def test_a_command_line_error_shows_the_typed_text_harmlessly(cc_home: Path, text: str) -> None:
    # argparse repeats what was typed: an unknown extra argument, a bad option value.
    for argv in (["history", "--json", text], ["run", "x", "--activity-deadline", text]):
        result = cc_tui(*argv, home=cc_home)
        assert result.returncode == EXIT_USAGE
        assert_harmless(result.stderr)
        assert "error:" in result.stderr


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_terminal_that_cannot_show_unicode_gets_stand_ins_not_a_traceback(
    cc_home: Path, tmp_path: Path, encoding: str
) -> None:
    # A locale that is not UTF-8 (an old SSH client's LANG): the box drawing and the control
    # pictures cc-tui uses have no byte there.
    data = tmp_path / "values.csv"
    data.write_text('Email,Name\np@example.com,"Zoë \x1b[2J ✓"\n', encoding="utf-8")
    env = {"PYTHONIOENCODING": encoding}
    added = cc_tui("segment", "add", "values", str(data), home=cc_home, env=env, encoding=encoding)
    assert_no_traceback(added.stderr)
    assert added.returncode == 0, added.stderr
    assert "p@example.com" in added.stdout
    assert "\x1b[2J" not in added.stdout
    shown = cc_tui("segment", "show", "values", home=cc_home, env=env, encoding=encoding)
    assert_no_traceback(shown.stderr)
    assert shown.returncode == 0, shown.stderr
    assert "Zo" in shown.stdout and "\\u241b[2J" in shown.stdout


def test_a_home_that_cannot_be_made_is_a_clear_error(cc_home: Path) -> None:
    # A home cc-tui cannot make or write fails every command the same way. A read-only mount
    # or another user's folder cannot be made in a test run as root (the mode bits do not
    # stop root; mounting needs privileges a test must not use): a file where a folder of the
    # home's path should be stops every user, root included (ENOTDIR).
    blocker = cc_home / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    result = cc_tui("history", home=blocker / "home")
    assert_no_traceback(result.stderr)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert f"{blocker}: cc-tui cannot keep its files here" in result.stderr
    assert "--home DIR" in result.stderr


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("two\nlines", "'two␊lines'"),
        ("tab\there", "'tab␉here'"),
        ("x" * 5_000, "'" + "x" * 80 + "… (4,920 more)'"),
    ],
    ids=["newline", "tab", "pasted-text"],
)
def test_a_refused_name_is_shown_on_one_line_and_cut(
    cc_home: Path, capsys: pytest.CaptureFixture[str], name: str, shown: str
) -> None:
    # A name pasted with a line break (or a whole file pasted) must not make the error look
    # like several messages, or fill the terminal.
    from cc_tui.cli import main

    code = main(["connection", "add", name, "--client-id", "x", "--emulator"])
    error = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert f"connection name {shown} is not allowed" in error
    assert len(error.splitlines()) == 1, error


def test_the_commands_a_run_suggests_work_when_pasted_with_a_home_with_spaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `cc-tui --home "/srv/cc tui" run NAME --detach` says how to watch and stop the run: with
    # the home as typed, quoted for the shell, or the pasted command names another home.
    import shlex

    from cc_tui.cli import main
    from cc_tui.cli.demo.command import DEMO_EXPORT, prepare_demo

    home = tmp_path / "my cc home"
    home.mkdir(mode=0o700)
    demo = prepare_demo(60, home)
    try:
        code = main(["--home", str(home), "run", DEMO_EXPORT, "--detach"])
        note = capsys.readouterr().err
        assert code == 0, note
        watch = f"cc-tui --home {shlex.quote(str(home))} run {DEMO_EXPORT} --attach"
        assert watch in note
        assert shlex.split(watch)[:3] == ["cc-tui", "--home", str(home)]
        assert main(["--home", str(home), "run", DEMO_EXPORT, "--attach"]) == 0
    finally:
        demo.close()


@pytest.mark.parametrize(
    "argv",
    [
        ["history", "--limit", "-1"],  # was: every run (SQLite's LIMIT -1)
        ["history", "--limit", "0"],  # was: "No runs yet." of a home with runs
        ["segment", "show", "people", "--rows", "-3"],  # was: an empty preview, exit 0
        ["demo", "--headless", "--rows", "-5"],  # was: a ValueError traceback
    ],
)
def test_a_count_below_its_least_is_refused_naming_the_option(
    cc_home: Path, argv: list[str]
) -> None:
    result = cc_tui(*argv, home=cc_home)
    assert_no_traceback(result.stderr)
    assert result.returncode == EXIT_USAGE, result.stderr
    option = argv[-2]
    assert f"argument {option}: '{argv[-1]}' is not a whole number of" in result.stderr
    assert result.stdout == ""


def test_a_preview_over_its_most_rows_is_refused_saying_why(cc_home: Path) -> None:
    # It failed with "A message of 13,067,412 bytes is over the 4,194,304 limit".
    result = cc_tui("segment", "show", "people", "--rows", "100000000", home=cc_home)
    assert_no_traceback(result.stderr)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "argument --rows: '100000000' is over 1,000: a preview shows the first rows" in (
        result.stderr
    )


HIDE_CURSOR = b"\x1b[?25l"
SHOW_CURSOR = b"\x1b[?25h"
EXIT_TERMINATED = 143  # 128 + SIGTERM
ACTIVITY_HELD = 600.0  # seconds the emulator keeps an import waiting: the run is long going


def test_sigterm_gives_the_terminal_back_and_leaves_the_run_going(tmp_path: Path) -> None:
    # `timeout 1h cc-tui run NAME`, or `kill PID`, on a terminal: the live display hid the
    # cursor; SIGTERM must not leave it hidden (Python's default ended the process on the spot).
    import httpx

    from cc_tui.cli.demo.command import DEMO_EXPORT, prepare_demo
    from cc_tui.paths import AppPaths
    from cc_tui.service.client import request
    from cc_tui.service.locate import service_files
    from cc_tui.service.protocol import ServiceState, ServiceStatus

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    demo = prepare_demo(60, home)
    try:
        httpx.post(
            f"{demo.emulator.url}/__emulator/settings",
            json={"activity_start_delay": ACTIVITY_HELD},
        ).raise_for_status()
        primary, secondary = pty.openpty()
        child = subprocess.Popen(
            [sys.executable, "-m", "cc_tui", "--home", str(home), "run", DEMO_EXPORT],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"},
        )
        os.close(secondary)
        # The live display is up, and the service has begun the run (its first import sent).
        shown = _read_until(primary, b"contacts sent")
        assert HIDE_CURSOR in shown and b"contacts sent" in shown, shown.decode(errors="replace")
        child.send_signal(signal.SIGTERM)
        shown += _read_until(primary, None)  # all of it, until the child is gone
        os.close(primary)
        assert child.wait(timeout=60) == EXIT_TERMINATED, shown[-3000:]
        assert SHOW_CURSOR in shown[shown.rindex(HIDE_CURSOR) :], shown[-3000:]
        text = " ".join(shown.decode(errors="replace").split())
        assert "it goes on in the cc-tui service" in text
        # The run went on in the service (it stops, resumable, when the test's end stops it).
        paths = AppPaths.resolve(home)
        state = request(paths, service_files(paths, None), ServiceStatus(), autostart=False)
        assert isinstance(state, ServiceState)
        assert [run.export for run in state.runs] == [DEMO_EXPORT], (
            shown.decode(errors="replace"),
            (home / "service.log").read_text(),
        )
    finally:
        demo.close()


def _read_until(fd: int, marker: bytes | None, timeout: float = 60.0) -> bytes:
    """What the terminal received, until ``marker`` (None: until the child closed it)."""
    got = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: every holder of the terminal's other end closed it
            return got
        if not chunk:
            return got
        got += chunk
        if marker is not None and marker in got:
            return got
    return got


def test_a_closed_stdin_is_no_terminal_to_ask_on(cc_home: Path) -> None:
    # `cc-tui ... <&-` (a cron job or daemon that closed its stdin): Python has no sys.stdin
    # at all. The questions cc-tui would ask on a terminal are answered "no" instead.
    result = subprocess.run(
        [sys.executable, "-m", "cc_tui", "--home", str(cc_home), "connection", "add", "m",
         "--client-id", "x", "--emulator"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: os.close(0),
    )  # fmt: skip
    assert_no_traceback(result.stderr)
    assert result.returncode == EXIT_USAGE
    assert "Re-run with --accept-privacy" in result.stderr


@pytest.mark.parametrize(
    ("argv", "instead"),
    [([], "cc-tui --help lists them"), (["demo"], "cc-tui demo --headless")],
    ids=["no-command", "demo"],
)
def test_the_app_without_a_terminal_is_refused_not_left_waiting(
    cc_home: Path, argv: list[str], instead: str
) -> None:
    # `cc-tui` alone in a cron job or piped: the app drew escape sequences into the pipe and
    # waited for keys that never come, until killed.
    result = subprocess.run(
        [sys.executable, "-m", "cc_tui", "--home", str(cc_home), *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_no_traceback(result.stderr)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "opens the terminal app, which needs a terminal" in result.stderr
    assert instead in result.stderr
    assert "\x1b" not in result.stdout


def test_the_scheduler_started_beside_a_running_service_says_so_first(
    cc_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Any command starts the home's service; `cc-tui scheduler` then said "Scheduler running
    # in the cc-tui service" before failing to take the home.
    from cc_tui.cli import main

    assert main(["history"]) == 0  # the service of the home starts
    capsys.readouterr()
    assert main(["scheduler"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert "Scheduler running" not in captured.out + captured.err
    assert "already runs" in captured.err and "runs the schedules itself" in captured.err
    assert "cc-tui service stop" in captured.err
