"""Segments as they really arrive: Customer Insights CDM folders, Spark and Delta outputs."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cc_tui.engine.segments.copies import fingerprint
from cc_tui.engine.segments.discovery import find_segments
from cc_tui.engine.segments.inspection import inspect_all, inspect_path
from cc_tui.engine.segments.model import SegmentFormat
from cc_tui.engine.segments.reading import count_rows, preview, segment_columns
from cc_tui.errors import InputError
from cc_tui.models.config import AppConfig, SegmentSource
from tests.engine.conftest import read_segment
from tests.engine.segment_builders import (
    ACCOUNT_URL,
    CUSTOMER_ATTRIBUTES,
    NEWEST,
    OLDER,
    cdm_manifest_folder,
    customer_insights_folder,
    delta_table,
    spark_csv_folder,
    spark_parquet_folder,
)

COLUMNS = [name for name, _ in CUSTOMER_ATTRIBUTES]


pytestmark = pytest.mark.usefixtures("private_home")


def _expected(rows: list[tuple[str, ...]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=COLUMNS, orient="row")
    return frame.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in COLUMNS)


def _model(root: Path) -> dict[str, Any]:
    """The folder's model.json (JSON, so its values are of any type)."""
    model: dict[str, Any] = json.loads((root / "model.json").read_text())
    return model


def _save_model(root: Path, model: dict[str, Any]) -> None:
    (root / "model.json").write_text(json.dumps(model))


# --- Customer Insights (model.json) ---------------------------------------------------------


def test_customer_insights_folder_gives_one_segment_per_entity(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci-daily")

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))

    assert sorted(found.segments) == ["Customer", "VipSegment"]
    assert (found.problems, found.warnings) == ({}, ())
    customer = found.segments["Customer"]
    assert (customer.format, customer.storage, customer.entity) == (
        SegmentFormat.CDM,
        SegmentFormat.CSV,
        "Customer",
    )
    assert customer.path == export.root / "model.json"
    assert [p.relative_to(export.root).as_posix() for p in customer.files] == [
        f"Customer/{NEWEST}/Customer_1.snapshot.csv",
        f"Customer/{NEWEST}/Customer_2.snapshot.csv",
    ]
    assert (customer.snapshot, customer.snapshots) == (NEWEST, (OLDER, NEWEST))
    assert customer.size_bytes == sum(p.stat().st_size for p in customer.files)


def test_headerless_partitions_are_one_stream_and_keep_their_first_row(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci-daily")
    customer = inspect_path(export.root, name="customers", entity="Customer")

    frame = read_segment(customer)

    # Every row of both partitions, in order: quoted CRLF newlines, "" escapes and
    # non-ASCII kept; the first row of each headerless part is data, never a header.
    assert_frame_equal(frame, _expected(export.customer_rows))
    assert frame["LastName"][0] == 'O"Brien-0' and frame["FirstName"][1] == "José"
    assert frame["Note"][0] == "first line\r\nsecond, with comma 0"
    assert count_rows(customer) == len(export.customer_rows) == frame.height
    assert_frame_equal(preview(customer, 3), frame.head(3))
    assert [(c.name, c.dtype) for c in segment_columns(customer)] == list(CUSTOMER_ATTRIBUTES)


def test_older_snapshot_is_chosen_by_name(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci-daily")

    older = inspect_path(export.root, name="old", entity="Customer", snapshot="2026-11-28 06:00")

    assert older.snapshot == OLDER
    assert_frame_equal(read_segment(older), _expected(export.older_rows))
    assert "read from its folder" in older.notes[0]
    with pytest.raises(InputError, match=r"no snapshot 2026/11/27/0600.*2026/11/28/0600"):
        inspect_path(export.root, name="x", entity="Customer", snapshot="2026/11/27/0600")
    with pytest.raises(InputError, match="not a date and time"):
        inspect_path(export.root, name="x", entity="Customer", snapshot="yesterday")


def test_newest_complete_snapshot_wins_when_the_newest_is_incomplete(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci-daily")
    model = _model(export.root)
    base = f"{ACCOUNT_URL}/exports/ci-daily"
    customer = model["entities"][0]
    customer["partitions"].append(
        {
            **customer["partitions"][0],
            "location": f"{base}/Customer/{OLDER}/Customer_1.snapshot.csv",
        }
    )
    _save_model(export.root, model)
    (export.root / f"Customer/{NEWEST}/Customer_2.snapshot.csv").unlink()

    segment = inspect_path(export.root, name="c", entity="Customer")

    assert segment.snapshot == OLDER
    assert "snapshot 2026/11/29/0600 is incomplete" in segment.notes[0]
    assert read_segment(segment).height == len(export.older_rows)


def test_missing_partition_is_named_and_hides_no_other_entity(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci-daily")
    gone = export.root / f"Customer/{NEWEST}/Customer_2.snapshot.csv"
    gone.unlink()

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))

    assert list(found.segments) == ["VipSegment"]
    assert "missing 1 partition file(s)" in found.problems["Customer"]
    assert str(gone) in found.problems["Customer"]
    with pytest.raises(InputError, match=r"Customer_2\.snapshot\.csv"):
        inspect_path(export.root, name="c", entity="Customer")


def test_config_entry_needs_an_entity_when_the_folder_has_several(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci-daily")
    config = AppConfig(
        segments={
            "both": SegmentSource("both", export.root),
            "vip": SegmentSource("vip", export.root / "model.json", entity="VipSegment"),
            "nope": SegmentSource("nope", export.root, entity="Nobody"),
        }
    )

    found = find_segments(config)

    assert list(found.segments) == ["vip"]
    assert "several CDM entities (Customer, VipSegment)" in found.problems["both"]
    assert 'entity = "NAME" under [segments.both]' in found.problems["both"]
    assert "has no entity 'Nobody' (its entities: Customer, VipSegment)" in found.problems["nope"]
    assert read_segment(found.segments["vip"]).height == len(export.vip_rows)


def test_inspect_all_names_each_entity(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci-daily")

    found = inspect_all(export.root, name="ci")

    assert sorted(found.segments) == ["ci-Customer", "ci-VipSegment"]
    assert {s.entity for s in found.segments.values()} == {"Customer", "VipSegment"}
    assert sorted(inspect_all(export.root / "model.json").segments) == ["Customer", "VipSegment"]


def test_partition_locations_map_onto_the_local_copy(tmp_path: Path) -> None:
    root = tmp_path / "copy"
    export = customer_insights_folder(root)
    model = _model(root)
    parts = model["entities"][0]["partitions"]
    # Relative, abfss and percent-encoded spellings of the same files.
    parts[0]["location"] = f"Customer/{NEWEST}/Customer_1.snapshot.csv"
    parts[1]["location"] = (
        f"abfss://customerinsights@contosoci.dfs.core.windows.net/exports/ci-daily/Customer/"
        f"{NEWEST}/Customer_2.snapshot.csv"
    )
    renamed = root / f"VipSegment/{NEWEST}/Vip Segment 1.csv"
    (root / f"VipSegment/{NEWEST}/VipSegment_1.snapshot.csv").rename(renamed)
    model["entities"][1]["partitions"][0]["location"] = (
        f"{ACCOUNT_URL}/exports/ci-daily/VipSegment/{NEWEST}/Vip%20Segment%201.csv"
    )
    _save_model(root, model)

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))

    assert read_segment(found.segments["Customer"]).height == len(export.customer_rows)
    assert found.segments["VipSegment"].files == (renamed,)


def test_format_settings_are_honoured(tmp_path: Path) -> None:
    root = tmp_path / "cdm"
    (root / "People").mkdir(parents=True)
    # A header line, ";" between fields, no quoting (quotes are data), Windows-1252 text.
    (root / "People" / "part1.csv").write_bytes(
        'Mail;Name\nana@example.com;"Ana"\nbob@example.com;Bj\xf6rn\n'.encode("latin-1").replace(
            b"Bj\xc3\xb6rn", b"Bj\xf6rn"
        )
    )
    model = {
        "name": "m",
        "version": "1.0",
        "entities": [
            {
                "$type": "LocalEntity",
                "name": "People",
                "attributes": [
                    {"name": "Email", "dataType": "string"},
                    {"name": "Name", "dataType": "string"},
                ],
                "partitions": [
                    {
                        "name": "p1",
                        "location": "People/part1.csv",
                        "fileFormatSettings": {
                            "$type": "CsvFormatSettings",
                            "columnHeaders": True,
                            "delimiter": ";",
                            "quoteStyle": "QuoteStyle.None",
                            "csvStyle": "CsvStyle.QuoteAfterDelimiter",
                            "encoding": "windows-1252",
                        },
                    }
                ],
            },
            {"$type": "ReferenceEntity", "name": "Elsewhere", "source": "other"},
        ],
    }
    (root / "model.json").write_text(json.dumps(model))

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))
    people = found.segments["People"]

    assert (people.header, people.delimiter, people.quote, people.encoding) == (
        True,
        ";",
        "",
        "cp1252",
    )
    assert read_segment(people).rows() == [
        ("ana@example.com", '"Ana"'),
        ("bob@example.com", "Björn"),
    ]
    assert any("Elsewhere" in w and "ReferenceEntity" in w for w in found.warnings)


def test_unsupported_escape_is_refused_with_the_reason(tmp_path: Path) -> None:
    cdm_manifest_folder(tmp_path)
    manifest = json.loads((tmp_path / "default.manifest.cdm.json").read_text())
    for partition in manifest["entities"][0]["dataPartitions"]:
        partition["exhibitsTraits"][0]["arguments"][3]["value"] = "\\"
    (tmp_path / "default.manifest.cdm.json").write_text(json.dumps(manifest))

    with pytest.raises(InputError, match=r"escapes quotes with .*doubling them"):
        inspect_path(tmp_path, name="c")


# --- CDM manifests --------------------------------------------------------------------------


def test_manifest_folder_reads_entity_definitions_and_partitions(tmp_path: Path) -> None:
    rows = cdm_manifest_folder(tmp_path / "lake")

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))
    customer = found.segments["Customer"]

    assert customer.path == tmp_path / "lake" / "default.manifest.cdm.json"
    assert customer.columns == tuple(COLUMNS)
    assert_frame_equal(read_segment(customer), _expected(rows))
    assert [c.dtype for c in segment_columns(customer)][:2] == ["Guid", "String"]


def test_manifest_partition_patterns(tmp_path: Path) -> None:
    rows = cdm_manifest_folder(tmp_path)
    manifest = json.loads((tmp_path / "default.manifest.cdm.json").read_text())
    entity = manifest["entities"][0]
    trait = entity["dataPartitions"][0]["exhibitsTraits"]
    del entity["dataPartitions"]
    entity["dataPartitionPatterns"] = [
        {
            "name": "all",
            "rootLocation": "Customer",
            "globPattern": "/*.csv",
            "exhibitsTraits": trait,
        }
    ]
    (tmp_path / "default.manifest.cdm.json").write_text(json.dumps(manifest))
    (tmp_path / "Customer" / "notes.txt").write_text("not data")

    segment = inspect_path(tmp_path, name="c")

    assert len(segment.files) == 2
    assert read_segment(segment).height == len(rows)


def test_changed_metadata_changes_the_fingerprint(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci")
    segment = inspect_path(export.root, name="c", entity="Customer")
    before = fingerprint(segment)

    model = _model(export.root)
    model["modifiedTime"] = "2026-11-30T06:05:02Z"
    _save_model(export.root, model)

    assert fingerprint(segment) != before


# --- Spark, Databricks and Polars -----------------------------------------------------------


def test_spark_parquet_folder_unions_columns_across_parts(tmp_path: Path) -> None:
    folder = tmp_path / "spark_out"
    spark_parquet_folder(folder)

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))
    segment = found.segments["spark_out"]
    frame = read_segment(segment)

    assert (found.problems, found.warnings) == ({}, ())
    assert frame.columns == ["email", "first_name", "tier", "signup", "birthday", "tags", "score"]
    assert set(frame.schema.dtypes()) == {pl.String}
    assert frame.height == count_rows(segment) == 7
    assert frame["tier"].to_list() == [None, None, "3", "1", None, None, None]
    assert frame["signup"].to_list()[4:] == ["1995-05-11T00:00:00", "2024-01-02T03:04:05", None]
    assert frame["birthday"].to_list()[4:] == ["1990-02-03", None, "2000-12-31"]
    assert frame["tags"].to_list()[4:] == ['["vip"]', None, None]  # an empty list is no value
    assert frame["score"].to_list()[4:] == ["1", "2.5", "0.0000001"]
    columns = {c.name: c for c in segment_columns(segment)}
    assert not columns["tags"].mappable and "lists" in (columns["tags"].problem or "")
    assert columns["email"].mappable and columns["signup"].dtype.startswith("Datetime")
    assert_frame_equal(preview(segment, 3), frame.head(3))


def test_parts_that_disagree_on_a_type_are_read_as_text(tmp_path: Path) -> None:
    folder = tmp_path / "evolved"
    folder.mkdir()
    pl.DataFrame({"email": ["a@x.co"], "zip": [1234]}).write_parquet(folder / "part-0.parquet")
    pl.DataFrame({"email": ["b@x.co"], "zip": ["01234"]}).write_parquet(folder / "part-1.parquet")

    segment = inspect_path(folder, name="evolved")

    assert read_segment(segment).rows() == [("a@x.co", "1234"), ("b@x.co", "01234")]
    assert count_rows(segment) == 2


def test_spark_csv_folder_is_headerless_unless_told(tmp_path: Path) -> None:
    rows = [(f"p{i}@example.com", f"Name {i}") for i in range(7)]
    spark_csv_folder(tmp_path / "csv_out", rows)

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))
    segment = found.segments["csv_out"]

    assert (segment.format, segment.header, segment.columns) == (
        SegmentFormat.CSV,
        False,
        ("column_1", "column_2"),
    )
    assert "no header line" in segment.notes[0] and "columns = [...]" in segment.notes[0]
    assert read_segment(segment).rows() == rows  # the first row of each part is data
    assert count_rows(segment) == 7
    assert preview(segment, 2).rows() == rows[:2]

    named = inspect_path(tmp_path / "csv_out", name="n", columns=("email", "name"))
    assert read_segment(named, ["email"])["email"].to_list() == [email for email, _ in rows]
    spark_csv_folder(tmp_path / "with_header", rows, parts=3, header=True)
    with_header = inspect_path(tmp_path / "with_header", name="h", header=True)
    assert read_segment(with_header).rows() == rows
    wrongly = inspect_path(tmp_path / "csv_out", name="w", header=True)
    with pytest.raises(InputError, match="cannot be read as csv"):
        read_segment(wrongly)  # parts whose first lines differ are no header lines


def test_delta_table_reads_the_latest_version(tmp_path: Path) -> None:
    first, latest = delta_table(tmp_path / "customers_delta")

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))
    segment = found.segments["customers_delta"]
    frame = read_segment(segment)

    assert segment.format is SegmentFormat.DELTA and segment.format_label == "delta"
    assert frame.rows() == [
        ("new@example.com", "3", "2024-01-01"),
        ("fresh@example.com", "4", "2024-02-01"),
        ("NEW@example.com", "5", None),
    ]
    assert count_rows(segment) == latest.height
    assert [c.name for c in segment_columns(segment)] == ["email", "tier", "joined"]
    assert_frame_equal(preview(segment, 2), frame.head(2))
    assert first.height == 2


def test_broken_delta_table_is_a_clear_problem(tmp_path: Path) -> None:
    delta_table(tmp_path / "t")
    for part in (tmp_path / "t").glob("*.parquet"):
        part.unlink()
    segment = inspect_path(tmp_path / "t", name="t")

    with pytest.raises(InputError, match=r"cannot be read"):
        read_segment(segment)


def test_typed_values_become_text_constant_contact_understands(tmp_path: Path) -> None:
    path = tmp_path / "typed.parquet"
    pl.DataFrame(
        {
            "when": [datetime(2024, 3, 1, 23, 30, tzinfo=UTC), None],
            "day": [date(2024, 3, 1), None],
            "flag": [True, False],
            "whole": [3.0, -0.0],
            "big": [1e20, float("nan")],
            "price": pl.Series(["12.50", "3.00"]).cast(pl.Decimal(10, 2)),
            "count": [7, None],
        }
    ).with_columns(pl.col("when").dt.convert_time_zone("Europe/Paris")).write_parquet(path)

    frame = read_segment(inspect_path(path, name="typed"))

    assert frame.rows() == [
        ("2024-03-01T23:30:00", "2024-03-01", "true", "3", "100000000000000000000", "12.50", "7"),
        (None, None, "false", "0", None, "3.00", None),
    ]


def test_copied_cdm_folder_can_move(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "a")
    shutil.move(export.root, tmp_path / "b")

    segment = inspect_path(tmp_path / "b", name="c", entity="Customer")

    assert read_segment(segment).height == len(export.customer_rows)


# --- headerless and odd CSV files -----------------------------------------------------------


def test_headerless_file_with_named_columns_keeps_its_first_row(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("ana@example.com,Ana\nbob@example.com,Bob\n")
    config = AppConfig(
        segments={
            "named": SegmentSource("named", path, header=False, columns=("email", "name")),
            "unnamed": SegmentSource("unnamed", path, header=False),
        }
    )

    found = find_segments(config)
    named, unnamed = found.segments["named"], found.segments["unnamed"]

    assert read_segment(named).rows() == [("ana@example.com", "Ana"), ("bob@example.com", "Bob")]
    assert count_rows(named) == 2 and preview(named).height == 2
    assert [c.name for c in segment_columns(named)] == ["email", "name"]
    assert unnamed.columns == ("column_1", "column_2")
    assert "no header line" in unnamed.notes[0] and "[segments.unnamed]" in unnamed.notes[0]
    assert read_segment(unnamed, ["column_1"])["column_1"].to_list() == [
        "ana@example.com",
        "bob@example.com",
    ]


def test_quote_delimiter_and_encoding_options(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_bytes('email|name\n"ana@example.com"|O"Neil\nbob@example.com|Zo\xeb\n'.encode()
                     .replace(b"Zo\xc3\xab", b"Zo\xeb"))  # fmt: skip
    config = AppConfig(
        segments={
            "odd": SegmentSource("odd", path, delimiter="|", quote="", encoding="latin-1"),
        }
    )

    segment = find_segments(config).segments["odd"]

    assert (segment.delimiter, segment.quote, segment.encoding) == ("|", "", "latin-1")
    assert read_segment(segment).rows() == [
        ('"ana@example.com"', 'O"Neil'),
        ("bob@example.com", "Zoë"),
    ]
    assert preview(segment).rows() == read_segment(segment).rows()
    assert count_rows(segment) == 2


def test_gzipped_spark_csv_parts_are_read_through_the_cache(tmp_path: Path) -> None:
    rows = [(f"p{i}@example.com", f"Name {i}") for i in range(5)]
    folder = tmp_path / "gz_out"
    spark_csv_folder(folder, rows)
    for part in folder.glob("part-*.csv"):
        part.with_name(part.name + ".gz").write_bytes(gzip.compress(part.read_bytes()))
        part.unlink()

    segment = inspect_path(folder, name="gz", columns=("email", "name"))

    assert (segment.gzip, segment.header) == (True, False)
    assert read_segment(segment).rows() == rows
    assert count_rows(segment) == 5
