"""A ``[segments.NAME]`` entry as a face writes it: the path taken literally, options checked.

A path is absolute, ``~`` the only expansion (a shell would have made it), never globbed. It is
examined with ``stat`` before anything opens it: a FIFO, socket or device is refused (opening one
can block forever). A new entry's name is derived from its file name; ``--segment`` values are
told apart as names or paths here too, and a name nothing defines gets a message with the fix.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from cc_tui.engine.segments.cdm_documents import MANIFEST_SUFFIX, MODEL_JSON
from cc_tui.engine.segments.formats import NAME_MAX, classify_name, segment_name
from cc_tui.errors import CcTuiError, InputError, UsageError
from cc_tui.models.config import SEGMENT_FORMATS, SegmentSource
from cc_tui.remote_paths import is_remote_location, remote_path
from cc_tui.store.config_reader import validate_name

__all__ = [
    "absolute_path",
    "derive_segment_name",
    "looks_like_name",
    "looks_like_path",
    "make_source",
    "require_storable",
    "unknown_segment_message",
]

_FOLDER_SUFFIXES = (".parquet", ".delta")
_TAB_SPELLINGS = {"tab": "\t", "\\t": "\t"}


def absolute_path(text: str | Path) -> Path:
    """The path as given, absolute: ``~`` expanded, nothing else (no globbing, no resolving).

    A storage location (``az://``, ``abfss://``, ``https://``) stays the location it names.
    """
    if is_remote_location(text):
        return remote_path(text)
    # os.path leaves an unknown "~user" as it is; Path.expanduser raises RuntimeError.
    return Path(os.path.expanduser(text)).absolute()  # noqa: PTH111


def looks_like_path(ref: str) -> bool:
    """True when a ``--segment`` value that is no segment name should be read as a path."""
    return (
        "/" in ref
        or os.sep in ref
        or ref.startswith(("~", "."))
        or os.path.lexists(ref)
        or not looks_like_name(ref)
    )


def looks_like_name(name: str) -> bool:
    """True when ``name`` is allowed as a segment name."""
    try:
        validate_name("segment", name)
    except CcTuiError:
        return False
    return True


def require_storable(path: Path) -> None:
    """InputError unless ``path`` is UTF-8 text, which config.toml can hold."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"{path!r}: the name is not UTF-8 text, so config.toml cannot hold it. "
            "Fix: rename the file or folder"
        ) from None


def make_source(
    name: str,
    path: str | Path,
    *,
    format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    quote: str | None = None,
    header: bool | None = None,
    columns: Sequence[str] | None = None,
    entity: str | None = None,
    snapshot: str | None = None,
) -> SegmentSource:
    """A ``[segments.NAME]`` entry from a face's fields, each option checked as config.toml is.

    Raises UsageError naming the option and the fix. ``delimiter`` may be ``tab`` or ``\\t``.
    """
    validate_name("segment", name)
    if format is not None and format not in SEGMENT_FORMATS:
        raise UsageError(
            f"format {format!r} is not a known format. Fix: use one of "
            f"{', '.join(SEGMENT_FORMATS)}, or leave it out (the file tells)"
        )
    if delimiter is not None:
        delimiter = _TAB_SPELLINGS.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1:
            raise UsageError(f"delimiter {delimiter!r} must be one character. Fix: e.g. ; or tab")
    if quote is not None and len(quote) > 1:
        raise UsageError(f"quote {quote!r} must be one character, or empty for none. Fix: e.g. '")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(
                f"encoding {encoding!r} is not a known text encoding. Fix: e.g. utf-8, "
                "latin-1 or cp1252"
            ) from None
    names = None if columns is None else tuple(column.strip() for column in columns)
    if names is not None:
        if not names or not all(names):
            raise UsageError("columns must name every column. Fix: e.g. Email,Name")
        repeated = sorted({column for column in names if names.count(column) > 1})
        if repeated:
            raise UsageError(
                f"columns names {', '.join(repeated)} more than once. Fix: give each column "
                "its own name"
            )
    return SegmentSource(
        name=name,
        path=absolute_path(path),
        format=format,
        encoding=encoding,
        delimiter=delimiter,
        quote=quote,
        header=header,
        columns=names,
        entity=entity or None,
        snapshot=snapshot or None,
    )


def derive_segment_name(path: Path, taken: Iterable[str] = (), *, entity: str | None = None) -> str:
    """A free segment name for ``path``: its file name without format suffixes.

    A CDM folder's ``model.json`` or ``*.manifest.cdm.json`` is named after its folder (every
    Customer Insights export has a ``model.json``); with ``entity`` (one of a CDM folder's
    several) the entity follows, as discovery names it: ``ci-export-VipSegment``. Names already
    ``taken`` get ``-2``, ``-3``...
    """
    file_name = path.name
    if file_name.lower() == MODEL_JSON:
        stem = path.parent.name
    elif file_name.lower().endswith(MANIFEST_SUFFIX):
        stem = file_name[: -len(MANIFEST_SUFFIX)]
    elif path.is_dir():
        stem = file_name
        for suffix in _FOLDER_SUFFIXES:
            stem = stem.removesuffix(suffix)
    else:
        kind = classify_name(file_name)
        stem = kind.stem if kind is not None else Path(file_name).stem
    if entity:
        stem = f"{stem}-{entity}"
    base = segment_name(stem)
    used = set(taken)
    if base not in used:
        return base
    number = 2
    while True:
        tail = f"-{number}"
        candidate = f"{base[: NAME_MAX - len(tail)]}{tail}"
        if candidate not in used:
            return candidate
        number += 1


def unknown_segment_message(ref: str, known: Sequence[str]) -> str:
    """What to say about a segment name nothing defines (or a path where nothing is)."""
    if os.sep in ref or "/" in ref or (Path(ref).suffix and classify_name(ref) is not None):
        # It was meant as a path: say that nothing is there, not how to name a path.
        return (
            f"No file or folder at {absolute_path(Path(ref))}, and no segment named '{ref}' "
            f"(segments: {', '.join(known) or 'none yet'}). Fix: check the path "
            f"(cc-tui segment list shows the known segments)"
        )
    return (
        f"No segment named '{ref}' (segments: {', '.join(known) or 'none yet'}). Fix: give "
        f"the file's path instead (--segment ./{ref}.csv), or add it first "
        f"(cc-tui segment add {ref} PATH)"
    )
