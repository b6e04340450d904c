"""What a CDM folder's metadata documents declare: its entities, their attributes and partitions.

The two formats (``model.json`` and ``*.manifest.cdm.json`` with its entity documents) are read
into :class:`Declaration` values, as written, before anything is looked for on disk: where the
partitions really are, and which snapshot is read, is :mod:`cc_tui.engine.segments.cdm`'s.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cc_tui.engine.segments.cdm_locations import local_relative, looks_parquet, strip_namespace
from cc_tui.engine.segments.path_checks import require_file
from cc_tui.errors import InputError

__all__ = [
    "MANIFEST_SUFFIX",
    "MODEL_JSON",
    "Declaration",
    "Partition",
    "declarations",
    "load_json",
    "sub_manifests",
    "trait_settings",
]

MODEL_JSON = "model.json"
MANIFEST_SUFFIX = ".manifest.cdm.json"


# The largest metadata file read (a model.json of hundreds of entities is a few MB).
_METADATA_MAX_BYTES = 64 * 1024 * 1024
_CSV_TRAIT = "is.partition.format.csv"
_PARQUET_TRAIT = "is.partition.format.parquet"
_INCREMENTAL_TRAIT = "is.partition.incremental"
_INCREMENTAL_KEYS = ("incrementalPartitions", "incrementalPartitionPatterns")


@dataclass(frozen=True, slots=True)
class Partition:
    """One data partition as declared: where it is said to be, and its CSV settings."""

    location: str
    settings: Mapping[str, Any]
    parquet: bool = False


@dataclass(frozen=True, slots=True)
class Declaration:
    """An entity as the metadata declares it, before its partitions are looked for."""

    name: str
    metadata: Path
    attributes: tuple[tuple[str, str], ...]
    partitions: tuple[Partition, ...]
    patterns: tuple[Mapping[str, Any], ...] = ()


def load_json(path: Path) -> dict[str, Any]:
    """The JSON object of a metadata document; InputError when it is none (or too large)."""
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


def declarations(
    metadata: Path, document: Mapping[str, Any], warnings: list[str], problems: dict[str, str]
) -> Iterator[Declaration]:
    """The entities ``document`` declares; what is skipped goes to ``warnings``, an entity
    whose declaration is wrong to ``problems`` (by name)."""
    entities = document.get("entities")
    if not isinstance(entities, list):
        raise InputError(f"{metadata}: has no 'entities' list; is it a CDM model.json or manifest?")
    manifest = metadata.name.lower().endswith(MANIFEST_SUFFIX)
    for index, item in enumerate(entities):
        if not isinstance(item, dict):
            warnings.append(f"{metadata}: entity #{index + 1} is not an object; skipped")
            continue
        kind = str(item.get("$type") or item.get("type") or "LocalEntity")
        name = item.get("entityName" if manifest else "name") or item.get("name")
        if not isinstance(name, str) or not name:
            warnings.append(f"{metadata}: entity #{index + 1} has no name; skipped")
            continue
        if kind.lower() != "localentity":
            warnings.append(f"{metadata}: entity '{name}' is a {kind} (defined elsewhere); skipped")
            continue
        try:
            yield (
                _manifest_entity(metadata, name, item)
                if manifest
                else _model_entity(metadata, name, item)
            )
        except InputError as exc:
            problems[name] = str(exc)


def sub_manifests(metadata: Path, document: Mapping[str, Any], corpus_root: Path) -> list[Path]:
    """The manifests ``document``'s ``subManifests`` name: a corpus path (``local:/Tables/
    Customers/Customers.manifest.cdm.json``) from the folder of the first manifest read, a
    relative one from ``metadata``'s folder. A model.json has none."""
    found = []
    for index, item in enumerate(document.get("subManifests") or []):
        definition = item.get("definition") if isinstance(item, dict) else None
        if not isinstance(definition, str) or not definition:
            raise InputError(f"{metadata}: sub-manifest #{index + 1} has no definition (path)")
        absolute = strip_namespace(definition) != definition or definition.startswith("/")
        found.append(local_relative(corpus_root if absolute else metadata.parent, definition))
    return found


def _model_entity(metadata: Path, name: str, item: Mapping[str, Any]) -> Declaration:
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
        parquet = kind.lower().startswith("parquet") or looks_parquet(location)
        partitions.append(
            Partition(location, settings if isinstance(settings, dict) else {}, parquet)
        )
    return Declaration(name, metadata, _checked(metadata, name, attributes), tuple(partitions))


def _manifest_entity(metadata: Path, name: str, item: Mapping[str, Any]) -> Declaration:
    _refuse_incremental(metadata, name, item)
    entity_path = item.get("entityPath")
    if not isinstance(entity_path, str) or "/" not in entity_path:
        raise InputError(f"{metadata}: entity '{name}' has no entityPath (document/entity)")
    document_path, _, defined_name = strip_namespace(entity_path).rpartition("/")
    document_file = local_relative(metadata.parent, document_path)
    document = load_json(document_file)
    attributes = _definition_attributes(document_file, document, defined_name)
    partitions = []
    for partition in item.get("dataPartitions") or []:
        if not isinstance(partition, dict) or not isinstance(partition.get("location"), str):
            raise InputError(f"{metadata}: entity '{name}' has a partition without a location")
        settings, parquet = trait_settings(partition.get("exhibitsTraits"))
        location = partition["location"]
        partitions.append(Partition(location, settings, parquet or looks_parquet(location)))
    patterns = tuple(p for p in item.get("dataPartitionPatterns") or [] if isinstance(p, dict))
    return Declaration(
        name, metadata, _checked(metadata, name, attributes), tuple(partitions), patterns
    )


def _refuse_incremental(metadata: Path, name: str, item: Mapping[str, Any]) -> None:
    """Refuse an entity with incremental partitions (CDM 1.6: ``incrementalPartitions``,
    ``incrementalPartitionPatterns``, or the ``is.partition.incremental`` trait): its Upserts
    and Deletes change the full data, and the full data alone still holds the people a Deletes
    partition removed."""
    kinds = [key for key in _INCREMENTAL_KEYS if item.get(key)]
    for key in ("dataPartitions", "dataPartitionPatterns"):
        for partition in item.get(key) or []:
            if isinstance(partition, dict) and _INCREMENTAL_TRAIT in _trait_names(
                partition.get("exhibitsTraits")
            ):
                kinds.append(f"{key} with {_INCREMENTAL_TRAIT}")
    if kinds:
        raise InputError(
            f"{metadata}: entity '{name}' has incremental partitions ({', '.join(kinds)}): "
            "Upserts and Deletes that change its full data, which cc-tui does not apply; "
            "read without them, people a Delete removed would be exported. Fix: export a full "
            "snapshot of the entity (without incremental data)"
        )


def _trait_names(traits: Any) -> set[str]:
    names = set()
    for trait in traits or []:
        reference = trait.get("traitReference") if isinstance(trait, dict) else trait
        if isinstance(reference, str):
            names.add(reference.lower())
    return names


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


def trait_settings(traits: Any) -> tuple[dict[str, Any], bool]:
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
