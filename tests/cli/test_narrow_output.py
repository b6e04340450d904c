"""Every CLI table fits the terminal: at 80 columns nothing is cut, and nothing is lost.

Each command is run end to end (a demo home and its emulator on a loopback socket) 80 and 200
columns wide; the output must hold every ID, name, path and e-mail whole (on one line), every
other word of every value, no ``…``, and no framed line wider than the terminal.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from cc_tui.cli import main, output
from cc_tui.cli.demo.command import DEMO_CONNECTION, DEMO_EXPORT, DemoEnvironment, prepare_demo
from cc_tui.cli.output import Column, Output, fit_table, key_values

WIDTHS = (80, 200)
DEMO_ROWS = 60
LONG_EXPORT = "weekly-vip-customers-for-the-spring-campaign"
LONG_DISPLAY_NAME = "Marketing account of the northern region (shared)"
SCHEDULE = "5 6 * * 1-5"
FRAME = re.compile("[│┃┏┗└┌┡╇┳┻┴┬]")


def render(renderable: object, width: int) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, soft_wrap=True, color_system=None).print(renderable)
    return buffer.getvalue()


def assert_fits(output: str, width: int, whole: list[str], words: list[str]) -> None:
    """Nothing cut, every whole value on one line, every word there, frames inside ``width``."""
    assert "…" not in output, output
    lines = output.splitlines()
    for value in whole:
        assert any(value in line for line in lines), f"{value!r} not whole in:\n{output}"
    for word in words:
        assert word in output, f"{word!r} lost in:\n{output}"
    for line in lines:
        if len(line) <= width:
            continue
        # Only an unframed key-value line may be longer: its value is one long word (a path),
        # left to the terminal's own wrapping so that a copy of it is whole.
        assert not FRAME.search(line), f"framed line wider than {width}:\n{line}"
        assert any(len(word) > width // 2 for word in line.split()), line


# -- the shared layout rule --------------------------------------------------------------------


def test_a_table_that_fits_is_left_as_it_is() -> None:
    output = render(fit_table(["name", "rows"], [["vip", "200"]], width=80), 80)
    assert "┃ name ┃ rows ┃" in output and "│ vip  │ 200  │" in output


def test_a_wide_table_wraps_between_words_and_keeps_whole_columns_whole() -> None:
    rows = [["4cffb0de-3266-51df-a872-3dae3e41c372", "Newsletter subscribers of the year " * 2]]
    output = render(fit_table([Column("list ID", whole=True), "name"], rows, width=60), 60)
    assert_fits(output, 60, ["4cffb0de-3266-51df-a872-3dae3e41c372"], rows[0][1].split())
    assert FRAME.search(output), "still a table"
    assert max(len(line) for line in output.splitlines()) <= 60


def test_a_table_too_wide_for_its_words_becomes_key_value_records() -> None:
    columns: list[Column | str] = [Column("name", whole=True), "status", Column("path", whole=True)]
    path = "/srv/exports/segments/" + "customers-of-the-northern-region" * 2 + ".csv"
    rows: list[list[Text | str]] = [
        ["customers", Text("ready", style="green"), path],
        ["vip", "missing", "/v.csv"],
    ]
    output = render(fit_table(columns, rows, width=80, title="Segments"), 80)
    assert not FRAME.search(output)
    assert_fits(output, 80, ["customers", path, "/v.csv"], ["ready", "missing", "Segments"])
    assert f"path    {path}" in output and "status  missing" in output
    assert output.count("\n\n") == 1, "one blank line between the two records"


def test_key_values_indent_the_lines_of_a_value() -> None:
    output = render(key_values([("a", "one\ntwo"), ("long key", "x")]), 80)
    assert output.splitlines() == ["a         one", "          two", "long key  x"]


# -- every command, end to end -----------------------------------------------------------------


@pytest.fixture
def demo(cc_home: Path) -> Iterator[DemoEnvironment]:
    environment = prepare_demo(DEMO_ROWS, cc_home)
    yield environment
    environment.close()


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, width: int, *argv: str
) -> str:
    # Off a terminal the CLI lays out for at least OFF_TERMINAL_WIDTH columns (Rich's own
    # guess, 80 or COLUMNS, which pytest-xdist sets, only when wider).
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(output, "OFF_TERMINAL_WIDTH", width)
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out + captured.err


@pytest.fixture
def filled(
    demo: DemoEnvironment, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> DemoEnvironment:
    """The demo home with a second connection and a long-named, scheduled export."""
    emulator = demo.emulator
    run(capsys, monkeypatch, 200, "connection", "add", "north", "--client-id", "north-app",
        "--display-name", LONG_DISPLAY_NAME, "--api-base-url", emulator.api_base_url,
        "--auth-base-url", emulator.auth_base_url, "--accept-privacy")  # fmt: skip
    list_id = demo.services.exports.get(DEMO_EXPORT).list_ids[0]
    run(capsys, monkeypatch, 200, "export", "add", LONG_EXPORT, "--connection", DEMO_CONNECTION,
        "--list-id", list_id, "--segment", "vip", "--email", "email", "--schedule", SCHEDULE,
        "--attr", "job_title=job_title")  # fmt: skip
    return demo


@pytest.mark.parametrize("width", WIDTHS)
def test_connection_list_and_show(
    filled: DemoEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    api = filled.emulator.api_base_url
    output = run(capsys, monkeypatch, width, "connection", "list")
    words = [*LONG_DISPLAY_NAME.split(), "contributors", "admins", "yes", "no"]
    assert_fits(output, width, [DEMO_CONNECTION, "north", api], words)
    output = run(capsys, monkeypatch, width, "connection", "show", "north")
    assert_fits(output, width, ["north-app", api, filled.emulator.auth_base_url], words[:5])


@pytest.mark.parametrize("width", WIDTHS)
def test_lists(
    filled: DemoEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    lists = json.loads(run(capsys, monkeypatch, width, "lists", DEMO_CONNECTION, "--json"))
    output = run(capsys, monkeypatch, width, "lists", DEMO_CONNECTION)
    ids = [item["list_id"] for item in lists]
    assert ids
    assert_fits(output, width, ids, [word for item in lists for word in item["name"].split()])


@pytest.mark.parametrize("width", WIDTHS)
def test_export_list_and_show(
    filled: DemoEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    output = run(capsys, monkeypatch, width, "export", "list")
    whole = [DEMO_EXPORT, LONG_EXPORT, DEMO_CONNECTION, "new-subscribers", SCHEDULE]
    assert_fits(output, width, whole, ["customers", "vip", "on demand"])
    output = run(capsys, monkeypatch, width, "export", "show", LONG_EXPORT)
    list_id = filled.services.exports.get(LONG_EXPORT).list_ids[0]
    assert_fits(output, width, [LONG_EXPORT, list_id, "job_title", SCHEDULE], ["email"])


@pytest.mark.parametrize("width", WIDTHS)
def test_segment_list_and_show(
    filled: DemoEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    listed = json.loads(run(capsys, monkeypatch, width, "segment", "list", "--json"))
    output = run(capsys, monkeypatch, width, "segment", "list")
    paths = [item["path"] for item in listed]
    assert len(paths) == len(["customers", "vip", "new-subscribers"])
    assert_fits(output, width, paths, ["ready", "csv", "parquet", "ndjson", f"{DEMO_ROWS}"])
    output = run(capsys, monkeypatch, width, "segment", "show", "vip", "--rows", "3")
    shown = json.loads(run(capsys, monkeypatch, width, "segment", "show", "vip", "--json"))
    rows = shown["preview"][:3]
    emails = [row["email"] for row in rows]
    words = [word for row in rows for value in row.values() for word in str(value).split()]
    columns = [column["name"] for column in shown["columns"]]
    assert_fits(output, width, [*emails, *columns, shown["path"]], words)


@pytest.mark.parametrize("width", WIDTHS)
def test_scheduler_plan(
    filled: DemoEnvironment,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    output = run(capsys, monkeypatch, width, "scheduler", "--list")
    assert_fits(output, width, [LONG_EXPORT, SCHEDULE], ["Monday", "Friday", "UTC"])


def test_messages_on_a_terminal_wrap_between_words_but_never_inside_a_long_path() -> None:
    buffer = io.StringIO()
    out = Output(stdout=io.StringIO(), stderr=buffer)
    out.errors = Console(file=buffer, width=80, force_terminal=True, color_system=None,
                         soft_wrap=True, markup=False)  # fmt: skip
    words = "No export has a schedule (add one: cc-tui export add … --schedule, or e in the app)."
    out.warn(words * 2)
    lines = buffer.getvalue().splitlines()
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    assert " ".join(lines).split() == f"warning: {words * 2}".split(), "every word, whole"
    buffer.truncate(0)
    buffer.seek(0)
    path = "/srv/cc-tui/home/runs/" + "20261205T011043Z-newsletter-weekly-5a740c/" * 2 + "x.csv"
    out.error(f"cannot read {path}: permission denied")
    assert buffer.getvalue() == f"error: cannot read {path}: permission denied\n"
