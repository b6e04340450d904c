"""The cc-tui service: the one process that owns a home and runs its exports.

The faces (the command line and the app) are its clients. They send intents over a Unix
socket (:mod:`~cc_tui.service.protocol`) and receive a run's progress snapshots and events as
they happen; a run goes on when its client goes away, and any client may attach to it again.
The service names each client by the kernel's account of the socket's peer
(:mod:`~cc_tui.service.identity`), never by what the client says or its environment.

Layout: :mod:`locate` (where the socket and the service's files are), :mod:`protocol`
(the messages), :mod:`frames` (how they travel), :mod:`identity` (peer credentials),
:mod:`supervisor` (runs as tasks, their latest state, fan-out to subscribers), :mod:`server`
(the asyncio Unix server, signals), :mod:`scheduling` (the exports it starts on its own),
:mod:`calls` (the home's commands, one module per subject), :mod:`client` (sync client and
auto-start).
"""

from __future__ import annotations

__all__: list[str] = []
