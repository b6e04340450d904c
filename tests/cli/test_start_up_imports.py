"""Parsing the command line loads no data, network, server or display stack (issue 15, start-up).

`cc-tui --help` and every command's parser come from modules that import Polars, httpx, the
emulator's Starlette/uvicorn, Textual and Rich only inside the commands that use them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("polars", "httpx", "starlette", "uvicorn", "textual", "rich", "cc_tui.engine.services")


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["run", "--help"],
        ["segment", "add", "--help"],
        ["connection", "login", "--help"],
        ["emulator", "--help"],
        ["demo", "--help"],
        ["history", "--help"],
        ["export", "list", "--help"],
    ],
)
def test_help_imports_no_heavy_module(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from cc_tui.cli.entry import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print('LOADED=' + ','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    last = result.stdout.strip().splitlines()[-1]
    assert last == "LOADED=", f"cc-tui {' '.join(argv)} imported {last.removeprefix('LOADED=')}"
    assert "usage: cc-tui" in result.stdout


def test_the_activity_deadline_default_is_parsed_without_the_sender() -> None:
    code = (
        "import sys\n"
        "from cc_tui.cli.entry import build_parser\n"
        "args = build_parser().parse_args(['run', 'x'])\n"
        "print(args.activity_deadline, 'polars' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["7200.0", "False"]


def test_building_the_parser_imports_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from cc_tui.cli.entry import build_parser\n"
        "build_parser()\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print('LOADED=' + ','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "LOADED=", f"build_parser() imported {result.stdout.strip()}"
