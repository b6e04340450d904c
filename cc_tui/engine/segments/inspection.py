"""What one path holds, as segments: a file's format and text options, a folder's part files,
a Delta table, or the entities of a CDM folder.

:func:`inspect_path` recognises the one segment a path holds (a ``[segments.NAME]`` entry's
options applied: :func:`inspect_source`); :func:`inspect_all` gives every segment one path
holds (a CDM folder with several entities); :func:`cdm_metadata` says whether a path is a CDM
folder (or its metadata file) at all. Which paths are looked at is discovery's
(:mod:`cc_tui.engine.segments.discovery`).

Nothing here opens a FIFO, socket or device (``os.stat`` decides first), follows a symbolic link
loop, or reads a path as a pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cc_tui.engine.segments.cdm import CdmEntity, find_metadata, is_cdm_metadata, read_cdm
from cc_tui.engine.segments.folders import (
    FolderParts,
    folder_parts,
    is_delta_table,
    refuse_inside_delta_table,
)
from cc_tui.engine.segments.formats import (
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
    SegmentDiscovery,
    SegmentFormat,
)
from cc_tui.engine.segments.path_checks import PathKind, first_with_data, kind_of
from cc_tui.errors import InputError
from cc_tui.models.config import SegmentSource

if TYPE_CHECKING:
    import polars as pl

__all__ = ["cdm_metadata", "free_name", "inspect_all", "inspect_path", "inspect_source"]

_GENERATED_COLUMN = "column_{}"
_PARQUET_MAGIC = b"PAR1"
# Rows of a headerless file looked at for its width, and for a first line that is a header:
# at least this many rows, and this share of them after the first holding an '@'.
_SAMPLE_ROWS = 20
_HEADER_HINT_ROWS = 2
_HEADER_HINT_SHARE = 0.5
_FOLDER_FORMATS = (
    SegmentFormat.PARQUET,
    SegmentFormat.CSV,
    SegmentFormat.TSV,
    SegmentFormat.NDJSON,
)


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
    if head.startswith(_PARQUET_MAGIC):
        refuse_inside_delta_table(path)  # one data file of a table: maybe deleted rows
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
        skip_lines=found.skip_lines,
        max_uncompressed_bytes=options.cap,
    )
    if found.notes:
        segment = replace(segment, notes=found.notes)
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
    if not header:
        first = _first_rows(segment, head, quote)
        if not columns:
            width = max(first.width, 1)
            columns = tuple(_GENERATED_COLUMN.format(i) for i in range(1, width + 1))
            notes.append(
                f"the file has no header line: its {width} columns are named column_1 to "
                f"column_{width}; name them with columns = [...] under [segments.{segment.name}]"
            )
        notes.extend(_header_note(segment, first))
    return replace(segment, quote=quote, header=header, columns=columns, notes=tuple(notes))


def _header_note(segment: Segment, first: pl.DataFrame) -> tuple[str, ...]:
    """A note when the first line of a file read without a header looks like one."""
    if not _looks_like_a_header(first):
        return ()
    shown = ", ".join(str(value) for value in first.row(0) if value is not None)
    return (
        f"its first line ({shown}) looks like a header line, not a row: it holds no e-mail "
        "address where the lines after it do. If it is one, add the segment with --header "
        f"(header = true under [segments.{segment.name}]); read as it is, that line is a row "
        "with an invalid e-mail",
    )


def _looks_like_a_header(first: pl.DataFrame) -> bool:
    """True when a column holds e-mail addresses on most rows but not on the first."""
    import polars as pl

    if first.height < _HEADER_HINT_ROWS:
        return False
    for name in first.columns:
        values = first.get_column(name).cast(pl.String)
        rest = values.slice(1).drop_nulls()
        top = values[0]
        if top is None or "@" in top or rest.is_empty():
            continue
        if rest.str.contains("@", literal=True).mean() >= _HEADER_HINT_SHARE:  # type: ignore[operator]
            return True
    return False


def _first_rows(segment: Segment, head: bytes, quote: str) -> pl.DataFrame:
    """The first rows of a headerless file as text (from its first bytes, decompressed)."""
    import polars as pl

    from cc_tui.engine.segments.scan import TextOptions, parse_head

    text = utf8_head(head, segment.encoding)
    cut = text.rfind(segment.line_end.encode())
    sample = text[: cut + 1] if cut > 0 else text
    if not sample.strip():
        return pl.DataFrame()
    options = TextOptions(
        segment.delimiter,
        quote,
        header=False,
        line_end=segment.line_end,
        skip_lines=segment.skip_lines,
    )
    try:
        return parse_head(sample, SegmentFormat.CSV, options, _SAMPLE_ROWS, typed=False)
    except pl.exceptions.PolarsError as exc:
        from cc_tui.engine.segments.read_errors import quote_trouble

        located = quote_trouble(replace(segment, quote=quote))
        raise located or InputError(f"{segment.path}: cannot be read as CSV ({exc})") from exc


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
    first = first_with_data(parts.files)
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
    from cc_tui.engine.segments.delta_tables import latest_version

    found = latest_version(path)
    return Segment(
        name=name,
        path=path,
        format=SegmentFormat.DELTA,
        delimiter="",
        size_bytes=found.size_bytes,
        modified_at=_utc(found.committed_ns),
        origin=origin,
        delta_version=found.version,
        notes=(
            f"Delta table version {found.version:,} ({found.files:,} data files): a run reads "
            "the version that is the latest when it starts, from start to end",
        ),
    )


def _cdm_segments(
    path: Path, name: str | None, entity: str | None, options: _Options, origin: str
) -> SegmentDiscovery:
    folder = read_cdm(path, entity=entity, snapshot=options.snapshot)
    several = len(folder.entities) + len(folder.problems) > 1
    segments: dict[str, Segment] = {}
    problems: dict[str, str] = {}
    clashes = _name_clashes(
        path, name, [*folder.problems, *(found.name for found in folder.entities)], several
    )
    for problem_entity, reason in folder.problems.items():
        taken = set(segments) | set(problems)
        problems[free_name(_entity_name(name, problem_entity, several), taken)] = reason
    for found in folder.entities:
        entity_name = free_name(
            _entity_name(name, found.name, several), set(segments) | set(problems)
        )
        if found.name in clashes:
            problems[entity_name] = clashes[found.name]
            continue
        try:
            segment = _entity_segment(found, entity_name, options, origin)
        except InputError as exc:  # this entity cannot be read; the others still can
            problems[entity_name] = str(exc)
            continue
        segments[segment.name] = segment
    return SegmentDiscovery(segments, tuple(folder.warnings), problems)


def _name_clashes(
    path: Path, name: str | None, entities: list[str], several: bool
) -> dict[str, str]:
    """Why each entity whose name makes the same segment name as another's is not listed.

    Entity names may differ only in what a segment name cannot hold ("Churn risk: high",
    "Churn risk / high"): a name given to one of them by their order could name the other
    once the export lists them in another order, and export its people.
    """
    by_name: dict[str, list[str]] = {}
    for entity in entities:
        by_name.setdefault(_entity_name(name, entity, several), []).append(entity)
    clashes = {}
    for segment, group in by_name.items():
        if len(group) < 2:
            continue
        listed = ", ".join(f"'{entity}'" for entity in group)
        for entity in group:
            clashes[entity] = (
                f"{path}: the entities {listed} all make the segment name {segment}, so none "
                "of them is listed under it. Fix: add the one you want by its entity, e.g. "
                f"cc-tui segment add NAME {path} --entity '{entity}' (entity = \"...\" under "
                "[segments.NAME])"
            )
    return clashes


def free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... when it is taken."""
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    return candidate


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
        # Parquet partitions name their own columns: those, as stored, are the ones read.
        column_types=()
        if options.columns or entity.storage is SegmentFormat.PARQUET
        else entity.types,
        notes=entity.notes,
        max_uncompressed_bytes=options.cap,
    )
    if segment.is_text:
        first = first_with_data(entity.files)
        _, head, _ = read_start(first)
        text = utf8_head(head, segment.encoding)
        end = text_line_end(first, text, segment.quote)
        segment = replace(segment, line_end=end)
        if segment.header and not options.columns:
            _check_header(segment, first, text)
        if not segment.header:
            first_rows = _first_rows(segment, head, segment.quote)
            if not options.columns:
                _check_width(segment, first, first_rows)
            notes = _header_note(segment, first_rows)
            segment = replace(segment, notes=segment.notes + notes)
    return segment


def _check_width(segment: Segment, first: Path, rows: pl.DataFrame) -> None:
    """Refuse headerless partitions whose rows hold values past the declared attributes.

    The columns are named by the attributes, position by position; rows with more values
    than that were written under other metadata, and which value is which cannot be told
    (an empty field after a trailing delimiter is no value, and is fine).
    """
    declared = segment.columns or ()
    extra = rows.columns[len(declared) :]
    if not extra or all(rows.get_column(name).null_count() == rows.height for name in extra):
        return
    raise InputError(
        f"{first}: its rows hold {rows.width} fields, but {segment.path.name} declares "
        f"{len(declared)} attributes for entity '{segment.entity}' ({', '.join(declared)}). "
        "The columns are named by position, so values would be read under other columns' "
        "names. Fix: export the entity again so that its files and its metadata agree"
    )


def _check_header(segment: Segment, first: Path, text: bytes) -> None:
    """Refuse partitions whose header line puts a declared column at another place.

    The columns are named by the metadata's attributes, position by position (a header that
    spells a column otherwise is renamed by them); a header that names a declared column at
    another position means the files and the metadata disagree on the order, and e-mails
    would be read under another column's name.
    """
    import polars as pl

    from cc_tui.engine.segments.scan import TextOptions, parse_head

    options = TextOptions(segment.delimiter, segment.quote, header=True, line_end=segment.line_end)
    try:
        found = parse_head(text, SegmentFormat.CSV, options, 1, typed=False).columns
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{first}: cannot be read as CSV ({exc})") from exc
    declared = [name.casefold() for name in segment.columns or ()]
    if len(found) > len(declared):
        raise InputError(
            f"{first}: its header line names {len(found)} columns ({', '.join(found)}), but "
            f"{segment.path.name} declares {len(declared)} attributes for entity "
            f"'{segment.entity}' ({', '.join(segment.columns or ())}). The columns are named "
            "by position, so values would be read under other columns' names. Fix: export the "
            "entity again so that its files and its metadata agree"
        )
    moved = [
        (name, position, declared.index(name.strip().casefold()))
        for position, name in enumerate(found)
        if name.strip().casefold() in declared
        and declared.index(name.strip().casefold()) != position
    ]
    if not moved:
        return
    name, position, expected = moved[0]
    raise InputError(
        f"{first}: its header line names the columns {', '.join(found)}: {name} is column "
        f"{position + 1}, but {segment.path.name} declares it as column {expected + 1} of "
        f"entity '{segment.entity}' ({', '.join(segment.columns or ())}). The columns are "
        "named in the declared order, so they would be mixed up. Fix: export the entity again "
        "so that its files and its metadata agree"
    )


def _utc(mtime_ns: int) -> datetime:
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)
