"""The entities of a CDM folder as segments: their names (and names that clash), and the
checks that a partition's header or width agrees with the metadata that names its columns.

Reading the metadata itself (``model.json``, manifests) is :mod:`cc_tui.engine.segments.cdm`'s.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from cc_tui.engine.segments.cdm import CdmEntity, read_cdm
from cc_tui.engine.segments.formats import (
    free_name,
    read_start,
    segment_name,
    text_line_end,
    utf8_head,
)
from cc_tui.engine.segments.headerless import first_rows, header_note
from cc_tui.engine.segments.model import (
    ReadingOptions,
    Segment,
    SegmentDiscovery,
    SegmentFormat,
    modified_at,
)
from cc_tui.engine.segments.path_checks import first_with_data
from cc_tui.errors import InputError

if TYPE_CHECKING:
    import polars as pl

__all__ = ["cdm_segments"]


def cdm_segments(
    path: Path, name: str | None, entity: str | None, options: ReadingOptions, origin: str
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


def _entity_name(name: str | None, entity: str, several: bool) -> str:
    if name is None:
        return segment_name(entity)
    return segment_name(f"{name}-{entity}") if several else name


def _entity_segment(entity: CdmEntity, name: str, options: ReadingOptions, origin: str) -> Segment:
    stats = [path.stat() for path in entity.files]
    segment = Segment(
        name=name,
        path=entity.metadata,
        format=SegmentFormat.CDM,
        gzip=entity.gzip,
        delimiter=options.delimiter or entity.delimiter,
        encoding=options.encoding or entity.encoding,
        size_bytes=sum(s.st_size for s in stats),
        modified_at=modified_at(max(s.st_mtime_ns for s in stats)),
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
            rows = first_rows(segment, head, segment.quote)
            if not options.columns:
                _check_width(segment, first, rows)
            notes = header_note(segment, rows)
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
