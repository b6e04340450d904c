"""Discovery: which segments exist, found in ``segments_dirs`` or named in config.toml.

:func:`find_segments` lists every segment directly inside each segments folder (CSV, TSV, their
``.gz``, Parquet, NDJSON files; Parquet, CSV and NDJSON part folders; Delta tables; every entity
of a CDM folder or ``model.json``/manifest) plus every ``[segments.NAME]`` entry, and says what
was left out and why: a segment that cannot be read is in ``problems`` (with the reason), never
silently absent, and never hides the others; a file that is no segment is in ``warnings``.
What one path holds is :mod:`cc_tui.engine.segments.inspection`'s; reading the segments found
is :mod:`cc_tui.engine.segments.reading`.

Nothing here opens a FIFO, socket or device (``os.stat`` decides first), follows a symbolic link
loop, or reads a path as a pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from cc_tui.engine.segments.cdm import find_metadata, is_cdm_metadata
from cc_tui.engine.segments.cdm_documents import MANIFEST_SUFFIX
from cc_tui.engine.segments.folders import (
    NotPartFolderError,
    folder_parts,
    is_delta_table,
)
from cc_tui.engine.segments.formats import (
    NAME_MAX,
    classify_name,
    segment_name,
    spreadsheet_error,
)
from cc_tui.engine.segments.inspection import inspect_all, inspect_source
from cc_tui.engine.segments.model import (
    Segment,
    SegmentDiscovery,
    path_identity,
)
from cc_tui.engine.segments.path_checks import HIDDEN_PREFIXES, PathKind, kind_of
from cc_tui.errors import InputError
from cc_tui.models.config import AppConfig

__all__ = ["discover_segments", "find_segments"]

_ENTITY_DOC_SUFFIX = ".cdm.json"


def discover_segments(config: AppConfig) -> dict[str, Segment]:
    """Every usable segment by name; see :func:`find_segments` for what was left out and why."""
    return dict(find_segments(config).segments)


def find_segments(
    config: AppConfig, *, max_uncompressed_bytes: int | None = None
) -> SegmentDiscovery:
    """Discover segments in ``config.segments_dirs`` and ``config.segments``.

    A discovered segment's name is made from its own file or folder name alone (``vip.csv``
    is ``vip``), never from what else a folder holds, so that adding a file can never give an
    export's segment name to other people: when several make the same name, none of them gets
    it. Each is listed under its full name then (``vip.csv``, ``vip.parquet``; a folder gets
    its format, ``vip-delta``; a CDM entity its folder's name, ``folder-Entity``) and the
    shared name is in ``problems``, saying which paths make it; a full name that is still
    shared is in ``problems`` too. A ``[segments.NAME]`` entry wins its name (it names one
    path), and a discovered segment that an entry points at is listed only under the entry
    (which carries its options). ``max_uncompressed_bytes`` caps what any compressed segment
    may decompress to (default: the config's ``max_uncompressed_gb``).
    """
    if max_uncompressed_bytes is None:
        max_uncompressed_bytes = config.max_uncompressed_bytes
    warnings: list[str] = []
    problems: dict[str, str] = {}
    configured: dict[str, Segment] = {}
    claimed: set[tuple[Path, str | None]] = set()
    for name, source in sorted(config.segments.items()):
        try:
            segment = inspect_source(source, max_uncompressed_bytes=max_uncompressed_bytes)
        except InputError as exc:
            problems[name] = str(exc)
            claimed.add((path_identity(source.path), source.entity))
            continue
        configured[name] = segment
        claimed.add((path_identity(segment.path), segment.entity))
        claimed.add((path_identity(source.path), segment.entity))
    candidates = [
        found
        for folder in config.segments_dirs
        for found in _discover_folder(folder, warnings, max_uncompressed_bytes)
        if found.segment is None
        or (path_identity(found.segment.path), found.segment.entity) not in claimed
    ]
    found, clashes, shared = _named(candidates, taken=set(config.segments))
    problems.update(clashes)
    found.update(configured)
    return SegmentDiscovery(
        dict(sorted(found.items())), tuple(warnings), dict(sorted(problems.items())), shared
    )


@dataclass(frozen=True, slots=True)
class _Found:
    """A segment a segments folder holds (or one that cannot be read), before it is named."""

    name: str  # the name it makes alone
    full_name: str  # its name when another makes the same one
    path: Path
    segment: Segment | None = None
    problem: str | None = None


def _named(
    candidates: list[_Found], *, taken: set[str]
) -> tuple[dict[str, Segment], dict[str, str], frozenset[str]]:
    """Name every candidate (see :func:`find_segments`): the segments by name, problems, and
    which of the problems are names several candidates make."""
    by_name: dict[str, list[_Found]] = {}
    for found in candidates:
        by_name.setdefault(found.name, []).append(found)
    problems: dict[str, str] = {}
    shared: set[str] = set()
    wanted: dict[str, list[_Found]] = {}
    for name, group in by_name.items():
        if len(group) == 1 and name not in taken:
            wanted.setdefault(name, []).append(group[0])
            continue
        for found in group:
            wanted.setdefault(found.full_name, []).append(found)
        if name not in taken:
            shared.add(name)
            paths = ", ".join(str(f.path) for f in group)
            names = ", ".join(f.full_name for f in group)
            problems[name] = (
                f"several segments make the name {name} ({paths}): none of them has it, so "
                "that a file added later never takes over an export's segment. Fix: use one "
                f"by its own name ({names}), or give one this name with cc-tui segment add "
                f"{name} PATH"
            )
    segments: dict[str, Segment] = {}
    for name, group in wanted.items():
        if len(group) > 1 or name in taken:
            shared.add(name)
            paths = ", ".join(str(f.path) for f in group)
            owner = " and a [segments] entry" if name in taken else ""
            problems[name] = (
                f"the name {name} is made by {paths}{owner}, so no segment found has it. "
                "Fix: add the one you mean under a name of its own with cc-tui segment add "
                "NAME PATH"
            )
            continue
        [found] = group
        if found.segment is not None:
            segments[name] = replace(found.segment, name=name)
        else:
            problems[name] = found.problem or f"{found.path}: cannot be read"
    return segments, problems, frozenset(shared - taken)


def _discover_folder(folder: Path, warnings: list[str], cap: int) -> list[_Found]:
    try:
        if kind_of(folder) is not PathKind.FOLDER:
            warnings.append(f"segments folder {folder} is a file, not a folder; skipped")
            return []
        entries = sorted(folder.iterdir())
    except InputError as exc:
        warnings.append(f"segments folder {exc}; skipped")
        return []
    except OSError as exc:
        warnings.append(f"segments folder {folder} cannot be read ({exc.strerror}); skipped")
        return []
    has_manifest = any(e.name.lower().endswith(MANIFEST_SUFFIX) for e in entries)
    candidates: list[_Found] = []
    skipped: list[tuple[Path, str]] = []
    for entry in entries:
        if entry.name.startswith(HIDDEN_PREFIXES):
            continue
        try:
            listing = _discover_entry(entry, folder, has_manifest=has_manifest, cap=cap)
        except InputError as exc:
            skipped.append((entry, f"{exc}; skipped"))
            continue
        if listing is None:
            continue
        warnings.extend(listing.warnings)
        several = len(listing.segments) + len(listing.problems) > 1
        for segment in listing.segments.values():
            candidates.append(_Found(segment.name, _full_name(segment, entry), entry, segment))
        for name, reason in listing.problems.items():
            full = segment_name(f"{entry.name}-{name}" if several else entry.name)
            candidates.append(_Found(name, full, entry, problem=reason))
    # A segments folder that is itself a CDM folder holds its entities' data in sub-folders:
    # those are read as the entities' partitions, not skipped.
    partition_folders = {
        parent
        for found in candidates
        if found.segment is not None
        for f in found.segment.files
        for parent in f.parents
    }
    warnings.extend(warning for entry, warning in skipped if entry not in partition_folders)
    return candidates


def _full_name(segment: Segment, entry: Path) -> str:
    """A segment's name when another makes the same one: from all of its file name."""
    if segment.entity is not None:
        return segment_name(f"{segment.path.parent.name}-{segment.entity}")
    if entry.is_dir():
        label = segment.format_label
        return f"{segment.name[: NAME_MAX - len(label) - 1]}-{label}"
    return segment_name(entry.name)


def _discover_entry(
    entry: Path, folder: Path, *, has_manifest: bool, cap: int
) -> SegmentDiscovery | None:
    """The segments one entry of a segments folder holds; None when it is to be ignored.

    Raises InputError (a warning: skipped) for an entry that is no segment at all.
    """
    origin = str(folder)
    lowered = entry.name.lower()
    if lowered.endswith(_ENTITY_DOC_SUFFIX) and not lowered.endswith(MANIFEST_SUFFIX):
        if has_manifest:
            return None  # an entity definition, read through its manifest
        raise InputError(f"{entry}: is a CDM entity definition without a manifest beside it")
    kind = classify_name(entry.name)
    stem = segment_name(kind.stem if kind is not None else entry.name)
    looks_like_data = kind is not None or is_cdm_metadata(entry.name)
    try:
        what = kind_of(entry)
    except InputError as exc:
        if looks_like_data:
            return SegmentDiscovery({}, (), {stem: str(exc)})
        raise
    if what is PathKind.FOLDER:
        return _discover_subfolder(entry, origin, cap)
    if not looks_like_data:
        raise spreadsheet_error(entry) or InputError(
            f"{entry}: is not a segment file (CSV, TSV, Parquet, NDJSON, gzip)"
        )
    try:
        return inspect_all(entry, origin=origin, max_uncompressed_bytes=cap)
    except InputError as exc:
        if kind is not None and kind.confirm and not is_cdm_metadata(entry.name):
            raise  # a .json file that is not NDJSON: not a segment
        return SegmentDiscovery({}, (), {stem: str(exc)})


def _discover_subfolder(entry: Path, origin: str, cap: int) -> SegmentDiscovery:
    if not is_delta_table(entry) and find_metadata(entry) is None:
        try:
            folder_parts(entry)
        except NotPartFolderError as exc:
            raise InputError(f"{exc} (sub-folders of a segments folder are not searched)") from exc
        except InputError:
            pass  # a data set with a problem: inspect_all reports it under its name
    name = segment_name(entry.name.removesuffix(".parquet").removesuffix(".delta"))
    try:
        return inspect_all(entry, name=None, origin=origin, max_uncompressed_bytes=cap)
    except InputError as exc:
        return SegmentDiscovery({}, (), {name: str(exc)})
