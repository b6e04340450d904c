"""``cc-tui segment list|show`` and ``cc-tui export add|list|show|remove``."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from cc_tui.cli.context import CommandContext
from cc_tui.engine.exports import build_export, checked_things, parse_attribute
from cc_tui.engine.segments import Segment, count_rows, preview, segment_columns
from cc_tui.errors import UsageError
from cc_tui.models import Export

__all__ = ["register"]

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(commands: SubParsers) -> None:
    """Add ``segment`` and ``export`` with their sub-commands."""
    segment = commands.add_parser(
        "segment",
        help="list and inspect segments",
        description="Segments are files of customer profiles.",
    )
    seg_sub = segment.add_subparsers(dest="segment_command", required=True, metavar="COMMAND")
    listing = seg_sub.add_parser(
        "list",
        help="every segment: format, rows, size",
        description="List every discovered segment.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_segment_list)
    show = seg_sub.add_parser(
        "show",
        help="columns, types, row count and first rows",
        description="Show a segment's columns, row count and a preview.",
    )
    show.add_argument("name", metavar="NAME")
    show.add_argument("--rows", type=int, default=10, metavar="N", help="preview rows (10)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_segment_show)
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
        help="segment name (repeatable; earlier ones win on duplicate e-mails)",
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


def _segment_json(segment: Segment, rows: int | None) -> dict[str, Any]:
    return {
        "name": segment.name,
        "path": str(segment.path),
        "format": segment.format_label,
        "encoding": segment.encoding,
        "rows": rows,
        "size_bytes": segment.size_bytes,
        "modified_at": segment.modified_at.isoformat(),
        "origin": segment.origin,
    }


def _segment_list(ctx: CommandContext) -> int:
    segments = ctx.services.exports.segments()
    counted = [(segment, count_rows(segment)) for segment in segments.values()]
    if ctx.args.json:
        ctx.out.json([_segment_json(segment, rows) for segment, rows in counted])
        return 0
    if not counted:
        ctx.out.print(
            'No segments found. Add `segments_dirs = ["/path/to/folder"]` to '
            f"{ctx.paths.config_file}, or a [segments.NAME] entry with a path."
        )
        return 0
    table = Table("name", "format", "rows", "size", "path")
    for segment, rows in counted:
        table.add_row(
            segment.name,
            segment.format_label,
            f"{rows:,}",
            _size(segment.size_bytes),
            str(segment.path),
        )
    ctx.out.print(table)
    return 0


def _segment_show(ctx: CommandContext) -> int:
    segments = ctx.services.exports.segments()
    if ctx.args.name not in segments:
        raise UsageError(
            f"No segment named '{ctx.args.name}' (segments: {', '.join(segments) or 'none'})."
        )
    segment = segments[ctx.args.name]
    columns = segment_columns(segment)
    rows = count_rows(segment)
    first = preview(segment, max(0, ctx.args.rows))
    if ctx.args.json:
        ctx.out.json(
            {
                **_segment_json(segment, rows),
                "columns": [{"name": c.name, "type": c.dtype} for c in columns],
                "preview": first.to_dicts(),
            }
        )
        return 0
    ctx.out.print(
        f"[bold]{segment.name}[/]  {segment.path}  {segment.format_label}, "
        f"{rows:,} rows, {_size(segment.size_bytes)}"
    )
    types = Table("column", "type", title="Columns")
    for column in columns:
        types.add_row(column.name, column.dtype)
    ctx.out.print(types)
    sample = Table(*first.columns, title=f"First {first.height} rows")
    for row in first.iter_rows():
        sample.add_row(*(Text("" if v is None else str(v)) for v in row))
    ctx.out.print(sample)
    return 0


def _export_add(ctx: CommandContext) -> int:
    args = ctx.args
    export = build_export(
        args.name,
        connection=args.connection,
        list_ids=args.list_ids,
        segments=args.segments,
        email=args.email,
        first_name=args.first_name,
        last_name=args.last_name,
        attributes=[parse_attribute(text) for text in args.attr],
        schedule=args.schedule,
    )
    exports = ctx.services.exports
    exports.check(export)  # what needs no network first: a malformed export asks nothing
    # Unknown lists or custom fields refuse the export (exit 2); an unreachable account does not.
    account = asyncio.run(exports.check_account(export))
    exports.save(export, replace=args.replace)
    ctx.out.print(
        f"Saved export [bold]{export.name}[/] (not run). Run it with: "
        f"[bold]cc-tui run {export.name}[/]  (or preview: --dry-run)"
    )
    if account.unchecked:
        ctx.out.note(Text(f"warning: {account.unchecked}", style="yellow"))
    else:
        checked = checked_things(export.mapping)
        ctx.out.note(f"Its {checked} were checked against the account of {export.connection}.")
    return 0


def _export_json(export: Export) -> dict[str, Any]:
    return {
        "name": export.name,
        "connection": export.connection,
        "list_ids": list(export.list_ids),
        "segments": list(export.segments),
        "mapping": export.mapping.columns(),
        "schedule": export.schedule,
        "enabled": export.enabled,
    }


def _export_list(ctx: CommandContext) -> int:
    exports = ctx.services.exports.visible()
    if ctx.args.json:
        ctx.out.json([_export_json(export) for export in exports])
        return 0
    if not exports:
        ctx.out.print(
            "No exports yet. Add one: cc-tui export add NAME --connection C "
            "--list-id ID --segment S --email COLUMN"
        )
        return 0
    table = Table("name", "connection", "segments", "lists", "schedule")
    for export in exports:
        table.add_row(
            export.name,
            export.connection or "[yellow](detached)[/]",
            ", ".join(export.segments),
            str(len(export.list_ids)),
            export.schedule or "on demand",
        )
    ctx.out.print(table)
    return 0


def _export_show(ctx: CommandContext) -> int:
    export = ctx.services.exports.get(ctx.args.name)
    if ctx.args.json:
        ctx.out.json(_export_json(export))
        return 0
    grid = Table.grid(padding=(0, 2))
    for key, value in (
        ("name", export.name),
        ("connection", export.connection or "(detached)"),
        ("lists", ", ".join(export.list_ids)),
        ("segments", ", ".join(export.segments)),
        ("schedule", export.schedule or "on demand"),
    ):
        grid.add_row(Text(key, style="bold"), Text(value))
    ctx.out.print(grid)
    mapping = Table("Constant Contact field", "segment column", title="Mapping")
    for field, column in export.mapping.columns().items():
        mapping.add_row(field, column)
    ctx.out.print(mapping)
    return 0


def _export_remove(ctx: CommandContext) -> int:
    name = ctx.args.name
    ctx.services.exports.get(name)
    if not ctx.args.yes and not ctx.out.confirm(f"Remove export '{name}'?"):
        raise UsageError(f"Export '{name}' was not removed (confirm, or pass --yes).")
    ctx.services.exports.remove(name)
    ctx.out.print(f"Removed export {name} (its run history stays).")
    return 0


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{size} B"
