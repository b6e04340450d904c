"""Which files a CDM manifest's ``dataPartitionPatterns`` name.

A pattern has a ``rootLocation`` (a folder) and a ``globPattern`` or ``regularExpression``,
matched, as the CDM SDK matches them (``CdmDataPartitionPatternDefinition``), against the path
of each file below the root location, starting with ``/``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cc_tui.engine.segments.cdm_documents import Declaration, Partition, trait_settings
from cc_tui.engine.segments.cdm_locations import local_folder
from cc_tui.engine.segments.path_checks import walk_files
from cc_tui.errors import InputError

__all__ = ["pattern_files"]

# Pieces of the regular expression a CDM glob becomes: a path separator, a name's characters.
_SEPARATOR = r"[/\\]"
_NAME_CHARS = r"[^/\\]*"


def pattern_files(root: Path, declaration: Declaration, partitions: list[Partition]) -> list[Path]:
    """Files matched by the entity's ``dataPartitionPatterns``, in name order; each one's
    settings (the pattern's traits) are appended to ``partitions``."""
    files: list[Path] = []
    for pattern in declaration.patterns:
        location = pattern.get("rootLocation")
        if not isinstance(location, str):
            raise InputError(f"{declaration.metadata}: a partition pattern has no rootLocation")
        folder = local_folder(root, location)
        if not folder.is_dir():
            raise InputError(
                f"{declaration.metadata}: entity '{declaration.name}': partition folder "
                f"{folder} is missing"
            )
        matcher = _pattern_matcher(pattern)
        settings, parquet = trait_settings(pattern.get("exhibitsTraits"))
        for path in walk_files(folder).files:
            if matcher.fullmatch("/" + path.relative_to(folder).as_posix()):
                files.append(path)
                partitions.append(Partition(str(path), settings, parquet))
    return files


def _pattern_matcher(pattern: Mapping[str, Any]) -> re.Pattern[str]:
    """What a partition pattern matches: the path of a file below the pattern's rootLocation,
    starting with ``/`` (``/2026/Customer_1.csv``), whole. A glob wins over a regular
    expression, as in the CDM SDK."""
    glob = pattern.get("globPattern")
    if isinstance(glob, str) and glob.strip():
        return re.compile(_glob_regex(glob))
    regular = pattern.get("regularExpression")
    if isinstance(regular, str) and regular.strip():
        return re.compile(regular if regular.startswith("/") else f"/?{regular}")
    return re.compile(r".*")


def _glob_regex(glob: str) -> str:
    """The regular expression of a CDM glob, as the CDM SDK builds it
    (``CdmDataPartitionPatternDefinition.glob_pattern_to_regex``): anchored at the root
    location, so ``*.csv`` is the files right under it (never an archived copy in a
    sub-folder); ``**`` between separators (or at an end) is any depth, elsewhere it is ``*``;
    ``?`` is one character of a name; a backslash is a separator."""
    separators = ("/", "\\")
    out = [_SEPARATOR]
    index = 1 if glob.startswith(separators) else 0
    while index < len(glob):
        char = glob[index]
        if char == "*" and glob.startswith("**", index):
            before = glob[index - 1] if index > 0 else None
            after = glob[index + 2] if index + 2 < len(glob) else None
            if before in (None, *separators) and after in (None, *separators):
                out.append(".*")
                if before in separators and after in separators:
                    out.append("/?")  # ** as no folder at all: a/**/b is a/b too
                    index += 1
            else:
                out.append(_NAME_CHARS)
            index += 2
            continue
        out.append({"*": _NAME_CHARS, "?": "[^/\\\\]", "\\": _SEPARATOR}.get(char, re.escape(char)))
        index += 1
    return "".join(out)
