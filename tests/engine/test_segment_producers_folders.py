"""Folder formats as their producers really write them, second round: Delta tables from
Databricks (deletion vectors, column mapping, partition folders that keep their spaces),
Customer Insights CDM folders (model.json and manifests) and Spark Parquet folders."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.reading import count_rows, preview
from cc_tui.errors import EXIT_USAGE, InputError
from tests.engine.conftest import read_segment
from tests.engine.lake_builders import SparkDeltaTable, string_field

pytestmark = pytest.mark.usefixtures("private_home")

_DV_PROTOCOL = {"minReaderVersion": 3, "minWriterVersion": 7,
                "readerFeatures": ["deletionVectors"],
                "writerFeatures": ["deletionVectors"]}  # fmt: skip


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
