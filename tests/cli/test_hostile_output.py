"""Outside text on the command line: never Rich markup, never terminal control.

Hostile strings (ESC sequences, OSC 0 titles, OSC 8 links, ``[link=...]``, ``[/]``, ``[bold``,
unbalanced brackets, C1 CSI, CR, bidi overrides) go in as file names, column names, values,
config keys, connection and list names and error texts, through every table, panel, message
and error; what comes out has no raw control character and shows the text literally.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from rich.panel import Panel
from rich.table import Table

from cc_tui.cli import main
from cc_tui.cli.output import Output, styled
from cc_tui.errors import ApiError, ConfigError, UsageError
from cc_tui.models.config import Export, FieldMapping
from cc_tui.paths import AppPaths
from cc_tui.store.config import ConfigStore, with_export
from tests.hostile import HOSTILE, HOSTILE_NAMES, SHOWN_AS, SHOWN_LITERALLY, assert_harmless

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer
    from tests.conftest import StartEmulator

LIST_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"
# File names cannot hold "/" (the OSC 8 link and [link=https://...] have one).
FILE_SAFE = tuple(text for text in HOSTILE if "/" not in text)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _hostile_csv(path: Path) -> None:
    """Column names and values that are all hostile strings (properly quoted CSV)."""
    buffer = io.StringIO()
    # Every field quoted: a bare CR outside quotes would be a (refused) line ending.
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["Email", *(f"col {name} {text}" for name, text in HOSTILE_NAMES.items())])
    for number in range(2):
        writer.writerow([f"p{number}@example.com", *HOSTILE])
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


@pytest.fixture
def hostile_data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    _hostile_csv(folder / "values.csv")
    for name, text in HOSTILE_NAMES.items():
        if "/" not in text:
            _hostile_csv(folder / f"{name} {text}.csv")
    return folder


def test_segment_add_show_and_list_show_hostile_text_literally(
    cc_home: Path, hostile_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run(capsys, "segment", "add", "values", str(hostile_data / "values.csv"))
    assert code == 0, output
    assert_harmless(output, expect=(*SHOWN_LITERALLY, *SHOWN_AS))
    code, output = run(capsys, "segment", "show", "values")
    assert code == 0, output
    assert_harmless(output, expect=(*SHOWN_LITERALLY, *SHOWN_AS))
    code, output = run(capsys, "segment", "add", "--dir", str(hostile_data))
    assert code == 0, output
    assert_harmless(output)
    code, output = run(capsys, "segment", "list")
    assert code == 0, output
    assert_harmless(output, expect=("[bold", "]][[x]", "␛[2J", "␛]0;title␇", "<U+202E>abc"))
    assert main(["segment", "list", "--json"]) == 0
    captured = capsys.readouterr()
    assert_harmless(captured.err)
    names = {item["name"] for item in json.loads(captured.out)}  # JSON escapes the rest
    assert {"values", "bold-bold", "clear-2J"} <= names


@pytest.mark.parametrize("text", FILE_SAFE)
def test_a_hostile_file_name_in_an_error_is_shown_literally(
    cc_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    code, output = run(capsys, "segment", "add", "x", str(tmp_path / f"gone {text}.csv"))
    assert code == 2
    assert_harmless(output)
    assert "gone " in output and "does not exist" in output


def test_config_errors_keep_their_keys(cc_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = AppPaths.resolve().config_file
    config.parent.mkdir(parents=True, exist_ok=True)
    key = json.dumps("[/]\x1b]0;title\x07[link=https://evil]x[/link]")
    config.write_text(f'schema_version = 1\n[segments.vip]\npath = "/x.csv"\n{key} = 1\n')
    code, output = run(capsys, "segment", "list")
    assert code == 2
    assert_harmless(output, expect=("[segments.vip.", "[/]", "[link=https://evil]x[/link]"))
    assert "unknown key" in output and "known keys here" in output
    config.write_text("schema_version = 1\ntheme = 5\n")
    code, output = run(capsys, "segment", "list")
    assert code == 2 and "[theme]" in output


def test_export_and_connection_tables_show_hostile_config_text(
    cc_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    display = " ".join(HOSTILE)
    code, output = run(capsys, "connection", "add", "marketing", "--client-id", "x",
                       "--emulator", "--accept-privacy", "--display-name", display)  # fmt: skip
    assert code == 0, output
    assert_harmless(output, expect=SHOWN_LITERALLY)
    store = ConfigStore(AppPaths.resolve().config_file)
    export = Export(name="promo", connection="marketing", list_ids=(LIST_ID,),
                    segments=("vip",), mapping=FieldMapping(
                        email="[/]\x1b[2J", first_name="[link=https://evil]x[/link]",
                        attributes={"job_title": "\x1b]0;title\x07"}))  # fmt: skip
    store.update(lambda c: with_export(c, export))
    for argv in (
        ["connection", "list"],
        ["connection", "show", "marketing"],
        ["export", "list"],
        ["export", "show", "promo"],
    ):
        code, output = run(capsys, *argv)
        assert code == 0, output
        assert_harmless(output)
    code, output = run(capsys, "export", "show", "promo")
    assert_harmless(output, expect=("[/]␛[2J", "[link=https://evil]x[/link]", "␛]0;title␇"))
    code, output = run(capsys, "export", "show", "\x1b]0;title\x07[/]")
    assert code == 2
    assert_harmless(output, expect=("␛]0;title␇[/]",))


@pytest.fixture
def fast_emulator(start_emulator: StartEmulator) -> EmulatorServer:
    return start_emulator(auto_approve=True, device_poll_interval=0.05)


def test_list_names_from_the_account_are_shown_literally(
    cc_home: Path, fast_emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    for text in HOSTILE:
        fast_emulator.state.create_list(f"list {text}", "", False)
    code, output = run(capsys, "connection", "add", "marketing", "--client-id", "x",
                       "--api-base-url", fast_emulator.api_base_url,
                       "--auth-base-url", fast_emulator.auth_base_url,
                       "--accept-privacy")  # fmt: skip
    assert code == 0, output
    code, output = run(capsys, "connection", "login", "marketing")
    assert code == 0, output
    assert_harmless(output)
    code, output = run(capsys, "lists", "marketing")
    assert code == 0, output
    assert_harmless(output, expect=("list [/]", "list [bold", "list ␛]0;title␇"))


@pytest.mark.parametrize(
    "error",
    [
        ApiError(400, "bad_request\x1b[2J", " ".join(HOSTILE), method="GET", path="/[/]"),
        ConfigError(
            " ".join(HOSTILE),
            path=Path("/x/config.toml"),
            key="segments.vip",
            line=3,
            fix="add [segments.vip] with its path",
        ),
        UsageError(" ".join(HOSTILE)),
    ],
    ids=["api", "config", "usage"],
)
def test_error_texts_are_plain_and_visible(error: Exception) -> None:
    out, err = io.StringIO(), io.StringIO()
    Output(out, err).error(str(error))
    assert_harmless(err.getvalue(), expect=(*SHOWN_LITERALLY, *SHOWN_AS))
    if isinstance(error, ConfigError):
        assert "[segments.vip]" in err.getvalue()


def test_every_kind_of_output_is_harmless() -> None:
    out, err = io.StringIO(), io.StringIO()
    output = Output(out, err)
    text = " ".join(HOSTILE)
    table = Table("a", text, title=text)
    table.add_row(text, text)
    output.print(table)
    # A Panel title is read as markup whatever the console says: ours are Text.
    output.print(Panel(text, title=styled(text)))
    output.print(text)
    output.print(styled(("bold", "bold"), " ", text))
    output.note(text)
    output.warn(text)
    output.json({"text": text})
    assert_harmless(out.getvalue() + err.getvalue(), expect=SHOWN_LITERALLY)


def test_log_lines_are_harmless(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from cc_tui.cli.entry import _configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        root.handlers = []
        _configure_logging(1)
        logging.getLogger("cc_tui.test").warning("API said %s", " ".join(HOSTILE))
        assert_harmless(capsys.readouterr().err, expect=SHOWN_LITERALLY)
    finally:
        root.handlers, root.level = saved[0], saved[1]
