"""Common Data Model folders, as Dynamics 365 Customer Insights and Dataverse write them.

Two metadata formats describe a CDM folder:

- ``model.json``: ``entities`` (``$type: LocalEntity``) with ``attributes`` (``name``,
  ``dataType``) and ``partitions`` whose ``location`` is a URL of the data file and whose
  ``fileFormatSettings`` (``$type: CsvFormatSettings``) say ``columnHeaders`` (default false),
  ``delimiter``, ``quoteStyle`` (``QuoteStyle.Csv`` / ``QuoteStyle.None``), ``csvStyle``
  (``CsvStyle.QuoteAlways`` / ``CsvStyle.QuoteAfterDelimiter``) and ``encoding``.
- ``*.manifest.cdm.json``: ``entities`` with an ``entityPath`` (``Customer.cdm.json/Customer``,
  the document whose ``definitions`` give the entity's ``hasAttributes``), ``dataPartitions``
  (``location``, ``exhibitsTraits`` such as ``is.partition.format.CSV`` with the arguments
  ``columnHeaders``, ``delimiter``, ``quote``, ``escape``, ``encoding``) and
  ``dataPartitionPatterns`` (``rootLocation`` plus ``globPattern`` or ``regularExpression``,
  matched as the CDM SDK matches them), and ``subManifests`` naming manifests in sub-folders.
  An entity with incremental partitions (Upserts and Deletes) is refused.

Customer Insights writes each export as headerless CSV partitions (quoted fields with ``""``
escapes, CRLF, UTF-8) under ``<Entity>/<YYYY>/<MM>/<DD>/<HHMM>/``, and names them in
``model.json`` by full ``https://<account>.dfs.core.windows.net/<container>/<path>`` URLs.
:func:`read_cdm` maps those URLs onto the local copy (the path after the container, or its
longest tail that exists under the folder holding the metadata; relative paths and ``adls:/``
corpus paths too), reads every partition of an entity as one stream, and picks the newest
snapshot whose partitions are all there (an older one can be asked for by name).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cc_tui.engine.segments.cdm_documents import (
    MANIFEST_SUFFIX,
    MODEL_JSON,
    Declaration,
    Partition,
    declarations,
    load_json,
    sub_manifests,
)
from cc_tui.engine.segments.cdm_locations import map_locations
from cc_tui.engine.segments.cdm_patterns import pattern_files
from cc_tui.engine.segments.folders import part_kind
from cc_tui.engine.segments.model import (
    DEFAULT_ENCODING,
    DEFAULT_QUOTE,
    SegmentFormat,
    path_identity,
)
from cc_tui.engine.segments.path_checks import PathKind, kind_of, walk_files
from cc_tui.errors import InputError
from cc_tui.remote_paths import RemotePath

__all__ = [
    "CdmEntity",
    "CdmFolder",
    "find_metadata",
    "is_cdm_metadata",
    "normalise_snapshot",
    "read_cdm",
]

# <Entity>/<YYYY>/<MM>/<DD>/<HHMM>/: the dated snapshot folders of Customer Insights exports.
_SNAPSHOT_PARTS = (r"\d{4}", r"\d{2}", r"\d{2}", r"\d{4}")
_SNAPSHOT_DIGITS = 12
_QUOTE_STYLES = {"quotestyle.csv": DEFAULT_QUOTE, "quotestyle.none": ""}
_CSV_STYLES = frozenset({"csvstyle.quotealways", "csvstyle.quoteafterdelimiter"})
# How deep manifests may name sub-manifests (Finance and Operations: three or four levels).
_SUB_MANIFEST_DEPTH = 16
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


@dataclass(frozen=True, slots=True)
class CdmEntity:
    """One entity of a CDM folder, resolved to its local data files and how to read them."""

    name: str
    metadata: Path
    columns: tuple[str, ...]
    types: tuple[tuple[str, str], ...]
    files: tuple[Path, ...]
    storage: SegmentFormat
    gzip: bool = False
    header: bool = False
    delimiter: str = ","
    quote: str = DEFAULT_QUOTE
    encoding: str = DEFAULT_ENCODING
    snapshot: str | None = None
    snapshots: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class CdmFolder:
    """Every entity a metadata file describes: those that can be read, and why others cannot."""

    metadata: Path
    entities: list[CdmEntity] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def is_cdm_metadata(name: str) -> bool:
    """True for the names of CDM metadata files (``model.json``, ``*.manifest.cdm.json``)."""
    lowered = name.lower()
    return lowered == MODEL_JSON or lowered.endswith(MANIFEST_SUFFIX)


def find_metadata(folder: Path) -> Path | None:
    """The metadata file of a CDM folder: its ``model.json``, else its only manifest."""
    model = folder / MODEL_JSON
    if model.exists():
        return model
    manifests = sorted(p for p in folder.glob(f"*{MANIFEST_SUFFIX}") if not p.name.startswith("."))
    if len(manifests) > 1:
        names = ", ".join(p.name for p in manifests)
        raise InputError(f"{folder}: holds several CDM manifests ({names}); point at one of them")
    return manifests[0] if manifests else None


def normalise_snapshot(text: str) -> str:
    """``2026/11/29/0600`` from any spelling with those twelve digits (``2026-11-29 06:00``)."""
    digits = re.sub(r"\D", "", text)
    if len(digits) != _SNAPSHOT_DIGITS:
        raise InputError(
            f"snapshot '{text}' is not a date and time like 2026/11/29/0600 (year, month, day, "
            "hours and minutes, as the export's folders are named)"
        )
    return f"{digits[:4]}/{digits[4:6]}/{digits[6:8]}/{digits[8:]}"


def read_cdm(path: Path, *, entity: str | None = None, snapshot: str | None = None) -> CdmFolder:
    """Read a CDM folder (or its ``model.json`` / manifest) into its entities.

    With ``entity``, only that entity is read and any problem with it raises InputError;
    without, each entity that cannot be read goes into ``problems`` with the reason.
    ``snapshot`` picks a dated snapshot instead of the newest complete one.
    """
    metadata = path
    if kind_of(path) is PathKind.FOLDER:
        found = find_metadata(path)
        if found is None:
            raise InputError(f"{path}: holds no model.json or *.manifest.cdm.json")
        metadata = found
    document = load_json(metadata)
    wanted = normalise_snapshot(snapshot) if snapshot else None
    folder = CdmFolder(metadata)
    declared = _all_declarations(metadata, document, folder)
    if entity is not None:
        chosen = [d for d in declared if d.name == entity]
        if not chosen:
            known = ", ".join(d.name for d in declared) or "none"
            raise InputError(f"{metadata}: has no entity '{entity}' (its entities: {known})")
        folder.entities.append(_resolve(chosen[0], wanted))
        return folder
    for declaration in declared:
        try:
            folder.entities.append(_resolve(declaration, wanted))
        except InputError as exc:
            folder.problems[declaration.name] = str(exc)
    return folder


def _all_declarations(
    metadata: Path, document: Mapping[str, Any], folder: CdmFolder
) -> list[Declaration]:
    """The entities of a metadata document and of the sub-manifests it names (a manifest's
    ``subManifests``, each ``definition`` a manifest in a sub-folder, as Dynamics 365 Finance
    and Operations writes them), each entity once by name."""
    declared: dict[str, Declaration] = {}
    pending = [(metadata, document, 0)]
    seen = {path_identity(metadata)}
    while pending:
        current, content, depth = pending.pop(0)
        for declaration in declarations(current, content, folder.warnings, folder.problems):
            if declaration.name in declared:
                folder.warnings.append(
                    f"{current}: declares entity '{declaration.name}' again (it is read from "
                    f"{declared[declaration.name].metadata})"
                )
                continue
            declared[declaration.name] = declaration
        for sub in sub_manifests(current, content, metadata.parent):
            if path_identity(sub) in seen:
                continue
            if depth >= _SUB_MANIFEST_DEPTH:
                raise InputError(f"{current}: sub-manifests nest too deep (over {depth} levels)")
            seen.add(path_identity(sub))
            pending.append((sub, load_json(sub), depth + 1))
    return list(declared.values())


# --- snapshots and partitions ---------------------------------------------------------------


def _snapshot_of(path: Path) -> tuple[Path, str] | None:
    """(the folder holding the dated snapshots, ``YYYY/MM/DD/HHMM``) for a partition file."""
    parts = path.parts[:-1]
    start = len(parts) - len(_SNAPSHOT_PARTS)
    window = parts[start:]
    if start < 1 or not all(
        re.fullmatch(p, w) for p, w in zip(_SNAPSHOT_PARTS, window, strict=True)
    ):
        return None
    return type(path)(*parts[:start]), "/".join(window)


def _snapshots_on_disk(roots: Sequence[Path]) -> set[str]:
    found: set[str] = set()
    for root in roots:
        for candidate in root.glob(
            "[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/[0-9][0-9][0-9][0-9]"
        ):
            if candidate.is_dir():
                found.add("/".join(candidate.parts[-4:]))
    return found


def _resolve(declaration: Declaration, wanted: str | None) -> CdmEntity:
    root = declaration.metadata.parent
    partitions = list(declaration.partitions)
    files = map_locations(root, [p.location for p in partitions])
    files += pattern_files(root, declaration, partitions)
    if not files:
        raise InputError(f"{declaration.metadata}: entity '{declaration.name}' has no partitions")
    notes: list[str] = []
    files, partitions = _listed_once(declaration, files, partitions, notes)
    groups: dict[str | None, list[int]] = {}
    roots: dict[Path, None] = {}
    for index, path in enumerate(files):
        found = _snapshot_of(path)
        if found is not None:
            roots[found[0]] = None
        groups.setdefault(found[1] if found else None, []).append(index)
    available = sorted({key for key in groups if key} | _snapshots_on_disk(list(roots)))
    chosen: str | None
    if wanted is not None:
        listed = groups.get(wanted)
        if listed is None:
            return _disk_snapshot(declaration, partitions, list(roots), wanted, available)
        chosen, indexes = wanted, listed
    else:
        chosen, indexes = _newest_complete(declaration, files, groups, notes)
    chosen_files = [files[i] for i in indexes]
    missing = [p for p in chosen_files if not p.is_file()]
    if missing:
        raise _missing_error(declaration, missing)
    settings = _settings(declaration, [partitions[i] for i in indexes if i < len(partitions)])
    return _entity(
        declaration, chosen_files, settings, snapshot=chosen, snapshots=available, notes=notes
    )


def _listed_once(
    declaration: Declaration, files: list[Path], partitions: list[Partition], notes: list[str]
) -> tuple[list[Path], list[Partition]]:
    """Each partition file once: one listed twice (or matched by two patterns) holds the same
    rows, which would otherwise be read, counted and rejected as duplicates twice."""
    seen: set[Path] = set()
    kept_files: list[Path] = []
    kept_partitions: list[Partition] = []
    for index, path in enumerate(files):
        identity = path if isinstance(path, RemotePath) else path_identity(path)
        if identity in seen:
            notes.append(
                f"{declaration.metadata}: entity '{declaration.name}' lists {path} more than "
                "once; it is read once"
            )
            continue
        seen.add(identity)
        kept_files.append(path)
        if index < len(partitions):
            kept_partitions.append(partitions[index])
    return kept_files, kept_partitions


def _newest_complete(
    declaration: Declaration,
    files: Sequence[Path],
    groups: Mapping[str | None, list[int]],
    notes: list[str],
) -> tuple[str | None, list[int]]:
    if None in groups or len(groups) == 1:
        # Not the dated layout (or one snapshot): every partition is part of the data.
        return next(iter(groups)) if len(groups) == 1 else None, sorted(
            i for indexes in groups.values() for i in indexes
        )
    ordered = sorted((key for key in groups if key is not None), reverse=True)
    for key in ordered:
        missing = [files[i] for i in groups[key] if not files[i].is_file()]
        if not missing:
            older = [other for other in ordered if other < key]
            if older:
                # Each export is a snapshot of its own; if the metadata meant the snapshots'
                # partitions to be read together, the user must be able to see what is left.
                notes.append(
                    f"{declaration.metadata.name} also lists partitions of older snapshot(s) "
                    f"{', '.join(older)} ({sum(len(groups[o]) for o in older)} file(s)): only "
                    f"{key} is read"
                )
            return key, groups[key]
        notes.append(
            f"snapshot {key} is incomplete ({len(missing)} partition(s) missing, e.g. "
            f"{missing[0]}); an older one is read"
        )
    raise _missing_error(
        declaration, [files[i] for i in groups[ordered[0]] if not files[i].is_file()]
    )


def _disk_snapshot(
    declaration: Declaration,
    partitions: Sequence[Partition],
    roots: Sequence[Path],
    wanted: str,
    available: Sequence[str],
) -> CdmEntity:
    """A snapshot the metadata no longer lists, read from its dated folder."""
    for root in roots:
        folder = root.joinpath(*wanted.split("/"))
        if folder.is_dir():
            data = [p for p in walk_files(folder).files if part_kind(p.name) is not None]
            if data:
                settings = _settings(declaration, partitions)
                note = f"snapshot {wanted} is read from its folder (model.json names a newer one)"
                return _entity(
                    declaration, data, settings, snapshot=wanted, snapshots=available, notes=[note]
                )
    listed = ", ".join(available) or "none"
    raise InputError(
        f"{declaration.metadata}: entity '{declaration.name}' has no snapshot {wanted} "
        f"(snapshots: {listed})"
    )


def _missing_error(declaration: Declaration, missing: Sequence[Path]) -> InputError:
    shown = "\n".join(f"  {path}" for path in missing[:10])
    more = f"\n  … and {len(missing) - 10} more" if len(missing) > 10 else ""
    return InputError(
        f"{declaration.metadata}: entity '{declaration.name}' is missing "
        f"{len(missing)} partition file(s):\n{shown}{more}\nFix: copy the whole export folder "
        "(with the dated sub-folders its model.json names), or choose another snapshot"
    )


# --- CSV settings ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Settings:
    header: bool
    delimiter: str
    quote: str
    encoding: str
    parquet: bool


def _settings(declaration: Declaration, partitions: Sequence[Partition]) -> _Settings:
    read = {_read_settings(declaration, p) for p in partitions} or {
        _read_settings(declaration, Partition("", {}))
    }
    if len(read) > 1:
        raise InputError(
            f"{declaration.metadata}: the partitions of entity '{declaration.name}' disagree "
            "on their format (header, delimiter, quoting or encoding); cc-tui reads them as one"
        )
    return next(iter(read))


def _read_settings(declaration: Declaration, partition: Partition) -> _Settings:
    where = f"{declaration.metadata}: entity '{declaration.name}'"
    values = {key.lower(): value for key, value in partition.settings.items()}
    header = _boolean(where, values.get("columnheaders", False))
    delimiter = str(values.get("delimiter") or ",")
    if len(delimiter) != 1:
        raise InputError(f"{where}: delimiter {delimiter!r} is not one character")
    quote = DEFAULT_QUOTE
    if "quotestyle" in values:
        style = str(values["quotestyle"]).lower()
        if style not in _QUOTE_STYLES:
            raise InputError(f"{where}: unknown quoteStyle {values['quotestyle']!r}")
        quote = _QUOTE_STYLES[style]
    if "quote" in values:
        quote = str(values["quote"] or "")
    if "csvstyle" in values and str(values["csvstyle"]).lower() not in _CSV_STYLES:
        raise InputError(f"{where}: unknown csvStyle {values['csvstyle']!r}")
    escape = values.get("escape")
    if escape not in (None, "", quote):
        raise InputError(
            f"{where}: escapes quotes with {escape!r}; cc-tui reads CSV whose quotes are escaped "
            'by doubling them ("") as Customer Insights writes it'
        )
    encoding = str(values.get("encoding") or DEFAULT_ENCODING)
    try:
        encoding = codecs.lookup(encoding).name
    except LookupError as exc:
        raise InputError(f"{where}: unknown encoding {encoding!r}") from exc
    return _Settings(header, delimiter, quote, encoding, partition.parquet)


def _boolean(where: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(f"{where}: columnHeaders {value!r} is not true or false")


def _entity(
    declaration: Declaration,
    files: Sequence[Path],
    settings: _Settings,
    *,
    snapshot: str | None,
    snapshots: Sequence[str],
    notes: Sequence[str],
) -> CdmEntity:
    kinds = {part_kind(path.name) or (SegmentFormat.CSV, False) for path in files}
    parquet = settings.parquet or all(kind[0] is SegmentFormat.PARQUET for kind in kinds)
    gz = {kind[1] for kind in kinds}
    if len(gz) > 1:
        raise InputError(
            f"{declaration.metadata}: entity '{declaration.name}' mixes compressed and plain "
            "partitions"
        )
    return CdmEntity(
        name=declaration.name,
        metadata=declaration.metadata,
        columns=tuple(name for name, _ in declaration.attributes),
        types=declaration.attributes,
        files=tuple(files),
        storage=SegmentFormat.PARQUET if parquet else SegmentFormat.CSV,
        gzip=gz == {True},
        header=settings.header,
        delimiter=settings.delimiter,
        quote=settings.quote,
        encoding=settings.encoding,
        snapshot=snapshot,
        snapshots=tuple(snapshots),
        notes=tuple(notes),
    )
