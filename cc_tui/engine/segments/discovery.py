"""Discovery: which segments exist, found in ``segments_dirs`` or named in config.toml.

:func:`find_segments` lists every segment directly inside each segments folder (CSV, TSV, their
``.gz``, Parquet, NDJSON files; Parquet, CSV and NDJSON part folders; Delta tables; every entity
of a CDM folder or ``model.json``/manifest) plus every ``[segments.NAME]`` entry, and says what
was left out and why: a segment that cannot be read is in ``problems`` (with the reason), never
silently absent, and never hides the others; a file that is no segment is in ``warnings``.
:func:`inspect_path` recognises what one path holds as one segment; :func:`inspect_all` gives
every segment one path holds (a CDM folder with several entities), and :func:`cdm_metadata`
says whether a path is a CDM folder (or its metadata file) at all. Reading the segments found
is :mod:`cc_tui.engine.segments.reading`.

Nothing here opens a FIFO, socket or device (``os.stat`` decides first), follows a symbolic link
loop, or reads a path as a pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from cc_tui.engine.segments.cdm import (
    MANIFEST_SUFFIX,
    CdmEntity,
    find_metadata,
    is_cdm_metadata,
    read_cdm,
)
from cc_tui.engine.segments.folders import (
    FolderParts,
    NotPartFolderError,
    folder_parts,
    is_delta_table,
)
from cc_tui.engine.segments.formats import (
    NAME_MAX,
    classify_name,
    read_start,
    recognise,
    segment_name,
    text_line_end,
    utf8_head,
)
from cc_tui.engine.segments.model import (
    DEFAULT_MAX_UNCOMPRESSED_BYTES,
    DEFAULT_QUOTE,
    ORIGIN_CONFIG,
    Segment,
    SegmentFormat,
    path_identity,
)
from cc_tui.engine.segments.path_checks import HIDDEN_PREFIXES, PathKind, kind_of
from cc_tui.errors import InputError
from cc_tui.models.config import AppConfig, SegmentSource

__all__ = [
    "SegmentDiscovery",
    "cdm_metadata",
    "discover_segments",
    "find_segments",
    "inspect_all",
    "inspect_path",
    "inspect_source",
]

_GENERATED_COLUMN = "column_{}"
_ENTITY_DOC_SUFFIX = ".cdm.json"
_FOLDER_FORMATS = (
    SegmentFormat.PARQUET,
    SegmentFormat.CSV,
    SegmentFormat.TSV,
    SegmentFormat.NDJSON,
)


@dataclass(frozen=True, slots=True)
class SegmentDiscovery:
    """What discovery found: the segments by name, and why other things were left out.

    ``problems`` maps the name of a segment that cannot be used (a ``[segments.NAME]`` entry,
    or something found in a segments folder) to the reason; ``warnings`` say which files were
    skipped because they are no segment, and why.
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


def find_segments(
    config: AppConfig, *, max_uncompressed_bytes: int | None = None
) -> SegmentDiscovery:
    """Discover segments in ``config.segments_dirs`` and ``config.segments``.

    Entries are taken in folder order, then by name, so names are stable: when two share a
    name the second one gets its format appended (``vip`` and ``vip-parquet``; a CDM entity
    gets its folder's name). A ``[segments.NAME]`` entry wins its name, and a discovered
    segment that an entry points at is listed only under the entry (which carries its
    options). ``max_uncompressed_bytes`` caps what any compressed segment may decompress to
    (default: the config's ``max_uncompressed_gb``).
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
    found: dict[str, Segment] = {}
    taken = set(config.segments)
    for folder in config.segments_dirs:
        listing = _discover_folder(folder, warnings, max_uncompressed_bytes)
        for segment in listing.segments.values():
            if (path_identity(segment.path), segment.entity) in claimed:
                continue
            name = _free_name(segment, taken)
            taken.add(name)
            found[name] = replace(segment, name=name)
        for name, reason in listing.problems.items():
            free = _free_problem_name(name, taken)
            taken.add(free)
            problems[free] = reason
    found.update(configured)
    return SegmentDiscovery(
        dict(sorted(found.items())), tuple(warnings), dict(sorted(problems.items()))
    )


def _free_name(segment: Segment, taken: set[str]) -> str:
    if segment.name not in taken:
        return segment.name
    if segment.entity is not None:
        base = segment_name(f"{segment.path.parent.name}-{segment.entity}")
        candidate, number = base, 2
    else:
        label = segment.format_label
        base = segment.name[: NAME_MAX - len(label) - 4]
        candidate, number = f"{base}-{label}", 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _free_problem_name(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    return candidate


def _discover_folder(folder: Path, warnings: list[str], cap: int) -> SegmentDiscovery:
    try:
        if kind_of(folder) is not PathKind.FOLDER:
            warnings.append(f"segments folder {folder} is a file, not a folder; skipped")
            return SegmentDiscovery({})
        entries = sorted(folder.iterdir())
    except InputError as exc:
        warnings.append(f"segments folder {exc}; skipped")
        return SegmentDiscovery({})
    except OSError as exc:
        warnings.append(f"segments folder {folder} cannot be read ({exc.strerror}); skipped")
        return SegmentDiscovery({})
    has_manifest = any(e.name.lower().endswith(MANIFEST_SUFFIX) for e in entries)
    segments: dict[str, Segment] = {}
    problems: dict[str, str] = {}
    for entry in entries:
        if entry.name.startswith(HIDDEN_PREFIXES):
            continue
        try:
            listing = _discover_entry(entry, folder, has_manifest=has_manifest, cap=cap)
        except InputError as exc:
            warnings.append(f"{exc}; skipped")
            continue
        if listing is None:
            continue
        warnings.extend(listing.warnings)
        for segment in listing.segments.values():
            name = _free_name(segment, set(segments) | set(problems))
            segments[name] = replace(segment, name=name)
        for name, reason in listing.problems.items():
            problems[_free_problem_name(name, set(segments) | set(problems))] = reason
    return SegmentDiscovery(segments, (), problems)


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
        raise InputError(f"{entry}: is not a segment file (CSV, TSV, Parquet, NDJSON, gzip)")
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


def inspect_source(
    source: SegmentSource, *, max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES
) -> Segment:
    """The segment a ``[segments.NAME]`` entry describes, with every option it sets."""
    return inspect_path(
        source.path,
        name=source.name,
        declared=source.format,
        encoding=source.encoding,
        delimiter=source.delimiter,
        quote=source.quote,
        header=source.header,
        columns=source.columns,
        entity=source.entity,
        snapshot=source.snapshot,
        origin=ORIGIN_CONFIG,
        max_uncompressed_bytes=max_uncompressed_bytes,
    )


def inspect_path(
    path: Path,
    *,
    name: str,
    declared: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    quote: str | None = None,
    header: bool | None = None,
    columns: tuple[str, ...] | None = None,
    entity: str | None = None,
    snapshot: str | None = None,
    origin: str = ORIGIN_CONFIG,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
) -> Segment:
    """Build the one Segment a file or folder holds, recognising what it is.

    ``declared`` is a config.toml format (``csv``, ``tsv.gz``, ``cdm``, ``delta``...); without
    it the name decides, and the first bytes when the name says nothing. gzip is recognised by
    its magic bytes; a UTF-16 byte-order mark sets the encoding unless ``encoding`` is given.
    ``quote`` ("" = no quoting), ``header`` (None: files have one, Spark part folders do not),
    ``columns`` (names of a headerless file's columns), ``entity`` and ``snapshot`` (of a CDM
    folder) are the ``[segments.NAME]`` options. A CDM folder with several entities needs
    ``entity``. Raises InputError saying what is wrong.
    """
    found = inspect_all(
        path,
        name=name,
        declared=declared,
        encoding=encoding,
        delimiter=delimiter,
        quote=quote,
        header=header,
        columns=columns,
        entity=entity,
        snapshot=snapshot,
        origin=origin,
        max_uncompressed_bytes=max_uncompressed_bytes,
    )
    if len(found.segments) == 1 and not found.problems:
        return next(iter(found.segments.values()))
    if entity is None and len(found.segments) + len(found.problems) > 1:
        entities = ", ".join(
            sorted({s.entity or n for n, s in found.segments.items()} | set(found.problems))
        )
        raise InputError(
            f"{path}: holds several CDM entities ({entities}). Fix: choose one (--entity NAME "
            f'on the command line, entity = "NAME" under [segments.{name}]), or add the '
            f"folder that holds {path.parent.name} with cc-tui segment add --dir for one "
            "segment per entity"
        )
    if found.problems:
        raise InputError(next(iter(found.problems.values())))
    raise InputError(f"{path}: holds no segment")


def inspect_all(
    path: Path,
    *,
    name: str | None = None,
    declared: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    quote: str | None = None,
    header: bool | None = None,
    columns: tuple[str, ...] | None = None,
    entity: str | None = None,
    snapshot: str | None = None,
    origin: str = ORIGIN_CONFIG,
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES,
) -> SegmentDiscovery:
    """Every segment one path holds: one, or one per entity of a CDM folder.

    Names: ``name`` when there is one segment; for several CDM entities each is named from
    its entity (``name-entity`` when ``name`` is given). Entities that cannot be read are in
    ``problems`` under the name they would have had. Options as for :func:`inspect_path`;
    raises InputError when the path itself is unusable (missing, a FIFO, not a segment).
    """
    options = _Options(
        declared, encoding, delimiter, quote, header, columns, snapshot, max_uncompressed_bytes
    )
    what = kind_of(path)
    fmt = declared.removesuffix(".gz") if declared else None
    if fmt == SegmentFormat.CDM or (fmt is None and cdm_metadata(path) is not None):
        return _cdm_segments(path, name, entity, options, origin)
    if entity is not None:
        raise InputError(f"{path}: is not a CDM folder, so it has no entity '{entity}'")
    default_name = name or segment_name(_stem(path))
    if what is PathKind.FOLDER:
        segment = _folder_segment(path, default_name, fmt, options, origin)
    else:
        segment = _file_segment(path, default_name, options, origin)
    return SegmentDiscovery({segment.name: segment})


def cdm_metadata(path: Path) -> Path | None:
    """The CDM metadata file ``path`` names: itself when it is a ``model.json`` or
    ``*.manifest.cdm.json``, its folder's one when it is a CDM folder; None for any other path.

    Examined with ``stat`` first (a FIFO, socket or device raises InputError, never opened);
    a folder with several manifests raises InputError too (it must be pointed at one).
    """
    what = kind_of(path)
    if what is PathKind.FILE:
        return path if is_cdm_metadata(path.name) else None
    return find_metadata(path)


def _stem(path: Path) -> str:
    kind = classify_name(path.name)
    if kind is not None:
        return kind.stem
    return path.name.removesuffix(".parquet").removesuffix(".delta")


@dataclass(frozen=True, slots=True)
class _Options:
    """The reading options a user may set for one segment."""

    declared: str | None
    encoding: str | None
    delimiter: str | None
    quote: str | None
    header: bool | None
    columns: tuple[str, ...] | None
    snapshot: str | None
    cap: int


def _file_segment(path: Path, name: str, options: _Options, origin: str) -> Segment:
    if options.declared in (SegmentFormat.DELTA.value,):
        raise InputError(f"{path}: is a file; a Delta Lake table is a folder with _delta_log")
    info, head, gz = read_start(path)
    found = recognise(
        path,
        head,
        gz=gz,
        declared=options.declared,
        encoding=options.encoding,
        delimiter=options.delimiter,
        quote=options.quote,
    )
    segment = Segment(
        name=name,
        path=path,
        format=found.format,
        gzip=found.gzip,
        delimiter=found.delimiter,
        encoding=found.encoding,
        size_bytes=info.st_size,
        modified_at=_utc(info.st_mtime_ns),
        origin=origin,
        line_end=found.line_end,
        max_uncompressed_bytes=options.cap,
    )
    if segment.is_text:
        return _with_text_options(segment, head, options, default_header=True)
    return segment


def _with_text_options(
    segment: Segment, head: bytes, options: _Options, *, default_header: bool
) -> Segment:
    """Apply quote, header and column names; name a headerless file's columns if need be."""
    quote = DEFAULT_QUOTE if options.quote is None else options.quote
    header = default_header if options.header is None else options.header
    columns = options.columns
    notes = list(segment.notes)
    if not header and not columns:
        width = _field_count(segment, head, quote)
        columns = tuple(_GENERATED_COLUMN.format(i) for i in range(1, width + 1))
        notes.append(
            f"the file has no header line: its {width} columns are named column_1 to "
            f"column_{width}; name them with columns = [...] under [segments.{segment.name}]"
        )
    return replace(segment, quote=quote, header=header, columns=columns, notes=tuple(notes))


def _field_count(segment: Segment, head: bytes, quote: str) -> int:
    """Fields on the first lines of a headerless file (its first bytes, decompressed)."""
    import polars as pl

    from cc_tui.engine.segments.scan import TextOptions, parse_head

    text = utf8_head(head, segment.encoding)
    cut = text.rfind(segment.line_end.encode())
    sample = text[: cut + 1] if cut > 0 else text
    if not sample.strip():
        return 1
    options = TextOptions(segment.delimiter, quote, header=False, line_end=segment.line_end)
    try:
        return max(parse_head(sample, SegmentFormat.CSV, options, 20, typed=False).width, 1)
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{segment.path}: cannot be read as CSV ({exc})") from exc


def _folder_segment(
    path: Path, name: str, fmt: str | None, options: _Options, origin: str
) -> Segment:
    if fmt == SegmentFormat.DELTA or (fmt is None and is_delta_table(path)):
        return _delta_segment(path, name, origin)
    if is_delta_table(path):
        raise InputError(f'{path}: is a Delta Lake table; declare it as format = "delta"')
    expected = SegmentFormat(fmt) if fmt in {f.value for f in _FOLDER_FORMATS} else None
    if fmt is not None and expected is None:
        raise InputError(f"{path}: is a folder; it cannot be read as {fmt}")
    parts = folder_parts(path, expected)
    segment = _parts_segment(path, name, parts, origin, options)
    if not segment.is_text:
        return segment
    first = parts.files[0]
    info, head, gz = read_start(first)
    del info
    found = recognise(
        first,
        head,
        gz=gz,
        declared=segment.format_label,
        encoding=options.encoding,
        delimiter=options.delimiter,
        quote=options.quote,
    )
    segment = replace(
        segment, delimiter=found.delimiter, encoding=found.encoding, line_end=found.line_end
    )
    # Spark writes CSV parts without a header line unless told to (option header=true).
    return _with_text_options(segment, head, options, default_header=False)


def _parts_segment(
    path: Path, name: str, parts: FolderParts, origin: str, options: _Options
) -> Segment:
    stats = [part.stat() for part in parts.files]
    return Segment(
        name=name,
        path=path,
        format=parts.format,
        gzip=parts.gzip,
        delimiter="" if parts.format in (SegmentFormat.PARQUET, SegmentFormat.NDJSON) else ",",
        size_bytes=sum(s.st_size for s in stats),
        modified_at=_utc(max(s.st_mtime_ns for s in stats)),
        origin=origin,
        max_uncompressed_bytes=options.cap,
        notes=tuple(parts.skipped),
    )


def _delta_segment(path: Path, name: str, origin: str) -> Segment:
    from cc_tui.engine.segments.copies import data_files

    segment = Segment(name=name, path=path, format=SegmentFormat.DELTA, delimiter="", origin=origin)
    log = data_files(segment)
    if not log:
        raise InputError(f"{path}: has an empty _delta_log (no commits)")
    stats = [part.stat() for part in log]
    return replace(
        segment,
        size_bytes=sum(s.st_size for s in stats),
        modified_at=_utc(max(s.st_mtime_ns for s in stats)),
    )


def _cdm_segments(
    path: Path, name: str | None, entity: str | None, options: _Options, origin: str
) -> SegmentDiscovery:
    folder = read_cdm(path, entity=entity, snapshot=options.snapshot)
    several = len(folder.entities) + len(folder.problems) > 1
    segments: dict[str, Segment] = {}
    for found in folder.entities:
        segment = _entity_segment(found, _entity_name(name, found.name, several), options, origin)
        segments[segment.name] = segment
    problems = {
        _entity_name(name, problem_entity, several): reason
        for problem_entity, reason in folder.problems.items()
    }
    return SegmentDiscovery(segments, tuple(folder.warnings), problems)


def _entity_name(name: str | None, entity: str, several: bool) -> str:
    if name is None:
        return segment_name(entity)
    return segment_name(f"{name}-{entity}") if several else name


def _entity_segment(entity: CdmEntity, name: str, options: _Options, origin: str) -> Segment:
    stats = [path.stat() for path in entity.files]
    segment = Segment(
        name=name,
        path=entity.metadata,
        format=SegmentFormat.CDM,
        gzip=entity.gzip,
        delimiter=options.delimiter or entity.delimiter,
        encoding=options.encoding or entity.encoding,
        size_bytes=sum(s.st_size for s in stats),
        modified_at=_utc(max(s.st_mtime_ns for s in stats)),
        origin=origin,
        quote=entity.quote if options.quote is None else options.quote,
        header=entity.header if options.header is None else options.header,
        columns=options.columns or entity.columns,
        files=entity.files,
        storage=entity.storage,
        entity=entity.name,
        snapshot=entity.snapshot,
        snapshots=entity.snapshots,
        column_types=() if options.columns else entity.types,
        notes=entity.notes,
        max_uncompressed_bytes=options.cap,
    )
    if segment.is_text:
        _, head, _ = read_start(entity.files[0])
        end = text_line_end(entity.files[0], utf8_head(head, segment.encoding), segment.quote)
        segment = replace(segment, line_end=end)
    return segment


def _utc(mtime_ns: int) -> datetime:
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)
