"""Calls that read the audit log: list its records and verify its chain (administrators only)."""

from __future__ import annotations

from cc_tui.service.calls.caller import Caller, Handler
from cc_tui.service.protocol import AuditList, AuditVerify, Call

__all__ = ["HANDLERS"]


def _require_audit_reader(caller: Caller, action: str) -> None:
    """The audit log is read by administrators and the service's own user (and root) only.

    It names every user and what they did, allowed or refused, on every connection, including
    those kept from contributors: a contributor's attempt is refused and audited.
    """
    if caller.sees_all:
        return
    caller.refuse(
        action,
        "audit log",
        f"Only administrators may read the audit log; '{caller.peer.user}' is not one.",
    )


async def _audit_list(caller: Caller, call: AuditList) -> object:
    _require_audit_reader(caller, "audit.read")
    return caller.services.history.events(user=call.user, action=call.action, limit=call.limit)


async def _audit_verify(caller: Caller, call: AuditVerify) -> object:
    _require_audit_reader(caller, "audit.verify")
    return caller.services.history.verify_audit()


HANDLERS: dict[type[Call], Handler] = {
    AuditList: _audit_list,
    AuditVerify: _audit_verify,
}
"""The handler of each of this subject's call intents."""
