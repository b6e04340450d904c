"""Whether a client could read a file itself: the service reads only that for them.

A team's service runs as its own account and can read what that account can: the home's
secrets.toml and history, other users' files shared with the service. A client naming a path
(a segment) would otherwise make the service read it on their behalf (a confused deputy). So a
local path from a client other than the service's own user or root is checked with the
client's kernel identity: every folder on the way must be searchable, the file readable, by
the client's uid and groups, as the permission bits and any POSIX access ACL say (an ACL can
deny one user what the bits give everyone: ``setfacl -m u:bob:--- file``); and nothing inside
the home is named.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from collections.abc import Sequence
from pathlib import Path

from cc_tui.remote_paths import is_remote_location
from cc_tui.service.identity import Peer

__all__ = ["unreadable_reason"]

_READ, _SEARCH = 4, 1  # the r and x bits of one rwx triplet
# CDM metadata files: their partitions are read from the folder that holds them.
_MODEL_JSON = "model.json"
_MANIFEST_SUFFIX = ".manifest.cdm.json"

# The kernel's POSIX ACL xattr (include/uapi/linux/posix_acl_xattr.h): a little-endian u32
# version 2, then entries of (u16 tag, u16 perm, u32 id).
_ACL_XATTR = "system.posix_acl_access"
_ACL_VERSION = 2
_ACL_HEADER = struct.Struct("<I")
_ACL_ENTRY = struct.Struct("<HHI")
_USER_OBJ, _USER, _GROUP_OBJ, _GROUP, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_NO_ACL = (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP)


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
    cdm = real.name.lower() == _MODEL_JSON or real.name.lower().endswith(_MANIFEST_SUFFIX)
    if real.is_dir() or cdm:  # a CDM metadata file: its partitions are in the folder beside it
        return _inner_reason(peer, groups, real if real.is_dir() else real.parent, private)
    return None


def _inner_reason(
    peer: Peer, groups: set[int], folder: Path, private: Sequence[Path]
) -> str | None:
    """Why ``peer`` may not have the service read a file under ``folder``; None if none.

    A folder segment (Spark parts, a Delta table, a CDM folder's partitions) is read file by
    file, following links as the readers do: a file closed to the peer, or a link to one (to
    the home's secrets.toml, say, that a preview would show as rows), is refused like a file
    named directly. Every file under the folder is checked, each real folder once.
    """
    kept = [Path(os.path.realpath(place)) for place in private]
    reachable: dict[Path, bool] = {}
    seen: set[str] = set()
    for root, folders, files in os.walk(folder, followlinks=True):
        real_root = os.path.realpath(root)
        if real_root in seen:
            folders[:] = []  # a link loop, or a folder reached twice: read once
            continue
        seen.add(real_root)
        for name in files:
            entry = Path(root, name)
            real = Path(os.path.realpath(entry))
            if any(real == place or place in real.parents for place in kept):
                return (
                    f"{entry} leads into the cc-tui service's home: '{peer.user}' may not name it."
                )
            for parent in reversed(real.parents):
                if parent not in reachable:
                    reachable[parent] = _allowed(peer, groups, parent, _SEARCH)
                if not reachable[parent]:
                    return (
                        f"'{peer.user}' cannot reach {entry} (it is {real}, in the folder "
                        f"{parent} closed to them)."
                    )
            if not _allowed(peer, groups, real, _READ):
                return (
                    f"'{peer.user}' cannot read {entry}, so the service does not read it for them."
                )
    return None


def _groups(peer: Peer) -> set[int]:
    try:
        return {peer.gid, *os.getgrouplist(peer.user, peer.gid)}
    except OSError:  # a uid without a name ("uid:N")
        return {peer.gid}


def _allowed(peer: Peer, groups: set[int], path: Path, wanted: int) -> bool:
    """Whether ``path``'s access ACL, else its permission bits, give ``wanted`` (r=4, x=1)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return True  # nothing there to protect; the reader says it is missing
    entries = _access_acl(path)
    if entries:
        return _acl_allows(entries, info, peer, groups, wanted)
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid == peer.uid:
        bits = mode >> 6
    elif info.st_gid in groups:
        bits = mode >> 3
    else:
        bits = mode
    return bits & wanted == wanted


def _access_acl(path: Path) -> list[tuple[int, int, int]]:
    """The (tag, perm, id) entries of ``path``'s access ACL; empty when it has none.

    An ACL the service cannot make sense of is not guessed at: it counts as denying (one
    entry that gives nothing to anyone).
    """
    try:
        raw = os.getxattr(path, _ACL_XATTR)
    except OSError as error:
        if error.errno in _NO_ACL:
            return []
        raise
    body = raw[_ACL_HEADER.size :]
    if (
        len(raw) < _ACL_HEADER.size
        or _ACL_HEADER.unpack_from(raw)[0] != _ACL_VERSION
        or len(body) % _ACL_ENTRY.size
    ):
        return [(_OTHER, 0, 0)]
    return list(_ACL_ENTRY.iter_unpack(body))


def _acl_allows(
    entries: list[tuple[int, int, int]],
    info: os.stat_result,
    peer: Peer,
    groups: set[int],
    wanted: int,
) -> bool:
    """The access check of acl(5): owner, named user, groups (any one that grants), other.

    Named users and all groups are limited by the mask entry when there is one.
    """
    by_tag: dict[int, list[tuple[int, int]]] = {}
    for tag, perm, ident in entries:
        by_tag.setdefault(tag, []).append((perm, ident))
    mask = by_tag[_MASK][0][0] if _MASK in by_tag else 0o7

    def perms(tag: int) -> int:
        return by_tag[tag][0][0] if tag in by_tag else 0

    if info.st_uid == peer.uid:
        return perms(_USER_OBJ) & wanted == wanted
    named = [perm for perm, ident in by_tag.get(_USER, []) if ident == peer.uid]
    if named:
        return named[0] & mask & wanted == wanted
    matching = [perms(_GROUP_OBJ)] if info.st_gid in groups and _GROUP_OBJ in by_tag else []
    matching += [perm for perm, ident in by_tag.get(_GROUP, []) if ident in groups]
    if matching:
        return any(perm & mask & wanted == wanted for perm in matching)
    return perms(_OTHER) & wanted == wanted
