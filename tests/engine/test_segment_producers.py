"""Segments as producers really leave them, beyond the tidy case: empty parts, partitions
listed twice, header lines that disagree with the metadata, Hive's escaped folder values."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import gzip
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

from cc_tui.engine.segments.inspection import inspect_all, inspect_path
from cc_tui.engine.segments.reading import count_rows, preview, segment_columns
from cc_tui.errors import InputError
from tests.azurite import ACCOUNT, ACCOUNT_KEY, Azurite
from tests.engine.conftest import Workspace, read_segment
from tests.engine.segment_builders import (
    ACCOUNT_URL,
    CUSTOMER_ATTRIBUTES,
    NEWEST,
    customer_insights_folder,
    spark_csv_folder,
    spark_parquet_folder,
)
from tests.timing import FAST

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient

pytestmark = pytest.mark.usefixtures("private_home")

COLUMNS = [name for name, _ in CUSTOMER_ATTRIBUTES]


def _model(root: Path) -> dict[str, Any]:
    """model.json as parsed (JSON: its values are of any type)."""
    model: dict[str, Any] = json.loads((root / "model.json").read_text())
    return model


def _save_model(root: Path, model: dict[str, Any]) -> None:
    (root / "model.json").write_text(json.dumps(model))


def _storage(workspace: Workspace, azurite: Azurite, name: str, container: str) -> ContainerClient:
    """Storage connection ``name`` to Azurite's account, and its container ``container``
    (created if it is not there yet)."""
    from azure.core.exceptions import ResourceExistsError

    from cc_tui.engine.storage_connections import StorageService
    from cc_tui.models.storage import StorageAuth

    services = workspace.services
    StorageService(services.config, services.secrets, services.history, services.os_user).add(
        name, account=ACCOUNT, auth=StorageAuth.ACCOUNT_KEY, secret=ACCOUNT_KEY,
        endpoint=azurite.endpoint, replace=True,
    )  # fmt: skip
    with contextlib.suppress(ResourceExistsError):
        azurite.container(container)
    return azurite.client(container)


# --- Spark: a 0-byte part first ------------------------------------------------------------


def test_an_empty_first_part_does_not_decide_the_width_of_headerless_parts(
    tmp_path: Path,
) -> None:
    rows = [(f"p{i}@example.com", f"Name {i}") for i in range(5)]
    spark_csv_folder(tmp_path / "out", rows, empty_parts=1)

    segment = inspect_path(tmp_path / "out", name="out")

    assert segment.columns == ("column_1", "column_2")  # not one column from the empty part
    assert read_segment(segment).rows() == rows
    assert preview(segment, 2).rows() == rows[:2]


def test_an_empty_first_part_with_header_lines_in_the_others(tmp_path: Path) -> None:
    rows = [(f"p{i}@example.com", f"Name {i}") for i in range(5)]
    spark_csv_folder(tmp_path / "out", rows, header=True, empty_parts=1)

    segment = inspect_path(tmp_path / "out", name="out", header=True)

    assert read_segment(segment).rows() == rows
    assert preview(segment, 3).rows() == rows[:3]
    assert count_rows(segment) == len(rows)


def test_an_empty_first_partition_of_a_cdm_entity_is_not_its_preview(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci")
    model = _model(export.root)
    entity = model["entities"][0]
    empty = f"Customer/{NEWEST}/Customer_0.snapshot.csv"
    (export.root / empty).write_bytes(b"")
    first = dict(entity["partitions"][0], location=f"{ACCOUNT_URL}/exports/ci-daily/{empty}")
    entity["partitions"].insert(0, first)
    _save_model(export.root, model)

    segment = inspect_path(export.root, name="c", entity="Customer")

    assert len(segment.files) == 3
    assert preview(segment, 2)["Email"].to_list() == [row[1] for row in export.customer_rows[:2]]
    assert count_rows(segment) == len(export.customer_rows)


# --- CDM: a partition listed twice, a header line that disagrees -----------------------------


def test_a_partition_listed_twice_is_read_once(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci")
    model = _model(export.root)
    partitions = model["entities"][0]["partitions"]
    partitions.append(dict(partitions[0], name="Customer_1_again"))
    _save_model(export.root, model)

    segment = inspect_path(export.root, name="c", entity="Customer")

    assert len(segment.files) == 2
    assert any("more than once" in note for note in segment.notes)
    assert count_rows(segment) == len(export.customer_rows)
    emails = read_segment(segment, ["Email"])["Email"].to_list()
    assert emails == [row[1] for row in export.customer_rows]


def _with_header_lines(root: Path, header: list[str]) -> None:
    """Write a header line at the top of every partition and say so in model.json."""
    model = _model(root)
    for entity in model["entities"]:
        for partition in entity["partitions"]:
            partition["fileFormatSettings"]["columnHeaders"] = True
    _save_model(root, model)
    line = ",".join(f'"{name}"' for name in header).encode() + b"\r\n"
    for part in root.rglob("*.snapshot.csv"):
        part.write_bytes(line + part.read_bytes())


def test_partitions_with_header_lines_are_read_by_their_metadata(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci")
    _with_header_lines(export.root, [name.lower() for name in COLUMNS])  # case may differ

    segment = inspect_path(export.root, name="c", entity="Customer")

    assert segment.header
    assert count_rows(segment) == len(export.customer_rows)
    emails = read_segment(segment, ["Email"])["Email"].to_list()
    assert emails == [row[1] for row in export.customer_rows]


def test_a_header_line_that_disagrees_with_the_metadata_is_refused(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci")
    swapped = [COLUMNS[1], COLUMNS[0], *COLUMNS[2:]]  # Email first, CustomerId second
    _with_header_lines(export.root, swapped)

    with pytest.raises(InputError, match=r"Email is column 1, but model.json declares it as col"):
        inspect_path(export.root, name="c", entity="Customer")
    found = inspect_all(export.root)  # each entity is named with its problem
    assert set(found.problems) == {"Customer", "VipSegment"}
    assert "(CustomerId, Email, FirstName" in found.problems["Customer"]


# --- Spark / Hive partition folders ---------------------------------------------------------


def _hive_parquet_folder(folder: Path) -> None:
    """``df.write.partitionBy("country", "city").parquet(...)``: folder values escaped like a
    URL, a null value as ``__HIVE_DEFAULT_PARTITION__``."""
    partitions = {
        ("DE", "K%C3%B6ln"): ["koeln@example.com"],
        ("US", "New%20York"): ["ny@example.com"],
        ("__HIVE_DEFAULT_PARTITION__", "a%3Db%2Fc"): ["nowhere@example.com"],
    }
    for index, ((country, city), emails) in enumerate(partitions.items()):
        part = folder / f"country={country}" / f"city={city}"
        part.mkdir(parents=True)
        name = f"part-{index:05d}-{uuid.UUID(int=index)}.c000.snappy.parquet"
        pl.DataFrame({"email": emails}).write_parquet(part / name)
    (folder / "_SUCCESS").touch()


def test_hive_folder_values_are_unescaped_and_the_default_partition_is_null(
    tmp_path: Path,
) -> None:
    _hive_parquet_folder(tmp_path / "by_city")

    segment = inspect_path(tmp_path / "by_city", name="by_city")
    frame = read_segment(segment).sort("email")

    assert frame.rows() == [
        ("koeln@example.com", "DE", "Köln"),
        ("nowhere@example.com", None, "a=b/c"),
        ("ny@example.com", "US", "New York"),
    ]


def test_hive_folder_values_of_csv_parts(tmp_path: Path) -> None:
    folder = tmp_path / "csv_by_country"
    for index, country in enumerate(("FR", "__HIVE_DEFAULT_PARTITION__")):
        part = folder / f"country={country}"
        part.mkdir(parents=True)
        name = f"part-{index:05d}-{uuid.UUID(int=index)}.c000.csv"
        (part / name).write_text(f"p{index}@example.com\n")
    (folder / "_SUCCESS").touch()

    segment = inspect_path(folder, name="c", columns=("email",))

    assert read_segment(segment).sort("email").rows() == [
        ("p0@example.com", "FR"),
        ("p1@example.com", None),
    ]


# --- Delta tables in folders whose names need escaping --------------------------------------


@pytest.mark.parametrize("folder", ["Customer Exports/gold", "Kundenlisten für 2026/gold", "100%"])
def test_a_delta_table_in_a_folder_whose_name_needs_escaping_is_read(
    tmp_path: Path, folder: str
) -> None:
    from deltalake import DeltaTable, TableFeatures, write_deltalake

    table = tmp_path / folder / "customers"
    table.parent.mkdir(parents=True)
    first = pl.DataFrame({"email": ["ny@example.com", "koeln@example.com"]})
    write_deltalake(
        str(table), first.with_columns(city=pl.Series(["New York", "Köln"])), partition_by=["city"]
    )
    second = pl.DataFrame({"email": ["odd@example.com"], "city": ["a=b/c%d"]})
    write_deltalake(str(table), second, mode="append", partition_by=["city"])
    DeltaTable(str(table)).create_checkpoint()
    DeltaTable(str(table)).alter.add_feature(
        TableFeatures.DeletionVectors, allow_protocol_versions_increase=True
    )

    segment = inspect_path(table, name="customers")

    assert count_rows(segment) == 3
    assert read_segment(segment).sort("email").rows() == [
        ("koeln@example.com", "Köln"),
        ("ny@example.com", "New York"),
        ("odd@example.com", "a=b/c%d"),
    ]


def test_a_delta_table_in_a_folder_named_like_a_pattern_is_refused(tmp_path: Path) -> None:
    from deltalake import write_deltalake

    written = tmp_path / "exports" / "customers"
    written.parent.mkdir(parents=True)
    write_deltalake(str(written), pl.DataFrame({"email": ["a@example.com"]}))
    # delta-rs cannot write there itself; a copy of the folder can be anywhere.
    table = written.parent.rename(tmp_path / "exports [old]") / "customers"

    with pytest.raises(InputError, match=r"pattern character .*Fix: rename the folder"):
        inspect_path(table, name="customers")


# --- NDJSON from Windows tools ----------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_ndjson_with_a_utf8_byte_order_mark_is_read(tmp_path: Path, gz: bool) -> None:
    # PowerShell 5: ... | ConvertTo-Json -Compress | Out-File -Encoding utf8 (a BOM, CRLF).
    records = [{"email": "zoe@example.com", "name": "Zoë"}, {"email": "bob@example.com"}]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in records)
    data = codecs.BOM_UTF8 + text.encode("utf-8")
    path = tmp_path / ("people.ndjson.gz" if gz else "people.ndjson")
    path.write_bytes(gzip.compress(data) if gz else data)

    segment = inspect_path(path, name="people")

    assert [c.name for c in segment_columns(segment)] == ["email", "name"]
    assert count_rows(segment) == 2
    assert read_segment(segment).rows() == [("zoe@example.com", "Zoë"), ("bob@example.com", None)]
    assert preview(segment).rows() == [("zoe@example.com", "Zoë"), ("bob@example.com", None)]


# --- Dataverse (Azure Synapse Link): a column added to a table ------------------------------


def test_partitions_written_before_a_column_was_added_are_padded(tmp_path: Path) -> None:
    """Synapse Link appends a new attribute to model.json; partitions written before it have
    one field fewer on every row. Reading, the columns, the preview and the count agree."""
    root = tmp_path / "dataverse-contoso"
    older = '"1","ana@example.com","Ana"\r\n"2","bob@example.com","Bob"\r\n'
    newer = '"3","cy@example.com","Cy","2026-11-01T10:00:00.0000000Z"\r\n'
    for name, text in (("2026-10.csv", older), ("2026-11.csv", newer)):
        (root / "contact").mkdir(parents=True, exist_ok=True)
        (root / "contact" / name).write_text(text, encoding="utf-8")
    account = "https://contosodv.dfs.core.windows.net/dataverse-contoso"
    model = {
        "name": "cdm",
        "version": "1.0",
        "entities": [
            {
                "$type": "LocalEntity",
                "name": "contact",
                "attributes": [
                    {"name": "Id", "dataType": "guid"},
                    {"name": "emailaddress1", "dataType": "string"},
                    {"name": "firstname", "dataType": "string"},
                    {"name": "modifiedon", "dataType": "dateTime"},
                ],
                "partitions": [
                    {
                        "name": name.removesuffix(".csv"),
                        "location": f"{account}/contact/{name}",
                        "fileFormatSettings": {
                            "$type": "CsvFormatSettings",
                            "quoteStyle": "QuoteStyle.Csv",
                        },
                    }
                    for name in ("2026-10.csv", "2026-11.csv")
                ],
            }
        ],
    }
    (root / "model.json").write_text(json.dumps(model), encoding="utf-8")

    segment = inspect_path(root, name="contacts")

    expected = [
        ("1", "ana@example.com", "Ana", None),
        ("2", "bob@example.com", "Bob", None),
        ("3", "cy@example.com", "Cy", "2026-11-01T10:00:00.0000000Z"),
    ]
    assert read_segment(segment).rows() == expected
    assert preview(segment).rows() == expected[:2]
    assert [c.name for c in segment_columns(segment)] == [
        "Id",
        "emailaddress1",
        "firstname",
        "modifiedon",
    ]
    assert count_rows(segment) == 3


def test_a_headerless_file_given_more_names_than_it_has_fields(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("ana@example.com,Ana\nbob@example.com,Bob\n")

    segment = inspect_path(path, name="leads", header=False, columns=("email", "first", "last"))

    assert preview(segment).rows() == [
        ("ana@example.com", "Ana", None),
        ("bob@example.com", "Bob", None),
    ]
    assert read_segment(segment).rows() == preview(segment).rows()


# --- CSV made for Excel ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        (b"sep=;\r\nEmail;First\r\nana@example.com;Ana\r\nbob@example.com;Bob\r\n", ";"),
        (b"\xef\xbb\xbfSEP=,\nEmail,First\nana@example.com,Ana\nbob@example.com,Bob\n", ","),
        (b"sep=\t\nEmail\tFirst\nana@example.com\tAna\nbob@example.com\tBob\n", "\t"),
    ],
)
def test_excels_separator_line_is_no_row_and_names_the_delimiter(
    tmp_path: Path, data: bytes, delimiter: str
) -> None:
    path = tmp_path / "for-excel.csv"
    path.write_bytes(data)

    segment = inspect_path(path, name="for-excel")

    assert (segment.delimiter, segment.skip_lines) == (delimiter, 1)
    assert [c.name for c in segment_columns(segment)] == ["Email", "First"]
    expected = [("ana@example.com", "Ana"), ("bob@example.com", "Bob")]
    assert read_segment(segment).rows() == expected
    assert preview(segment).rows() == expected
    assert count_rows(segment) == 2
    gzipped = tmp_path / "for-excel.csv.gz"
    gzipped.write_bytes(gzip.compress(data))
    assert read_segment(inspect_path(gzipped, name="g")).rows() == expected


def test_a_separator_line_before_headerless_rows(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"sep=;\nana@example.com;Ana\nbob@example.com;Bob\n")

    segment = inspect_path(path, name="rows", header=False)

    assert segment.columns == ("column_1", "column_2")
    assert read_segment(segment).rows() == [("ana@example.com", "Ana"), ("bob@example.com", "Bob")]


# --- A quote that is never closed -------------------------------------------------------------


def _people(count: int) -> list[str]:
    return ["Email,First"] + [f"p{i}@example.com,Name {i}" for i in range(count)]


@pytest.mark.parametrize(
    "broken",
    [
        'p500@example.com,"Name 500',  # a quoted field never closed
        "p500@example.com,5'11\" tall",  # a quote inside an unquoted field (inches)
    ],
)
def test_a_quote_never_closed_is_named_with_its_line(tmp_path: Path, broken: str) -> None:
    lines = _people(1000)
    lines[501] = broken  # line 502 of the file
    path = tmp_path / "people.csv"
    path.write_text("\n".join(lines) + "\n")

    segment = inspect_path(path, name="people")

    with pytest.raises(InputError, match=r"people.csv: line 502: a field's quote") as caught:
        read_segment(segment, ["Email"])
    assert "quote = ''" in str(caught.value)


def test_a_small_file_with_a_quote_never_closed_is_refused_at_its_preview(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text('Email,First\nana@example.com,"Ana\nbob@example.com,Bob\n')

    segment = inspect_path(path, name="people")

    with pytest.raises(InputError, match=r"line 2: a field's quote"):
        preview(segment)  # not a preview of no rows


def test_the_part_with_a_quote_never_closed_is_named(tmp_path: Path) -> None:
    rows = [(f"p{i}@example.com", f"Name {i}") for i in range(400)]
    spark_csv_folder(tmp_path / "out", rows)
    second = sorted((tmp_path / "out").glob("part-00001-*.csv"))[0]
    text = second.read_text().splitlines()
    text[10] = text[10].replace("Name", '"Name')
    second.write_text("\n".join(text) + "\n")

    segment = inspect_path(tmp_path / "out", name="out", columns=("email", "name"))

    with pytest.raises(InputError, match=rf"{second.name}: line 11: a field's quote"):
        read_segment(segment)


# --- Header names as spreadsheets leave them --------------------------------------------------


def test_a_mapped_column_with_spaces_around_its_header_name_is_pointed_at(tmp_path: Path) -> None:
    from cc_tui.engine.mapping import mapping_problems
    from cc_tui.models.config import FieldMapping

    path = tmp_path / "edited-in-excel.csv"
    path.write_text(" Email ,FIRST NAME\nana@example.com,Ana\n")
    segment = inspect_path(path, name="edited")
    columns = [c.name for c in segment_columns(segment)]

    problems = mapping_problems(
        FieldMapping(email="Email", first_name="First Name"), {"edited": columns}
    )

    assert len(problems) == 1
    assert "its columns are: ' Email ', FIRST NAME." in problems[0]  # the spaces show
    assert "Did you mean ' Email ', 'FIRST NAME'?" in problems[0]


# --- The same, read in place from storage -----------------------------------------------------


def test_empty_and_repeated_partitions_and_hive_values_in_storage(
    workspace: Workspace, azurite: Azurite, tmp_path: Path
) -> None:

    from cc_tui.engine.run_options import RunOptions
    from cc_tui.engine.runner import ExportRunner
    from cc_tui.engine.segments.entries import make_source
    from cc_tui.models.run import RunStatus

    services = workspace.services
    container = _storage(workspace, azurite, "ci", "customerinsights")
    export = customer_insights_folder(tmp_path / "ci", customers=9, vips=3)
    model = _model(export.root)
    partitions = model["entities"][0]["partitions"]
    empty = f"Customer/{NEWEST}/Customer_0.snapshot.csv"
    (export.root / empty).write_bytes(b"")
    partitions.insert(0, dict(partitions[0], location=f"{ACCOUNT_URL}/exports/ci-daily/{empty}"))
    partitions.append(dict(partitions[1], name="listed again"))
    _save_model(export.root, model)
    azurite.upload_tree(container, export.root, "exports/ci-daily")
    _hive_parquet_folder(tmp_path / "by_city")
    azurite.upload_tree(container, tmp_path / "by_city", f"{tmp_path.name}/by_city")
    base = f"https://{ACCOUNT}.blob.core.windows.net/customerinsights"
    services.sources.add(make_source("customers", f"{base}/exports/ci-daily", entity="Customer"))
    services.sources.add(make_source("by_city", f"az://customerinsights/{tmp_path.name}/by_city"))
    workspace.add_export(segments=("customers",), email="Email", first_name="FirstName")
    workspace.add_export("cities", segments=("by_city",), city="city")

    runner = ExportRunner(services)
    options = RunOptions(max_batch_contacts=5, timing=FAST)
    customers = asyncio.run(runner.run("promo", options))
    cities = asyncio.run(runner.run("cities", options))

    assert customers.status is RunStatus.SUCCEEDED, customers
    assert customers.rows_read == len(export.customer_rows)  # the repeated partition once
    assert cities.status is RunStatus.SUCCEEDED, cities
    assert cities.rows_read == 3
    assert workspace.members() == export.customer_emails | {
        "koeln@example.com", "ny@example.com", "nowhere@example.com"
    }  # fmt: skip
    located = services.sources.check(
        make_source("c", f"{base}/exports/ci-daily", entity="Customer")
    )
    assert preview(located.segment, 2)["Email"].to_list() == [
        row[1] for row in export.customer_rows[:2]
    ]


# --- A Parquet part cut short -------------------------------------------------------------------


@pytest.mark.parametrize("kept", [0, 0.5])
def test_a_parquet_part_cut_short_is_named(tmp_path: Path, kept: float) -> None:
    """A copy of a Spark folder interrupted mid-file (azcopy, rsync): one part is 0 bytes, or
    lost its footer."""
    spark_parquet_folder(tmp_path / "out")
    part = sorted((tmp_path / "out").glob("part-00001-*.parquet"))[0]
    data = part.read_bytes()
    part.write_bytes(data[: int(len(data) * kept)])

    with pytest.raises(InputError, match=rf"{part.name}: is not a whole Parquet file") as caught:
        read_segment(inspect_path(tmp_path / "out", name="out"))
    assert "Fix: copy or export the data of out again" in str(caught.value)


# --- A header line read as a row ----------------------------------------------------------------


def test_a_header_line_read_as_a_row_is_pointed_out(tmp_path: Path) -> None:
    rows = [(f"p{i}@example.com", f"Name {i}") for i in range(6)]
    spark_csv_folder(tmp_path / "with_header", rows, header=True)  # option("header", True)
    spark_csv_folder(tmp_path / "plain", rows)

    told = inspect_path(tmp_path / "with_header", name="w")
    plain = inspect_path(tmp_path / "plain", name="p")

    assert any("first line (email, name) looks like a header" in n for n in told.notes)
    assert not any("looks like a header" in n for n in plain.notes)
    assert not any("looks like a header" in n for n in inspect_path(
        tmp_path / "with_header", name="h", header=True).notes)  # fmt: skip


def test_a_cdm_partition_with_a_header_its_metadata_does_not_declare(tmp_path: Path) -> None:
    export = customer_insights_folder(tmp_path / "ci")
    line = ",".join(f'"{name}"' for name in COLUMNS).encode() + b"\r\n"
    for part in export.root.rglob("Customer_1.snapshot.csv"):
        part.write_bytes(line + part.read_bytes())

    segment = inspect_path(export.root, name="c", entity="Customer")

    assert any("(CustomerId, Email, FirstName" in n and "--header" in n for n in segment.notes)
    plain = customer_insights_folder(tmp_path / "plain")
    assert not any(
        "looks like a header" in n
        for n in inspect_path(plain.root, name="c", entity="Customer").notes
    )


# --- NDJSON with a bad line deep in the file -----------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ('{"email": "p3000@example.com"', "is not JSON"),
        ("[1, 2]", "is a JSON list, not an object"),
        ('{"email": "p3000@example.com", "score": 1e400}', "is not JSON: the number 1e400"),
    ],
)
def test_a_bad_ndjson_line_past_the_sampled_lines_is_named(
    tmp_path: Path, bad: str, said: str
) -> None:
    lines = [json.dumps({"email": f"p{i}@example.com"}) for i in range(5000)]
    lines[3000] = bad  # far past the lines read to learn the keys
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")

    segment = inspect_path(path, name="events")

    with pytest.raises(InputError, match=rf"events.jsonl: line 3,001 {said}"):
        read_segment(segment)


def test_an_ndjson_file_cut_short_names_its_last_line(tmp_path: Path) -> None:
    text = "".join(json.dumps({"email": f"p{i}@example.com"}) + "\n" for i in range(3000))
    path = tmp_path / "events.ndjson.gz"
    path.write_bytes(gzip.compress(text[: len(text) - 9].encode()))  # a copy stopped short

    with pytest.raises(InputError, match=r"line 3,000 is not JSON"):
        read_segment(inspect_path(path, name="events"))


def test_partition_urls_are_decoded_in_storage_as_on_disk(
    workspace: Workspace, azurite: Azurite, tmp_path: Path
) -> None:
    """model.json names partitions by URL, so a folder with a space (an entity named after a
    segment "Spring Promo") is written %20 there; the blob's name has the space."""
    from urllib.parse import quote

    from cc_tui.engine.segments.entries import make_source

    services = workspace.services
    container = _storage(workspace, azurite, "ci", "customerinsights")
    export = customer_insights_folder(tmp_path / "ci", customers=6, vips=2)
    model = _model(export.root)
    for part in (export.root / "Customer").rglob("*.csv"):
        moved = export.root / "Spring Promo #2" / part.relative_to(export.root / "Customer")
        moved.parent.mkdir(parents=True, exist_ok=True)
        part.rename(moved)
    for partition in model["entities"][0]["partitions"]:
        head, _, tail = partition["location"].partition("/Customer/")
        partition["location"] = f"{head}/{quote('Spring Promo #2')}/{tail}"
    _save_model(export.root, model)
    prefix = f"{tmp_path.name}/exports/ci-daily"
    for entity in model["entities"]:  # each test's own copy: the URLs name its folder
        for partition in entity["partitions"]:
            partition["location"] = partition["location"].replace("exports/ci-daily", prefix)
    _save_model(export.root, model)
    azurite.upload_tree(container, export.root, prefix)
    base = f"https://{ACCOUNT}.blob.core.windows.net/customerinsights/{prefix}"

    remote = services.sources.check(make_source("c", base, entity="Customer")).segment
    local = inspect_path(export.root, name="c", entity="Customer")

    emails = [row[1] for row in export.customer_rows]
    assert read_segment(remote, ["Email"])["Email"].to_list() == emails
    assert read_segment(local, ["Email"])["Email"].to_list() == emails


@pytest.mark.parametrize("prefix", ["gold tables/customers", "Kunden für 2026/customers"])
def test_a_delta_table_in_storage_under_a_folder_whose_name_needs_escaping(
    workspace: Workspace, azurite: Azurite, tmp_path: Path, prefix: str
) -> None:
    from deltalake import write_deltalake

    from cc_tui.engine.segments.entries import make_source

    services = workspace.services
    lake = _storage(workspace, azurite, "lake", "lake")
    table = tmp_path / "customers"
    frame = pl.DataFrame(
        {"email": ["ny@example.com", "koeln@example.com"], "city": ["New York", "Köln"]}
    )
    write_deltalake(str(table), frame, partition_by=["city"])
    where = f"{tmp_path.name}/{prefix}"
    azurite.upload_tree(lake, table, where)

    segment = services.sources.check(make_source("t", f"az://lake/{where}")).segment

    assert read_segment(segment).sort("email").rows() == [
        ("koeln@example.com", "Köln"),
        ("ny@example.com", "New York"),
    ]
    assert count_rows(segment) == 2


def test_a_segments_folder_that_is_a_cdm_folder_reads_its_entities_without_warnings(
    tmp_path: Path,
) -> None:
    from cc_tui.engine.segments.discovery import find_segments
    from cc_tui.models.config import AppConfig

    export = customer_insights_folder(tmp_path / "ci")
    (export.root / "notes.csv.bak").write_text("stray")  # still ignored, without a word
    (export.root / "stray").mkdir()
    (export.root / "stray" / "a.csv").write_text("email\na@example.com\n")

    found = find_segments(AppConfig(segments_dirs=(export.root,)))

    assert sorted(found.segments) == ["Customer", "VipSegment"]
    assert [w for w in found.warnings if "/Customer:" in w or "/VipSegment:" in w] == []
    assert any("/stray:" in w for w in found.warnings)  # a folder of no entity is still named


def test_parquet_partitions_show_the_columns_they_hold(tmp_path: Path) -> None:
    """The columns of a CDM entity's Parquet partitions are the files' own (a writer may spell
    them otherwise than model.json's attributes): the ones shown are the ones read."""
    from cc_tui.engine.mapping import mapping_problems
    from cc_tui.models.config import FieldMapping

    root = tmp_path / "cdm"
    (root / "Customer").mkdir(parents=True)
    pl.DataFrame(
        {"customerid": ["1", "2"], "email": ["ana@example.com", "bob@example.com"]}
    ).write_parquet(root / "Customer" / "part-00000-a.c000.snappy.parquet")
    model = {
        "name": "m",
        "version": "1.0",
        "entities": [
            {
                "$type": "LocalEntity",
                "name": "Customer",
                "attributes": [
                    {"name": "CustomerId", "dataType": "string"},
                    {"name": "Email", "dataType": "string"},
                ],
                "partitions": [
                    {"name": "p", "location": "Customer/part-00000-a.c000.snappy.parquet"}
                ],
            }
        ],
    }
    (root / "model.json").write_text(json.dumps(model))

    segment = inspect_path(root, name="c")
    columns = [c.name for c in segment_columns(segment)]

    assert columns == ["customerid", "email"]
    assert read_segment(segment, ["email"])["email"].to_list() == [
        "ana@example.com",
        "bob@example.com",
    ]
    problems = mapping_problems(FieldMapping(email="Email"), {"c": columns})
    assert "Did you mean 'email'?" in problems[0]


# --- A workbook or ZIP where a CSV file was meant -------------------------------------------------


def test_a_workbook_or_zip_is_named_as_such(tmp_path: Path) -> None:
    import zipfile

    from cc_tui.engine.segments.discovery import find_segments
    from cc_tui.models.config import AppConfig

    book = tmp_path / "Customers.xlsx"
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    zipped = tmp_path / "customers.csv"  # a ZIP renamed, as mail gateways and users do
    zipped.write_bytes(book.read_bytes())

    with pytest.raises(InputError, match=r"Customers.xlsx: is a spreadsheet workbook.*CSV UTF-8"):
        inspect_path(book, name="b")
    with pytest.raises(InputError, match=r"customers.csv: is a ZIP archive.*unzip it"):
        inspect_path(zipped, name="z")
    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))
    assert any("Customers.xlsx: is a spreadsheet workbook" in w for w in found.warnings)
    assert "is a ZIP archive" in found.problems["customers"]


def test_quotes_escaped_with_a_backslash_as_spark_writes_them_are_named(tmp_path: Path) -> None:
    """Spark's CSV writer escapes a quote inside a quoted field as \\" unless told otherwise
    (option escape); with a delimiter inside such a field Polars cannot split the row."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "part-00000-a.c000.csv").write_text(
        "p0@example.com,Ana\n"
        'p1@example.com,"Smith \\"Jr, III\\" John"\n'  # Spark's df.write.csv(...)
        "p2@example.com,Bob\n"
    )
    (folder / "_SUCCESS").touch()

    with pytest.raises(InputError, match=r"line 2 escapes a quote with a backslash") as caught:
        inspect_path(folder, name="out", columns=("email", "name"))  # when it is added
    assert 'option("escape"' in str(caught.value)
    (folder / "part-00000-a.c000.csv").rename(folder / "part-00001-a.c000.csv")
    (folder / "part-00000-b.c000.csv").write_text("p3@example.com,Cy\n")  # its start is fine
    segment = inspect_path(folder, name="out", columns=("email", "name"))
    with pytest.raises(InputError, match=r"part-00001-a.c000.csv: line 2 escapes a quote"):
        read_segment(segment)  # when the run reads it
