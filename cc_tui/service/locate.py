"""Where a home's service listens, and the files it keeps beside its home.

One service per home. Its socket is ``$XDG_RUNTIME_DIR/cc-tui/<key>.sock``, else
``/tmp/cc-tui-<uid>/<key>.sock``, where ``<key>`` is a short hash of the home's resolved path
(homes have long paths; a Unix socket path has at most 107 bytes). The folder is 0700, so only
the user reaches a single-user service. ``CC_TUI_SERVICE_SOCKET`` (or ``--service PATH``) names
another socket: a team's shared service.

Beside the home's state: ``service.lock`` (held by the running service for its whole life: two
services never own one home), ``service-start.lock`` (held by a client while it starts one: two
clients never start two), ``service.log`` (the background service's output, 0600).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cc_tui.errors import ConfigError
from cc_tui.paths import AppPaths, ensure_private_dir

__all__ = ["SOCKET_ENV", "SUN_PATH_MAX", "ServiceFiles", "home_key", "service_files"]

SOCKET_ENV = "CC_TUI_SERVICE_SOCKET"
SUN_PATH_MAX = 107  # bytes of a Unix socket path on Linux (108 with the terminating NUL)
_KEY_LENGTH = 16  # hex digits of the home's hash: 64 bits, no two homes of a user collide


@dataclass(frozen=True, slots=True)
class ServiceFiles:
    """The socket and the service's own files for one home."""

    home: Path
    socket: Path
    lock: Path
    start_lock: Path
    log: Path
    shared_socket: bool
    """True when the socket was named (CC_TUI_SERVICE_SOCKET / --service), not derived."""


def home_key(paths: AppPaths) -> str:
    """A short, stable name for the home (its resolved config folder)."""
    resolved = str(paths.config_dir.expanduser().resolve())
    return hashlib.sha256(resolved.encode()).hexdigest()[:_KEY_LENGTH]


def service_files(paths: AppPaths, socket_path: str | Path | None = None) -> ServiceFiles:
    """Where the service of ``paths`` listens (``socket_path`` or the environment's first)."""
    named = socket_path or os.environ.get(SOCKET_ENV) or None
    socket = Path(named).expanduser() if named else _runtime_dir() / f"{home_key(paths)}.sock"
    if len(os.fsencode(socket)) > SUN_PATH_MAX:
        raise ConfigError(
            f"the service socket path is {len(os.fsencode(socket))} bytes, over the "
            f"{SUN_PATH_MAX} a Unix socket allows",
            path=socket,
            fix=f"name a shorter one with {SOCKET_ENV} or --service",
        )
    state = paths.state_dir
    return ServiceFiles(
        home=paths.config_dir,
        socket=socket,
        lock=state / "service.lock",
        start_lock=state / "service-start.lock",
        log=state / "service.log",
        shared_socket=named is not None,
    )


def _runtime_dir() -> Path:
    """The user's private runtime folder for sockets (created 0700)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) / "cc-tui" if runtime else Path(f"/tmp/cc-tui-{os.geteuid()}")
    if len(os.fsencode(base)) + 1 + _KEY_LENGTH + len(".sock") > SUN_PATH_MAX:
        base = Path(f"/tmp/cc-tui-{os.geteuid()}")  # a runtime folder too deep for a socket
    ensure_private_dir(base)
    # /tmp is shared: a folder of that name made by another user would let them replace the
    # socket and read what clients send.
    owner = base.stat().st_uid
    if owner != os.geteuid():
        raise ConfigError(
            f"the service's socket folder belongs to uid {owner}, not to you",
            path=base,
            fix=f"remove it, or set XDG_RUNTIME_DIR or {SOCKET_ENV}",
        )
    return base
