"""`cc-tui segment list|show|add|remove` and `export add --segment PATH`."""

from __future__ import annotations

import gzip
import json
import os
import shlex
from pathlib import Path

import pytest

from cc_tui.cli import main
from cc_tui.engine.sources import CHECK_PREVIEW_ROWS, SegmentLook, SourceService
from cc_tui.models.config import SegmentSource
from cc_tui.paths import AppPaths
from cc_tui.store.config import ConfigStore, with_segment

LIST_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"
PEOPLE = "Email,First\nann@example.com,Ann\nbo@example.com,Bo\n"
HEADERLESS = "ann@example.com,Ann\nbo@example.com,Bo\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def store() -> ConfigStore:
    return ConfigStore(AppPaths.resolve().config_file)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "people.csv").write_text(PEOPLE)
    (folder / "headerless.csv").write_text(HEADERLESS)
    return folder


def test_add_shows_columns_and_first_rows_then_saves(
    cc_home: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "segment", "add", "people", str(data / "people.csv"))
    assert code == 0, err
    assert "Email" in out and "First" in out and "ann@example.com" in out
    assert "Added segment people" in out and "--segment people" in out
    assert store().load().segments["people"] == SegmentSource("people", data / "people.csv")


def test_add_warns_when_the_header_looks_like_data(
    cc_home: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "segment", "add", "leads", str(data / "headerless.csv"))
    assert code == 0
    assert "looks like data" in err and "--no-header --columns" in err


def test_add_writes_the_options_of_a_headerless_file(
    cc_home: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "segment", "add", "leads", str(data / "headerless.csv"),
                       "--no-header", "--columns", "Email,First", "--delimiter", ",",
                       "--quote", "", "--encoding", "utf-8", "--format", "csv")  # fmt: skip
    assert code == 0, err
    entry = store().load().segments["leads"]
    assert (entry.header, entry.columns, entry.delimiter, entry.quote, entry.format) == (
        False, ("Email", "First"), ",", "", "csv",
    )  # fmt: skip


def test_add_passes_cdm_options_through(
    cc_home: Path, data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    added: list[SegmentSource] = []
    real_add = SourceService.add

    def add(
        self: SourceService,
        source: SegmentSource,
        *,
        replace: bool = False,
        rows: int = CHECK_PREVIEW_ROWS,
    ) -> SegmentLook:
        added.append(source)
        # What the engine makes of a CDM folder is the engine's; read a plain file instead.
        plain = SegmentSource(source.name, data / "people.csv")
        return real_add(self, plain, replace=replace, rows=rows)

    monkeypatch.setattr(SourceService, "add", add)
    code, _, err = run(capsys, "segment", "add", "ci", str(data / "model.json"),
                       "--entity", "Contact", "--snapshot", "2026/11/29/0600")  # fmt: skip
    assert code == 0, err
    assert (added[0].entity, added[0].snapshot) == ("Contact", "2026/11/29/0600")
    assert added[0].path == data / "model.json"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["segment", "add", "x"], "needs NAME and PATH"),
        (["segment", "add", "x", "{data}/people.csv", "--dir", "{data}"], "not both"),
        (["segment", "add", "bad name", "{data}/people.csv"], "not allowed"),
        (["segment", "add", "x", "{data}/nowhere.csv"], "does not exist"),
        (["segment", "add", "x", "{data}/people.csv", "--delimiter", ";;"], "one character"),
        (["segment", "add", "x", "{data}/people.csv", "--encoding", "nope"], "encoding"),
        (["segment", "add", "x", "{data}/people.csv", "--format", "xlsx"], "format"),
        (["segment", "add", "x", "{data}/people.csv", "--columns", "a,b"], "--no-header"),
        (["segment", "add", "x", "{data}/fifo.csv"], "FIFO"),
        (["segment", "add", "--dir", "{data}/people.csv"], "is a file, not a folder"),
        (["segment", "remove"], "needs NAME"),
        (["segment", "remove", "nobody"], "No [segments.nobody] entry"),
        (["segment", "remove", "--dir", "{data}"], "is not a segments folder"),
        (["segment", "show", "nobody"], "No segment named 'nobody'"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    cc_home: Path,
    data: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    os.mkfifo(data / "fifo.csv")
    code, _, err = run(capsys, *(arg.format(data=data) for arg in argv))
    assert code == 2
    assert message in err, err
    assert store().load().segments == {}


def test_list_shows_every_segment_with_its_state(
    cc_home: Path, data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "segment", "add", "--dir", str(data))
    gone = tmp_path / "gone.csv"
    broken = tmp_path / "broken.dat"
    broken.write_bytes(b"\x00\x01\x02\x03 binary")
    store().update(lambda c: with_segment(with_segment(c, SegmentSource("gone", gone)),
                                          SegmentSource("broken", broken)))  # fmt: skip
    (data / "notes.json").write_text('{\n  "a": 1\n}\n')
    code, out, err = run(capsys, "segment", "list")
    assert code == 0
    for name, state in (("broken", "unreadable"), ("gone", "missing"), ("people", "ready")):
        assert any(name in line and state in line for line in out.splitlines()), out
    assert "gone (missing): " in out and "does not exist" in out and "segment remove gone" in out
    assert "broken (unreadable): " in out and "Fix:" in out
    assert "notes.json" in err and "skipped" in err  # why a file is not a segment
    code, out, _ = run(capsys, "segment", "list", "--json")
    listed = {item["name"]: item for item in json.loads(out)}
    assert listed["gone"]["status"] == "missing" and listed["gone"]["rows"] is None
    assert "does not exist" in listed["gone"]["problem"]
    assert listed["people"]["status"] == "ready" and listed["people"]["rows"] == 2
    assert listed["broken"]["status"] == "unreadable"


def test_a_failed_row_count_stays_in_its_row(
    cc_home: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A truncated gzip file: its start reads (so it is listed), a full count fails.
    rows = b"Email\n" + b"".join(b"person%d@example.com\n" % i for i in range(200_000))
    packed = gzip.compress(rows)
    (data / "late.csv.gz").write_bytes(packed[: len(packed) // 2])
    run(capsys, "segment", "add", "--dir", str(data))
    code, out, _ = run(capsys, "segment", "list", "--json")
    assert code == 0
    listed = {item["name"]: item for item in json.loads(out)}
    assert listed["people"]["rows"] == 2  # the others are still counted
    assert listed["late"]["rows"] is None and "cannot be read" in listed["late"]["rows_error"]
    code, out, _ = run(capsys, "segment", "list")
    assert code == 0 and "rows failed" in out and "late (rows not counted):" in out


def test_show_of_a_missing_segment_says_what_and_how_to_fix(
    cc_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store().update(lambda c: with_segment(c, SegmentSource("gone", tmp_path / "gone.csv")))
    code, _, err = run(capsys, "segment", "show", "gone")
    assert code == 2
    assert "'gone' is missing" in err and "does not exist" in err
    assert "segment add gone NEW_PATH --replace" in err


def test_remove_refuses_a_used_segment_unless_forced(
    cc_home: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "connection", "add", "marketing", "--client-id", "x", "--emulator",
        "--accept-privacy")  # fmt: skip
    run(capsys, "segment", "add", "people", str(data / "people.csv"))
    code, _, err = run(capsys, "export", "add", "promo", "--connection", "marketing",
                       "--list-id", LIST_ID, "--segment", "people", "--email", "Email")  # fmt: skip
    assert code == 0, err
    code, _, err = run(capsys, "segment", "remove", "people")
    assert code == 2 and "export(s) promo" in err and "--force" in err
    assert "people" in store().load().segments
    code, out, err = run(capsys, "segment", "remove", "people", "--force")
    assert code == 0 and "Removed segment people" in out and "promo" in err
    assert store().load().segments == {}


def test_segments_folder_added_and_removed(
    cc_home: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "segment", "add", "--dir", str(data))
    assert code == 0 and "people" in out and "headerless" in out
    assert store().load().segments_dirs == (data,)
    code, out, _ = run(capsys, "segment", "remove", "--dir", str(data))
    assert code == 0 and "Stopped reading" in out
    assert store().load().segments_dirs == ()


def test_export_add_takes_a_path_and_announces_the_new_segment(
    cc_home: Path, data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "connection", "add", "marketing", "--client-id", "x", "--emulator",
        "--accept-privacy")  # fmt: skip
    monkeypatch.chdir(data)
    code, out, err = run(capsys, "export", "add", "promo", "--connection", "marketing",
                         "--list-id", LIST_ID, "--segment", "./people.csv",
                         "--email", "Email")  # fmt: skip
    assert code == 0, err
    assert "Added segment people for " + str(data / "people.csv") in out
    config = store().load()
    assert config.exports["promo"].segments == ("people",)
    assert config.segments["people"].path == data / "people.csv"
    # The same path again is the same segment, not a second entry.
    code, out, err = run(capsys, "export", "add", "again", "--connection", "marketing",
                         "--list-id", LIST_ID, "--segment", str(data / "people.csv"),
                         "--email", "Email")  # fmt: skip
    assert code == 0, err
    assert "Added segment" not in out
    assert list(store().load().segments) == ["people"]


def test_a_refused_export_leaves_no_segment_behind(
    cc_home: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "connection", "add", "marketing", "--client-id", "x", "--emulator",
        "--accept-privacy")  # fmt: skip
    code, _, err = run(capsys, "export", "add", "promo", "--connection", "marketing",
                       "--list-id", LIST_ID, "--segment", str(data / "people.csv"),
                       "--email", "NoSuchColumn")  # fmt: skip
    assert code == 2 and "NoSuchColumn" in err
    assert store().load().segments == {}


def test_export_add_explains_an_unknown_segment_name(
    cc_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "connection", "add", "marketing", "--client-id", "x", "--emulator",
        "--accept-privacy")  # fmt: skip
    code, _, err = run(capsys, "export", "add", "promo", "--connection", "marketing",
                       "--list-id", LIST_ID, "--segment", "vip", "--email", "Email")  # fmt: skip
    assert code == 2
    assert "No segment named 'vip'" in err and "segment add vip PATH" in err
    assert "segments_dirs" not in err  # no more "edit config.toml"


def test_a_cdm_folder_with_several_entities_asks_which_one(
    cc_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.engine.segment_builders import customer_insights_folder

    customer_insights_folder(tmp_path / "ci-export", customers=4, vips=2)
    model = str(tmp_path / "ci-export" / "model.json")
    code, _, err = run(capsys, "segment", "add", "ci", model)
    assert code == 2
    assert "Customer, VipSegment" in err and "--entity NAME" in err and "--dir" in err
    code, _, err = run(capsys, "segment", "add", "ci", model, "--entity", "VipSegment")
    assert code == 0, err
    assert store().load().segments["ci"].entity == "VipSegment"


def test_two_entities_of_one_model_json_are_two_segments(
    cc_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.engine.segment_builders import customer_insights_folder

    root = tmp_path / "ci-export"
    customer_insights_folder(root, customers=4, vips=2)
    model = str(root / "model.json")
    code, _, err = run(capsys, "segment", "add", "ci", model, "--entity", "Customer")
    assert code == 0, err
    code, _, err = run(capsys, "segment", "add", "vip", str(root), "--entity", "VipSegment")
    assert code == 0, err
    # The same entity again, by its folder or its model.json, is refused.
    for path in (model, str(root)):
        code, _, err = run(capsys, "segment", "add", "again", path, "--entity", "Customer")
        assert code == 2
        assert "entity Customer" in err and "already the segment 'ci'" in err
    segments = store().load().segments
    assert (segments["ci"].entity, segments["vip"].entity) == ("Customer", "VipSegment")
    assert "again" not in segments
    # The listing says which entity each segment reads.
    code, out, _ = run(capsys, "segment", "list", "--json")
    listed = {item["name"]: item for item in json.loads(out)}
    assert (listed["ci"]["entity"], listed["vip"]["entity"]) == ("Customer", "VipSegment")
    assert (listed["ci"]["rows"], listed["vip"]["rows"]) == (4, 2)
    code, out, _ = run(capsys, "segment", "list")
    assert "cdm: Customer" in out and "cdm: VipSegment" in out


def test_export_add_with_a_cdm_folder_of_several_entities_says_what_to_run(
    cc_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.engine.segment_builders import customer_insights_folder

    run(capsys, "connection", "add", "marketing", "--client-id", "x", "--emulator",
        "--accept-privacy")  # fmt: skip
    root = tmp_path / "ci export"  # a space: the command to run quotes the path
    customer_insights_folder(root, customers=4, vips=2)
    model = root / "model.json"
    run(capsys, "segment", "add", "ci", str(model), "--entity", "Customer")

    def export_add(segment: str) -> tuple[int, str, str]:
        return run(capsys, "export", "add", "promo", "--connection", "marketing",
                   "--list-id", LIST_ID, "--segment", segment, "--email", "Email")  # fmt: skip

    code, _, err = export_add(str(model))
    assert code == 2
    assert "Customer, VipSegment" in err
    assert "Customer: already the segment ci (--segment ci)" in err
    command = f"cc-tui segment add ci-export-VipSegment '{model}' --entity VipSegment"
    assert f"{command}, then --segment ci-export-VipSegment" in err
    assert "--entity NAME" not in err  # export add has no --entity
    assert store().load().exports == {}
    # Doing exactly what it says works.
    code, _, err = run(capsys, *shlex.split(command)[1:])
    assert code == 0, err
    code, _, err = export_add("ci-export-VipSegment")
    assert code == 0, err
    assert store().load().exports["promo"].segments == ("ci-export-VipSegment",)


def test_add_and_show_say_which_delta_version_a_run_reads(
    cc_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import polars as pl
    from deltalake import write_deltalake

    table = tmp_path / "customers"
    for batch in ({"Email": ["ann@example.com"]}, {"Email": ["bo@example.com"]}):
        write_deltalake(str(table), pl.DataFrame(batch), mode="append")
    code, out, err = run(capsys, "segment", "add", "customers", str(table))
    assert code == 0, err
    assert "Delta table version 1 " in " ".join(out.split())  # said when added, too
    code, out, err = run(capsys, "segment", "show", "customers")
    assert code == 0, err
    assert "Delta table version 1 " in " ".join(out.split())
    code, out, err = run(capsys, "segment", "show", "customers", "--json")
    assert code == 0, err
    [note] = json.loads(out)["notes"]
    assert note.startswith("Delta table version 1 ")
