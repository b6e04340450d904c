"""Folder formats as their producers really write them, second round: Delta tables from
Databricks (deletion vectors, column mapping, partition folders that keep their spaces),
Customer Insights CDM folders (model.json and manifests) and Spark Parquet folders."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

import polars as pl
import pytest

from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.reading import count_rows, preview, segment_columns
from cc_tui.engine.services import Services
from cc_tui.errors import EXIT_USAGE, InputError
from tests.azurite import ACCOUNT, ACCOUNT_KEY, Azurite
from tests.engine.conftest import Workspace, read_segment
from tests.engine.lake_builders import SparkDeltaTable, string_field
from tests.engine.segment_builders import (
    ACCOUNT_URL,
    NEWEST,
    OLDER,
    cdm_manifest_folder,
    customer_insights_folder,
)

pytestmark = pytest.mark.usefixtures("private_home")

_DV_PROTOCOL = {"minReaderVersion": 3, "minWriterVersion": 7,
                "readerFeatures": ["deletionVectors"],
                "writerFeatures": ["deletionVectors"]}  # fmt: skip


def _connected(workspace: Workspace, azurite: Azurite) -> Services:
    """The workspace's services, with a storage connection to Azurite's account."""
    from cc_tui.engine.storage_connections import StorageService
    from cc_tui.models.storage import StorageAuth

    services = workspace.services
    StorageService(services.config, services.secrets, services.history, services.os_user).add(
        "lake", account=ACCOUNT, auth=StorageAuth.ACCOUNT_KEY, secret=ACCOUNT_KEY,
        endpoint=azurite.endpoint, replace=True,
    )  # fmt: skip
    return services


def _people(start: int, count: int) -> pl.DataFrame:
    return pl.DataFrame({"email": [f"p{i}@example.com" for i in range(start, start + count)]})


# --- Delta: rows deleted with deletion vectors ------------------------------------------------


@pytest.mark.parametrize("country", ["United States", "Côte d'Ivoire", "FR"])
@pytest.mark.parametrize("inline", [False, True])
@pytest.mark.parametrize("root", ["gold", "Customer Exports/gold"])
def test_rows_deleted_by_a_deletion_vector_are_never_read(
    tmp_path: Path, country: str, inline: bool, root: str
) -> None:
    """DELETE FROM customers WHERE ... on Databricks, deletion vectors enabled: the file keeps
    the rows, its deletion vector says they are gone. Spark names partition folders with their
    spaces (country=United States/), the log names the file percent-encoded."""
    table = SparkDeltaTable(tmp_path / root / "customers")
    schema = [string_field("email"), string_field("country")]
    first = table.data_file(_people(0, 6), {"country": country})
    second = table.data_file(_people(6, 3), {"country": "DE"})
    table.commit(
        [*table.create(schema, partition_columns=["country"], protocol=_DV_PROTOCOL),
         first, second]
    )  # fmt: skip
    table.delete_rows(first["add"]["path"], [1, 4], inline=inline)

    segment = inspect_path(table.folder, name="customers")

    kept = [f"p{i}@example.com" for i in (0, 2, 3, 5, 6, 7, 8)]
    assert sorted(read_segment(segment)["email"].to_list()) == kept
    assert count_rows(segment) == len(kept)
    assert sorted(preview(segment, 20)["email"].to_list()) == kept


# --- Delta: column mapping, as Databricks turns it on ------------------------------------------


def test_a_table_with_column_mapping_by_reader_version_is_refused(tmp_path: Path) -> None:
    """ALTER TABLE ... SET TBLPROPERTIES ('delta.columnMapping.mode' = 'name') on Databricks
    before table features: reader version 2, no feature list. The files hold the columns under
    physical names (col-<uuid>); read by their logical names they would all be missing."""
    table = SparkDeltaTable(tmp_path / "renamed")
    physical = "col-5f422f40-de70-45b2-88ab-1d5c90e94db1"
    schema = [string_field("email", physical, 1)]
    create = table.create(
        schema,
        configuration={"delta.columnMapping.mode": "name", "delta.columnMapping.maxColumnId": "1"},
        protocol={"minReaderVersion": 2, "minWriterVersion": 5},
    )
    table.commit([*create, table.data_file(pl.DataFrame({physical: ["ana@example.com"]}))])

    with pytest.raises(InputError) as caught:
        inspect_path(table.folder, name="renamed")

    text = str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert "column mapping" in text and "delta.columnMapping.mode" in text and "Fix:" in text
    assert "context stack" not in text and "dataset scan" not in text


# --- CDM manifests: partition patterns as the CDM SDK matches them ----------------------------


def _pattern_manifest(root: Path, pattern: dict[str, str]) -> None:
    """Replace the manifest's listed partitions by one dataPartitionPattern under Customer/."""
    path = root / "default.manifest.cdm.json"
    manifest = json.loads(path.read_text())
    entity = manifest["entities"][0]
    trait = entity.pop("dataPartitions")[0]["exhibitsTraits"]
    entity["dataPartitionPatterns"] = [
        {"name": "Customer", "rootLocation": "Customer/", "exhibitsTraits": trait, **pattern}
    ]
    path.write_text(json.dumps(manifest))


_TOP = ["Customer_1.csv", "Customer_2.csv"]


@pytest.mark.parametrize(
    ("pattern", "read"),
    [
        ({"globPattern": "*.csv"}, _TOP),
        ({"globPattern": "/*.csv"}, _TOP),
        ({"globPattern": "**/*.csv"}, ["archive/2026-11-28/Customer_1.csv"]),  # the SDK's too
        ({"globPattern": "/**/2026-11-28/*.csv"}, ["archive/2026-11-28/Customer_1.csv"]),
        ({"globPattern": "**"}, [*_TOP, "archive/2026-11-28/Customer_1.csv"]),
        ({"regularExpression": "/Customer_[0-9]+\\.csv"}, _TOP),
    ],
)
def test_a_glob_pattern_matches_from_the_root_location_as_the_cdm_sdk_does(
    tmp_path: Path, pattern: dict[str, str], read: list[str]
) -> None:
    """The CDM SDK anchors a glob at the pattern's rootLocation (``*.csv`` is the files right
    under it, ``**/`` any depth): an archived copy in a sub-folder is no partition of it."""
    cdm_manifest_folder(tmp_path)
    archive = tmp_path / "Customer" / "archive" / "2026-11-28"
    archive.mkdir(parents=True)
    (archive / "Customer_1.csv").write_bytes(
        (tmp_path / "Customer" / "Customer_1.csv").read_bytes()
    )
    _pattern_manifest(tmp_path, pattern)

    segment = inspect_path(tmp_path, name="c")

    relative = [path.relative_to(tmp_path / "Customer").as_posix() for path in segment.files]
    assert relative == read


# --- Spark on Databricks: DBIO transactional commits -----------------------------------------


def _dbio_part(folder: Path, index: int, tid: int, emails: list[str]) -> str:
    """A part file as Databricks names it under DBIO commit: its job's transaction id in it."""
    task = f"{uuid.UUID(int=abs(tid) + index)}-{index + 1}-1"
    name = f"part-{index:05d}-tid-{tid}-{task}-c000.snappy.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"email": emails}).write_parquet(folder / name)
    return name


def _dbio_commit(folder: Path, tid: int, added: list[str], removed: Sequence[str] = ()) -> None:
    (folder / f"_committed_{tid}").write_text(
        json.dumps({"added": added, "removed": list(removed)})
    )


def test_parts_a_databricks_job_never_committed_are_not_read(tmp_path: Path) -> None:
    """df.write.mode("overwrite").parquet(...) on Databricks, three times: a job that
    committed, one whose task was retried (the failed attempt's part stays), and one that
    failed before it committed (its _started_ marker and parts stay until VACUUM). Databricks
    reads only what each _committed_<tid> lists; so must cc-tui."""
    folder = tmp_path / "vip_customers"
    first, retried, failed = 4316587349217530537, -5190436628571901234, 6023714512398765432
    old = _dbio_part(folder, 0, first, ["old@example.com"])
    (folder / f"_started_{first}").touch()
    _dbio_commit(folder, first, [old])
    kept = [_dbio_part(folder, 0, retried, ["ana@example.com", "bob@example.com"]),
            _dbio_part(folder, 1, retried, ["cy@example.com"])]  # fmt: skip
    _dbio_part(folder, 2, retried, ["attempt@example.com"])  # the failed attempt of a task
    (folder / f"_started_{retried}").touch()
    _dbio_commit(folder, retried, kept, removed=[old])  # the overwrite removed the old part
    _dbio_part(folder, 0, failed, ["half@example.com"])
    (folder / f"_started_{failed}").touch()  # never committed
    (folder / "_SUCCESS").touch()

    segment = inspect_path(folder, name="vip")

    assert sorted(read_segment(segment)["email"].to_list()) == [
        "ana@example.com", "bob@example.com", "cy@example.com"
    ]  # fmt: skip
    assert count_rows(segment) == 3
    assert any(str(failed) in note and "never committed" in note for note in segment.notes)


# --- Spark Parquet parts whose column names differ in case -------------------------------------


def test_parquet_parts_that_spell_a_column_in_other_cases_are_refused(tmp_path: Path) -> None:
    """Spark matches column names whatever their case (spark.sql.caseSensitive is false), so a
    job whose query said Email one day and email the next appends parts that Spark reads as
    one column. Read by exact name, half the rows would have no e-mail address."""
    folder = tmp_path / "newsletter"
    folder.mkdir()
    pl.DataFrame({"Email": ["ana@example.com"], "Name": ["Ana"]}).write_parquet(
        folder / "part-00000-a.c000.snappy.parquet"
    )
    pl.DataFrame({"email": ["bob@example.com"], "Name": ["Bob"]}).write_parquet(
        folder / "part-00001-b.c000.snappy.parquet"
    )
    (folder / "_SUCCESS").touch()
    segment = inspect_path(folder, name="newsletter")

    for read in (lambda: segment_columns(segment), lambda: read_segment(segment, ["Email"])):
        with pytest.raises(InputError) as caught:
            read()
        text = str(caught.value)
        assert caught.value.exit_code == EXIT_USAGE
        assert "'Email' (part-00000-a.c000.snappy.parquet)" in text
        assert "'email' (part-00001-b.c000.snappy.parquet)" in text and "Fix:" in text


# --- CDM: partitions whose rows hold more fields than the metadata declares ---------------------


def test_headerless_partitions_wider_than_the_declared_attributes_are_refused(
    tmp_path: Path,
) -> None:
    """A model.json left from an earlier export (or hand-edited) that declares fewer attributes
    than the partitions hold: the columns are named by position, so Email would name the
    customer id and the e-mail addresses would be cut off."""
    root = tmp_path / "ci"
    (root / "Seg").mkdir(parents=True)
    (root / "Seg" / "Seg_1.csv").write_bytes(
        b'"7f1c","ana@example.com","Ana"\r\n"9a2b","bob@example.com","Bob"\r\n'
    )
    model = {
        "application": "Dynamics 365 Customer Insights", "name": "cdm", "version": "1.0",
        "culture": "en-US", "modifiedTime": "2026-11-29T06:05:02.4127Z",
        "entities": [{
            "$type": "LocalEntity", "name": "Seg",
            "attributes": [{"name": "Email", "dataType": "string"},
                           {"name": "FirstName", "dataType": "string"}],
            "partitions": [{
                "name": "Seg_1", "refreshTime": "2026-11-29T06:04:31.8231Z",
                "location": "https://contosoci.dfs.core.windows.net/ci/Seg/Seg_1.csv",
                "fileFormatSettings": {"$type": "CsvFormatSettings", "columnHeaders": False,
                                       "delimiter": ",", "quoteStyle": "QuoteStyle.Csv",
                                       "csvStyle": "CsvStyle.QuoteAlways", "encoding": "UTF-8"},
            }],
        }],
    }  # fmt: skip
    (root / "model.json").write_text(json.dumps(model))

    with pytest.raises(InputError) as caught:
        inspect_path(root, name="seg")

    text = str(caught.value)
    assert "Seg_1.csv" in text and "3 fields" in text and "2 attributes" in text
    assert "(Email, FirstName)" in text and "Fix:" in text
    trailing = root / "Seg" / "Seg_1.csv"  # an empty field after a trailing delimiter is fine
    trailing.write_bytes(b'"ana@example.com","Ana",\r\n"bob@example.com","Bob",\r\n')
    segment = inspect_path(root, name="seg")
    assert read_segment(segment).rows() == [("ana@example.com", "Ana"), ("bob@example.com", "Bob")]


# --- CDM: a root manifest that lists sub-manifests ---------------------------------------------


def test_entities_of_sub_manifests_are_read(tmp_path: Path) -> None:
    """Dynamics 365 Finance and Operations' export to Data Lake (and the CDM SDK's
    saveAsAsync of a manifest with sub-manifests) write a root manifest whose subManifests
    each name a manifest in a sub-folder, where the entities are declared."""
    rows = cdm_manifest_folder(tmp_path / "Tables" / "Customers")
    root = {
        "jsonSchemaSemanticVersion": "1.0.0",
        "manifestName": "Tables",
        "entities": [],
        "subManifests": [
            {"manifestName": "Customers",
             "definition": "local:/Tables/Customers/default.manifest.cdm.json"}
        ],
    }  # fmt: skip
    (tmp_path / "Tables.manifest.cdm.json").write_text(json.dumps(root))

    segment = inspect_path(tmp_path, name="c")

    assert segment.entity == "Customer"
    assert read_segment(segment, ["Email"])["Email"].to_list() == [row[1] for row in rows]


# --- CDM: incremental partitions (upserts and deletes) -----------------------------------------


@pytest.mark.parametrize("where", ["incrementalPartitionPatterns", "incrementalPartitions"])
def test_an_entity_with_incremental_partitions_is_refused(tmp_path: Path, where: str) -> None:
    """CDM 1.6 incremental data (as Customer Insights ingests it): Upserts and Deletes folders
    beside the full data. The full data alone still holds the people a Deletes partition
    removed, so reading it would export them."""
    cdm_manifest_folder(tmp_path)
    path = tmp_path / "default.manifest.cdm.json"
    manifest = json.loads(path.read_text())
    entity = manifest["entities"][0]
    trait = {
        "traitReference": "is.partition.incremental",
        "arguments": [{"name": "type", "value": "Delete"}],
    }
    deletes = tmp_path / "Customer" / "IncrementalData" / "2026" / "11" / "29" / "06" / "Deletes"
    deletes.mkdir(parents=True)
    (deletes / "1.csv").write_text('"00000000-0000-0000-0000-000000000001"\r\n')
    relative = "Customer/IncrementalData/2026/11/29/06/Deletes/1.csv"
    if where == "incrementalPartitions":
        entity[where] = [{"location": relative, "exhibitsTraits": [trait]}]
    else:
        pattern = {"name": "Deletes", "rootLocation": "Customer/IncrementalData"}
        entity[where] = [dict(pattern, globPattern="/**/Deletes/*.csv", exhibitsTraits=[trait])]
    path.write_text(json.dumps(manifest))

    with pytest.raises(InputError) as caught:
        inspect_path(tmp_path, name="c")

    text = str(caught.value)
    assert "'Customer'" in text and "incremental" in text and "Delete" in text
    assert "Fix:" in text


# --- Parquet folders whose files also hold their partition column ------------------------------


def test_a_partition_column_the_files_hold_too_is_one_column(tmp_path: Path) -> None:
    """Polars' write_parquet(partition_by=...) (and pandas, DuckDB's COPY ... PARTITION_BY with
    WRITE_PARTITION_COLUMNS) keep the column in the files as well as in the folder names."""
    folder = tmp_path / "by_country"
    frame = pl.DataFrame({"email": ["ana@example.com", "bob@example.com"], "country": ["FR", None]})
    frame.write_parquet(folder, partition_by="country")

    segment = inspect_path(folder, name="by_country")

    assert [column.name for column in segment_columns(segment)] == ["email", "country"]
    assert sorted(read_segment(segment).rows(), key=str) == [
        ("ana@example.com", "FR"), ("bob@example.com", None)
    ]  # fmt: skip


@pytest.mark.parametrize("country", ["United States", "Côte d'Ivoire", "FR"])
def test_rows_deleted_by_a_deletion_vector_in_storage_are_never_read(
    workspace: Workspace, azurite: Azurite, tmp_path: Path, container_name: str, country: str
) -> None:
    """The same Databricks table, read in place from a Data Lake container (where, before,
    a partition folder with a space was not found: the files looked vacuumed)."""
    from cc_tui.engine.segments.entries import make_source

    services = _connected(workspace, azurite)
    container = azurite.container(container_name)
    table = SparkDeltaTable(tmp_path / "customers")
    first = table.data_file(_people(0, 6), {"country": country})
    create = table.create(
        [string_field("email"), string_field("country")],
        partition_columns=["country"],
        protocol=_DV_PROTOCOL,
    )
    table.commit([*create, first])
    table.delete_rows(first["add"]["path"], [0, 5])
    azurite.upload_tree(container, table.folder, "gold/customers")
    where = f"abfss://{container_name}@{ACCOUNT}.dfs.core.windows.net/gold/customers"

    segment = services.sources.check(make_source("customers", where)).segment

    kept = [f"p{i}@example.com" for i in range(1, 5)]
    assert sorted(read_segment(segment)["email"].to_list()) == kept
    assert count_rows(segment) == len(kept)


def test_deletion_vectors_of_a_table_in_storage_under_a_folder_with_a_space_are_refused(
    workspace: Workspace, azurite: Azurite, tmp_path: Path, container_name: str
) -> None:
    """delta-rs looks for the deletion vector files of such a table under a name encoded
    twice and does not find them: the table is refused, never read without its vectors."""
    from cc_tui.engine.segments.entries import make_source

    services = _connected(workspace, azurite)
    table = SparkDeltaTable(tmp_path / "customers")
    first = table.data_file(_people(0, 3))
    table.commit([*table.create([string_field("email")], protocol=_DV_PROTOCOL), first])
    table.delete_rows(first["add"]["path"], [1])
    azurite.upload_tree(azurite.container(container_name), table.folder, "gold tables/customers")
    where = f"abfss://{container_name}@{ACCOUNT}.dfs.core.windows.net/gold tables/customers"

    with pytest.raises(InputError) as caught:  # when it is added: its preview reads it
        services.sources.check(make_source("customers", where))

    assert caught.value.exit_code == EXIT_USAGE
    assert "deletion_vector_" in str(caught.value)


# --- A folder inside a Delta table, or holding one, read as Parquet ------------------------------


def test_a_folder_inside_or_holding_a_delta_table_is_not_read_as_parquet(tmp_path: Path) -> None:
    """The Parquet files of a Delta table are those of every version: a file a DELETE or an
    overwrite removed stays until VACUUM. Pointed at one of its partition folders (to export
    only one country), at the folder above it or at one of its files, cc-tui must not read
    them as plain Parquet."""
    table = SparkDeltaTable(tmp_path / "lake" / "customers")
    schema = [string_field("email"), string_field("country")]
    old = table.data_file(_people(0, 2), {"country": "US"})
    table.commit([*table.create(schema, partition_columns=["country"]), old])
    new = table.data_file(_people(2, 2), {"country": "US"})
    removed = {"remove": {"path": old["add"]["path"], "deletionTimestamp": 1, "dataChange": True}}
    table.commit([removed, new], operation="DELETE")

    part = table.folder / unquote(new["add"]["path"])
    for inside in (table.folder / "country=US", tmp_path / "lake", part):
        with pytest.raises(InputError) as caught:
            inspect_path(inside, name="us")
        text = str(caught.value)
        assert caught.value.exit_code == EXIT_USAGE
        assert f"Delta Lake table {table.folder}" in text and "Fix:" in text
    assert sorted(read_segment(inspect_path(table.folder, name="t"))["email"].to_list()) == [
        "p2@example.com", "p3@example.com"
    ]  # fmt: skip


def test_partitions_whose_header_names_more_columns_than_declared_are_refused(
    tmp_path: Path,
) -> None:
    """The same with header lines (columnHeaders true): a header wider than the attributes
    (before, refused only when read, with Polars' words about new_columns)."""
    root = tmp_path / "ci"
    (root / "Seg").mkdir(parents=True)
    part = root / "Seg" / "Seg_1.csv"
    part.write_bytes(b'"Id","Mail","First"\r\n"7f1c","ana@example.com","Ana"\r\n')
    settings = {"$type": "CsvFormatSettings", "columnHeaders": True, "delimiter": ",",
                "quoteStyle": "QuoteStyle.Csv", "encoding": "UTF-8"}  # fmt: skip
    model = {
        "name": "cdm", "version": "1.0",
        "entities": [{
            "$type": "LocalEntity", "name": "Seg",
            "attributes": [{"name": "Email", "dataType": "string"},
                           {"name": "FirstName", "dataType": "string"}],
            "partitions": [{"name": "Seg_1", "location": "Seg/Seg_1.csv",
                            "fileFormatSettings": settings}],
        }],
    }  # fmt: skip
    (root / "model.json").write_text(json.dumps(model))

    with pytest.raises(InputError) as caught:
        inspect_path(root, name="seg")

    text = str(caught.value)
    assert "Seg_1.csv" in text and "3 columns" in text and "(Email, FirstName)" in text
    part.write_bytes(b'"Mail","First"\r\n"ana@example.com","Ana"\r\n')  # spelt otherwise
    assert read_segment(inspect_path(root, name="seg")).rows() == [("ana@example.com", "Ana")]


def test_a_pattern_root_location_given_as_a_full_url_is_found_in_a_copy(tmp_path: Path) -> None:
    """A rootLocation may be the folder's full URL, as partitions' locations are: in a local
    copy of just the export folder, it is found the way a partition's location is."""
    rows = cdm_manifest_folder(tmp_path)
    url = "https://contosoci.dfs.core.windows.net/customerinsights/exports/lake/Customer/"
    _pattern_manifest(tmp_path, {"globPattern": "*.csv"})
    path = tmp_path / "default.manifest.cdm.json"
    manifest = json.loads(path.read_text())
    manifest["entities"][0]["dataPartitionPatterns"][0]["rootLocation"] = url
    path.write_text(json.dumps(manifest))

    segment = inspect_path(tmp_path, name="c")

    assert read_segment(segment, ["Email"])["Email"].to_list() == [row[1] for row in rows]


@pytest.mark.parametrize("markers_in", ["partition folders", "top folder"])
def test_committed_parts_in_hive_folders_are_all_read(tmp_path: Path, markers_in: str) -> None:
    """partitionBy("country") under DBIO: the markers of each partition folder (or of the top
    folder, naming its files by their path from there) list what the job committed."""
    folder = tmp_path / "by_country"
    tid = 7310020480011223344
    names = {}
    for index, country in enumerate(("DE", "US")):
        where = folder / f"country={country}"
        names[where] = _dbio_part(where, index, tid, [f"{country.lower()}@example.com"])
        if markers_in == "partition folders":
            (where / f"_started_{tid}").touch()
            _dbio_commit(where, tid, [names[where]])
    if markers_in == "top folder":
        (folder / f"_started_{tid}").touch()
        _dbio_commit(folder, tid, [f"{w.name}/{n}" for w, n in names.items()])
    _dbio_part(folder / "country=US", 5, 9999, ["stray@example.com"])  # another job, no marker
    (folder / "_SUCCESS").touch()

    segment = inspect_path(folder, name="by_country")

    assert sorted(read_segment(segment)["email"].to_list()) == [
        "de@example.com", "stray@example.com", "us@example.com"
    ]  # fmt: skip


def test_older_snapshots_the_model_lists_too_are_named_when_left_out(tmp_path: Path) -> None:
    """A model.json that lists the partitions of two dated snapshots (an export folder
    merged by hand, or a writer that appends): only the newest is read, and the notes say so."""
    export = customer_insights_folder(tmp_path / "ci")
    path = export.root / "model.json"
    model = json.loads(path.read_text())
    partitions = model["entities"][0]["partitions"]
    older = dict(partitions[0], location=f"{ACCOUNT_URL}/exports/ci-daily/Customer/{OLDER}/"
                 "Customer_1.snapshot.csv")  # fmt: skip
    partitions.append(older)
    path.write_text(json.dumps(model))

    segment = inspect_path(export.root, name="c", entity="Customer")

    assert segment.snapshot == NEWEST
    assert count_rows(segment) == len(export.customer_rows)
    assert any(f"older snapshot(s) {OLDER} (1 file(s))" in note for note in segment.notes)


def test_a_databricks_reader_feature_is_named_with_how_to_drop_it(tmp_path: Path) -> None:
    """Databricks tables made with liquid clustering or predictive optimisation carry reader
    features (v2Checkpoint, vacuumProtocolCheck) that Polars' reader refuses."""
    table = SparkDeltaTable(tmp_path / "clustered")
    protocol = {"minReaderVersion": 3, "minWriterVersion": 7,
                "readerFeatures": ["deletionVectors", "v2Checkpoint"],
                "writerFeatures": ["deletionVectors", "v2Checkpoint", "clustering"]}  # fmt: skip
    create = table.create([string_field("email")], protocol=protocol)
    table.commit([*create, table.data_file(_people(0, 2))])

    with pytest.raises(InputError) as caught:
        inspect_path(table.folder, name="clustered")

    text = str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert "v2Checkpoint" in text and "DROP FEATURE v2Checkpoint" in text


def test_column_mapping_under_a_protocol_that_does_not_say_so_is_refused(tmp_path: Path) -> None:
    """A table whose metadata maps columns to physical names while its protocol asks readers
    for nothing (written by a tool that set the property without raising the protocol):
    read by logical names, every value would be missing."""
    table = SparkDeltaTable(tmp_path / "mapped")
    physical = "col-1d6a0a43-5cd2-4a4c-9a4c-3e8a3f5a3e01"
    create = table.create(
        [string_field("email", physical, 1)],
        configuration={"delta.columnMapping.mode": "name", "delta.columnMapping.maxColumnId": "1"},
    )
    table.commit([*create, table.data_file(pl.DataFrame({physical: ["ana@example.com"]}))])

    with pytest.raises(InputError) as caught:
        inspect_path(table.folder, name="mapped")

    text = str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert "delta.columnMapping.mode" in text and "'name'" in text and "Fix:" in text


# --- Spark Structured Streaming's file sink: _spark_metadata -----------------------------------


def _sink_log(folder: Path, batch: str, names: list[str], action: str = "add") -> None:
    """A _spark_metadata log file as FileStreamSinkLog writes it: "v1", then one JSON line per
    file, named by the absolute URI it was written to."""
    lines = ["v1"] + [
        json.dumps({"path": f"abfss://lake@contoso.dfs.core.windows.net/out/{name}", "size": 1,
                    "isDir": False, "modificationTime": 1764396000000,
                    "blockReplication": 1, "blockSize": 268435456, "action": action})
        for name in names
    ]  # fmt: skip
    log = folder / "_spark_metadata"
    log.mkdir(parents=True, exist_ok=True)
    (log / batch).write_text("\n".join(lines))


def test_a_streaming_file_sink_reads_only_the_files_its_log_committed(tmp_path: Path) -> None:
    """writeStream.format("parquet"): each micro-batch's files are listed in _spark_metadata
    when the batch commits (every tenth log compacted); a batch that failed leaves its files,
    which Spark's readers never see."""
    folder = tmp_path / "signups"
    folder.mkdir()
    names = []
    for index in range(4):
        name = f"part-{index:05d}-{uuid.UUID(int=index + 1)}-c000.snappy.parquet"
        pl.DataFrame({"email": [f"p{index}@example.com"]}).write_parquet(folder / name)
        names.append(name)
    _sink_log(folder, "9.compact", names[:1])
    _sink_log(folder, "10", names[1:2])
    _sink_log(folder, "11", names[2:3])  # names[3]: a batch that failed before its log entry
    _sink_log(folder, "8", ["part-old.parquet"])  # compacted into 9.compact already

    segment = inspect_path(folder, name="signups")

    assert sorted(read_segment(segment)["email"].to_list()) == [
        "p0@example.com", "p1@example.com", "p2@example.com"
    ]  # fmt: skip
    assert any("_spark_metadata" in note and names[3] in note for note in segment.notes)


# --- CDM: entities whose names make the same segment name ---------------------------------------


def test_entities_whose_names_make_the_same_segment_name_are_named_by_entity(
    tmp_path: Path,
) -> None:
    """Customer Insights names an export's entities after its segments, whatever they hold:
    "Churn risk: high" and "Churn risk / high" both make the segment name Churn-risk-high.
    Before, the second replaced the first, and that name exported the other segment's people;
    a name given by their order would swap when the export lists them in another order."""
    export = customer_insights_folder(tmp_path / "ci")
    path = export.root / "model.json"
    model = json.loads(path.read_text())
    model["entities"][0]["name"] = "Churn risk: high"
    model["entities"][1]["name"] = "Churn risk / high"
    path.write_text(json.dumps(model))
    from cc_tui.engine.segments.discovery import find_segments
    from cc_tui.models.config import AppConfig

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))

    assert not [s for s in found.segments.values() if s.entity and "Churn" in s.entity]
    told = [reason for name, reason in found.problems.items() if name.startswith("Churn")]
    assert len(told) == 2
    assert all("'Churn risk: high', 'Churn risk / high'" in reason for reason in told)
    assert any("--entity 'Churn risk / high'" in reason for reason in told)
    chosen = inspect_path(export.root, name="churn", entity="Churn risk / high")
    assert count_rows(chosen) == len(export.vip_rows)


def test_deletion_vectors_read_from_a_checkpoint_are_applied(tmp_path: Path) -> None:
    """Databricks checkpoints every so often and its log cleanup then deletes the JSON commits
    before the checkpoint: the deletion vectors are in the checkpoint's add actions."""
    from deltalake import DeltaTable

    table = SparkDeltaTable(tmp_path / "customers")
    first = table.data_file(_people(0, 6), {"country": "United States"})
    create = table.create(
        [string_field("email"), string_field("country")],
        partition_columns=["country"],
        protocol=_DV_PROTOCOL,
    )
    table.commit([*create, first])
    table.delete_rows(first["add"]["path"], [1, 4])
    DeltaTable(str(table.folder)).create_checkpoint()
    for version in range(table.version + 1):
        (table.folder / "_delta_log" / f"{version:020d}.json").unlink()

    segment = inspect_path(table.folder, name="customers")

    kept = [f"p{i}@example.com" for i in (0, 2, 3, 5)]
    assert sorted(read_segment(segment)["email"].to_list()) == kept
    assert count_rows(segment) == len(kept)


def test_parts_a_databricks_job_never_committed_are_not_read_in_storage(
    workspace: Workspace, azurite: Azurite, tmp_path: Path, container_name: str
) -> None:
    """The same DBIO folder, read in place from a Data Lake container."""
    from cc_tui.engine.segments.entries import make_source

    services = _connected(workspace, azurite)
    folder = tmp_path / "vip"
    tid, failed = 4316587349217530537, -6023714512398765432
    kept = _dbio_part(folder, 0, tid, ["ana@example.com"])
    (folder / f"_started_{tid}").touch()
    _dbio_commit(folder, tid, [kept])
    _dbio_part(folder, 1, failed, ["half@example.com"])
    (folder / f"_started_{failed}").touch()
    azurite.upload_tree(azurite.container(container_name), folder, "gold/vip")

    segment = services.sources.check(make_source("vip", f"az://{container_name}/gold/vip")).segment

    assert read_segment(segment)["email"].to_list() == ["ana@example.com"]
    assert any("never committed" in note for note in segment.notes)
