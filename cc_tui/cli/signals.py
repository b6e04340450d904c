"""SIGTERM for a command: unwind like Ctrl-C, so a live display gives the terminal back.

Python's default for SIGTERM (``kill PID``, ``timeout 1h cc-tui run ...``, a session's
supervisor) ends the process on the spot: a live display (``cc-tui run``'s progress, the
sign-in countdown) never stops, and the terminal is left with its cursor hidden and a half
drawn panel. While a command runs, SIGTERM raises :class:`Terminated` instead: every
``with Live(...)`` and ``finally`` on the way out runs, and the command line ends with 143
(128 + SIGTERM, what a shell shows for a process it terminated).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["EXIT_TERMINATED", "Terminated", "sigterm_unwinds"]

EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException, like KeyboardInterrupt, so no ``except Exception``
    on the way out swallows it."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (main thread only: elsewhere
    Python cannot set a handler, and the default stays)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
