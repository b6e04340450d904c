"""Converted copies of segment files: where they go, how they are named, written and removed.

A gzip file, or text in another encoding, is copied to plain UTF-8 before Polars scans it
(see :mod:`cc_tui.engine.segments.reading` for why). Copies hold customer data, so they live
in the home's private cache folder (``AppPaths.cache_dir``, mode 0700, never the shared system
temp folder), and never outlive their process:

- a copy's name carries the id of the process that made it; the first use of a cache folder in
  a process removes the copies of processes that are gone (a killed run leaves none for long);
- every copy a process made is removed when it exits (``atexit``), or earlier with
  :func:`release_copies` / :func:`clear_segment_cache`;
- a copy is named from its file's path and :func:`fingerprint`, so a changed file gets a fresh
  copy and the stale one is removed at once.

Writing is bounded: decompression stops at the segment's cap on uncompressed bytes
(``Segment.max_uncompressed_bytes``: a gzip bomb is refused within seconds, with flat memory),
and it stops before the cache's disk gets full, keeping :data:`DISK_RESERVE_BYTES` free.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import hashlib
import os
import shutil
import stat
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cc_tui.engine.segments.file_bytes import (
    COPY_CHUNK_BYTES,
    DecompressionLimitError,
    TextSource,
    copy_as_utf8,
    digest_files,
    is_polars_encoding,
    open_raw,
    unreadable_error,
)
from cc_tui.engine.segments.model import Segment, SegmentFormat, path_identity
from cc_tui.errors import InputError
from cc_tui.paths import AppPaths

__all__ = [
    "DISK_FULL",
    "DISK_RESERVE_BYTES",
    "SegmentFingerprint",
    "clear_segment_cache",
    "converted_copy",
    "copies_held",
    "copy_prefix",
    "data_files",
    "default_cache_dir",
    "fingerprint",
    "private_cache",
    "register_copy",
    "release_copies",
    "use_cache_dir",
]

# errno values of a full disk (or quota): never the segment's fault.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
# Free space a copy never eats into: the home and the rest of the system keep working.
DISK_RESERVE_BYTES = 1024**3
# How often (in bytes written) a copy looks at the free space again.
_DISK_CHECK_BYTES = 64 * 1024**2
_CACHE_SUBDIR = "segments"
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


class _Copies:
    """The copies this process made, so they can be removed when it ends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.made: set[Path] = set()
        self.swept: set[Path] = set()
        # Data files whose copies a run in this process still reads, with how many runs do.
        self.holders: Counter[Path] = Counter()
        self.folder: Path | None = None


_COPIES = _Copies()


def use_cache_dir(folder: Path | None) -> None:
    """Make ``folder`` (the home's ``cache_dir``) this process's default cache of copies.

    Called by whoever opens the home (``--home DIR`` is not in the environment); without it,
    or after ``use_cache_dir(None)``, the cache is under the home that ``CC_TUI_HOME`` or the
    platform's folders name.
    """
    _COPIES.folder = None if folder is None else folder / _CACHE_SUBDIR


def default_cache_dir() -> Path:
    """Where copies go when no work folder is given: the home's private cache folder."""
    if _COPIES.folder is not None:
        return _COPIES.folder
    return AppPaths.resolve().cache_dir / _CACHE_SUBDIR


def converted_copy(segment: Segment, source: Path, work_dir: Path | None = None) -> Path:
    """The plain UTF-8 (or Parquet) copy of ``source`` (a data file of ``segment``).

    Written into ``work_dir`` (default: :func:`default_cache_dir`) if it is not there yet;
    older copies of the same file are removed first. Raises InputError when the file cannot
    be read, does not decode, decompresses past the segment's cap, or would fill the disk.
    """
    folder = private_cache(work_dir)
    prefix, version = _copy_key(segment, source)
    target = folder / f"{prefix}-{version}.{os.getpid()}{_COPY_SUFFIX[_copy_format(segment)]}"
    if not target.exists():
        for stale in folder.glob(f"{prefix}-*.{os.getpid()}.*"):
            _forget(stale)
        _write_copy(segment, source, target)
        with _COPIES.lock:
            _COPIES.made.add(target)
    return target


def _copy_format(segment: Segment) -> SegmentFormat:
    fmt = segment.rows_format
    return fmt if fmt in _COPY_SUFFIX else SegmentFormat.CSV


def copy_prefix(source: Path) -> str:
    """The start of the names of the converted copies of one data file."""
    return hashlib.sha256(str(path_identity(source)).encode()).hexdigest()[:_HASH_PREFIX]


def register_copy(path: Path) -> None:
    """Remove ``path`` (a file this process made in the cache) when the process ends."""
    with _COPIES.lock:
        _COPIES.made.add(path)


@contextlib.contextmanager
def copies_held(segments: Iterable[Segment]) -> Iterator[None]:
    """Keep this process's copies of ``segments`` while the block runs, and remove them after
    it unless another holder (a run of another export in this process) still reads them.

    A run holds its segments from plan to record: the cache never keeps a decompressed copy
    of customer data longer than the work that needs it, even in a long-lived process.
    """
    keys = [path_identity(path) for segment in segments for path in _held_files(segment)]
    with _COPIES.lock:
        _COPIES.holders.update(keys)
    try:
        yield
    finally:
        with _COPIES.lock:
            _COPIES.holders.subtract(keys)
            free = {key for key in keys if _COPIES.holders[key] <= 0}
            for key in free:
                del _COPIES.holders[key]
        folder = default_cache_dir()
        for key in free:
            for copy in folder.glob(f"{copy_prefix(key)}-*.{os.getpid()}.*"):
                _forget(copy)


def _held_files(segment: Segment) -> tuple[Path, ...]:
    try:
        return data_files(segment)
    except (OSError, ValueError, InputError):
        return ()  # a segment gone since planning has no copy worth keeping


def release_copies(paths: Iterable[Path]) -> None:
    """Remove these copies now (a run that finished no longer needs them)."""
    for path in paths:
        _forget(path)


def clear_segment_cache(work_dir: Path | None = None) -> int:
    """Delete this process's copies in ``work_dir`` (default: the cache); returns how many."""
    folder = work_dir or default_cache_dir()
    removed = 0
    for copy in folder.glob(f"*.{os.getpid()}.*"):
        _forget(copy)
        removed += 1
    return removed


def _forget(path: Path) -> None:
    path.unlink(missing_ok=True)
    with _COPIES.lock:
        _COPIES.made.discard(path)


@atexit.register
def _remove_own_copies() -> None:
    """Copies never outlive the process that made them."""
    with _COPIES.lock:
        made = list(_COPIES.made)
        _COPIES.made.clear()
    for path in made:
        with contextlib.suppress(OSError):
            path.unlink()


def _sweep(folder: Path) -> None:
    """Once per folder and process: remove copies whose process is gone (killed runs)."""
    with _COPIES.lock:
        if folder in _COPIES.swept:
            return
        _COPIES.swept.add(folder)
    for entry in folder.iterdir():
        pid = _owner_pid(entry.name)
        if pid is not None and pid != os.getpid() and not _alive(pid):
            with contextlib.suppress(OSError):
                entry.unlink()


def _owner_pid(name: str) -> int | None:
    parts = name.split(".")
    for part in reversed(parts[1:]):
        if part.isdigit():
            return int(part)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to judge
    return True


def fingerprint(segment: Segment) -> SegmentFingerprint:
    """Size, newest mtime and a sha256 of the first and last 64 KiB of every data file."""
    try:
        root = segment.path if segment.path.is_dir() else segment.path.parent
        size, mtime_ns, digest = digest_files(root, data_files(segment, describe=True))
    except (OSError, ValueError) as exc:
        raise unreadable_error(segment.path, exc) from exc
    return SegmentFingerprint(size_bytes=size, mtime_ns=mtime_ns, sha256=digest)


def data_files(segment: Segment, *, describe: bool = False) -> tuple[Path, ...]:
    """The files a segment's rows come from, each once (``describe``: with metadata files).

    A folder's part files are listed now, so a part added since discovery is seen; a Delta
    table's rows are described by its transaction log (the commit of the version it reads).
    """
    if segment.files:
        return (segment.path, *segment.files) if describe else segment.files
    if segment.format is SegmentFormat.DELTA:
        from cc_tui.engine.segments.delta_tables import delta_log_files

        return delta_log_files(segment)
    if segment.path.is_dir():
        from cc_tui.engine.segments.folders import folder_parts

        return folder_parts(segment.path, segment.format).files
    return (segment.path,)


def private_cache(work_dir: Path | None = None) -> Path:
    """The cache folder (created private if needed), swept of dead processes' copies."""
    folder = _private_dir(work_dir or default_cache_dir())
    _sweep(folder)
    return folder


def _private_dir(folder: Path) -> Path:
    try:
        # The cache folder and its parent are made private too (mkdir's parents get 0755).
        folder.parent.mkdir(mode=_PRIVATE_MODE, parents=True, exist_ok=True)
        folder.mkdir(mode=_PRIVATE_MODE, exist_ok=True)
        for checked in (folder, folder.parent):
            info = checked.lstat()
            if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid():
                raise InputError(f"{checked}: is not a private folder of this user; remove it")
        for checked in (folder, folder.parent):
            if stat.S_IMODE(checked.lstat().st_mode) != _PRIVATE_MODE:
                checked.chmod(_PRIVATE_MODE)
    except OSError as exc:
        raise InputError(f"{folder}: cannot create the cache folder ({exc.strerror})") from exc
    return folder


def _copy_key(segment: Segment, source: Path) -> tuple[str, str]:
    """(stable prefix for this file, version for its current content and encoding)."""
    try:
        size, mtime_ns, digest = digest_files(source.parent, (source,))
    except (OSError, ValueError) as exc:
        raise unreadable_error(source, exc) from exc
    version = f"{segment.encoding}|{segment.gzip}|{size}|{mtime_ns}|{digest}"
    return copy_prefix(source), hashlib.sha256(version.encode()).hexdigest()[:_HASH_PREFIX]


class _DiskGuard:
    """A writable that stops before the disk under it keeps less than the reserve free."""

    def __init__(self, sink: Any, folder: Path, source: Path) -> None:
        self._sink = sink
        self._folder = folder
        self._source = source
        self._since_check = 0
        self._check()

    def write(self, data: bytes, /) -> int:
        self._since_check += len(data)
        if self._since_check >= _DISK_CHECK_BYTES:
            self._since_check = 0
            self._check()
        return int(self._sink.write(data))

    def _check(self) -> None:
        usage = shutil.disk_usage(self._folder)
        reserve = min(DISK_RESERVE_BYTES, usage.total // 20)
        if usage.free - self._since_check < reserve:
            raise InputError(
                f"{self._folder}: too little free disk for the uncompressed copy of "
                f"{self._source} ({usage.free / 1024**3:,.1f} GiB free, {reserve / 1024**3:,.1f}"
                " GiB kept free). Fix: free disk space, or store the file uncompressed"
            )


def _write_copy(segment: Segment, source: Path, target: Path) -> None:
    """Write the decompressed / transcoded copy under a temporary name, then rename it."""
    partial = target.with_name(f".{target.name}{_PARTIAL_SUFFIX}")
    limit = segment.max_uncompressed_bytes if segment.gzip else None
    text = TextSource(
        source,
        segment.name,
        segment.encoding,
        gz=segment.gzip,
        limit=limit,
        line_end=segment.line_end,
    )
    try:
        private = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _PRIVATE_FILE_MODE)
        with os.fdopen(private, "wb") as sink:
            guarded = _DiskGuard(sink, target.parent, source)
            if segment.is_columnar or is_polars_encoding(segment.encoding):
                # UTF-8 is not decoded here: Polars checks it while scanning, far faster.
                with open_raw(source, gz=segment.gzip, limit=limit) as stream:
                    while chunk := stream.read(COPY_CHUNK_BYTES):
                        guarded.write(chunk)
            else:
                copy_as_utf8(text, guarded)
        partial.replace(target)
    except DecompressionLimitError:
        raise
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise InputError(
                f"{target.parent}: no room for the uncompressed copy of {source} "
                f"({exc.strerror}). Fix: free disk space, or store the file uncompressed"
            ) from exc
        raise unreadable_error(source, exc) from exc
    except (EOFError, zlib.error) as exc:
        raise unreadable_error(source, exc) from exc
    finally:
        partial.unlink(missing_ok=True)
