"""Calls about Constant Contact connections: add, consent, sign-in, edit, remove, list, test,
and the account questions a form asks through one (contact lists, custom fields, a list ID).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cc_tui.errors import AccessDeniedError, ConsentRequiredError
from cc_tui.service.calls.caller import Caller, Handler
from cc_tui.service.protocol import (
    Call,
    ConnectionAdd,
    ConnectionConsent,
    ConnectionEdit,
    ConnectionList,
    ConnectionLogin,
    ConnectionRemovable,
    ConnectionRemove,
    ConnectionShow,
    ConnectionTest,
    ContactLists,
    CustomFields,
    ListFound,
    ListLookup,
    SignInCode,
    SignInWaiting,
)

if TYPE_CHECKING:
    from cc_tui.constant_contact.auth import DeviceAuthorization, DeviceFlowStatus
    from cc_tui.constant_contact.client import ConstantContactClient

__all__ = ["CONSENT_NEEDED", "HANDLERS"]


CONSENT_NEEDED = (
    "Data-privacy consent is required before a connection is added: customer data leaves this "
    "system for Constant Contact. Re-run with --accept-privacy to accept the statement (see "
    "`cc-tui connection add --help`), or answer yes when cc-tui asks on a terminal."
)


async def _connection_add(caller: Caller, call: ConnectionAdd) -> object:
    """Add a connection. One without the privacy statement accepted is refused here, in the
    service (exit 2, saying how to accept), after the engine's role check, and audited as the
    engine records every ``connection.add`` attempt."""
    try:
        return caller.services.connections.add(
            call.name,
            client_id=call.client_id,
            display_name=call.display_name,
            usable_by=call.usable_by,
            api_base_url=call.api_base_url,
            auth_base_url=call.auth_base_url,
            accept_privacy=call.accept_privacy,
        )
    except ConsentRequiredError:
        raise ConsentRequiredError(CONSENT_NEEDED) from None


async def _connection_consent(caller: Caller, call: ConnectionConsent) -> object:
    return caller.services.connections.accept_privacy(call.name)


async def _connection_login(caller: Caller, call: ConnectionLogin) -> object:
    def on_code(authz: DeviceAuthorization) -> None:
        # The device code stays in the service: whoever holds it could finish the sign-in.
        caller.emit(
            SignInCode(
                user_code=authz.user_code,
                verification_uri=authz.verification_uri,
                verification_uri_complete=authz.verification_uri_complete,
                expires_at=authz.expires_at,
                interval=authz.interval,
            )
        )

    def on_status(status: DeviceFlowStatus) -> None:
        caller.emit(
            SignInWaiting(
                state=status.state, seconds_left=status.seconds_left, interval=status.interval
            )
        )

    return await caller.services.connections.sign_in(
        call.name, on_code=on_code, on_status=on_status
    )


async def _connection_removable(caller: Caller, call: ConnectionRemovable) -> object:
    caller.services.connections.check_removable(call.name)
    return None


async def _connection_remove(caller: Caller, call: ConnectionRemove) -> object:
    return caller.services.connections.remove(call.name, detach_exports=call.detach_exports)


async def _connection_list(caller: Caller, call: ConnectionList) -> object:
    connections = caller.services.connections
    return [connections.status(conn.name) for conn in connections.visible()]


async def _connection_show(caller: Caller, call: ConnectionShow) -> object:
    return caller.services.connections.status(call.name)


async def _connection_test(caller: Caller, call: ConnectionTest) -> object:
    return await caller.services.connections.check(call.name)


async def _connection_edit(caller: Caller, call: ConnectionEdit) -> object:
    fields = ("display_name", "client_id", "usable_by", "api_base_url", "auth_base_url")
    changes = {key: getattr(call, key) for key in fields if getattr(call, key) is not None}
    return caller.services.connections.edit(call.name, **changes)


async def _contact_lists(caller: Caller, call: ContactLists) -> object:
    return await caller.services.connections.contact_lists(call.connection)


def _advice_client(caller: Caller, connection: str) -> ConstantContactClient:
    from cc_tui.engine.exports import ACCOUNT_CHECK_RETRY, ACCOUNT_CHECK_TIMEOUT

    # A form's questions are advice: offline, it says so after one retry, not after minutes.
    return caller.services.connections.client(
        connection, retry=ACCOUNT_CHECK_RETRY, timeout=ACCOUNT_CHECK_TIMEOUT
    )


async def _custom_fields(caller: Caller, call: CustomFields) -> object:
    async with _advice_client(caller, call.connection) as client:
        return sorted(item.name for item in await client.custom_fields())


async def _list_lookup(caller: Caller, call: ListLookup) -> object:
    from cc_tui.errors import CcTuiError, NotFoundError

    try:
        async with _advice_client(caller, call.connection) as client:
            found = await client.contact_list(call.list_id)
    except NotFoundError:
        return ListFound(problem=f"The account has no list with ID {call.list_id}.")
    except AccessDeniedError:
        raise  # not the asker's connection: a refusal, not an unreachable account
    except CcTuiError:
        return ListFound(unchecked=True)
    if found.deleted:
        return ListFound(
            problem=f"List '{found.name}' ({found.list_id}) was deleted in Constant Contact."
        )
    return ListFound(found=found)


HANDLERS: dict[type[Call], Handler] = {
    ConnectionAdd: _connection_add,
    ConnectionConsent: _connection_consent,
    ConnectionLogin: _connection_login,
    ConnectionRemovable: _connection_removable,
    ConnectionRemove: _connection_remove,
    ConnectionList: _connection_list,
    ConnectionShow: _connection_show,
    ConnectionTest: _connection_test,
    ConnectionEdit: _connection_edit,
    ContactLists: _contact_lists,
    CustomFields: _custom_fields,
    ListLookup: _list_lookup,
}
"""The handler of each of this subject's call intents."""
