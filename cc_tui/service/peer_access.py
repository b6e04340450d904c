"""Whether a client could read a file itself: the service reads only that for them.

A team's service runs as its own account and can read what that account can: the home's
secrets.toml and history, other users' files shared with the service. A client naming a path
(a segment) would otherwise make the service read it on their behalf (a confused deputy). So a
local path from a client other than the service's own user or root is checked with the
client's kernel identity: every folder on the way must be searchable, the file readable, by
the client's uid and groups, as the permission bits say; and nothing inside the home is named.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from cc_tui.remote_paths import is_remote_location
from cc_tui.service.identity import Peer

__all__ = ["unreadable_reason"]

_READ, _SEARCH = 4, 1  # the r and x bits of one rwx triplet


def unreadable_reason(peer: Peer, path: Path, private: Sequence[Path]) -> str | None:
    """Why ``peer`` may not have the service read ``path``; None when they may.

    A remote location (``az://``...) is read through the home's storage connections, not the
    local disk: not checked here. A path that does not exist yet is left to the reader's own
    message. ``private``: the home's folders (config, data, state), named by no client.
    """
    if is_remote_location(str(path)):
        return None
    real = Path(os.path.realpath(path))
    for folder in private:
        kept = Path(os.path.realpath(folder))
        if real == kept or kept in real.parents:
            return f"'{peer.user}' may not name files in the cc-tui service's home ({path})."
    groups = _groups(peer)
    for folder in reversed(real.parents):
        if not _allowed(peer, groups, folder, _SEARCH):
            return f"'{peer.user}' cannot reach {path} (the folder {folder} is closed to them)."
    if real.exists() and not _allowed(
        peer, groups, real, _READ | (_SEARCH if real.is_dir() else 0)
    ):
        return f"'{peer.user}' cannot read {path}, so the service does not read it for them."
    return None


def _groups(peer: Peer) -> set[int]:
    try:
        return {peer.gid, *os.getgrouplist(peer.user, peer.gid)}
    except OSError:  # a uid without a name ("uid:N")
        return {peer.gid}


def _allowed(peer: Peer, groups: set[int], path: Path, wanted: int) -> bool:
    """Whether the permission bits of ``path`` give ``wanted`` (r=4, x=1) to ``peer``."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return True  # nothing there to protect; the reader says it is missing
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid == peer.uid:
        bits = mode >> 6
    elif info.st_gid in groups:
        bits = mode >> 3
    else:
        bits = mode
    return bits & wanted == wanted
