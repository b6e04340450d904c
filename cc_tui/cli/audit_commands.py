"""``cc-tui audit``: who did what, allowed or refused; ``cc-tui audit verify``: was it edited.

``verify`` exits 0 when the chain is intact and 1 when it is not (the check failed, like a
run that failed: ARCHITECTURE.md's exit codes), naming the first broken entry; a history that
cannot be read at all is exit 2 with the way out, as for every command.

Both are answered by the home's service, which reads the log for administrators and its own
user only: anyone else is refused (exit 2), and the refusal is itself an entry of the log.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cc_tui.cli.context import CommandContext
from cc_tui.cli.output import Column, cells, styled
from cc_tui.errors import EXIT_FAILED, UsageError
from cc_tui.units import utc_time_text

if TYPE_CHECKING:  # Rich loads when a command prints, not for --help (start-up)
    from rich.text import Text

    from cc_tui.store.audit import AuditEvent

__all__ = ["DEFAULT_LIMIT", "register"]

DEFAULT_LIMIT = 50  # entries listed, newest first
# By the value of AuditOutcome (a StrEnum): the store is imported only by the commands.
_OUTCOME_STYLE = {"refused": "bold red", "failed": "yellow"}
_COLUMNS = (
    Column("#", justify="right"),
    Column("at (UTC)", whole=True),
    Column("user", whole=True),
    Column("action", whole=True),
    Column("subject", whole=True),
    Column("outcome"),
    Column("detail"),
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``audit`` and ``audit verify``."""
    audit = commands.add_parser(
        "audit",
        help="who did what, allowed or refused (newest first)",
        description="Show the audit log, newest first: every change to connections, exports "
        "and segments, every run (start, resume, finish with its counts, cancel), and every "
        "refused or failed attempt, with the OS user, the time (UTC) and the outcome. "
        "'cc-tui audit verify' checks that no entry was edited or deleted. Administrators "
        "(and the service's own user) only: other users are refused, and the refusal logged.",
    )
    audit.add_argument(
        "--limit", type=_positive, default=DEFAULT_LIMIT, metavar="N", help="how many (50)"
    )
    audit.add_argument("--user", metavar="U", help="only entries of this OS user")
    audit.add_argument(
        "--action",
        metavar="A",
        help="only this action (run.finish), or a family ending in a dot (connection.)",
    )
    audit.add_argument("--json", action="store_true", help="print one JSON array of entries")
    audit.set_defaults(handler=_list)
    sub = audit.add_subparsers(dest="audit_command", metavar="COMMAND")
    verify = sub.add_parser(
        "verify",
        help="check the hash chain: exit 0 intact, 1 edited or deleted entries",
        description="Walk the audit log's hash chain from its first entry and compare its end "
        "with the head file (audit.head). Exit 0: intact (prints the head hash; keep a copy "
        "elsewhere to detect a rewrite of the whole log). Exit 1: an entry was edited, "
        "deleted, reordered or cut off the end; the first one is named.",
    )
    verify.add_argument("--json", action="store_true", help="print the result as one JSON object")
    verify.set_defaults(handler=_verify)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive whole number")
    return value


def _list(ctx: CommandContext) -> int:
    args = ctx.args
    if args.action is not None and not args.action.strip():
        raise UsageError("--action is empty: give an action such as run.finish, or connection.")
    from cc_tui.service.protocol import AuditList
    from cc_tui.store.audit import AuditEvent

    events = ctx.call(
        AuditList(user=args.user, action=args.action, limit=args.limit), list[AuditEvent]
    )
    if args.json:
        ctx.out.json([event.to_json() for event in events])
        return 0
    if not events:
        ctx.out.print("No audit entries" + (" match." if args.user or args.action else " yet."))
        return 0
    ctx.out.table(_COLUMNS, [_row(event) for event in events])
    return 0


def _row(event: AuditEvent) -> list[Text]:
    row = cells(
        [
            event.seq,
            utc_time_text(event.at).removesuffix(" UTC"),
            event.os_user,
            event.action,
            event.subject,
            event.outcome.value,
            event.detail_text(),
        ]
    )
    style = _OUTCOME_STYLE.get(event.outcome)
    if style:
        row[5].stylize(style)
    return row


def _verify(ctx: CommandContext) -> int:
    from rich.text import Text  # Rich loads on use, not for --help

    from cc_tui.service.protocol import AuditVerify
    from cc_tui.store.audit import AuditVerification

    result = ctx.call(AuditVerify(), AuditVerification)
    if ctx.args.json:
        ctx.out.json(result.to_json())
    elif result.intact:
        ctx.out.print(Text(result.sentence(short=False)))
    else:
        ctx.out.print(styled(("tampering detected:", "bold red"), " ", result.problem or ""))
    for note in result.notes:
        ctx.out.warn(note)
    return 0 if result.intact else EXIT_FAILED
