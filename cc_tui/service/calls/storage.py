"""Calls about storage connections (where remote segments are read): list, show, add, test,
remove; changes are the administrators', and a refused one is audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from cc_tui.errors import AccessDeniedError, NameTakenError
from cc_tui.models.config import Role
from cc_tui.service.calls.caller import Caller, Handler
from cc_tui.service.protocol import (
    Call,
    StorageAdd,
    StorageAddable,
    StorageCheck,
    StorageList,
    StorageRemove,
    StorageShow,
)
from cc_tui.store.audit import AuditOutcome

if TYPE_CHECKING:
    from cc_tui.engine.storage_connections import StorageService

__all__ = ["HANDLERS"]


def _storage(caller: Caller) -> StorageService:
    from cc_tui.engine.storage_connections import StorageService

    services = caller.services
    return StorageService(services.config, services.secrets, services.history, services.os_user)


@contextmanager
def _refusal_audited(caller: Caller, action: str, subject: str) -> Iterator[None]:
    """Record a refusal of the engine's role check (which does not audit it) under ``action``."""
    try:
        yield
    except AccessDeniedError as exc:
        caller.services.history.record_event(
            action, subject, caller.peer.user, {"reason": str(exc)}, outcome=AuditOutcome.REFUSED
        )
        raise


async def _storage_list(caller: Caller, call: StorageList) -> object:
    # Nothing secret is listed: every user sees the storage connections (the engine's rule).
    return _storage(caller).list()


async def _storage_show(caller: Caller, call: StorageShow) -> object:
    return _storage(caller).get(call.name)


async def _storage_addable(caller: Caller, call: StorageAddable) -> object:
    """Refuse an add before its secret is typed: not an administrator (audited), or a name
    taken without ``replace``."""
    config = caller.services.config.load()
    if config.roles.role_of(caller.services.os_user) is not Role.ADMIN:
        admins = ", ".join(config.roles.admins) or "an administrator"
        caller.refuse(
            "storage.add",
            call.name,
            f"Only administrators may add storage connections; '{caller.services.os_user}' is "
            f"not one. Ask {admins}.",
        )
    if call.name in config.storage and not call.replace:
        raise NameTakenError(
            f"A storage connection named '{call.name}' already exists. Fix: choose another "
            "name, or pass --replace"
        )
    return None


async def _storage_add(caller: Caller, call: StorageAdd) -> object:
    with _refusal_audited(caller, "storage.add", call.name):
        return _storage(caller).add(
            call.name,
            account=call.account,
            auth=call.auth,
            secret=call.secret,
            endpoint=call.endpoint,
            replace=call.replace,
        )


async def _storage_check(caller: Caller, call: StorageCheck) -> object:
    with _refusal_audited(caller, "storage.test", call.name):
        return _storage(caller).test(call.name, call.container)


async def _storage_remove(caller: Caller, call: StorageRemove) -> object:
    with _refusal_audited(caller, "storage.remove", call.name):
        _storage(caller).remove(call.name)
    return None


HANDLERS: dict[type[Call], Handler] = {
    StorageList: _storage_list,
    StorageShow: _storage_show,
    StorageAddable: _storage_addable,
    StorageAdd: _storage_add,
    StorageCheck: _storage_check,
    StorageRemove: _storage_remove,
}
"""The handler of each of this subject's call intents."""
