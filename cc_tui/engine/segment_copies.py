"""Converted copies of segments: where they go, how they are named, written and cleared.

A gzip file, or text in another encoding, is copied to plain UTF-8 before Polars scans it (see
:mod:`cc_tui.engine.segments` for why and for the copies' lifecycle). A copy's name is derived
from the file's path and :func:`fingerprint`, so a changed file gets a fresh copy and the stale
one is removed. Copies hold customer data: their folders and files are private to their owner.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cc_tui.engine.segment_bytes import (
    COPY_CHUNK_BYTES,
    TextSource,
    copy_as_utf8,
    digest_files,
    is_polars_encoding,
    open_raw,
    unreadable_error,
)
from cc_tui.engine.segment_model import Segment, SegmentFormat, path_identity
from cc_tui.engine.segment_scan import parquet_parts
from cc_tui.errors import InputError

__all__ = [
    "DISK_FULL",
    "SegmentFingerprint",
    "clear_segment_cache",
    "converted_copy",
    "copy_prefix",
    "default_cache_dir",
    "fingerprint",
]

# errno values of a full disk (or quota): never the segment's fault.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
_CACHE_SUBDIR = "segment-cache"
_HASH_PREFIX = 16
_PARTIAL_SUFFIX = ".partial"
# Copies hold customer data: only their owner may read them.
_PRIVATE_MODE = 0o700
_PRIVATE_FILE_MODE = 0o600
_COPY_SUFFIX = {
    SegmentFormat.CSV: ".csv",
    SegmentFormat.TSV: ".tsv",
    SegmentFormat.NDJSON: ".ndjson",
    SegmentFormat.PARQUET: ".parquet",
}


@dataclass(frozen=True, slots=True)
class SegmentFingerprint:
    """Cheap change detection for resuming runs: size, mtime and a hash of both ends."""

    size_bytes: int
    mtime_ns: int
    sha256: str

    def to_dict(self) -> dict[str, int | str]:
        """A JSON-ready dict (for the run history)."""
        return {"size_bytes": self.size_bytes, "mtime_ns": self.mtime_ns, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SegmentFingerprint:
        """Read back :meth:`to_dict`; ValueError if a key is missing or has the wrong type."""
        size, mtime, digest = data.get("size_bytes"), data.get("mtime_ns"), data.get("sha256")
        if not isinstance(size, int) or not isinstance(mtime, int) or not isinstance(digest, str):
            raise ValueError(f"not a segment fingerprint: {dict(data)!r}")
        return cls(size_bytes=size, mtime_ns=mtime, sha256=digest)


def default_cache_dir() -> Path:
    """Where converted copies go when no work folder is given: private, under the temp dir."""
    return Path(tempfile.gettempdir()) / f"cc-tui-{os.getuid()}" / _CACHE_SUBDIR


def converted_copy(segment: Segment, work_dir: Path | None = None) -> Path:
    """The plain UTF-8 (or Parquet) copy of ``segment`` in ``work_dir``, written if not there.

    ``work_dir`` defaults to :func:`default_cache_dir`. Older copies of the same file are
    removed first. Raises InputError when the file cannot be read or does not decode, or the
    disk has no room for the copy.
    """
    folder = _private_dir(work_dir or default_cache_dir(), shared_parent=work_dir is None)
    prefix, version = _copy_key(segment)
    target = folder / f"{prefix}-{version}{_COPY_SUFFIX[segment.format]}"
    if not target.exists():
        for stale in folder.glob(f"{prefix}-*"):
            stale.unlink(missing_ok=True)
        _write_copy(segment, target)
    return target


def copy_prefix(segment: Segment) -> str:
    """The start of the names of this segment's converted copies."""
    return hashlib.sha256(str(path_identity(segment.path)).encode()).hexdigest()[:_HASH_PREFIX]


def clear_segment_cache(work_dir: Path | None = None) -> int:
    """Delete converted copies in ``work_dir`` (default: the private cache); returns how many."""
    folder = work_dir or default_cache_dir()
    removed = 0
    for suffix in {*_COPY_SUFFIX.values(), _PARTIAL_SUFFIX}:
        for copy in folder.glob(f"*{suffix}"):
            copy.unlink(missing_ok=True)
            removed += 1
    return removed


def fingerprint(segment: Segment) -> SegmentFingerprint:
    """Size, newest mtime and a sha256 of the first and last 64 KiB of every data file."""
    try:
        size, mtime_ns, digest = digest_files(segment.path, _data_files(segment))
    except (OSError, ValueError) as exc:
        raise unreadable_error(segment.path, exc) from exc
    return SegmentFingerprint(size_bytes=size, mtime_ns=mtime_ns, sha256=digest)


def _data_files(segment: Segment) -> tuple[Path, ...]:
    if not segment.path.is_dir():
        return (segment.path,)
    parts = parquet_parts(segment.path)
    return parts.files if parts is not None else ()


def _private_dir(folder: Path, *, shared_parent: bool) -> Path:
    try:
        if shared_parent:
            folder.parent.mkdir(mode=_PRIVATE_MODE, exist_ok=True)
        folder.mkdir(mode=_PRIVATE_MODE, parents=True, exist_ok=True)
        # Under the shared temp dir another user could have created these first: refuse theirs.
        for checked in (folder, folder.parent) if shared_parent else (folder,):
            info = checked.lstat()
            if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
                raise InputError(f"{checked}: is not a private folder of this user; remove it")
    except OSError as exc:
        raise InputError(f"{folder}: cannot create the work folder ({exc.strerror})") from exc
    return folder


def _copy_key(segment: Segment) -> tuple[str, str]:
    """(stable prefix for this file, version for its current content and encoding)."""
    fp = fingerprint(segment)
    version = f"{segment.encoding}|{segment.gzip}|{fp.size_bytes}|{fp.mtime_ns}|{fp.sha256}"
    return copy_prefix(segment), hashlib.sha256(version.encode()).hexdigest()[:_HASH_PREFIX]


def _write_copy(segment: Segment, target: Path) -> None:
    """Write the decompressed / transcoded copy under a temporary name, then rename it."""
    partial = target.with_name(f".{target.name}.{os.getpid()}{_PARTIAL_SUFFIX}")
    text = TextSource(segment.path, segment.name, segment.encoding, gz=segment.gzip)
    try:
        private = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _PRIVATE_FILE_MODE)
        with os.fdopen(private, "wb") as sink:
            if segment.format is SegmentFormat.PARQUET or is_polars_encoding(segment.encoding):
                # UTF-8 is not decoded here: Polars checks it while scanning, far faster.
                with open_raw(segment.path, gz=segment.gzip) as source:
                    shutil.copyfileobj(source, sink, COPY_CHUNK_BYTES)
            else:
                copy_as_utf8(text, sink)
        partial.replace(target)
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise InputError(
                f"{target.parent}: no room for the uncompressed copy of {segment.path} "
                f"({exc.strerror}). Fix: free disk space, or store the file uncompressed"
            ) from exc
        raise unreadable_error(segment.path, exc) from exc
    except (EOFError, zlib.error) as exc:
        raise unreadable_error(segment.path, exc) from exc
    finally:
        partial.unlink(missing_ok=True)
