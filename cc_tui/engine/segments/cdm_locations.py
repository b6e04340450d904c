"""Where a location a CDM document names is in the local copy of the folder.

Customer Insights names partitions by full ``https://<account>.dfs.core.windows.net/<container>/
<path>`` URLs (``abfss://`` ones too); manifests use ``local:/`` and ``adls:/`` corpus paths or
relative paths. Each is mapped under the folder holding the metadata, never outside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from cc_tui.engine.segments.folders import part_kind
from cc_tui.engine.segments.model import SegmentFormat
from cc_tui.errors import InputError
from cc_tui.remote_paths import RemotePath, is_remote_location, remote_path

__all__ = [
    "local_folder",
    "local_relative",
    "looks_parquet",
    "map_locations",
    "strip_namespace",
]


def strip_namespace(location: str) -> str:
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
        unquote(p) for p in PurePosixPath(strip_namespace(location)).parts if p not in ("/", ".")
    ]


def local_relative(root: Path, location: str) -> Path:
    """``location`` under ``root``; InputError when it names nothing inside it."""
    parts = _location_parts(location)
    if not parts or ".." in parts:
        raise InputError(f"{root}: location '{location}' does not name a file inside the folder")
    return root.joinpath(*parts)


def local_folder(root: Path, location: str) -> Path:
    """The folder ``location`` names: in storage, a full URL's own folder; on disk, the path
    after the container under ``root``, else its longest tail that is a folder under ``root``
    (a copy of just the export folder, as for :func:`map_locations`); the first when none is
    there."""
    if isinstance(root, RemotePath):
        # In storage, a full URL names the very folder (as a partition's names its blob).
        return (
            _remote_partition(location)
            if is_remote_location(location)
            else (local_relative(root, location))
        )
    named = local_relative(root, location)
    if named.is_dir():
        return named
    parts = _location_parts(location)
    return next(
        (candidate for _, candidate in _candidates(root, parts) if candidate.is_dir()), named
    )


def _candidates(root: Path, parts: Sequence[str]) -> Iterator[tuple[int, Path]]:
    """Local paths a location may have, longest tail first, with how many leading parts cut."""
    for cut in range(len(parts)):
        yield cut, root.joinpath(*parts[cut:])


def map_locations(root: Path, locations: Sequence[str]) -> list[Path]:
    """Map partition locations onto the local copy under ``root`` (the metadata's folder).

    The path after the container is tried first; when the local copy starts lower down (a
    copy of just the export folder), the shortest cut that finds an existing file for one
    partition is used for every partition, so a missing partition gets a path to report.
    """
    if isinstance(root, RemotePath):
        # In storage, a partition's full URL names its account: read it there.
        return [
            _remote_partition(location) if is_remote_location(location) else root.joinpath(*parts)
            for location, parts in zip(
                locations, [_location_parts(location) for location in locations], strict=True
            )
        ]
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


def _remote_partition(location: str) -> RemotePath:
    """The blob a partition's URL names. The URL's path is percent-encoded (a folder named
    after a segment "Spring Promo" is ``Spring%20Promo`` there), the blob's name is not."""
    found = remote_path(location)
    head = 2 if found.parts[0] in ("az:", "abfs:", "abfss:") else 3  # scheme, host(, container)
    return RemotePath(*found.parts[:head], *(unquote(part) for part in found.parts[head:]))


def looks_parquet(location: str) -> bool:
    """True when the file a location names is a Parquet part by its name."""
    kind = part_kind(PurePosixPath(urlsplit(location).path or location).name)
    return kind is not None and kind[0] is SegmentFormat.PARQUET
