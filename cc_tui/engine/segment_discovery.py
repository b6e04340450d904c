"""Discovery: which segments exist, found in ``segments_dirs`` or named in config.toml.

:func:`discover_segments` lists every CSV, TSV, ``.csv.gz``/``.tsv.gz``, Parquet file or Parquet
folder and NDJSON file directly inside each segments folder, plus every ``[segments.NAME]``
entry; :func:`find_segments` also says what was left out and why. :func:`inspect_path` recognises
what one file or folder holds. Reading the segments found is :mod:`cc_tui.engine.segments`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from cc_tui.engine.segment_formats import (
    NAME_MAX,
    classify_name,
    read_start,
    recognise,
    segment_name,
)
from cc_tui.engine.segment_model import ORIGIN_CONFIG, Segment, SegmentFormat, path_identity
from cc_tui.engine.segment_scan import HIDDEN_PREFIXES, parquet_parts
from cc_tui.errors import InputError
from cc_tui.models import AppConfig

__all__ = ["SegmentDiscovery", "discover_segments", "find_segments", "inspect_path"]


@dataclass(frozen=True, slots=True)
class SegmentDiscovery:
    """What discovery found: the segments by name, and why other things were left out.

    ``problems`` maps the name of a ``[segments.NAME]`` entry that cannot be used to the reason.
    """

    segments: Mapping[str, Segment]
    warnings: tuple[str, ...] = ()
    problems: Mapping[str, str] = field(default_factory=dict)

    def require(self, name: str) -> Segment:
        """The segment called ``name``, or an InputError that says why it is not there."""
        if name in self.segments:
            return self.segments[name]
        if name in self.problems:
            raise InputError(f"segment '{name}' cannot be used: {self.problems[name]}")
        known = ", ".join(self.segments) or "none"
        raise InputError(
            f"no segment named '{name}' (known: {known}). Fix: put the file in a segments "
            f"folder, or add [segments.{name}] with its path to config.toml"
        )


def discover_segments(config: AppConfig) -> dict[str, Segment]:
    """Every usable segment by name; see :func:`find_segments` for what was left out and why."""
    return dict(find_segments(config).segments)


def find_segments(config: AppConfig) -> SegmentDiscovery:
    """Discover segments in ``config.segments_dirs`` and ``config.segments``.

    Files are taken in folder order, then by file name, so names are stable: when two files
    share a name the second one gets its format appended (``vip`` and ``vip-parquet``). A
    ``[segments.NAME]`` entry wins its name, and a discovered file that an entry points at is
    listed only under the entry (which carries its encoding and delimiter).
    """
    warnings: list[str] = []
    problems: dict[str, str] = {}
    configured: dict[str, Segment] = {}
    for name, source in sorted(config.segments.items()):
        try:
            configured[name] = inspect_path(
                source.path,
                name=name,
                declared=source.format,
                encoding=source.encoding,
                delimiter=source.delimiter,
                origin=ORIGIN_CONFIG,
            )
        except InputError as exc:
            problems[name] = str(exc)
            warnings.append(f"segment '{name}' (config.toml): {exc}")
    claimed = {path_identity(source.path) for source in config.segments.values()}
    found: dict[str, Segment] = {}
    taken = set(config.segments)
    for folder in config.segments_dirs:
        for segment in _discover_folder(folder, warnings):
            if path_identity(segment.path) in claimed:
                continue
            name = _free_name(segment, taken)
            taken.add(name)
            found[name] = replace(segment, name=name)
    found.update(configured)
    return SegmentDiscovery(dict(sorted(found.items())), tuple(warnings), problems)


def _free_name(segment: Segment, taken: set[str]) -> str:
    if segment.name not in taken:
        return segment.name
    label = segment.format_label
    base = segment.name[: NAME_MAX - len(label) - 4]
    candidate, number = f"{base}-{label}", 2
    while candidate in taken:
        candidate, number = f"{base}-{label}-{number}", number + 1
    return candidate


def _discover_folder(folder: Path, warnings: list[str]) -> list[Segment]:
    try:
        entries = sorted(folder.iterdir())
    except FileNotFoundError:
        warnings.append(f"segments folder {folder} does not exist; skipped")
        return []
    except OSError as exc:
        warnings.append(f"segments folder {folder} cannot be read ({exc.strerror}); skipped")
        return []
    found: list[Segment] = []
    for entry in entries:
        if entry.name.startswith(HIDDEN_PREFIXES):
            continue
        try:
            segment = _discover_entry(entry, origin=str(folder))
        except InputError as exc:
            warnings.append(f"{exc}; skipped")
            continue
        if segment is not None:
            found.append(segment)
    return found


def _discover_entry(entry: Path, *, origin: str) -> Segment | None:
    if entry.is_dir():
        try:
            parts = parquet_parts(entry)
        except ValueError as exc:
            raise InputError(f"{entry}: {exc}") from exc
        if parts is None:
            return None  # an ordinary sub-folder: discovery does not recurse
        stem = entry.name.removesuffix(".parquet")
        return inspect_path(entry, name=segment_name(stem), origin=origin)
    kind = classify_name(entry.name)
    if kind is None or not entry.is_file():
        return None
    return inspect_path(entry, name=segment_name(kind.stem), origin=origin)


def inspect_path(
    path: Path,
    *,
    name: str,
    declared: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    origin: str = ORIGIN_CONFIG,
) -> Segment:
    """Build the Segment for one file or Parquet folder, recognising what it holds.

    ``declared`` is a config.toml format (``csv``, ``tsv.gz``...); without it the extension
    decides, and the first bytes when the extension says nothing. gzip is recognised by its
    magic bytes, a UTF-16 byte-order mark sets the encoding unless ``encoding`` is given.
    """
    if path.is_dir():
        return _folder_segment(path, name, declared, origin)
    info, head, gz = read_start(path)
    found = recognise(path, head, gz=gz, declared=declared, encoding=encoding, delimiter=delimiter)
    return Segment(
        name=name,
        path=path,
        format=found.format,
        gzip=found.gzip,
        delimiter=found.delimiter,
        encoding=found.encoding,
        size_bytes=info.st_size,
        modified_at=_utc(info.st_mtime_ns),
        origin=origin,
    )


def _folder_segment(path: Path, name: str, declared: str | None, origin: str) -> Segment:
    if declared not in (None, SegmentFormat.PARQUET.value):
        raise InputError(f"{path}: is a folder; only a Parquet folder can be a segment")
    try:
        parts = parquet_parts(path)
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from exc
    if parts is None:
        raise InputError(f"{path}: is not a Parquet folder (no part files, or other files too)")
    stats = [part.stat() for part in parts.files]
    return Segment(
        name=name,
        path=path,
        format=SegmentFormat.PARQUET,
        gzip=False,
        delimiter="",
        size_bytes=sum(s.st_size for s in stats),
        modified_at=_utc(max(s.st_mtime_ns for s in stats)),
        origin=origin,
    )


def _utc(mtime_ns: int) -> datetime:
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)
