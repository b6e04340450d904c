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

from dataclasses import replace
from pathlib import Path

from cc_tui.engine.segments.cdm import find_metadata, is_cdm_metadata
from cc_tui.engine.segments.cdm_segments import cdm_segments
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
)
from cc_tui.engine.segments.headerless import first_rows, header_note
from cc_tui.engine.segments.model import (
    DEFAULT_MAX_UNCOMPRESSED_BYTES,
    DEFAULT_QUOTE,
    ORIGIN_CONFIG,
    ReadingOptions,
    Segment,
    SegmentDiscovery,
    SegmentFormat,
    modified_at,
)
from cc_tui.engine.segments.path_checks import PathKind, first_with_data, kind_of
from cc_tui.errors import InputError
from cc_tui.models.config import SegmentSource

__all__ = ["cdm_metadata", "inspect_all", "inspect_path", "inspect_source"]

_GENERATED_COLUMN = "column_{}"
_PARQUET_MAGIC = b"PAR1"
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
    options = ReadingOptions(
        declared, encoding, delimiter, quote, header, columns, snapshot, max_uncompressed_bytes
    )
    what = kind_of(path)
    fmt = declared.removesuffix(".gz") if declared else None
    if fmt == SegmentFormat.CDM or (fmt is None and cdm_metadata(path) is not None):
        return cdm_segments(path, name, entity, options, origin)
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


def _file_segment(path: Path, name: str, options: ReadingOptions, origin: str) -> Segment:
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
        modified_at=modified_at(info.st_mtime_ns),
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
    segment: Segment, head: bytes, options: ReadingOptions, *, default_header: bool
) -> Segment:
    """Apply quote, header and column names; name a headerless file's columns if need be."""
    quote = DEFAULT_QUOTE if options.quote is None else options.quote
    header = default_header if options.header is None else options.header
    columns = options.columns
    notes = list(segment.notes)
    if not header:
        first = first_rows(segment, head, quote)
        if not columns:
            width = max(first.width, 1)
            columns = tuple(_GENERATED_COLUMN.format(i) for i in range(1, width + 1))
            notes.append(
                f"the file has no header line: its {width} columns are named column_1 to "
                f"column_{width}; name them with columns = [...] under [segments.{segment.name}]"
            )
        notes.extend(header_note(segment, first))
    return replace(segment, quote=quote, header=header, columns=columns, notes=tuple(notes))


def _folder_segment(
    path: Path, name: str, fmt: str | None, options: ReadingOptions, origin: str
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
    path: Path, name: str, parts: FolderParts, origin: str, options: ReadingOptions
) -> Segment:
    stats = [part.stat() for part in parts.files]
    return Segment(
        name=name,
        path=path,
        format=parts.format,
        gzip=parts.gzip,
        delimiter="" if parts.format in (SegmentFormat.PARQUET, SegmentFormat.NDJSON) else ",",
        size_bytes=sum(s.st_size for s in stats),
        modified_at=modified_at(max(s.st_mtime_ns for s in stats)),
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
        modified_at=modified_at(found.committed_ns),
        origin=origin,
        delta_version=found.version,
        notes=(
            f"Delta table version {found.version:,} ({found.files:,} data files): a run reads "
            "the version that is the latest when it starts, from start to end",
        ),
    )
