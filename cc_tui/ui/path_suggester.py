"""PathSuggester: completes a file-system path as it is typed (→ accepts, like a shell's tab).

The folder is listed in a thread (a slow network share must not freeze the app) and only
listed: entries are never opened, so a FIFO among them cannot block. Hidden entries are offered
only when the typed name starts with a dot; names with control characters never (a suggestion
is drawn raw, and such a name is typed or pasted instead).
"""

from __future__ import annotations

import asyncio
import os
from itertools import islice

from textual.suggester import Suggester

from cc_tui.safe_text import visible

__all__ = ["MAX_LISTED", "PathSuggester", "complete_path"]

MAX_LISTED = 10_000
"""Entries of one folder looked at; a bigger folder is completed from its first ones."""


def complete_path(value: str) -> str | None:
    """``value`` completed to the first matching entry of its folder (a folder gets ``/``).

    ``~`` is understood (and kept as typed). None when nothing matches or ``value`` is empty.
    """
    if not value:
        return None
    # os.path: Path() would drop a trailing "/" (typed to list a folder) and raises on "~nobody".
    folder, prefix = os.path.split(os.path.expanduser(value))  # noqa: PTH111
    show_hidden = prefix.startswith(".")
    try:
        with os.scandir(folder or os.curdir) as entries:
            names = sorted(
                entry.name + (os.sep if _is_dir(entry) else "")
                for entry in islice(entries, MAX_LISTED)
                if entry.name.startswith(prefix)
                and (show_hidden or not entry.name.startswith("."))
                # A suggestion is drawn as it is: a name with control characters is never one.
                and visible(entry.name) == entry.name
            )
    except OSError:
        return None
    for name in names:
        if name != prefix:
            return value + name[len(prefix) :]
    return None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # stat, following a link; never opens the entry
    except OSError:
        return False


class PathSuggester(Suggester):
    """Suggests the rest of a path from the file system (nothing cached: folders change)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        """The completion of ``value``, listed off the event loop."""
        return await asyncio.to_thread(complete_path, value)
