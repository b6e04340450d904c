"""Crash-safe file replacement: a reader sees the old file or the new one, never a torn one.

In the base layer because the stores and the emulator's state file both need it, and the
emulator shares no code with the stores.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from cc_tui.paths import PRIVATE_FILE_MODE

__all__ = ["atomic_write_bytes", "atomic_write_text"]


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = PRIVATE_FILE_MODE) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder, fsync, then rename.

    The temp file is created 0600 (``mkstemp``) and set to ``mode`` (0600 unless asked) before
    anything is written, so a secret is never readable by others even for an instant. The
    folder is fsynced after the rename so the new name survives a power cut.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, *, mode: int = PRIVATE_FILE_MODE) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def _fsync_dir(folder: Path) -> None:
    # Not every platform lets a directory be opened for fsync; the rename is done either way.
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
