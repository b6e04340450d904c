"""Delta tables as Databricks (Spark, Delta Lake 3) writes them, built action by action.

delta-rs cannot write everything Databricks does (deletion vectors, column mapping, Spark's
partition folders whose names keep their spaces), so these builders write the Parquet files
with Polars and the ``_delta_log`` commits as JSON lines, following the Delta protocol
(github.com/delta-io/delta, PROTOCOL.md): ``protocol``, ``metaData`` (``schemaString``,
``partitionColumns``, ``configuration``), ``add`` / ``remove`` whose ``path`` is a relative
URI (percent-encoded: ``country=United%20States/part-...``), ``commitInfo``, and deletion
vectors stored beside the data (``storageType`` ``u``: a ``deletion_vector_<uuid>.bin`` file
named by the Z85 text of its UUID) or inline in the log (``i``), holding a RoaringBitmapArray
in its portable serialisation.
"""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl

__all__ = ["SparkDeltaTable", "roaring_bitmap_array", "string_field", "z85"]

_Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
_Z85_BASE = 85
_Z85_WORD = 4
_Z85_CHARS = 5
# RoaringBitmapArray, portable serialisation (Delta's Deletion Vector Format).
_DV_MAGIC = 1681511377
# A 32-bit Roaring bitmap of array containers only (RoaringFormatSpec: no run containers).
_ROARING_NO_RUN_COOKIE = 12346
_DV_FILE_VERSION = 1
_COMMITTED_MS = 1_764_396_000_000
_ENGINE = "Databricks-Runtime/15.4.x-scala2.12"
# What a URI path keeps as it is (RFC 3986 pchar): Spark writes add paths with java.net.URI.
_URI_PATH_SAFE = "/=:@!$&'()*+,;"


def z85(data: bytes) -> str:
    """Z85 text of ``data`` (a multiple of four bytes), as Delta encodes UUIDs and inline DVs."""
    out: list[str] = []
    for start in range(0, len(data), _Z85_WORD):
        value = int.from_bytes(data[start : start + _Z85_WORD], "big")
        chars = []
        for _ in range(_Z85_CHARS):
            value, digit = divmod(value, _Z85_BASE)
            chars.append(_Z85[digit])
        out.extend(reversed(chars))
    return "".join(out)


def roaring_bitmap_array(rows: Sequence[int]) -> bytes:
    """The deleted row indexes of one file (all below 65,536) as a RoaringBitmapArray."""
    values = sorted(rows)
    header = struct.pack("<II", _ROARING_NO_RUN_COOKIE, 1) + struct.pack("<HH", 0, len(values) - 1)
    data_offset = len(header) + 4  # the container's data follows its offset
    bitmap = header + struct.pack("<I", data_offset) + struct.pack(f"<{len(values)}H", *values)
    return struct.pack("<iqi", _DV_MAGIC, 1, 0) + bitmap


@dataclass
class SparkDeltaTable:
    """A Delta table written the way Spark on Databricks writes one; :meth:`commit` adds a
    version made of the given actions."""

    folder: Path
    version: int = -1
    adds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def commit(self, actions: Sequence[Mapping[str, Any]], operation: str = "WRITE") -> int:
        """Write the next commit file: ``commitInfo`` then ``actions``; returns its version."""
        self.version += 1
        info = {"timestamp": _COMMITTED_MS + self.version, "operation": operation,
                "engineInfo": _ENGINE, "isBlindAppend": operation == "WRITE"}  # fmt: skip
        log = self.folder / "_delta_log"
        log.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"commitInfo": info}), *(json.dumps(a) for a in actions)]
        (log / f"{self.version:020d}.json").write_text("\n".join(lines) + "\n")
        for action in actions:
            if "add" in action:
                self.adds[action["add"]["path"]] = action["add"]
        return self.version

    def create(
        self,
        schema: Sequence[Mapping[str, Any]],
        *,
        partition_columns: Sequence[str] = (),
        configuration: Mapping[str, str] | None = None,
        protocol: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """The first commit's ``protocol`` and ``metaData`` actions (not written yet)."""
        string = json.dumps({"type": "struct", "fields": list(schema)})
        return [
            {"protocol": dict(protocol or {"minReaderVersion": 1, "minWriterVersion": 2})},
            {"metaData": {"id": str(uuid.UUID(int=len(string))),
                          "format": {"provider": "parquet", "options": {}},
                          "schemaString": string, "partitionColumns": list(partition_columns),
                          "configuration": dict(configuration or {}),
                          "createdTime": _COMMITTED_MS}},
        ]  # fmt: skip

    def data_file(
        self, frame: pl.DataFrame, partition: Mapping[str, str | None] | None = None
    ) -> dict[str, Any]:
        """Write ``frame`` as a part file (under Spark's ``key=value/`` folders, names as they
        are: Spark escapes only ``%``, ``/``, ``=`` and a few more, never a space) and return
        its ``add`` action, whose path is percent-encoded as the protocol says."""
        values = dict(partition or {})
        folders = [f"{key}={_spark_escape(value)}" for key, value in values.items()]
        name = f"part-{len(self.adds):05d}-{uuid.UUID(int=len(self.adds) + 1)}.c000.snappy.parquet"
        relative = "/".join([*folders, name])
        target = self.folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(target, compression="snappy")
        stats = {"numRecords": frame.height}
        return {"add": {"path": quote(relative, safe=_URI_PATH_SAFE), "partitionValues": values,
                        "size": target.stat().st_size, "modificationTime": _COMMITTED_MS,
                        "dataChange": True, "stats": json.dumps(stats)}}  # fmt: skip

    def delete_rows(self, path: str, rows: Sequence[int], *, inline: bool = False) -> int:
        """Commit a DELETE that marks ``rows`` of the file ``path`` (as its ``add`` names it)
        deleted with a deletion vector, as Databricks does when the table has them enabled:
        the file is removed and added again with its deletion vector. Returns the version."""
        add = self.adds[path]
        bitmap = roaring_bitmap_array(rows)
        vector: dict[str, Any]
        if inline:
            vector = {"storageType": "i", "pathOrInlineDv": z85(bitmap), "offset": None}
        else:
            dv_uuid = uuid.UUID(int=len(self.adds) * 1000 + self.version + 1)
            data = struct.pack(">i", len(bitmap)) + bitmap + struct.pack(">I", zlib.crc32(bitmap))
            (self.folder / f"deletion_vector_{dv_uuid}.bin").write_bytes(
                bytes([_DV_FILE_VERSION]) + data
            )
            vector = {"storageType": "u", "pathOrInlineDv": z85(dv_uuid.bytes), "offset": 1}
        vector.update(sizeInBytes=len(bitmap), cardinality=len(rows))
        remove = {"path": path, "deletionTimestamp": _COMMITTED_MS, "dataChange": True,
                  "extendedFileMetadata": True, "partitionValues": add["partitionValues"],
                  "size": add["size"]}  # fmt: skip
        again = dict(add, deletionVector=vector)
        return self.commit([{"remove": remove}, {"add": again}], operation="DELETE")


def _spark_escape(value: str | None) -> str:
    """A partition value as Spark names its folder (Hive's escapePathName)."""
    if value is None:
        return "__HIVE_DEFAULT_PARTITION__"
    special = set("\"#%'*/:=?\\\x7f{[]^")
    return "".join(f"%{ord(c):02X}" if c in special or ord(c) < 0x20 else c for c in value)


def string_field(name: str, physical: str | None = None, column_id: int = 0) -> dict[str, Any]:
    """A ``string`` field of a ``schemaString``; with ``physical``, its column mapping."""
    metadata: dict[str, Any] = {}
    if physical is not None:
        metadata = {"delta.columnMapping.id": column_id,
                    "delta.columnMapping.physicalName": physical}  # fmt: skip
    return {"name": name, "type": "string", "nullable": True, "metadata": metadata}
