"""Looking at segment paths without being fooled by them: special files, links, patterns.

A FIFO, socket or device is never opened (opening a FIFO blocks until someone writes to it, so
one in a segments folder would hang every command that lists segments): :func:`examine` and
:func:`kind_of` decide from ``os.stat`` alone (the one place that says what kind of path a
segment is, and refuses special files), and :func:`open_regular` opens with ``O_NONBLOCK``
and checks the open file before reading, so a file swapped for a FIFO in between cannot block
either. :func:`walk_files` lists the files under a folder once each, however symbolic links
loop. Polars treats a path string as a glob pattern; :func:`polars_path` gives a path that it
reads literally.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from cc_tui.engine.segments.remote_storage import is_remote
from cc_tui.errors import InputError

__all__ = [
    "GLOB_CHARACTERS",
    "HIDDEN_PREFIXES",
    "FolderWalk",
    "PathKind",
    "examine",
    "first_with_data",
    "kind_of",
    "open_regular",
    "polars_path",
    "require_file",
    "walk_files",
]

# Names of files and folders that are never data: hidden files and Spark/Hadoop markers
# (``_SUCCESS``, ``_committed_*``, ``_started_*``, ``_delta_log``...).
HIDDEN_PREFIXES = (".", "_")
# Checksums Hadoop writes beside each part file.
_SIDE_SUFFIXES = (".crc",)
GLOB_CHARACTERS = frozenset("*?[")
_SPECIAL = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}
# Hash characters used to name a literal alias of a path Polars would read as a pattern.
_ALIAS_HASH = 24


class PathKind(StrEnum):
    """What a path is, as far as segments go."""

    FILE = "file"
    FOLDER = "folder"


def examine(path: Path) -> os.stat_result:
    """The ``stat`` of a regular file or folder (symbolic links followed); nothing is opened.

    Raises InputError for anything else (a FIFO, socket or device; a dangling link; a link
    loop; a path that does not exist or cannot be looked at), saying what it is and the fix.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(f"{path} {_stat_problem(path, exc)}") from exc
    if stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode):
        return info
    what = _SPECIAL.get(stat.S_IFMT(info.st_mode))
    if what is None:
        raise InputError(f"{path} is neither a regular file nor a folder")
    raise InputError(
        f"{path} is {what}, not a file or folder: cc-tui reads segments only from regular "
        f"files and folders (opening {what} could wait forever). Fix: copy the data to a "
        "regular file and give that file's path"
    )


def kind_of(path: Path) -> PathKind:
    """File or folder, from ``os.stat`` only (see :func:`examine`): nothing is opened."""
    return PathKind.FILE if stat.S_ISREG(examine(path).st_mode) else PathKind.FOLDER


def require_file(path: Path) -> os.stat_result:
    """The stat of a regular file; InputError for anything else (see :func:`examine`)."""
    info = examine(path)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: is a folder, not a file")
    return info


def _stat_problem(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link that loops back on itself (fix or remove the link)"
    if exc.errno == errno.ENOENT:
        if path.is_symlink():
            return "is a symbolic link to something that does not exist"
        return "does not exist. Fix: check the path"
    reason = exc.strerror or str(exc)
    return f"cannot be looked at ({reason})"


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading, never blocking on a FIFO that replaced it.

    A remote blob is read through its storage account (ranged GETs, see ``remote_storage``).
    """
    if is_remote(path):
        stream: BinaryIO = path.open("rb")
        return stream
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = _SPECIAL.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise InputError(f"{path}: is {what}, not a file; cc-tui does not read it")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@dataclass(slots=True)
class FolderWalk:
    """The files under a folder (each real file once) and what was skipped, with the reason."""

    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def walk_files(folder: Path) -> FolderWalk:
    """Every regular file under ``folder`` (sub-folders included), in name order.

    Hidden files, Spark/Hadoop markers (``_SUCCESS``, ``_committed_*``...) and ``.crc``
    checksums are left out. A symbolic link to a folder already walked, or to a file already
    listed, is skipped (each real file is read once, whatever links loop back); FIFOs, sockets
    and devices are skipped unopened. Both kinds of skip are reported in ``skipped``.
    """
    walk = FolderWalk()
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    try:
        root = folder.stat()
    except OSError as exc:
        raise InputError(f"{folder}: {_stat_problem(folder, exc)}") from exc
    seen_dirs.add((root.st_dev, root.st_ino))
    _walk(folder, walk, seen_dirs, seen_files)
    return walk


def _walk(
    folder: Path,
    walk: FolderWalk,
    seen_dirs: set[tuple[int, int]],
    seen_files: set[tuple[int, int]],
) -> None:
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        walk.skipped.append(f"{folder}: cannot be listed ({exc.strerror or exc})")
        return
    for entry in entries:
        if entry.name.startswith(HIDDEN_PREFIXES) or entry.name.endswith(_SIDE_SUFFIXES):
            continue
        try:
            info = entry.stat()
        except OSError as exc:
            walk.skipped.append(f"{entry}: {_stat_problem(entry, exc)}")
            continue
        key = (info.st_dev, info.st_ino)
        if stat.S_ISDIR(info.st_mode):
            if key in seen_dirs:
                walk.skipped.append(f"{entry}: links back to a folder already read")
                continue
            seen_dirs.add(key)
            _walk(entry, walk, seen_dirs, seen_files)
        elif stat.S_ISREG(info.st_mode):
            if key in seen_files:
                walk.skipped.append(f"{entry}: is a link to a file already read")
                continue
            seen_files.add(key)
            walk.files.append(entry)
        else:
            what = _SPECIAL.get(stat.S_IFMT(info.st_mode), "not a regular file")
            walk.skipped.append(f"{entry}: is {what}; not opened")


def first_with_data(files: Sequence[Path]) -> Path:
    """The first of ``files`` that holds any bytes (the first one when none does).

    Spark writes a 0-byte part for an empty partition, and Customer Insights may list an empty
    partition first: the delimiter, the width of a headerless file, its line end and a preview
    are read from a part that has rows.
    """
    for path in files:
        if path.stat().st_size > 0:
            return path
    return files[0]


def polars_path(path: Path, alias_dir: Path) -> Path:
    """A path that Polars reads as this very file, for readers that always expand patterns.

    ``scan_csv`` and ``scan_parquet`` take ``glob=False``; ``scan_ndjson`` does not, so a file
    named ``vip*.ndjson`` would also read ``vip-2024.ndjson``. Such a path gets a symbolic link
    with a plain name in ``alias_dir`` (a private folder) that points at the real file.
    """
    if not GLOB_CHARACTERS.intersection(str(path)):
        return path
    target = path.absolute()
    digest = hashlib.sha256(str(target).encode()).hexdigest()[:_ALIAS_HASH]
    suffix = "" if GLOB_CHARACTERS.intersection(path.suffix) else path.suffix
    alias = alias_dir / f"alias-{digest}.{os.getpid()}{suffix}"
    if GLOB_CHARACTERS.intersection(str(alias)):
        raise InputError(
            f"{path}: its name holds a pattern character (* ? [) and so does the cache folder "
            f"{alias_dir}; rename the file"
        )
    if alias.is_symlink() and alias.readlink() == target:
        return alias
    alias.unlink(missing_ok=True)
    alias.symlink_to(target)
    return alias
