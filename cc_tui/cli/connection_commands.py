"""``cc-tui connection add|login|list|show|test|remove`` and ``cc-tui lists``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cc_tui.cli.context import CommandContext
from cc_tui.cli.output import Column, Output, cells, styled
from cc_tui.errors import ConsentRequiredError, UsageError
from cc_tui.models.connection import DEFAULT_API_BASE_URL, DEFAULT_AUTH_BASE_URL, UsableBy
from cc_tui.safe_text import visible
from cc_tui.units import expiry_text, utc_time_text

if TYPE_CHECKING:  # connections reach Constant Contact through httpx, loaded when used
    from cc_tui.engine.connections import ConnectionCheck, ConnectionStatus

__all__ = ["register"]

EMULATOR_ROOT = "http://127.0.0.1:8911"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``connection`` (with its sub-commands) and ``lists`` to the command line."""
    conn = commands.add_parser(
        "connection",
        help="add, sign in, check and remove Constant Contact connections",
        description="Manage connections to Constant Contact accounts.",
    )
    sub = conn.add_subparsers(dest="connection_command", required=True, metavar="COMMAND")
    _add_parser(sub)
    login = sub.add_parser(
        "login",
        help="sign in with the OAuth2 device flow",
        description="Sign a connection in: shows a URL and a code to approve "
        "in any browser, waits for the approval, stores the tokens.",
    )
    login.add_argument("name", metavar="NAME")
    login.add_argument(
        "--accept-privacy",
        action="store_true",
        help="accept the data-privacy statement without being asked",
    )
    login.set_defaults(handler=_login)
    listing = sub.add_parser("list", help="list connections", description="List connections.")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)
    show = sub.add_parser(
        "show",
        help="show one connection (tokens masked)",
        description="Show one connection; tokens are never shown.",
    )
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_show)
    test = sub.add_parser(
        "test",
        help="reach the account and count its lists",
        description="Check a connection: refresh the token if needed, read "
        "the account summary and count the contact lists.",
    )
    test.add_argument("name", metavar="NAME")
    test.add_argument("--json", action="store_true", help="print JSON")
    test.set_defaults(handler=_test)
    remove = sub.add_parser(
        "remove",
        help="remove a connection and its tokens",
        description="Remove a connection and forget its tokens.",
    )
    remove.add_argument("name", metavar="NAME")
    remove.add_argument(
        "--detach-exports",
        action="store_true",
        help="also detach the exports that use it (they stop running)",
    )
    remove.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(handler=_remove)

    lists = commands.add_parser(
        "lists",
        help="the contact lists of a connection's account",
        description="Show the account's contact lists: id, name, members.",
    )
    lists.add_argument("connection", metavar="CONNECTION")
    lists.add_argument("--json", action="store_true", help="print JSON")
    lists.set_defaults(handler=_lists)


def _add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add = sub.add_parser(
        "add",
        help="add a connection",
        description="Add a connection to a Constant Contact account. The client ID is the API "
        "key of an application registered in Constant Contact's developer portal with the "
        "device flow enabled.",
    )
    add.add_argument("name", metavar="NAME", help="short name used by exports and commands")
    add.add_argument(
        "--client-id", required=True, metavar="ID", help="the application's API key (client ID)"
    )
    add.add_argument("--display-name", metavar="TEXT", help="a friendlier name for people")
    add.add_argument(
        "--usable-by",
        choices=[u.value for u in UsableBy],
        default="admins",
        help="who may run exports through it (default: admins)",
    )
    add.add_argument(
        "--accept-privacy",
        action="store_true",
        help="accept the data-privacy statement without being asked",
    )
    add.add_argument(
        "--api-base-url",
        metavar="URL",
        default=None,
        help=f"API root (default {DEFAULT_API_BASE_URL})",
    )
    add.add_argument(
        "--auth-base-url",
        metavar="URL",
        default=None,
        help=f"OAuth2 server root (default {DEFAULT_AUTH_BASE_URL})",
    )
    add.add_argument(
        "--emulator",
        nargs="?",
        const=EMULATOR_ROOT,
        metavar="ROOT",
        default=None,
        help=f"use the local emulator for both URLs (default root {EMULATOR_ROOT})",
    )
    add.set_defaults(handler=_add)


def _ask_consent(out: Output, accepted: bool) -> bool:
    if accepted:
        return True
    if not out.interactive:
        raise ConsentRequiredError(
            "Data-privacy consent is required before a connection can sign in: customer data "
            "leaves this system for Constant Contact. Re-run with --accept-privacy to accept "
            "the statement (see `cc-tui connection add --help`)."
        )
    if not _asked_consent(out):
        raise ConsentRequiredError("The data-privacy statement was not accepted; nothing saved.")
    return True


def _asked_consent(out: Output) -> bool:
    """Whether the person accepts the privacy statement, shown on the terminal."""
    from rich.panel import Panel  # Rich loads on use, not for --help

    from cc_tui.engine.connections import PRIVACY_STATEMENT

    out.note(Panel(PRIVACY_STATEMENT, title="Data privacy", expand=False))
    return out.confirm("Do you accept this statement on behalf of your organisation?")


def _add(ctx: CommandContext) -> int:
    from cc_tui.models.connection import Connection, ConnectionStatus
    from cc_tui.service.protocol import ConnectionAdd, ConnectionList

    args = ctx.args
    api, auth = args.api_base_url, args.auth_base_url
    if args.emulator:
        root = args.emulator.rstrip("/")
        api, auth = api or f"{root}/v3", auth or f"{root}/oauth2/default/v1"
    accepted = bool(args.accept_privacy)
    if not accepted and ctx.out.interactive:
        known = ctx.call(ConnectionList(), list[ConnectionStatus])  # before the question
        if any(status.connection.name == args.name for status in known):
            raise UsageError(f"A connection named '{args.name}' already exists.")
        accepted = _asked_consent(ctx.out)
    # Not accepted: the service refuses the add (exit 2, saying how to accept) and audits it.
    conn = ctx.call(
        ConnectionAdd(
            name=args.name,
            client_id=args.client_id,
            display_name=args.display_name,
            usable_by=UsableBy(args.usable_by),
            api_base_url=api or DEFAULT_API_BASE_URL,
            auth_base_url=auth or DEFAULT_AUTH_BASE_URL,
            accept_privacy=accepted,
        ),
        Connection,
    )
    ctx.out.print(
        styled(
            "Added connection ",
            (conn.name, "bold"),
            f" ({conn.display_name}), usable by {conn.usable_by.value}. Privacy statement "
            f"accepted by {conn.consent.accepted_by if conn.consent else '?'}.",
        )
    )
    ctx.out.print(styled("Next: ", (f"cc-tui connection login {conn.name}", "bold")))
    return 0


def _login(ctx: CommandContext) -> int:
    from cc_tui.constant_contact.auth import DeviceAuthorization, DeviceFlowStatus
    from cc_tui.models.connection import Connection, ConnectionStatus
    from cc_tui.service.protocol import (
        Answer,
        ConnectionConsent,
        ConnectionLogin,
        ConnectionShow,
        SignInCode,
        SignInWaiting,
    )

    name = ctx.args.name
    conn = ctx.call(ConnectionShow(name=name), ConnectionStatus).connection
    if conn.consent is None:
        _ask_consent(ctx.out, ctx.args.accept_privacy)
        ctx.call(ConnectionConsent(name=name), Connection)
    from cc_tui.cli.sign_in_display import SignInDisplay

    display = SignInDisplay(ctx.out)

    def shown(message: Answer) -> None:
        # The service runs the device flow; the person sees its URL and code here.
        if isinstance(message, SignInCode):
            display.show_code(
                DeviceAuthorization(
                    device_code="",  # stays in the service
                    user_code=message.user_code,
                    verification_uri=message.verification_uri,
                    verification_uri_complete=message.verification_uri_complete,
                    expires_at=message.expires_at,
                    interval=message.interval,
                )
            )
        elif isinstance(message, SignInWaiting):
            display.update(
                DeviceFlowStatus(
                    state=message.state,  # type: ignore[arg-type]
                    seconds_left=message.seconds_left,
                    interval=message.interval,
                )
            )

    try:
        status = ctx.call(ConnectionLogin(name=name), ConnectionStatus, on_message=shown)
    finally:
        display.stop()
    ctx.out.print(
        styled(
            ("Signed in.", "green"),
            f" Token valid until {utc_time_text(status.token_expires_at)}.",
        )
    )
    check = _check(ctx, name)
    ctx.out.print(
        styled(
            "Account: ",
            (check.account.organization_name or "(no name)", "bold"),
            f" ({check.account.contact_email or 'no e-mail'}), {check.lists} contact lists.",
        )
    )
    return 0


def _check(ctx: CommandContext, name: str) -> ConnectionCheck:
    from cc_tui.engine.connections import ConnectionCheck
    from cc_tui.service.protocol import ConnectionTest

    return ctx.call(ConnectionTest(name=name), ConnectionCheck)


def _status_json(status: ConnectionStatus) -> dict[str, object]:
    conn = status.connection
    return {
        "name": conn.name,
        "display_name": conn.display_name,
        "client_id": conn.client_id,
        "usable_by": conn.usable_by.value,
        "api_base_url": conn.api_base_url,
        "auth_base_url": conn.auth_base_url,
        "consent": None
        if conn.consent is None
        else {
            "accepted_at": conn.consent.accepted_at.isoformat(),
            "accepted_by": conn.consent.accepted_by,
        },
        "signed_in": status.signed_in,
        "token_expires_at": status.token_expires_at.isoformat()
        if status.token_expires_at
        else None,
    }


def _list(ctx: CommandContext) -> int:
    from rich.text import Text

    from cc_tui.models.connection import ConnectionStatus
    from cc_tui.service.protocol import ConnectionList

    statuses = ctx.call(ConnectionList(), list[ConnectionStatus])
    if ctx.args.json:
        ctx.out.json([_status_json(status) for status in statuses])
        return 0
    if not statuses:
        ctx.out.print("No connections yet. Add one: cc-tui connection add NAME --client-id ID")
        return 0
    rows = []
    for status in statuses:
        conn = status.connection
        rows.append(
            [
                *cells([conn.name, conn.display_name, conn.usable_by.value]),
                Text("yes") if status.signed_in else Text("no", style="yellow"),
                Text(expiry_text(status.token_expires_at)),
                *cells([conn.api_base_url]),
            ]
        )
    ctx.out.table(
        [
            Column("name", whole=True),
            "display name",
            "usable by",
            "signed in",
            "token",
            Column("API", whole=True),
        ],
        rows,
    )
    return 0


def _show(ctx: CommandContext) -> int:
    from cc_tui.models.connection import ConnectionStatus
    from cc_tui.service.protocol import ConnectionShow

    status = ctx.call(ConnectionShow(name=ctx.args.name), ConnectionStatus)
    if ctx.args.json:
        ctx.out.json(_status_json(status))
        return 0
    conn = status.connection
    rows = [
        ("name", conn.name),
        ("display name", conn.display_name),
        ("client ID", conn.client_id),
        ("usable by", conn.usable_by.value),
        (
            "privacy consent",
            f"accepted by {conn.consent.accepted_by} at {utc_time_text(conn.consent.accepted_at)}"
            if conn.consent
            else "not accepted",
        ),
        ("API", conn.api_base_url),
        ("auth server", conn.auth_base_url),
        ("signed in", "yes" if status.signed_in else "no (cc-tui connection login NAME)"),
        ("tokens", "•••• (stored in secrets.toml, never shown)" if status.signed_in else "—"),
        (
            "access token",
            f"valid until {utc_time_text(status.token_expires_at)} "
            f"({expiry_text(status.token_expires_at)})"
            if status.signed_in
            else "—",
        ),
        ("scope", status.scope or "—"),
    ]
    ctx.out.pairs(rows)
    return 0


def _test(ctx: CommandContext) -> int:
    check = _check(ctx, ctx.args.name)
    if ctx.args.json:
        ctx.out.json(
            {
                "connection": check.connection.name,
                "organization_name": check.account.organization_name,
                "contact_email": check.account.contact_email,
                "lists": check.lists,
                "token_expires_at": check.token_expires_at.isoformat()
                if check.token_expires_at
                else None,
            }
        )
        return 0
    ctx.out.print(
        styled(
            ("OK", "green"),
            f" {check.connection.name}: account ",
            (check.account.organization_name or "(no name)", "bold"),
            f", {check.lists} contact lists, token valid until "
            f"{utc_time_text(check.token_expires_at)}.",
        )
    )
    return 0


def _remove(ctx: CommandContext) -> int:
    from cc_tui.service.protocol import ConnectionRemovable, ConnectionRemove

    name = ctx.args.name
    if not ctx.args.yes:
        ctx.call(ConnectionRemovable(name=name), type(None))  # refused before the question
        if not ctx.out.confirm(f"Remove connection '{name}' and its tokens?"):
            raise UsageError(f"Connection '{name}' was not removed (confirm, or pass --yes).")
    detached = ctx.call(
        ConnectionRemove(name=name, detach_exports=ctx.args.detach_exports), list[str]
    )
    ctx.out.print(
        f"Removed connection {name}."
        + (f" Detached exports: {', '.join(detached)}." if detached else "")
    )
    return 0


def _lists(ctx: CommandContext) -> int:
    from cc_tui.constant_contact.schemas import ContactList
    from cc_tui.service.protocol import ContactLists

    lists = ctx.call(ContactLists(connection=ctx.args.connection), list[ContactList])
    if ctx.args.json:
        ctx.out.json(
            [
                {"list_id": item.list_id, "name": item.name, "members": item.membership_count}
                for item in lists
            ]
        )
        return 0
    rows = []
    for item in lists:
        members = "—" if item.membership_count is None else f"{item.membership_count:,}"
        rows.append(cells([item.list_id, item.name, members]))
    ctx.out.table(
        [Column("list ID", whole=True), "name", Column("members", justify="right")],
        rows,
        title=f"Contact lists of {visible(ctx.args.connection)}",
    )
    return 0
