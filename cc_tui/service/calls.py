"""The home's commands, carried out by the service for one kernel-named client.

One handler per call intent (:data:`HANDLERS`, keyed by the intent's type). Each receives the
engine's :class:`~cc_tui.engine.services.Services` opened for the client's OS user (its name
from ``SO_PEERCRED``, as a run's are), so the engine's role checks and audit records apply to
that user, and whatever the client's environment says is never consulted. A handler returns
the engine's result (encoded as ``returned``) or raises the engine's error (sent as ``error``
with its exit code); a sign-in also sends the verification URL and code as they come.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from cc_tui.service.protocol import (
    Call,
    ConnectionAdd,
    ConnectionConsent,
    ConnectionList,
    ConnectionLogin,
    ConnectionRemovable,
    ConnectionRemove,
    ConnectionShow,
    ConnectionTest,
    ContactLists,
    ExportList,
    ExportRemovable,
    ExportRemove,
    ExportShow,
    HistoryList,
    SignInCode,
    SignInWaiting,
)

if TYPE_CHECKING:
    from cc_tui.constant_contact.auth import DeviceAuthorization, DeviceFlowStatus
    from cc_tui.engine.services import Services
    from cc_tui.service.protocol import Answer

__all__ = ["HANDLERS", "Emit", "Handler", "handler_for"]

Emit = Callable[["Answer"], None]
"""Queue a message to the calling client before the call's result (sign-in codes)."""
Handler = Callable[["Services", Any, Emit], Coroutine[Any, Any, object]]


async def _connection_add(services: Services, call: ConnectionAdd, emit: Emit) -> object:
    return services.connections.add(
        call.name,
        client_id=call.client_id,
        display_name=call.display_name,
        usable_by=call.usable_by,
        api_base_url=call.api_base_url,
        auth_base_url=call.auth_base_url,
        accept_privacy=call.accept_privacy,
    )


async def _connection_consent(services: Services, call: ConnectionConsent, emit: Emit) -> object:
    return services.connections.accept_privacy(call.name)


async def _connection_login(services: Services, call: ConnectionLogin, emit: Emit) -> object:
    def on_code(authz: DeviceAuthorization) -> None:
        # The device code stays in the service: whoever holds it could finish the sign-in.
        emit(
            SignInCode(
                user_code=authz.user_code,
                verification_uri=authz.verification_uri,
                verification_uri_complete=authz.verification_uri_complete,
                expires_at=authz.expires_at,
                interval=authz.interval,
            )
        )

    def on_status(status: DeviceFlowStatus) -> None:
        emit(
            SignInWaiting(
                state=status.state, seconds_left=status.seconds_left, interval=status.interval
            )
        )

    return await services.connections.sign_in(call.name, on_code=on_code, on_status=on_status)


async def _connection_removable(
    services: Services, call: ConnectionRemovable, emit: Emit
) -> object:
    services.connections.check_removable(call.name)
    return None


async def _connection_remove(services: Services, call: ConnectionRemove, emit: Emit) -> object:
    return services.connections.remove(call.name, detach_exports=call.detach_exports)


async def _connection_list(services: Services, call: ConnectionList, emit: Emit) -> object:
    connections = services.connections
    return [connections.status(conn.name) for conn in connections.visible()]


async def _connection_show(services: Services, call: ConnectionShow, emit: Emit) -> object:
    return services.connections.status(call.name)


async def _connection_test(services: Services, call: ConnectionTest, emit: Emit) -> object:
    return await services.connections.check(call.name)


async def _contact_lists(services: Services, call: ContactLists, emit: Emit) -> object:
    return await services.connections.contact_lists(call.connection)


async def _export_list(services: Services, call: ExportList, emit: Emit) -> object:
    return services.exports.visible()


async def _export_show(services: Services, call: ExportShow, emit: Emit) -> object:
    return services.exports.get(call.name)


async def _export_removable(services: Services, call: ExportRemovable, emit: Emit) -> object:
    services.exports.get(call.name)
    return None


async def _export_remove(services: Services, call: ExportRemove, emit: Emit) -> object:
    services.exports.remove(call.name)
    return None


async def _history(services: Services, call: HistoryList, emit: Emit) -> object:
    from cc_tui.store.run_history import RunHistory

    return RunHistory(services.history).runs(export=call.export, limit=call.limit)


HANDLERS: dict[type[Call], Handler] = {
    ConnectionAdd: _connection_add,
    ConnectionConsent: _connection_consent,
    ConnectionLogin: _connection_login,
    ConnectionRemovable: _connection_removable,
    ConnectionRemove: _connection_remove,
    ConnectionList: _connection_list,
    ConnectionShow: _connection_show,
    ConnectionTest: _connection_test,
    ContactLists: _contact_lists,
    ExportList: _export_list,
    ExportShow: _export_show,
    ExportRemovable: _export_removable,
    ExportRemove: _export_remove,
    HistoryList: _history,
}


def handler_for(intent: object) -> Handler | None:
    """The handler of a call intent; None for the other intents (runs, service)."""
    return HANDLERS.get(type(intent))  # type: ignore[arg-type]
