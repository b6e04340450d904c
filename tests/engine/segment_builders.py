"""Builders of segment folders the way Microsoft, Spark and Databricks write them.

- :func:`customer_insights_folder`: a Dynamics 365 Customer Insights export to Data Lake
  Storage: ``model.json`` naming its partitions by full ``https://<account>.dfs.core.windows.net
  /<container>/...`` URLs, headerless UTF-8 CSV partitions with CRLF line ends, every field
  quoted, quotes escaped by doubling, newlines inside quoted fields, non-ASCII names, several
  parts per entity under ``<Entity>/<YYYY>/<MM>/<DD>/<HHMM>/`` and an older snapshot left beside
  the newest one.
- :func:`cdm_manifest_folder`: the same data described by a ``*.manifest.cdm.json`` and entity
  ``*.cdm.json`` documents (``is.partition.format.CSV`` traits).
- :func:`spark_parquet_folder`: ``part-00000-<uuid>-c000.snappy.parquet`` files whose columns
  evolve from part to part, with ``_SUCCESS``, ``_committed_*``, ``_started_*`` and ``.crc``
  files.
- :func:`spark_csv_folder`: Spark's headerless ``part-*.csv`` output with the same side files.
- :func:`delta_table`: a Delta Lake table written with the ``deltalake`` package, two versions.

Fixtures are generated in each test's folder: no binary files are committed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

__all__ = [
    "ACCOUNT_URL",
    "CdmExport",
    "cdm_manifest_folder",
    "customer_insights_folder",
    "delta_table",
    "spark_csv_folder",
    "spark_parquet_folder",
]

ACCOUNT_URL = "https://contosoci.dfs.core.windows.net/customerinsights"
# The export folder inside the container; the local copy is of this folder only.
EXPORT_PREFIX = "exports/ci-daily"
NEWEST = "2026/11/29/0600"
OLDER = "2026/11/28/0600"
CUSTOMER_ATTRIBUTES = (
    ("CustomerId", "guid"),
    ("Email", "string"),
    ("FirstName", "string"),
    ("LastName", "string"),
    ("Note", "string"),
    ("Birthday", "dateTime"),
    ("Score", "int64"),
)


@dataclass(frozen=True)
class CdmExport:
    """A built CDM folder and what its entities hold."""

    root: Path
    customer_rows: list[tuple[str, ...]]  # newest snapshot, in file order
    older_rows: list[tuple[str, ...]]
    vip_rows: list[tuple[str, ...]]

    @property
    def customer_emails(self) -> set[str]:
        return {row[1].strip().lower() for row in self.customer_rows if "@" in row[1]}

    @property
    def vip_emails(self) -> set[str]:
        return {row[1].strip().lower() for row in self.vip_rows if "@" in row[1]}


def _quoted_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """Customer Insights' CSV: every field quoted, ``""`` escapes, CRLF, UTF-8, no header."""
    lines = []
    for row in rows:
        lines.append(",".join('"' + value.replace('"', '""') + '"' for value in row))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _customer_rows(count: int, *, offset: int = 0) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for i in range(offset, offset + count):
        rows.append(
            (
                str(uuid.UUID(int=i + 1)),
                f"Customer{i}@Example.com",
                ["Zoë", "José", "Ana", "Müller"][i % 4],
                f'O"Brien-{i}' if i % 5 == 0 else f"Nguyễn {i}",
                f"first line\r\nsecond, with comma {i}" if i % 3 == 0 else "",
                f"{1970 + i % 40}-0{1 + i % 9}-1{i % 9}T00:00:00Z",
                str(i * 7),
            )
        )
    return rows


def _model_entity(
    name: str, attributes: Sequence[tuple[str, str]], locations: list[str]
) -> dict[str, object]:
    return {
        "$type": "LocalEntity",
        "name": name,
        "description": f"{name} segment members",
        "annotations": [{"name": "Microsoft.DynamicsCustomerInsights.SegmentName", "value": name}],
        "attributes": [{"name": n, "dataType": t} for n, t in attributes],
        "partitions": [
            {
                "name": f"{name}_{index}",
                "refreshTime": "2026-11-29T06:04:31.8231Z",
                "location": location,
                "fileFormatSettings": {
                    "$type": "CsvFormatSettings",
                    "columnHeaders": False,
                    "delimiter": ",",
                    "quoteStyle": "QuoteStyle.Csv",
                    "csvStyle": "CsvStyle.QuoteAlways",
                    "encoding": "UTF-8",
                },
            }
            for index, location in enumerate(locations, 1)
        ],
    }


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path.as_posix()


def customer_insights_folder(root: Path, *, customers: int = 12, vips: int = 5) -> CdmExport:
    """A Customer Insights export folder (see the module docstring); returns what it holds."""
    rows = _customer_rows(customers)
    older = _customer_rows(customers - 4, offset=100)
    # The VIP segment repeats two customers (in another case) and has one bad address.
    vip = _customer_rows(vips, offset=200)
    vip[0] = (vip[0][0], rows[1][1].upper(), *vip[0][2:])
    vip[1] = (vip[1][0], "not-an-address", *vip[1][2:])
    half = len(rows) // 2
    customer_files = {
        f"Customer/{NEWEST}/Customer_1.snapshot.csv": rows[:half],
        f"Customer/{NEWEST}/Customer_2.snapshot.csv": rows[half:],
    }
    for relative, part in customer_files.items():
        _write(root / relative, _quoted_csv(part))
    _write(root / f"Customer/{OLDER}/Customer_1.snapshot.csv", _quoted_csv(older))
    vip_file = f"VipSegment/{NEWEST}/VipSegment_1.snapshot.csv"
    _write(root / vip_file, _quoted_csv(vip))
    base = f"{ACCOUNT_URL}/{EXPORT_PREFIX}"
    model = {
        "name": "cdm",
        "description": "Customer Insights export",
        "version": "1.0",
        "modifiedTime": "2026-11-29T06:05:02.4127Z",
        "entities": [
            _model_entity("Customer", CUSTOMER_ATTRIBUTES, [f"{base}/{p}" for p in customer_files]),
            _model_entity("VipSegment", CUSTOMER_ATTRIBUTES, [f"{base}/{vip_file}"]),
        ],
    }
    (root / "model.json").write_text(json.dumps(model, indent=2), encoding="utf-8")
    return CdmExport(root, rows, older, vip)


def cdm_manifest_folder(root: Path, *, customers: int = 6) -> list[tuple[str, ...]]:
    """A manifest-described CDM folder of one entity with two partitions; returns its rows."""
    rows = _customer_rows(customers)
    half = len(rows) // 2
    locations = []
    for index, part in enumerate((rows[:half], rows[half:]), 1):
        relative = f"Customer/Customer_{index}.csv"
        _write(root / relative, _quoted_csv(part))
        locations.append(relative)
    csv_trait = {
        "traitReference": "is.partition.format.CSV",
        "arguments": [
            {"name": "columnHeaders", "value": "false"},
            {"name": "delimiter", "value": ","},
            {"name": "quote", "value": '"'},
            {"name": "escape", "value": '"'},
            {"name": "encoding", "value": "UTF-8"},
        ],
    }
    manifest = {
        "jsonSchemaSemanticVersion": "1.0.0",
        "imports": [{"corpusPath": "cdm:/foundations.cdm.json"}],
        "manifestName": "default",
        "entities": [
            {
                "type": "LocalEntity",
                "entityName": "Customer",
                "entityPath": "Customer.cdm.json/Customer",
                "dataPartitions": [
                    {"location": f"adls:/{location}", "exhibitsTraits": [csv_trait]}
                    for location in locations
                ],
            }
        ],
    }
    entity = {
        "jsonSchemaSemanticVersion": "1.0.0",
        "imports": [{"corpusPath": "cdm:/foundations.cdm.json"}],
        "definitions": [
            {
                "entityName": "Customer",
                "hasAttributes": [
                    {
                        "attributeGroupReference": {
                            "attributeGroupName": "attributesAddedAtThisScope",
                            "members": [
                                {"name": name, "dataFormat": kind.capitalize()}
                                for name, kind in CUSTOMER_ATTRIBUTES
                            ],
                        }
                    }
                ],
            }
        ],
    }
    (root / "default.manifest.cdm.json").write_text(json.dumps(manifest), encoding="utf-8")
    (root / "Customer.cdm.json").write_text(json.dumps(entity), encoding="utf-8")
    return rows


def _part_name(index: int, suffix: str) -> str:
    return f"part-{index:05d}-{uuid.UUID(int=index + 7)}-c000{suffix}"


def _spark_side_files(folder: Path, parts: Sequence[Path]) -> None:
    (folder / "_SUCCESS").touch()
    (folder / "._SUCCESS.crc").write_bytes(b"crc\x00")
    (folder / "_committed_4219301").write_text('{"added":[],"removed":[]}')
    (folder / "_started_4219301").touch()
    for part in parts:
        (folder / f".{part.name}.crc").write_bytes(b"crc\x00")


def spark_parquet_folder(folder: Path) -> pl.DataFrame:
    """A Spark Parquet output whose parts add columns over time; returns all rows (unioned)."""
    folder.mkdir(parents=True)
    parts = [
        pl.DataFrame(
            {"email": ["ana@example.com", "bob@example.com"], "first_name": ["Ana", "Bob"]}
        ),
        pl.DataFrame(
            {
                "email": ["carl@example.com", "ANA@example.com"],
                "first_name": ["Carl", "Ana again"],
                "tier": [3, 1],
            }
        ),
        pl.DataFrame(
            {
                "email": ["dora@example.com", None, "eve@example.com"],
                "signup": [datetime(1995, 5, 11), datetime(2024, 1, 2, 3, 4, 5), None],
                "birthday": [date(1990, 2, 3), None, date(2000, 12, 31)],
                "tags": [["vip"], [], None],
                "score": [1.0, 2.5, 1e-7],
            }
        ),
    ]
    paths = []
    for index, part in enumerate(parts):
        path = folder / _part_name(index, ".snappy.parquet")
        part.write_parquet(path, compression="snappy")
        paths.append(path)
    _spark_side_files(folder, paths)
    return pl.concat(parts, how="diagonal")


def spark_csv_folder(
    folder: Path,
    rows: Sequence[tuple[str, str]],
    *,
    parts: int = 2,
    header: bool = False,
    empty_parts: int = 0,
) -> None:
    """Spark's CSV output: ``part-*.csv`` files (email,name), headerless unless ``header``.

    ``empty_parts`` 0-byte parts come first, as Spark writes one for each empty partition.
    """
    folder.mkdir(parents=True)
    paths = []
    for index in range(empty_parts):
        path = folder / _part_name(index, ".csv")
        path.write_bytes(b"")
        paths.append(path)
    size = -(-len(rows) // parts)
    for index in range(parts):
        chunk = rows[index * size : (index + 1) * size]
        path = folder / _part_name(empty_parts + index, ".csv")
        lines = "".join(f"{email},{name}\n" for email, name in chunk)
        path.write_text(("email,name\n" if header else "") + lines, encoding="utf-8")
        paths.append(path)
    _spark_side_files(folder, paths)


def delta_table(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A Delta table with two versions: the first, and the latest (an overwrite)."""
    first = pl.DataFrame({"email": ["old@example.com", "gone@example.com"], "tier": [1, 2]})
    latest = pl.DataFrame(
        {
            "email": ["new@example.com", "fresh@example.com", "NEW@example.com"],
            "tier": [3, 4, 5],
            "joined": [date(2024, 1, 1), date(2024, 2, 1), None],
        }
    )
    first.write_delta(folder)
    latest.write_delta(folder, mode="overwrite", delta_write_options={"schema_mode": "overwrite"})
    return first, latest
