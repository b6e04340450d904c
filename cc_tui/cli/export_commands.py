"""``cc-tui export add|list|show|remove``.

``export add --segment`` takes a segment name or a path (a file, a folder, a CDM ``model.json``,
a Delta table): a path not known yet becomes a ``[segments.NAME]`` entry, saved with the export
and announced.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cc_tui.cli.context import CommandContext
from cc_tui.cli.output import Column, cells, styled
from cc_tui.errors import UsageError
from cc_tui.models.config import DEFAULT_QUIET_SECONDS, MAX_QUIET_SECONDS, Export, MissedPolicy

__all__ = ["register"]

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(commands: SubParsers) -> None:
    """Add ``export`` with its sub-commands."""
    _register_export(commands)


def _register_export(commands: SubParsers) -> None:
    export = commands.add_parser(
        "export",
        help="add, list, show and remove exports",
        description="An export sends segments to Constant Contact "
        "lists through a connection. Saving one never runs it.",
    )
    sub = export.add_subparsers(dest="export_command", required=True, metavar="COMMAND")
    add = sub.add_parser(
        "add",
        help="add an export (it does not run)",
        description="Add an export. It runs with `cc-tui run NAME`, or on its "
        "schedule under `cc-tui scheduler`.",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--connection", required=True, metavar="C", help="connection to use")
    add.add_argument(
        "--list-id",
        required=True,
        action="append",
        dest="list_ids",
        metavar="ID",
        help="Constant Contact list ID (repeatable)",
    )
    add.add_argument(
        "--segment",
        required=True,
        action="append",
        dest="segments",
        metavar="S",
        help="segment name or path of a segment file or folder (repeatable; earlier ones win "
        "on duplicate e-mails); a new path is added as a segment named after the file",
    )
    add.add_argument("--email", required=True, metavar="COL", help="column with the e-mail")
    add.add_argument("--first-name", metavar="COL", help="column with the first name")
    add.add_argument("--last-name", metavar="COL", help="column with the last name")
    add.add_argument(
        "--attr",
        action="append",
        default=[],
        metavar="FIELD=COL",
        help="another field, e.g. job_title=Title, sms_number=Mobile or cf:tier=Tier "
        '(repeatable). The home country is "home country=COL", with a space, as Constant '
        "Contact's contract spells it",
    )
    add.add_argument("--schedule", metavar="CRON", help='cron schedule in UTC, e.g. "0 6 * * *"')
    add.add_argument(
        "--on-refresh",
        action="store_true",
        help="also run when a segment's data is refreshed (a new CDM snapshot, a Spark "
        "_SUCCESS, changed files), once per new snapshot; the cc-tui service watches",
    )
    add.add_argument(
        "--quiet-seconds",
        type=int,
        default=DEFAULT_QUIET_SECONDS,
        metavar="N",
        help="with --on-refresh: how long new data must stay unchanged before it is read "
        f"(default {DEFAULT_QUIET_SECONDS})",
    )
    add.add_argument(
        "--missed",
        choices=[policy.value for policy in MissedPolicy],
        default=MissedPolicy.RUN_ONCE.value,
        help="schedule times the service was down for: run once when back (default), or skip",
    )
    add.add_argument("--replace", action="store_true", help="overwrite an existing export")
    add.set_defaults(handler=_export_add)
    listing = sub.add_parser("list", help="list exports", description="List exports.")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_export_list)
    show = sub.add_parser("show", help="show one export", description="Show one export.")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_export_show)
    remove = sub.add_parser(
        "remove",
        help="remove an export (its history stays)",
        description="Remove an export; its run history stays.",
    )
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(handler=_export_remove)


def _export_add(ctx: CommandContext) -> int:
    from cc_tui.engine.segments.entries import absolute_path, looks_like_name
    from cc_tui.service.protocol import ExportAdd, ExportAdded

    args = ctx.args
    # Paths absolute here: the service's working folder is not this command's. (A bare
    # segment name stays a name, even if this folder has a file so called.)
    segments = [
        str(absolute_path(ref))
        if "/" in ref or ref.startswith(("~", ".")) or not looks_like_name(ref)
        else ref
        for ref in args.segments
    ]
    if not 0 <= args.quiet_seconds <= MAX_QUIET_SECONDS:
        raise UsageError(
            f"--quiet-seconds {args.quiet_seconds} is out of range: "
            f"give 0 to {MAX_QUIET_SECONDS} seconds."
        )
    saved = ctx.call(
        ExportAdd(
            name=args.name,
            connection=args.connection,
            list_ids=list(args.list_ids),
            segments=segments,
            email=args.email,
            first_name=args.first_name,
            last_name=args.last_name,
            attributes=list(args.attr),
            schedule=args.schedule,
            on_refresh=args.on_refresh,
            quiet_seconds=args.quiet_seconds,
            missed=args.missed,
            replace=args.replace,
        ),
        ExportAdded,
    )
    for name, path in saved.added:
        ctx.out.print(
            styled(
                "Added segment ",
                (name, "bold"),
                " for ",
                path,
                f" ([segments.{name}] in config.toml; cc-tui segment show {name} previews it)",
            )
        )
    ctx.out.print(
        styled(
            "Saved export ",
            (saved.name, "bold"),
            " (not run). Run it with: ",
            (f"cc-tui run {saved.name}", "bold"),
            "  (or preview: --dry-run)",
        )
    )
    if saved.unchecked:
        ctx.out.warn(saved.unchecked)
    else:
        ctx.out.note(f"Its {saved.checked} were checked against the account of {saved.connection}.")
    return 0


def _export_json(export: Export) -> dict[str, Any]:
    return {
        "name": export.name,
        "connection": export.connection,
        "list_ids": list(export.list_ids),
        "segments": list(export.segments),
        "mapping": export.mapping.columns(),
        "schedule": export.schedule,
        "on_refresh": export.on_refresh,
        "quiet_seconds": export.quiet_seconds,
        "missed": export.missed.value,
        "enabled": export.enabled,
    }


def _export_list(ctx: CommandContext) -> int:
    from rich.text import Text  # Rich loads on use, not for --help

    from cc_tui.service.protocol import ExportList

    exports = ctx.call(ExportList(), list[Export])
    if ctx.args.json:
        ctx.out.json([_export_json(export) for export in exports])
        return 0
    if not exports:
        ctx.out.print(
            "No exports yet. Add one: cc-tui export add NAME --connection C "
            "--list-id ID --segment S --email COLUMN"
        )
        return 0
    rows = []
    for export in exports:
        name, segments, lists, schedule = cells(
            [
                export.name,
                ", ".join(export.segments),
                len(export.list_ids),
                export.runs_when(),
            ]
        )
        connection = (
            cells([export.connection])[0] if export.connection else Text("(detached)", "yellow")
        )
        rows.append([name, connection, segments, lists, schedule])
    ctx.out.table(
        [
            Column("name", whole=True),
            Column("connection", whole=True),
            "segments",
            Column("lists", justify="right"),
            "schedule",
        ],
        rows,
    )
    return 0


def _export_show(ctx: CommandContext) -> int:
    from cc_tui.service.protocol import ExportShow

    export = ctx.call(ExportShow(name=ctx.args.name), Export)
    if ctx.args.json:
        ctx.out.json(_export_json(export))
        return 0
    ctx.out.pairs(
        [
            (key, cells([value])[0])
            for key, value in (
                ("name", export.name),
                ("connection", export.connection or "(detached)"),
                ("lists", ", ".join(export.list_ids)),
                ("segments", ", ".join(export.segments)),
                ("schedule", export.runs_when()),
            )
        ]
    )
    ctx.out.table(
        [Column("Constant Contact field", whole=True), Column("segment column", whole=True)],
        [cells([field, column]) for field, column in export.mapping.columns().items()],
        title="Mapping",
    )
    return 0


def _export_remove(ctx: CommandContext) -> int:
    from cc_tui.service.protocol import ExportRemovable, ExportRemove

    name = ctx.args.name
    ctx.call(ExportRemovable(name=name), type(None))
    if not ctx.args.yes and not ctx.out.confirm(f"Remove export '{name}'?"):
        raise UsageError(f"Export '{name}' was not removed (confirm, or pass --yes).")
    ctx.call(ExportRemove(name=name), type(None))
    ctx.out.print(f"Removed export {name} (its run history stays).")
    return 0
