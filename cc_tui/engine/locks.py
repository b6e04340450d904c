"""One run of an export at a time, across processes.

The lock is an ``flock`` on ``locks/<export>.lock``: the kernel drops it when the process
ends, however it ends (SIGKILL included), so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from cc_tui.errors import RunAlreadyActiveError
from cc_tui.paths import open_private_fd

__all__ = ["ExportLock", "PidLock"]


class PidLock:
    """An ``flock`` on one file that holds its owner's process id, taken without waiting.

    The kernel drops it when the process ends, however it ends; the file is created 0600.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> str | None:
        """Take the lock; None when taken, else who holds it ("process 1234" or so)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = open_private_fd(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
            os.close(fd)
            return holder
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return None

    def release(self) -> None:
        """Let the next one take it."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class ExportLock:
    """Held while an export runs; acquiring it twice fails fast instead of waiting."""

    def __init__(self, locks_dir: Path, export: str) -> None:
        self.path = locks_dir / f"{export}.lock"
        self.export = export
        self._lock = PidLock(self.path)

    def acquire(self) -> None:
        """Take the lock, or raise RunAlreadyActiveError naming the process that holds it."""
        holder = self._lock.try_acquire()
        if holder is not None:
            raise RunAlreadyActiveError(
                f"Export '{self.export}' is already running (process {holder}). Wait for it "
                "to finish, or cancel it there."
            )

    def release(self) -> None:
        """Let the next run go."""
        self._lock.release()

    def __enter__(self) -> ExportLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()
