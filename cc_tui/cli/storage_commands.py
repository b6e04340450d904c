"""``cc-tui storage add|list|show|test|remove``: Azure storage accounts for remote segments.

The secret (account key, SAS token or connection string) is never an argument, so it never sits
in shell history or in the process list: it is read from ``$CC_TUI_STORAGE_SECRET`` when that is
set, else from standard input when that is not a terminal (a pipe, a file), else at a prompt
that does not echo. It goes to secrets.toml (0600) and is never shown again.

Every sub-command is carried out by the home's service, as the OS user the kernel names: the
secret travels once, in the add's message over the service's socket, to the service that
stores it. Adding, testing and removing are for administrators (a refusal is audited).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from cc_tui.cli.context import CommandContext
from cc_tui.cli.output import Column, cells, styled
from cc_tui.errors import UsageError
from cc_tui.models.storage import STORAGE_AUTH_SECRETS, StorageAuth

if TYPE_CHECKING:
    from cc_tui.engine.storage_connections import StorageStatus

__all__ = ["SECRET_ENV_VAR", "register"]

SECRET_ENV_VAR = "CC_TUI_STORAGE_SECRET"
_SECRET_SHOWN = "•••• (stored in secrets.toml, never shown)"
_AUTH_FLAGS = (
    ("--account-key", StorageAuth.ACCOUNT_KEY, "sign with the account's access key"),
    (
        "--sas-token",
        StorageAuth.SAS_TOKEN,
        "sign with a SAS token (read and list on the container)",
    ),
    ("--connection-string", StorageAuth.CONNECTION_STRING, "sign with a connection string"),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``storage`` (with its sub-commands) to the command line."""
    storage = commands.add_parser(
        "storage",
        help="Azure Blob Storage / Data Lake accounts that remote segments are read from",
        description="Manage storage connections: the Azure storage accounts that az://, "
        "abfss:// and https:// segment locations are read from.",
    )
    sub = storage.add_subparsers(dest="storage_command", required=True, metavar="COMMAND")
    add = sub.add_parser(
        "add",
        help="add a storage connection",
        description="Add a storage connection. The secret of --account-key, --sas-token or "
        f"--connection-string is read from ${SECRET_ENV_VAR}, else from standard input when "
        "it is not a terminal, else at a prompt (never from the command line, so it stays out "
        "of shell history). Without one of them, Azure's standard credentials are used "
        "(AZURE_* environment variables, workload or managed identity, Azure CLI sign-in).",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--account", required=True, metavar="ACCOUNT", help="storage account name")
    kinds = add.add_mutually_exclusive_group()
    for flag, auth, text in _AUTH_FLAGS:
        kinds.add_argument(flag, dest="auth", action="store_const", const=auth.value, help=text)
    add.add_argument(
        "--endpoint",
        metavar="URL",
        help="the blob endpoint instead of https://ACCOUNT.blob.core.windows.net (a sovereign "
        "cloud; Azurite: http://127.0.0.1:10000/ACCOUNT; plain http only to loopback)",
    )
    add.add_argument("--replace", action="store_true", help="replace an existing one")
    add.set_defaults(handler=_add, auth=StorageAuth.ENVIRONMENT.value)
    listing = sub.add_parser("list", help="list storage connections")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)
    show = sub.add_parser("show", help="show one storage connection (the secret never shows)")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_show)
    test = sub.add_parser(
        "test",
        help="list a container with the connection's credentials",
        description="Check a storage connection: list the top of a container with it.",
    )
    test.add_argument("name", metavar="NAME")
    test.add_argument("--container", required=True, metavar="CONTAINER")
    test.add_argument("--json", action="store_true", help="print JSON")
    test.set_defaults(handler=_test)
    remove = sub.add_parser("remove", help="remove a storage connection and its secret")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_remove)


def _read_secret(auth: StorageAuth) -> str:
    """The secret, from the environment, a pipe or a prompt that does not echo."""
    from_env = os.environ.get(SECRET_ENV_VAR)
    if from_env:
        return from_env.strip()
    stdin = sys.stdin
    if stdin is None:  # started with stdin closed (`<&-`): no pipe, no terminal to ask on
        return ""
    if not stdin.isatty():
        return stdin.readline().strip()
    try:
        return getpass.getpass(f"{auth.value} (not echoed): ").strip()
    except EOFError:
        raise UsageError(f"no {auth.value} was given; nothing saved") from None


def _add(ctx: CommandContext) -> int:
    from cc_tui.models.storage import StorageConnection
    from cc_tui.service.protocol import StorageAdd, StorageAddable

    args = ctx.args
    auth = StorageAuth(args.auth)
    # Refused (not an administrator, a name taken) before the secret is asked for.
    ctx.call(StorageAddable(name=args.name, replace=args.replace), type(None))
    secret = _read_secret(auth) if auth in STORAGE_AUTH_SECRETS else None
    connection = ctx.call(
        StorageAdd(
            name=args.name,
            account=args.account,
            auth=auth,
            secret=secret,
            endpoint=args.endpoint,
            replace=args.replace,
        ),
        StorageConnection,
    )
    ctx.out.print(
        styled(
            "Added storage connection ",
            (connection.name, "bold"),
            f" for account {connection.account} ({connection.auth.value}).",
        )
    )
    ctx.out.print(
        styled("Next: ", (f"cc-tui storage test {connection.name} --container CONTAINER", "bold"))
    )
    return 0


def _status_json(status: StorageStatus) -> dict[str, object]:
    connection = status.connection
    return {
        "name": connection.name,
        "account": connection.account,
        "auth": connection.auth.value,
        "endpoint": connection.endpoint,
        "secret_stored": status.has_secret,
    }


def _list(ctx: CommandContext) -> int:
    from rich.text import Text  # Rich loads on use, not for --help

    from cc_tui.engine.storage_connections import StorageStatus
    from cc_tui.service.protocol import StorageList

    statuses = ctx.call(StorageList(), list[StorageStatus])
    if ctx.args.json:
        ctx.out.json([_status_json(status) for status in statuses])
        return 0
    if not statuses:
        ctx.out.print("No storage connections yet. Add one: cc-tui storage add NAME --account A")
        return 0
    rows = [
        [
            *cells([s.connection.name, s.connection.account, s.connection.auth.value]),
            Text(s.connection.endpoint or "Azure (default)"),
        ]
        for s in statuses
    ]
    ctx.out.table([Column("name", whole=True), "account", "credentials", "endpoint"], rows)
    return 0


def _show(ctx: CommandContext) -> int:
    from cc_tui.engine.storage_connections import StorageStatus
    from cc_tui.service.protocol import StorageShow

    status = ctx.call(StorageShow(name=ctx.args.name), StorageStatus)
    if ctx.args.json:
        ctx.out.json(_status_json(status))
        return 0
    connection = status.connection
    secret = "— (Azure environment credentials)"
    if connection.auth in STORAGE_AUTH_SECRETS:
        secret = _SECRET_SHOWN if status.has_secret else "missing: add it again with --replace"
    ctx.out.pairs(
        [
            ("name", connection.name),
            ("account", connection.account),
            ("credentials", connection.auth.value),
            ("secret", secret),
            ("endpoint", connection.endpoint or "Azure (default)"),
        ]
    )
    return 0


def _test(ctx: CommandContext) -> int:
    from cc_tui.engine.storage_connections import StorageTest
    from cc_tui.service.protocol import StorageCheck

    result = ctx.call(StorageCheck(name=ctx.args.name, container=ctx.args.container), StorageTest)
    if ctx.args.json:
        ctx.out.json(
            {
                "storage": result.connection.name,
                "account": result.connection.account,
                "container": result.container,
                "names": list(result.names),
            }
        )
        return 0
    shown = ", ".join(result.names) if result.names else "(empty)"
    ctx.out.print(
        styled(
            ("OK", "green"),
            f" {result.connection.name}: container {result.container} of account "
            f"{result.connection.account} holds: {shown}",
        )
    )
    return 0


def _remove(ctx: CommandContext) -> int:
    from cc_tui.service.protocol import StorageRemove

    ctx.call(StorageRemove(name=ctx.args.name), type(None))
    ctx.out.print(f"Removed storage connection {ctx.args.name} and its secret.")
    return 0
