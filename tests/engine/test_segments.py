"""Segments: discovery, every format's quirks, errors people hit, counts, previews, fingerprints."""

from __future__ import annotations

import gzip
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cc_tui.engine.segments.copies import (
    SegmentFingerprint,
    clear_segment_cache,
    default_cache_dir,
    fingerprint,
)
from cc_tui.engine.segments.discovery import discover_segments, find_segments
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.model import Segment, SegmentFormat
from cc_tui.engine.segments.read_errors import segment_read_errors
from cc_tui.engine.segments.reading import (
    ColumnInfo,
    count_rows,
    prepare_segment,
    preview,
    scan_segment,
    segment_columns,
)
from cc_tui.errors import InputError
from cc_tui.models.config import AppConfig, SegmentSource
from cc_tui.paths import AppPaths

DATA = Path(__file__).parents[1] / "data" / "segments"
PEOPLE = pl.DataFrame({"email": ["ana@example.com", "bob@example.com"], "zip": ["01234", "00501"]})


def _segment(path: Path, name: str = "seg") -> Segment:
    return inspect_path(path, name=name)


def _read(segment: Segment, columns: list[str] | None = None, **kw: Path) -> pl.DataFrame:
    with segment_read_errors(segment):
        return scan_segment(segment, columns, **kw).collect()


pytestmark = pytest.mark.usefixtures("private_home")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A private work folder for converted copies, so tests never touch the shared cache."""
    return tmp_path / "work"


def _write_hive(folder: Path) -> None:
    for zip_code, emails in (("01234", ["ana@example.com"]), ("00501", ["bob@example.com"])):
        part = folder / f"zip={zip_code}"
        part.mkdir(parents=True)
        pl.DataFrame({"email": emails, "n": [1]}).write_parquet(part / "part-00000.snappy.parquet")
        (part / ".part-00000.snappy.parquet.crc").write_bytes(b"crc")
    (folder / "_SUCCESS").touch()
    (folder / "_committed_123").write_text("{}")


# --- discovery ------------------------------------------------------------------------------


def test_discovery_names_formats_and_ignored_files(tmp_path: Path) -> None:
    folder = tmp_path / "segments"
    folder.mkdir()
    PEOPLE.write_csv(folder / "customers.csv")
    with gzip.open(folder / "vip.csv.gz", "wb") as stream:
        stream.write(PEOPLE.write_csv().encode())
    (folder / "Prix été 2024.tsv").write_text("email\tzip\na@b.co\t1\n")
    PEOPLE.write_ndjson(folder / "events.jsonl")
    PEOPLE.write_ndjson(folder / "export.json")
    (folder / "array.json").write_text('[{"email": "a@b.co"}]')
    (folder / ".hidden.csv").write_text("email\na@b.co\n")
    (folder / "_SUCCESS").touch()
    (folder / "notes.md").write_text("# notes\n")
    (folder / "archive").mkdir()
    PEOPLE.write_csv(folder / "archive" / "old.csv")

    found = find_segments(AppConfig(segments_dirs=(folder,)))

    assert {name: seg.format_label for name, seg in found.segments.items()} == {
        "customers": "csv",
        "vip": "csv.gz",
        "Prix-ete-2024": "tsv",
        "events": "ndjson",
        "export": "ndjson",
    }
    assert all(seg.origin == str(folder) for seg in found.segments.values())
    assert any("array.json" in warning for warning in found.warnings)
    vip = found.segments["vip"]
    assert vip.size_bytes == (folder / "vip.csv.gz").stat().st_size
    assert vip.modified_at.tzinfo is UTC
    assert_frame_equal(_read(vip), PEOPLE)


def test_files_that_make_the_same_name_are_listed_under_their_full_names(
    tmp_path: Path,
) -> None:
    PEOPLE.write_csv(tmp_path / "vip.csv")
    PEOPLE.write_parquet(tmp_path / "vip.parquet")
    (tmp_path / "vip.txt").write_text("email\na@b.co\n")
    config = AppConfig(segments_dirs=(tmp_path,))

    first = find_segments(config)

    assert {name: seg.path.name for name, seg in first.segments.items()} == {
        "vip.csv": "vip.csv",
        "vip.parquet": "vip.parquet",
        "vip.txt": "vip.txt",
    }
    assert "vip" not in first.segments  # nobody has the name they share
    assert "vip.csv" in first.problems["vip"] and "vip.parquet" in first.problems["vip"]
    assert "cc-tui segment add vip PATH" in first.problems["vip"]
    assert find_segments(config) == first


@pytest.mark.parametrize("newcomer", ["vip.csv", "vip", "VIP.txt"])
def test_a_file_added_later_never_takes_over_a_segments_name(tmp_path: Path, newcomer: str) -> None:
    # An export saved with segment "vip" (vip.parquet). Someone drops a file or a Spark output
    # folder that makes the same name next to it: the export must not send its people. Before,
    # the one sorted first took the name ("vip.csv" < "vip.parquet"; a folder "vip" too).
    PEOPLE.write_parquet(tmp_path / "vip.parquet")
    config = AppConfig(segments_dirs=(tmp_path,))
    assert find_segments(config).segments["vip"].path.name == "vip.parquet"
    others = pl.DataFrame({"email": ["stranger@example.com"]})
    if newcomer == "vip":
        (tmp_path / "vip").mkdir()
        others.write_csv(tmp_path / "vip" / "part-00000-0a1b.c000.csv", include_header=False)
    else:
        others.write_csv(tmp_path / newcomer)

    after = find_segments(config)

    if newcomer == "VIP.txt":  # another name altogether: the export keeps its segment
        assert after.segments["vip"].path.name == "vip.parquet"
        return
    assert "vip" not in after.segments
    assert "vip.parquet" in after.problems["vip"]
    assert after.segments["vip.parquet"].path.name == "vip.parquet"


def test_a_segment_that_cannot_be_read_still_holds_its_name_against_others(
    tmp_path: Path,
) -> None:
    os.mkfifo(tmp_path / "vip.parquet")  # never opened: a problem, yet it makes the name
    PEOPLE.write_csv(tmp_path / "vip.csv")
    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))
    assert set(found.segments) == {"vip.csv"}  # never "vip": the parquet may be mended later
    assert {"vip", "vip.parquet"} <= set(found.problems)


def test_the_same_file_name_in_two_segments_folders_is_no_segment_found(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        PEOPLE.write_csv(folder / "vip.csv")
    found = find_segments(AppConfig(segments_dirs=(first, second)))
    assert found.segments == {}
    assert str(first / "vip.csv") in found.problems["vip.csv"]
    assert "cc-tui segment add NAME PATH" in found.problems["vip.csv"]


def test_config_entry_wins_its_name_and_overrides_detection(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "dir", tmp_path / "other"
    folder.mkdir()
    elsewhere.mkdir()
    PEOPLE.write_csv(folder / "vip.csv")
    (folder / "latin.csv").write_bytes("email,name\nj@x.co,José\n".encode("latin-1"))
    PEOPLE.write_parquet(elsewhere / "vip.data")
    config = AppConfig(
        segments_dirs=(folder,),
        segments={
            "vip": SegmentSource("vip", elsewhere / "vip.data", format="parquet"),
            "names": SegmentSource("names", folder / "latin.csv", encoding="latin-1"),
        },
    )

    found = discover_segments(config)

    assert sorted(found) == ["names", "vip", "vip.csv"]  # latin.csv only under its entry
    assert found["vip"].origin == "config"
    assert found["vip"].format is SegmentFormat.PARQUET
    assert found["names"].encoding == "latin-1"
    assert _read(found["names"])["name"].to_list() == ["José"]


def test_config_delimiter_and_format_override_sniffing(tmp_path: Path) -> None:
    path = tmp_path / "odd.dat"
    path.write_text("email;zip|x\na@b.co;1|2\n")
    config = AppConfig(segments={"odd": SegmentSource("odd", path, format="csv", delimiter="|")})

    segment = discover_segments(config)["odd"]

    assert (segment.format, segment.delimiter) == (SegmentFormat.CSV, "|")
    assert _read(segment).columns == ["email;zip", "x"]


def test_missing_folders_and_entries_are_reported_not_raised(tmp_path: Path) -> None:
    config = AppConfig(
        segments_dirs=(tmp_path / "nope",),
        segments={"gone": SegmentSource("gone", tmp_path / "gone.csv")},
    )

    found = find_segments(config)

    assert found.segments == {}
    assert any("does not exist" in warning and "nope" in warning for warning in found.warnings)
    assert "gone" in found.problems
    with pytest.raises(InputError, match=r"segment 'gone' cannot be used.*gone\.csv"):
        found.require("gone")
    with pytest.raises(InputError, match=r"no segment named 'other'.*\[segments\.other\]"):
        found.require("other")


def test_parquet_folder_with_hive_partitions_is_one_segment(tmp_path: Path) -> None:
    folder = tmp_path / "customers.parquet"
    _write_hive(folder)
    parts = sorted(folder.rglob("*.snappy.parquet"))

    segment = discover_segments(AppConfig(segments_dirs=(tmp_path,)))["customers"]

    assert segment.format is SegmentFormat.PARQUET
    assert segment.size_bytes == sum(part.stat().st_size for part in parts)
    newest = max(part.stat().st_mtime_ns for part in parts)
    assert segment.modified_at == datetime.fromtimestamp(newest / 1e9, tz=UTC)
    frame = _read(segment).sort("email")
    assert frame.schema == pl.Schema({"email": pl.String, "n": pl.String, "zip": pl.String})
    assert frame["zip"].to_list() == ["01234", "00501"]  # partition values stay text
    assert count_rows(segment) == 2


def test_plain_subfolders_are_skipped_and_mixed_ones_are_problems(tmp_path: Path) -> None:
    (tmp_path / "mixed").mkdir()
    PEOPLE.write_parquet(tmp_path / "mixed" / "a.parquet")
    PEOPLE.write_csv(tmp_path / "mixed" / "b.csv")
    (tmp_path / "archive").mkdir()
    PEOPLE.write_csv(tmp_path / "archive" / "old.csv")

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))

    assert found.segments == {}
    assert "mixes part files of several formats" in found.problems["mixed"]
    assert any("archive" in w and "not a Spark part folder" in w for w in found.warnings)


def test_content_sniffing_when_the_extension_says_nothing(tmp_path: Path) -> None:
    PEOPLE.write_parquet(tmp_path / "columnar")
    with gzip.open(tmp_path / "packed.gz", "wb") as stream:
        stream.write(b"email|zip\nana@example.com|01234\nbob@example.com|00501\n")
    PEOPLE.write_ndjson(tmp_path / "lines.dat")
    (tmp_path / "tabs.txt").write_text("email\tzip\nana@example.com\t01234\n")
    (tmp_path / "binary.dat").write_bytes(b"\x00\x01\x02garbage")

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))
    kinds = {n: (s.format, s.gzip, s.delimiter) for n, s in found.segments.items()}

    assert kinds == {
        "columnar": (SegmentFormat.PARQUET, False, ""),
        "packed": (SegmentFormat.CSV, True, "|"),
        "lines": (SegmentFormat.NDJSON, False, ""),
        "tabs": (SegmentFormat.TSV, False, "\t"),
    }
    assert "binary.dat" in found.problems["binary"]  # looks like data: listed with its problem


def test_utf16_text_from_excel_is_recognised_by_its_bom(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("email\tname\r\nana@example.com\tZoë\r\n".encode("utf-16"))

    segment = _segment(path)

    assert (segment.encoding, segment.delimiter) == ("utf-16", "\t")
    assert _read(segment, work_dir=work).rows() == [("ana@example.com", "Zoë")]


# --- formats --------------------------------------------------------------------------------


def test_bom_crlf_quotes_and_empty_strings() -> None:
    raw = (DATA / "bom_crlf.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # the file kept its quirks

    frame = _read(_segment(DATA / "bom_crlf.csv"))

    expected = pl.DataFrame(
        {
            "email": ["ana@example.com", "bob@example.com", "carl@example.com", None],
            "first_name": ["Ana", 'Bob "the builder", Jr.', "multi\r\nline", None],
            "zip": ["01234", "00501", None, "99999"],
        }
    )
    assert_frame_equal(frame, expected)


@pytest.mark.parametrize(
    ("name", "delimiter", "fmt"),
    [
        ("semicolon.txt", ";", SegmentFormat.CSV),
        ("tabs.tsv", "\t", SegmentFormat.TSV),
        ("pipes.dat", "|", SegmentFormat.CSV),
    ],
)
def test_delimiters(name: str, delimiter: str, fmt: SegmentFormat) -> None:
    segment = _segment(DATA / name)

    assert (segment.delimiter, segment.format) == (delimiter, fmt)
    frame = _read(segment, ["email", "zip"])
    assert frame["zip"].to_list() == ["01234", "00501"]
    assert frame.schema == pl.Schema({"email": pl.String, "zip": pl.String})


def test_quoted_delimiter_inside_a_sniffed_file() -> None:
    frame = _read(_segment(DATA / "semicolon.txt"))

    assert frame.row(1) == ("bob;x@example.com", "Bob; Jr.", "00501")


def test_gzip_is_decompressed_into_the_work_folder(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "people.csv.gz"
    with gzip.open(path, "wb") as stream:
        stream.write(PEOPLE.write_csv().encode())
    segment = _segment(path)

    with prepare_segment(segment, work) as prepared:
        assert prepared.converted and prepared.source.parent == work
        assert_frame_equal(prepared.scan().collect(), PEOPLE)
    assert not prepared.source.exists()

    assert_frame_equal(_read(segment, work_dir=work), PEOPLE)
    assert count_rows(segment) == 2
    assert_frame_equal(preview(segment), PEOPLE)


def test_default_cache_is_private_and_under_the_home(tmp_path: Path, private_home: Path) -> None:
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(PEOPLE.write_csv().encode()))

    copy = prepare_segment(_segment(path)).source

    assert copy.parent == default_cache_dir() == AppPaths.resolve().cache_dir / "segments"
    assert copy.is_relative_to(private_home)
    for item in (copy.parent.parent, copy.parent):
        assert stat.S_IMODE(item.stat().st_mode) == 0o700
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600


def test_cache_folder_made_by_someone_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(PEOPLE.write_csv().encode()))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    default_cache_dir().parent.parent.mkdir(parents=True)
    default_cache_dir().parent.symlink_to(elsewhere)

    with pytest.raises(InputError, match="is not a private folder"):
        scan_segment(_segment(path))


def test_converted_copies_are_reused_and_replaced_when_the_file_changes(
    tmp_path: Path, work: Path
) -> None:
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(PEOPLE.write_csv().encode()))
    segment = _segment(path)

    first = prepare_segment(segment, work).source
    assert prepare_segment(segment, work).source == first
    path.write_bytes(gzip.compress(PEOPLE.head(1).write_csv().encode()))
    second = prepare_segment(segment, work).source

    assert second != first and not first.exists()
    assert _read(segment, work_dir=work).height == 1
    assert clear_segment_cache(work) == 1
    assert list(work.iterdir()) == []


def test_parquet_file_columns_become_text(tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    PEOPLE.with_columns(
        n=pl.Series([1, None]),
        tags=pl.Series([["a"], None]),
        address=pl.Series([{"city": "Zürich"}, None]),
        blank=pl.Series(["", "x"]),
    ).write_parquet(path)

    frame = _read(_segment(path))

    assert set(frame.schema.dtypes()) == {pl.String}
    assert frame.row(0) == ("ana@example.com", "01234", "1", '["a"]', '{"city":"Zürich"}', None)
    assert frame.row(1) == ("bob@example.com", "00501", None, None, None, "x")
    assert [c.dtype for c in segment_columns(_segment(path))][2:4] == ["Int64", "List(String)"]


def test_ndjson_nested_values_become_json_text() -> None:
    segment = _segment(DATA / "nested.ndjson")

    frame = _read(segment)

    assert frame.columns == ["email", "zip", "tags", "address", "score", "vip"]
    assert set(frame.schema.dtypes()) == {pl.String}
    assert frame["zip"].to_list() == ["01234", "00501", None]
    assert frame["email"].to_list() == ["ana@example.com", None, "carl@example.com"]
    assert json.loads(frame["address"][0]) == {"city": "Zürich", "zip": "8001"}
    assert json.loads(frame["tags"][0]) == ["a", "b"]
    assert frame["score"].to_list() == ["5", "1.5", None]
    assert count_rows(segment) == 3
    assert_frame_equal(preview(segment), frame)


def test_zip_codes_keep_leading_zeros_while_columns_show_inferred_types() -> None:
    segment = _segment(DATA / "tabs.tsv")

    assert _read(segment, ["zip"])["zip"].to_list() == ["01234", "00501"]
    assert segment_columns(segment) == [
        ColumnInfo("email", "String"),
        ColumnInfo("name", "String"),
        ColumnInfo("zip", "Int64"),
    ]


def test_a_type_guess_polars_cannot_parse_shows_the_column_as_text(tmp_path: Path) -> None:
    # Polars guesses "١٢٣" (Arabic-Indic digits) to be an integer, then refuses to parse it:
    # the whole segment was refused by segment add, for a type that is only shown.
    path = tmp_path / "people.csv"
    path.write_text("email,phone\na@b.co,123\nc@d.co,١٢٣\n", encoding="utf-8")
    segment = _segment(path)
    assert segment_columns(segment) == [
        ColumnInfo("email", "String"),
        ColumnInfo("phone", "String"),
    ]
    assert _read(segment, ["phone"])["phone"].to_list() == ["123", "١٢٣"]


# --- errors ---------------------------------------------------------------------------------


def test_missing_mapped_column_names_file_missing_and_existing_columns() -> None:
    segment = _segment(DATA / "tabs.tsv")

    with pytest.raises(InputError) as caught:
        scan_segment(segment, ["email", "EmailAddress", "Tier"])

    message = str(caught.value)
    assert "tabs.tsv" in message
    assert "'EmailAddress', 'Tier'" in message
    assert "'email', 'name', 'zip'" in message


@pytest.mark.parametrize("name", ["empty.csv", "empty.ndjson", "empty.parquet", "empty.csv.gz"])
def test_empty_file_is_a_clean_zero_row_segment(tmp_path: Path, work: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    segment = Segment(
        "empty",
        path,
        SegmentFormat(name.split(".")[1]),
        gzip=name.endswith(".gz"),
    )

    assert _read(segment, work_dir=work).shape == (0, 0)
    assert _read(segment, ["email"], work_dir=work).schema == pl.Schema({"email": pl.String})
    assert count_rows(segment) == 0
    assert preview(segment).shape == (0, 0)


def test_header_only_csv_has_columns_and_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("email,zip\n")
    segment = _segment(path)

    assert _read(segment).schema == pl.Schema({"email": pl.String, "zip": pl.String})
    assert _read(segment).height == 0
    assert count_rows(segment) == 0
    assert [c.name for c in segment_columns(segment)] == ["email", "zip"]


def test_non_utf8_file_names_file_place_and_fix_then_reads_with_its_encoding(
    tmp_path: Path, work: Path
) -> None:
    segment = _segment(DATA / "latin1.csv", name="people")

    with pytest.raises(InputError) as caught:
        _read(segment, ["email"])

    message = str(caught.value)
    assert "latin1.csv" in message
    assert "line 3" in message and "0xE9" in message
    assert "[segments.people]" in message and 'encoding = "cp1252"' in message
    assert f'path = "{(DATA / "latin1.csv").absolute()}"' in message
    with pytest.raises(InputError, match="line 3"):
        preview(segment)

    config = AppConfig(
        segments={"people": SegmentSource("people", DATA / "latin1.csv", encoding="latin-1")}
    )
    fixed = discover_segments(config)["people"]
    assert _read(fixed, ["first_name", "zip"], work_dir=work).rows() == [
        ("Ana", "01234"),
        ("José", "02134"),
        ("Zoë", "00000"),
    ]
    assert preview(fixed)["first_name"].to_list() == ["Ana", "José", "Zoë"]


def test_windows_1252_bytes_suggest_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_bytes(b"email,name\na@b.co,O\x92Brien\n")

    with pytest.raises(InputError, match='encoding = "cp1252"'):
        _read(_segment(path))


def test_invalid_byte_in_a_gzip_file_is_located_in_the_uncompressed_text(
    tmp_path: Path, work: Path
) -> None:
    path = tmp_path / "latin.csv.gz"
    path.write_bytes(gzip.compress((DATA / "latin1.csv").read_bytes()))

    with pytest.raises(InputError, match=r"latin\.csv\.gz.*of the uncompressed text \(line 3\)"):
        _read(_segment(path), work_dir=work)


def test_truncated_gzip_is_an_input_error(tmp_path: Path, work: Path) -> None:
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(gzip.compress(PEOPLE.write_csv().encode() * 2000)[:300])

    with pytest.raises(InputError, match=r"cut\.csv\.gz: cannot be read"):
        scan_segment(_segment(path), work_dir=work)


def test_vanished_file_is_an_input_error_with_the_os_reason(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    PEOPLE.write_csv(path)
    segment = _segment(path)
    path.unlink()

    for action in (scan_segment, count_rows, preview, fingerprint):
        with pytest.raises(InputError, match=r"people\.csv: cannot be read \(No such file"):
            action(segment)


def test_file_replaced_by_a_folder_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    PEOPLE.write_csv(path)
    segment = _segment(path)
    path.unlink()
    path.mkdir()

    with pytest.raises(InputError, match=r"people\.csv"):
        scan_segment(segment)


def test_os_errors_about_other_files_are_not_blamed_on_the_segment(tmp_path: Path) -> None:
    segment = _segment(DATA / "tabs.tsv")

    with pytest.raises(FileNotFoundError), segment_read_errors(segment):
        (tmp_path / "rejected" / "rows.csv").write_text("x")
    with pytest.raises(OSError, match="No space"), segment_read_errors(segment):
        raise OSError(28, "No space left on device")
    with (
        pytest.raises(InputError, match=r"tabs\.tsv: cannot be read"),
        segment_read_errors(segment),
    ):
        raise FileNotFoundError(2, "No such file or directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "secret.csv"
    PEOPLE.write_csv(path)
    segment = _segment(path)
    path.chmod(0)
    try:
        with pytest.raises(InputError, match="Permission denied"):
            scan_segment(segment)
    finally:
        path.chmod(0o600)


# --- counts, previews, fingerprints ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "tsv", "csv.gz", "parquet", "ndjson", "folder"])
def test_count_rows_matches_a_full_scan(tmp_path: Path, work: Path, fmt: str) -> None:
    rows = pl.DataFrame({"email": [f"p{i}@example.com" for i in range(1234)], "n": ["1"] * 1234})
    path = tmp_path / f"rows.{fmt}"
    if fmt in ("csv", "tsv"):
        rows.write_csv(path, separator="," if fmt == "csv" else "\t")
    elif fmt == "csv.gz":
        path.write_bytes(gzip.compress(rows.write_csv().encode()))
    elif fmt == "parquet":
        rows.write_parquet(path, row_group_size=100)
    elif fmt == "ndjson":
        path.write_text(rows.write_ndjson().replace("\n", "\n\n", 10))
    else:
        path.mkdir()
        rows.head(1000).write_parquet(path / "part-0.parquet")
        rows.tail(234).write_parquet(path / "part-1.parquet")
    segment = _segment(path)

    assert count_rows(segment) == _read(segment, work_dir=work).height == 1234


def test_preview_reads_only_the_start(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    good = "".join(f"p{i}@example.com,{i:05d}\n" for i in range(200_000))
    path.write_bytes(b"email,zip\n" + good.encode() + b"bad\xff,1\n")
    segment = _segment(path)

    frame = preview(segment, rows=5)

    assert frame.height == 5 and frame["zip"][0] == "00000"
    with pytest.raises(InputError, match="line 200,002"):
        _read(segment)  # the whole file does have a bad byte, far from the start


def test_fingerprint_round_trips_and_sees_touches_and_edits(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"email\n" + b"a@b.co\n" * 50_000)
    segment = _segment(path)
    before = fingerprint(segment)

    assert fingerprint(segment) == before
    assert SegmentFingerprint.from_dict(json.loads(json.dumps(before.to_dict()))) == before
    with pytest.raises(ValueError, match="not a segment fingerprint"):
        SegmentFingerprint.from_dict({"size_bytes": 1})

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    touched = fingerprint(segment)
    assert touched != before and touched.sha256 == before.sha256

    with path.open("r+b") as stream:  # same size, same mtime: only the content hash can tell
        stream.seek(-3, os.SEEK_END)
        stream.write(b"xx\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    edited = fingerprint(segment)
    assert edited.size_bytes == touched.size_bytes and edited.mtime_ns == touched.mtime_ns
    assert edited != touched


def test_folder_fingerprint_changes_when_a_part_is_added(tmp_path: Path) -> None:
    folder = tmp_path / "customers.parquet"
    _write_hive(folder)
    segment = _segment(folder)
    before = fingerprint(segment)

    PEOPLE.write_parquet(folder / "zip=01234" / "part-00001.snappy.parquet")

    assert fingerprint(segment) != before
    assert fingerprint(segment).size_bytes > before.size_bytes


def test_ndjson_count_across_chunk_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "many.ndjson"
    line = '{"email": "someone@example.com", "note": "' + "x" * 200 + '"}'
    lines = []
    for i in range(12_000):
        lines.append(line)
        if i % 7 == 0:
            lines.append("" if i % 2 else "  \t\r")
    path.write_text("\n".join(lines))  # no final line break
    assert path.stat().st_size > 2 * 1024 * 1024

    assert count_rows(_segment(path)) == 12_000
