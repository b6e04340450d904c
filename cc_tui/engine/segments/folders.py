"""What a folder holds, as Spark, Databricks, Polars and Delta Lake write them.

- A **Parquet folder**: ``part-00000-<uuid>-c000.snappy.parquet`` files (any ``*.parquet``),
  possibly under hive ``key=value/`` sub-folders.
- A **CSV part folder**: Spark's ``part-00000-<uuid>-c000.csv`` (or ``.csv.gz``) files, with no
  header line unless the writer was told to add one.
- An **NDJSON part folder**: Spark's ``part-*.json`` files.
- A **Delta Lake table**: a ``_delta_log/`` folder beside its Parquet parts.

Markers and side files (``_SUCCESS``, ``_committed_*``, ``_started_*``, ``.crc``, hidden files)
are no data; each real file is listed once
(see :func:`~cc_tui.engine.segments.path_checks.walk_files`).

Databricks writes part folders with its DBIO transactional commit: each job's part files carry
its transaction id (``part-00000-tid-<tid>-<uuid>-...``), ``_started_<tid>`` marks the job's
start and ``_committed_<tid>`` (JSON: ``added``, ``removed``) its commit. Until VACUUM, the
folder keeps the parts of jobs that failed before committing, of task attempts that were
retried, and of outputs an overwrite removed; Databricks reads only what the commits list, and
so does :func:`folder_parts` (the others are named in ``skipped``). Spark Structured
Streaming's file sink keeps the same kind of record in ``_spark_metadata/``: only the files its
log lists are read.

A folder inside a Delta Lake table (one of its partition folders), or holding one, is refused:
its Parquet files are those of every version of the table.
A CDM folder (``model.json``, ``*.manifest.cdm.json``) is :mod:`cc_tui.engine.segments.cdm`'s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cc_tui.engine.segments.model import SegmentFormat
from cc_tui.engine.segments.path_checks import walk_files
from cc_tui.errors import InputError
from cc_tui.remote_paths import RemotePath
from cc_tui.remote_paths import is_remote_location as is_remote

__all__ = [
    "DELTA_LOG",
    "FolderParts",
    "NotPartFolderError",
    "folder_parts",
    "is_delta_table",
    "part_kind",
    "refuse_inside_delta_table",
]

DELTA_LOG = "_delta_log"
# Part files by their ending: (format, gzip). Spark names them part-NNNNN-<uuid>-c000.<ext>.
_PART_ENDINGS: tuple[tuple[str, SegmentFormat, bool], ...] = (
    (".parquet", SegmentFormat.PARQUET, False),
    (".csv.gz", SegmentFormat.CSV, True),
    (".csv", SegmentFormat.CSV, False),
    (".tsv.gz", SegmentFormat.TSV, True),
    (".tsv", SegmentFormat.TSV, False),
    (".json.gz", SegmentFormat.NDJSON, True),
    (".json", SegmentFormat.NDJSON, False),
    (".ndjson", SegmentFormat.NDJSON, False),
    (".jsonl", SegmentFormat.NDJSON, False),
)


# Spark names every data file part-NNNNN-...; its CSV and JSON folders are told by that name
# (or the _SUCCESS marker), so an ordinary folder of CSV files is not taken for one data set.
_SPARK_PART_PREFIX = "part-"
_SPARK_MARKER = "_SUCCESS"
# Databricks DBIO commit: the transaction id in a part's name (a Java long: it may be
# negative, part-00000-tid--4316...), and the markers of a job.
_DBIO_TID = re.compile(r"^part-\d+-tid-(-?\d+)-")
_DBIO_STARTED = "_started_"
_DBIO_COMMITTED = "_committed_"
# A _committed_ marker lists a job's files: a few MB even for a job of 100,000 parts.
_DBIO_MARKER_MAX_BYTES = 64 * 1024 * 1024
# Spark Structured Streaming's file sink log, and its compacted log files' ending.
_SINK_LOG = "_spark_metadata"
_SINK_COMPACT = ".compact"
# Parent folders looked at for a Delta table the folder would be inside (partition folders
# nest a few levels; each look in storage is a request or two).
_DELTA_PARENTS_LOOKED_AT = 6


class NotPartFolderError(InputError):
    """The folder is no data set of part files (an ordinary folder): not a segment."""


@dataclass(frozen=True, slots=True)
class FolderParts:
    """The data files of a part folder, how they are stored, and its hive partition keys."""

    files: tuple[Path, ...]
    format: SegmentFormat
    gzip: bool
    hive_keys: tuple[str, ...]
    skipped: tuple[str, ...] = ()


def is_delta_table(folder: Path) -> bool:
    """True for a Delta Lake table (a folder holding ``_delta_log/``).

    Any ``_delta_log`` entry counts: in Data Lake Gen2 storage an empty folder is a 0-byte
    blob, and a table whose first commit is not written yet must not pass for a Parquet folder
    (its part files would all be read, the ones no version names included).
    """
    return (folder / DELTA_LOG).exists()


def part_kind(name: str) -> tuple[SegmentFormat, bool] | None:
    """(format, gzip) of a part file from its name; None for anything else."""
    lowered = name.lower()
    for ending, fmt, gz in _PART_ENDINGS:
        if lowered.endswith(ending):
            return fmt, gz
    return None


def folder_parts(folder: Path, expected: SegmentFormat | None = None) -> FolderParts:
    """The part files of ``folder`` (hive ``key=value/`` sub-folders included).

    Raises InputError when the folder holds no part file, holds parts of several formats (or
    compressed and plain ones), or holds other files too (then it is not one data set).
    ``expected`` (a format the user declared) must match the parts.
    """
    refuse_inside_delta_table(folder)
    walk = walk_files(folder)
    if not walk.files:
        raise NotPartFolderError(f"{folder}: holds no data files (no part files)")
    _refuse_delta_files(folder, walk.files)
    files, uncommitted = _committed_parts(folder, walk.files)
    files, unlisted = _sink_log_parts(folder, files)
    uncommitted += unlisted
    if not files:
        raise InputError(
            f"{folder}: holds only part files of jobs that did not commit them "
            f"({uncommitted[0]}). Fix: run the job that writes the folder again"
        )
    kinds: dict[tuple[SegmentFormat, bool], None] = {}
    others: list[str] = []
    keys: dict[str, None] = {}
    for path in files:
        kind = part_kind(path.name)
        if kind is None:
            others.append(path.name)
            continue
        kinds[kind] = None
        for part in path.relative_to(folder).parts[:-1]:
            if "=" in part:
                keys[part.split("=", 1)[0]] = None
    if others:
        shown = ", ".join(others[:3]) + (" …" if len(others) > 3 else "")
        raise NotPartFolderError(
            f"{folder}: is not a folder of part files (it also holds {shown}); point at one "
            "file, or keep only the part files of one data set in the folder"
        )
    if len(kinds) > 1:
        labels = ", ".join(f"{fmt}{'.gz' if gz else ''}" for fmt, gz in kinds)
        raise InputError(f"{folder}: mixes part files of several formats ({labels})")
    (fmt, gz) = next(iter(kinds))
    spark = (folder / _SPARK_MARKER).exists() or all(
        p.name.startswith(_SPARK_PART_PREFIX) for p in files
    )
    if fmt is not SegmentFormat.PARQUET and not spark:
        raise NotPartFolderError(
            f"{folder}: is a folder of {fmt} files, not a Spark part folder (part-* files); "
            "point at one file, or add each file as a segment"
        )
    if expected is not None and _family(expected) is not _family(fmt):
        raise InputError(f"{folder}: holds {fmt} part files, not {expected}")
    return FolderParts(tuple(files), fmt, gz, tuple(keys), (*walk.skipped, *uncommitted))


def refuse_inside_delta_table(path: Path) -> None:
    """Refuse a file or folder inside a Delta Lake table (one of its data files, or partition
    folders), whose Parquet files are those of every version of the table."""
    _refuse_delta_files(path, None)


def _refuse_delta_files(folder: Path, files: Sequence[Path] | None) -> None:
    """Refuse a folder (or file) inside a Delta Lake table (``files`` None: its parent folders
    are looked at) or holding one (the folders of ``files``; local folders only, where a look
    costs no request).

    A Delta table's folder holds the Parquet files of every version until VACUUM, those a
    DELETE or an overwrite removed included; only its log says which are the table now.
    """
    if files is None:
        candidates = [p for p in folder.parents if _in_a_folder(p)][:_DELTA_PARENTS_LOOKED_AT]
    elif is_remote(folder):
        return
    else:
        candidates = sorted(
            {parent for path in files for parent in path.parents if parent.is_relative_to(folder)}
        )
    for candidate in candidates:
        try:
            found = is_delta_table(candidate)
        except (OSError, InputError):
            continue  # a parent that cannot be looked at (a container root): no table
        if found:
            where = "is inside" if files is None else "holds"
            raise InputError(
                f"{folder}: {where} the Delta Lake table {candidate}, whose folders keep the "
                "Parquet files of every version (rows since deleted or replaced too) until "
                f"VACUUM; read as plain Parquet they would all be exported. Fix: add the table "
                f"itself ({candidate}: the folder holding {DELTA_LOG})"
            )


def _in_a_folder(path: Path) -> bool:
    """False for what holds no table: a storage container, account or scheme, the root."""
    if isinstance(path, RemotePath):
        try:
            return bool(path.location.key)
        except ValueError:
            return False
    return path != path.parent


@dataclass(slots=True)
class _Commits:
    """The DBIO markers of one folder: jobs started, files each committed job added (None when
    its marker cannot be read), and files a later job removed."""

    started: set[str] = field(default_factory=set)
    added: dict[str, set[str] | None] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)


def _commits(folder: Path) -> _Commits:
    commits = _Commits()
    try:
        entries = list(folder.iterdir())
    except OSError:
        return commits
    for entry in entries:
        if entry.name.startswith(_DBIO_STARTED):
            commits.started.add(entry.name.removeprefix(_DBIO_STARTED))
        elif entry.name.startswith(_DBIO_COMMITTED):
            commits.added[entry.name.removeprefix(_DBIO_COMMITTED)] = _marker_files(
                entry, commits.removed
            )
    return commits


def _marker_files(marker: Path, removed: set[str]) -> set[str] | None:
    """The files a ``_committed_<tid>`` marker says its job added (its removed ones go to
    ``removed``); None when it cannot be read (the job committed, but which files is unknown)."""
    try:
        if marker.stat().st_size > _DBIO_MARKER_MAX_BYTES:
            return None
        data = json.loads(marker.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    removed.update(name for name in data.get("removed") or () if isinstance(name, str))
    added = data.get("added")
    return {name for name in added if isinstance(name, str)} if isinstance(added, list) else None


def _committed_parts(folder: Path, files: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """The part files Databricks' DBIO commit markers say are the data (all of them when there
    are no markers), and why each other one is left out."""
    if not any(_DBIO_TID.match(path.name) for path in files):
        return list(files), []
    markers: dict[Path, _Commits] = {}
    kept: list[Path] = []
    left_out: dict[str, list[Path]] = {}
    for path in files:
        found = _DBIO_TID.match(path.name)
        if found is None:
            kept.append(path)
            continue
        tid = found.group(1)
        for where in (path.parent, folder):
            if where not in markers:
                markers[where] = _commits(where)
        where = path.parent
        if tid not in markers[where].added and tid not in markers[where].started:
            where = folder  # markers beside the hive key=value/ folders
        commits = markers[where]
        # A marker names a file by its name, or (above hive folders) by its path from there.
        names = {path.name, path.relative_to(where).as_posix()}
        reason = None
        if names & commits.removed:
            reason = "a later Databricks job removed them (its _committed_ marker says so)"
        elif tid in commits.added:
            added = commits.added[tid]
            if added is not None and not names & added:
                reason = f"job {tid} did not commit them (task attempts that were retried)"
        elif tid in commits.started:
            reason = f"Databricks job {tid} never committed them (_started_{tid}, no _committed_)"
        if reason is None:
            kept.append(path)
        else:
            left_out.setdefault(reason, []).append(path)
    told = [
        f"{len(paths)} part file(s) not read ({paths[0]}{' …' if len(paths) > 1 else ''}): {reason}"
        for reason, paths in left_out.items()
    ]
    return kept, told


def _sink_log_parts(folder: Path, files: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """The part files Spark Structured Streaming's file sink log (``_spark_metadata``) says
    are the data (all of them when there is no log), and what is left out.

    Each committed micro-batch is a log file (``0``, ``1``...; every tenth compacted into
    ``N.compact`` with all before it): ``v1`` then a JSON line per file (``path``, ``action``
    ``add`` or ``delete``). Files a failed batch wrote are in the folder but not in the log,
    and Spark never reads them. The log names files by the URI they were written to, so they
    are matched by name (Spark's part names hold a UUID).
    """
    log = folder / _SINK_LOG
    try:
        entries = {entry.name: entry for entry in log.iterdir()}
    except OSError:
        return list(files), []
    batches = sorted(
        (int(name.removesuffix(_SINK_COMPACT)), name)
        for name in entries
        if name.removesuffix(_SINK_COMPACT).isdigit()
    )
    compacted = [number for number, name in batches if name.endswith(_SINK_COMPACT)]
    start = compacted[-1] if compacted else -1
    listed: set[str] = set()
    for number, name in batches:
        if number < start or (number == start and not name.endswith(_SINK_COMPACT)):
            continue
        for action, written in _sink_entries(entries[name]):
            (listed.add if action == "add" else listed.discard)(written.rsplit("/", 1)[-1])
    if not batches:
        return list(files), []
    kept = [path for path in files if path.name in listed]
    left = [path for path in files if path.name not in listed]
    told = (
        [
            f"{len(left)} part file(s) not read ({left[0]}{' …' if len(left) > 1 else ''}): "
            f"not in the streaming job's {_SINK_LOG} log (a micro-batch that did not commit)"
        ]
        if left
        else []
    )
    return kept, told


def _sink_entries(path: Path) -> list[tuple[str, str]]:
    """(action, path) of each file a sink log file names; InputError when it is unreadable."""
    try:
        lines = path.read_bytes().decode("utf-8").splitlines()
        records = [json.loads(line) for line in lines[1:] if line.strip()]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            f"{path}: cannot be read as a Spark streaming sink log ({exc}); which part files "
            "are committed cannot be told. Fix: copy the folder again, with its "
            f"{_SINK_LOG} folder whole"
        ) from exc
    return [
        (str(record.get("action", "add")), str(record["path"]))
        for record in records
        if isinstance(record, dict) and isinstance(record.get("path"), str)
    ]


def _family(fmt: SegmentFormat) -> SegmentFormat:
    return SegmentFormat.CSV if fmt is SegmentFormat.TSV else fmt
