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
  ``dataPartitionPatterns`` (``rootLocation`` plus ``globPattern`` or ``regularExpression``).

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
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from cc_tui.engine.segments.folders import part_kind
from cc_tui.engine.segments.model import DEFAULT_ENCODING, DEFAULT_QUOTE, SegmentFormat
from cc_tui.engine.segments.path_checks import PathKind, kind_of, require_file, walk_files
from cc_tui.errors import InputError

__all__ = [
    "MANIFEST_SUFFIX",
    "MODEL_JSON",
    "CdmEntity",
    "CdmFolder",
    "find_metadata",
    "is_cdm_metadata",
    "normalise_snapshot",
    "read_cdm",
]

MODEL_JSON = "model.json"
MANIFEST_SUFFIX = ".manifest.cdm.json"
_ENTITY_DOC_SUFFIX = ".cdm.json"
# The largest metadata file read (a model.json of hundreds of entities is a few MB).
_METADATA_MAX_BYTES = 64 * 1024 * 1024
# <Entity>/<YYYY>/<MM>/<DD>/<HHMM>/: the dated snapshot folders of Customer Insights exports.
_SNAPSHOT_PARTS = (r"\d{4}", r"\d{2}", r"\d{2}", r"\d{4}")
_SNAPSHOT_DIGITS = 12
_CSV_TRAIT = "is.partition.format.csv"
_PARQUET_TRAIT = "is.partition.format.parquet"
_QUOTE_STYLES = {"quotestyle.csv": DEFAULT_QUOTE, "quotestyle.none": ""}
_CSV_STYLES = frozenset({"csvstyle.quotealways", "csvstyle.quoteafterdelimiter"})
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
    document = _load_json(metadata)
    wanted = normalise_snapshot(snapshot) if snapshot else None
    folder = CdmFolder(metadata)
    declarations = list(_declarations(metadata, document, folder))
    if entity is not None:
        chosen = [d for d in declarations if d.name == entity]
        if not chosen:
            known = ", ".join(d.name for d in declarations) or "none"
            raise InputError(f"{metadata}: has no entity '{entity}' (its entities: {known})")
        folder.entities.append(_resolve(chosen[0], wanted))
        return folder
    for declaration in declarations:
        try:
            folder.entities.append(_resolve(declaration, wanted))
        except InputError as exc:
            folder.problems[declaration.name] = str(exc)
    return folder


# --- metadata documents ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Partition:
    """One data partition as declared: where it is said to be, and its CSV settings."""

    location: str
    settings: Mapping[str, Any]
    parquet: bool = False


@dataclass(frozen=True, slots=True)
class _Declaration:
    """An entity as the metadata declares it, before its partitions are looked for."""

    name: str
    metadata: Path
    attributes: tuple[tuple[str, str], ...]
    partitions: tuple[_Partition, ...]
    patterns: tuple[Mapping[str, Any], ...] = ()


def _load_json(path: Path) -> dict[str, Any]:
    info = require_file(path)
    if info.st_size > _METADATA_MAX_BYTES:
        raise InputError(f"{path}: is too large for CDM metadata ({info.st_size:,} bytes)")
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: is not valid JSON ({exc})") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: is not a CDM document (no JSON object at the top)")
    return data


def _declarations(
    metadata: Path, document: Mapping[str, Any], folder: CdmFolder
) -> Iterator[_Declaration]:
    entities = document.get("entities")
    if not isinstance(entities, list):
        raise InputError(f"{metadata}: has no 'entities' list; is it a CDM model.json or manifest?")
    manifest = metadata.name.lower().endswith(MANIFEST_SUFFIX)
    for index, item in enumerate(entities):
        if not isinstance(item, dict):
            folder.warnings.append(f"{metadata}: entity #{index + 1} is not an object; skipped")
            continue
        kind = str(item.get("$type") or item.get("type") or "LocalEntity")
        name = item.get("entityName" if manifest else "name") or item.get("name")
        if not isinstance(name, str) or not name:
            folder.warnings.append(f"{metadata}: entity #{index + 1} has no name; skipped")
            continue
        if kind.lower() != "localentity":
            folder.warnings.append(
                f"{metadata}: entity '{name}' is a {kind} (defined elsewhere); skipped"
            )
            continue
        try:
            yield (
                _manifest_entity(metadata, name, item)
                if manifest
                else _model_entity(metadata, name, item)
            )
        except InputError as exc:
            folder.problems[name] = str(exc)


def _model_entity(metadata: Path, name: str, item: Mapping[str, Any]) -> _Declaration:
    attributes = []
    for attribute in item.get("attributes") or []:
        if not isinstance(attribute, dict) or not isinstance(attribute.get("name"), str):
            raise InputError(f"{metadata}: entity '{name}' has an attribute without a name")
        attributes.append((attribute["name"], str(attribute.get("dataType") or "string")))
    partitions = []
    for partition in item.get("partitions") or []:
        if not isinstance(partition, dict) or not isinstance(partition.get("location"), str):
            raise InputError(f"{metadata}: entity '{name}' has a partition without a location")
        settings = partition.get("fileFormatSettings") or {}
        kind = str(settings.get("$type", "CsvFormatSettings")) if isinstance(settings, dict) else ""
        location = partition["location"]
        parquet = kind.lower().startswith("parquet") or _looks_parquet(location)
        partitions.append(
            _Partition(location, settings if isinstance(settings, dict) else {}, parquet)
        )
    return _Declaration(name, metadata, _checked(metadata, name, attributes), tuple(partitions))


def _manifest_entity(metadata: Path, name: str, item: Mapping[str, Any]) -> _Declaration:
    entity_path = item.get("entityPath")
    if not isinstance(entity_path, str) or "/" not in entity_path:
        raise InputError(f"{metadata}: entity '{name}' has no entityPath (document/entity)")
    document_path, _, defined_name = _strip_namespace(entity_path).rpartition("/")
    document_file = _local_relative(metadata.parent, document_path)
    document = _load_json(document_file)
    attributes = _definition_attributes(document_file, document, defined_name)
    partitions = []
    for partition in item.get("dataPartitions") or []:
        if not isinstance(partition, dict) or not isinstance(partition.get("location"), str):
            raise InputError(f"{metadata}: entity '{name}' has a partition without a location")
        settings, parquet = _trait_settings(partition.get("exhibitsTraits"))
        location = partition["location"]
        partitions.append(_Partition(location, settings, parquet or _looks_parquet(location)))
    patterns = tuple(p for p in item.get("dataPartitionPatterns") or [] if isinstance(p, dict))
    return _Declaration(
        name, metadata, _checked(metadata, name, attributes), tuple(partitions), patterns
    )


def _checked(
    metadata: Path, name: str, attributes: list[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    if not attributes:
        raise InputError(f"{metadata}: entity '{name}' declares no attributes (columns)")
    names = [attribute for attribute, _ in attributes]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"{metadata}: entity '{name}' declares {', '.join(repeated)} twice")
    return tuple(attributes)


def _definition_attributes(
    document_file: Path, document: Mapping[str, Any], entity: str
) -> list[tuple[str, str]]:
    definitions = [d for d in document.get("definitions") or [] if isinstance(d, dict)]
    for definition in definitions:
        if definition.get("entityName") == entity:
            groups = {
                str(d["attributeGroupName"]): d
                for d in definitions
                if isinstance(d.get("attributeGroupName"), str)
            }
            return list(_flatten(document_file, entity, definition.get("hasAttributes"), groups))
    raise InputError(f"{document_file}: defines no entity '{entity}'")


def _flatten(
    document_file: Path, entity: str, items: Any, groups: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    for item in items or []:
        if not isinstance(item, dict):
            continue
        if "attributeGroupReference" in item:
            reference = item["attributeGroupReference"]
            if isinstance(reference, str):
                reference = groups.get(reference)
            if not isinstance(reference, dict):
                raise InputError(
                    f"{document_file}: entity '{entity}' uses an attribute group defined "
                    "elsewhere; save a resolved manifest (CDM SDK: saveAsAsync of the resolved "
                    "manifest)"
                )
            yield from _flatten(document_file, entity, reference.get("members"), groups)
        elif isinstance(item.get("name"), str) and "entity" not in item:
            yield item["name"], _data_type(item)
        else:
            raise InputError(
                f"{document_file}: entity '{entity}' has an attribute that is not a plain "
                "column (an entity reference); save a resolved manifest"
            )


def _data_type(item: Mapping[str, Any]) -> str:
    value = item.get("dataFormat") or item.get("dataType") or "string"
    if isinstance(value, dict):
        value = value.get("dataTypeReference") or value.get("dataTypeName") or "string"
    return str(value)


def _trait_settings(traits: Any) -> tuple[dict[str, Any], bool]:
    """The CSV arguments of ``is.partition.format.CSV`` (and whether it is Parquet)."""
    for trait in traits or []:
        reference = trait.get("traitReference") if isinstance(trait, dict) else trait
        if not isinstance(reference, str):
            continue
        if reference.lower() == _PARQUET_TRAIT:
            return {}, True
        if reference.lower() == _CSV_TRAIT and isinstance(trait, dict):
            arguments = {}
            for argument in trait.get("arguments") or []:
                if isinstance(argument, dict) and isinstance(argument.get("name"), str):
                    arguments[argument["name"]] = argument.get("value")
            return arguments, False
    return {}, False


# --- locations ------------------------------------------------------------------------------


def _strip_namespace(location: str) -> str:
    """``Customer.cdm.json/Customer`` from ``local:/Customer.cdm.json/Customer``."""
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:/(?!/)", location)
    return location[match.end() :] if match else location


def _location_parts(location: str) -> list[str]:
    """The path of a partition location, in parts, with the storage account and container cut.

    ``https://<account>.dfs.core.windows.net/<container>/<path>`` and ``.blob.`` URLs keep
    ``<path>``; ``abfss://<container>@<account>/<path>`` too; ``adls:/a/b`` corpus paths and
    relative paths keep their whole path.
    """
    split = urlsplit(location)
    if split.scheme and split.netloc:
        parts = [unquote(p) for p in split.path.split("/") if p]
        if "@" in split.netloc:  # abfss://container@account/path: the container is the user
            return parts
        return parts[1:]  # https://account/container/path
    return [
        unquote(p) for p in PurePosixPath(_strip_namespace(location)).parts if p not in ("/", ".")
    ]


def _local_relative(root: Path, location: str) -> Path:
    parts = _location_parts(location)
    if not parts or ".." in parts:
        raise InputError(f"{root}: location '{location}' does not name a file inside the folder")
    return root.joinpath(*parts)


def _candidates(root: Path, parts: Sequence[str]) -> Iterator[tuple[int, Path]]:
    """Local paths a location may have, longest tail first, with how many leading parts cut."""
    for cut in range(len(parts)):
        yield cut, root.joinpath(*parts[cut:])


def _map_locations(root: Path, locations: Sequence[str]) -> list[Path]:
    """Map partition locations onto the local copy under ``root`` (the metadata's folder).

    The path after the container is tried first; when the local copy starts lower down (a
    copy of just the export folder), the shortest cut that finds an existing file for one
    partition is used for every partition, so a missing partition gets a path to report.
    """
    split = [_location_parts(location) for location in locations]
    for parts, location in zip(split, locations, strict=True):
        if not parts or ".." in parts:
            raise InputError(f"{root}: location '{location}' does not name a file in the folder")
    cut = None
    for parts in split:
        for candidate_cut, candidate in _candidates(root, parts):
            if candidate.is_file():
                cut = candidate_cut
                break
        if cut is not None:
            break
    mapped = []
    for parts in split:
        chosen = None
        for candidate_cut, candidate in _candidates(root, parts):
            if (cut is None or candidate_cut >= cut) and candidate.is_file():
                chosen = candidate
                break
        if chosen is None:
            chosen = root.joinpath(*parts[min(cut or 0, len(parts) - 1) :])
        mapped.append(chosen)
    return mapped


def _looks_parquet(location: str) -> bool:
    kind = part_kind(PurePosixPath(urlsplit(location).path or location).name)
    return kind is not None and kind[0] is SegmentFormat.PARQUET


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
    return Path(*parts[:start]), "/".join(window)


def _snapshots_on_disk(roots: Sequence[Path]) -> set[str]:
    found: set[str] = set()
    for root in roots:
        for candidate in root.glob(
            "[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/[0-9][0-9][0-9][0-9]"
        ):
            if candidate.is_dir():
                found.add("/".join(candidate.parts[-4:]))
    return found


def _resolve(declaration: _Declaration, wanted: str | None) -> CdmEntity:
    root = declaration.metadata.parent
    partitions = list(declaration.partitions)
    files = _map_locations(root, [p.location for p in partitions])
    files += _pattern_files(root, declaration, partitions)
    if not files:
        raise InputError(f"{declaration.metadata}: entity '{declaration.name}' has no partitions")
    groups: dict[str | None, list[int]] = {}
    roots: dict[Path, None] = {}
    for index, path in enumerate(files):
        found = _snapshot_of(path)
        if found is not None:
            roots[found[0]] = None
        groups.setdefault(found[1] if found else None, []).append(index)
    available = sorted({key for key in groups if key} | _snapshots_on_disk(list(roots)))
    notes: list[str] = []
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


def _newest_complete(
    declaration: _Declaration,
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
            return key, groups[key]
        notes.append(
            f"snapshot {key} is incomplete ({len(missing)} partition(s) missing, e.g. "
            f"{missing[0]}); an older one is read"
        )
    raise _missing_error(
        declaration, [files[i] for i in groups[ordered[0]] if not files[i].is_file()]
    )


def _disk_snapshot(
    declaration: _Declaration,
    partitions: Sequence[_Partition],
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


def _pattern_files(
    root: Path, declaration: _Declaration, partitions: list[_Partition]
) -> list[Path]:
    """Files matched by ``dataPartitionPatterns`` (their settings go into ``partitions``)."""
    files: list[Path] = []
    for pattern in declaration.patterns:
        location = pattern.get("rootLocation")
        if not isinstance(location, str):
            raise InputError(f"{declaration.metadata}: a partition pattern has no rootLocation")
        folder = _local_relative(root, location)
        if not folder.is_dir():
            raise InputError(
                f"{declaration.metadata}: entity '{declaration.name}': partition folder "
                f"{folder} is missing"
            )
        matcher = _pattern_matcher(pattern)
        settings, parquet = _trait_settings(pattern.get("exhibitsTraits"))
        for path in walk_files(folder).files:
            if matcher.fullmatch("/" + path.relative_to(folder).as_posix()):
                files.append(path)
                partitions.append(_Partition(str(path), settings, parquet))
    return files


def _pattern_matcher(pattern: Mapping[str, Any]) -> re.Pattern[str]:
    regular = pattern.get("regularExpression")
    if isinstance(regular, str):
        return re.compile(regular if regular.startswith("/") else f"/?{regular}")
    glob = pattern.get("globPattern")
    if not isinstance(glob, str):
        return re.compile(r".*")
    out = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        index += 1
    body = "".join(out)
    return re.compile(body if body.startswith("/") else f"/(?:.*/)?{body}")


def _missing_error(declaration: _Declaration, missing: Sequence[Path]) -> InputError:
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


def _settings(declaration: _Declaration, partitions: Sequence[_Partition]) -> _Settings:
    read = {_read_settings(declaration, p) for p in partitions} or {
        _read_settings(declaration, _Partition("", {}))
    }
    if len(read) > 1:
        raise InputError(
            f"{declaration.metadata}: the partitions of entity '{declaration.name}' disagree "
            "on their format (header, delimiter, quoting or encoding); cc-tui reads them as one"
        )
    return next(iter(read))


def _read_settings(declaration: _Declaration, partition: _Partition) -> _Settings:
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
    declaration: _Declaration,
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
