"""Who asks, as the kernel names them, and the rules of what they may see.

Every call handler receives a :class:`Caller`: the client's kernel-named peer and the engine's
services opened for that user. The checks shared by several subjects live here: whether the
asker may see an export (:func:`visible_export`) and whether they could read its segments
themselves (:func:`unreadable_segment`, which the server also asks before starting a run).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cc_tui.errors import AccessDeniedError, UsageError
from cc_tui.models.config import Export, Role
from cc_tui.remote_paths import is_remote_location
from cc_tui.service.identity import Peer
from cc_tui.service.peer_access import unreadable_reason
from cc_tui.store.audit import AuditOutcome

if TYPE_CHECKING:
    from cc_tui.engine.services import Services
    from cc_tui.service.protocol import Answer


__all__ = ["Caller", "Emit", "Handler", "unreadable_segment", "visible_export"]


Emit = Callable[["Answer"], None]
"""Queue a message to the calling client before the call's result (sign-in codes)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, as the kernel says, and the engine's services opened for them."""

    peer: Peer
    services: Services
    emit: Emit
    trusted: bool
    """The service's own user or root: may name any file the service can read."""
    private: tuple[Path, ...]
    """The service's home folders (config, data, state): no one else names files in them."""

    def require_readable(self, action: str, subject: str, path: Path) -> None:
        """Refuse (and audit) a local ``path`` that the asker could not read themselves.

        The service reads segments with its own rights, which a team's members do not have
        (the home's secrets.toml, say): it reads for a person only what that person could.
        """
        if self.trusted:
            return
        reason = unreadable_reason(self.peer, path, self.private)
        if reason is None:
            return
        self.refuse(action, subject, reason)

    @property
    def sees_all(self) -> bool:
        """The service's own user, root, or an administrator: sees every segment, the audit
        log, and runs exports whatever their files' permissions say."""
        return self.trusted or self.services.connections.role() is Role.ADMIN

    def refuse(self, action: str, subject: str, reason: str) -> None:
        """Audit ``action`` on ``subject`` as refused for ``reason``, and raise it (exit 2)."""
        self.services.history.record_event(
            action, subject, self.peer.user, {"reason": reason}, outcome=AuditOutcome.REFUSED
        )
        raise AccessDeniedError(reason)


Handler = Callable[[Caller, Any], Coroutine[Any, Any, object]]


def visible_export(caller: Caller, action: str, name: str) -> Export:
    """The export ``name`` if the asker may see it, else the engine's "no export named"
    (a ``action`` refusal audited with the reason when it exists but is hidden)."""
    services = caller.services
    try:
        return services.exports.get(name)
    except UsageError:
        export = services.config.load().exports.get(name)
        if export is not None:
            reason = services.connections.hidden_reason(export.connection)
            services.history.record_event(
                action,
                name,
                caller.peer.user,
                {"reason": reason or f"export '{name}' has no connection (administrators only)"},
                outcome=AuditOutcome.REFUSED,
            )
        raise


def unreadable_segment(
    services: Services, peer: Peer, export: Export, private: tuple[Path, ...]
) -> str | None:
    """Why ``peer`` could not read one of ``export``'s local segments themselves; None if
    they could read them all (a missing or remote segment is left to the run's own checks)."""
    overview = services.sources.overview()
    for name in export.segments:
        status = overview.get(name)
        if status is None or status.path is None or is_remote_location(str(status.path)):
            continue
        reason = unreadable_reason(peer, status.path, private)
        if reason is not None:
            return f"Export '{export.name}' reads segment '{name}': {reason}"
    return None
