"""Who is at the other end of a Unix socket, as the kernel says (SO_PEERCRED).

The service names every client by the user id the kernel recorded when the client connected,
turned into a name through the password database. Nothing the client sends or has in its
environment (``LOGNAME``, ``USER``) is consulted, so no client can pass as another user.
"""

from __future__ import annotations

import os
import pwd
import socket
import struct
from dataclasses import dataclass

__all__ = ["Peer", "own_peer", "peer_of", "user_name"]

# struct ucred {pid_t pid; uid_t uid; gid_t gid;}: three C ints on Linux.
_UCRED = struct.Struct("3i")


@dataclass(frozen=True, slots=True)
class Peer:
    """A client of the service, by the kernel's account."""

    uid: int
    gid: int
    pid: int
    user: str
    """The uid's name in the password database (``uid:1234`` when it has none)."""


def user_name(uid: int) -> str:
    """The OS user name of ``uid``, or ``uid:N`` when the password database has no entry."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


def peer_of(sock: socket.socket) -> Peer:
    """The credentials of the process that connected ``sock`` (a connected AF_UNIX socket)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    pid, uid, gid = _UCRED.unpack(raw)
    return Peer(uid=uid, gid=gid, pid=pid, user=user_name(uid))


def own_peer() -> Peer:
    """This process as a peer (the service's own user: scheduled runs are started by it)."""
    uid = os.geteuid()
    return Peer(uid=uid, gid=os.getegid(), pid=os.getpid(), user=user_name(uid))
