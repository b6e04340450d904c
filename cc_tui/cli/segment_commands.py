"""``cc-tui segment list|show|add|remove``: where segments come from, without editing TOML.

``list`` shows every segment with its state (ready, missing, unreadable: with the problem and
the fix) and says on stderr which files were skipped and why; a row count that fails for one
segment is shown in its row and never stops the listing. ``add`` checks an entry before it
writes it and shows its columns and first rows, so a wrong header is seen at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cc_tui.cli.context import CommandContext
from cc_tui.cli.numbers import between
from cc_tui.cli.output import Column, Output, cells, styled
from cc_tui.errors import UsageError
from cc_tui.models.config import SEGMENT_FORMATS
from cc_tui.safe_text import visible

__all__ = ["register", "show_look"]

if TYPE_CHECKING:  # segments are read with Polars, imported by the commands that read them
    import polars as pl

    from cc_tui.engine.segments.model import Segment
    from cc_tui.engine.sources import SegmentLook, SegmentStatus
    from cc_tui.service.protocol import SegmentPreview

    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

DEFAULT_SHOW_ROWS = 10
# A preview comes from the service in one message (at most 4 MiB): 1,000 rows of even wide
# segments fit, and are more than a terminal shows. `--rows 100000000` failed with "A message
# of 13,067,412 bytes is over the 4,194,304 limit", which told nobody what to do.
MAX_SHOWN_ROWS = 1_000
_MAX_ROWS_WHY = (
    "a preview shows the first rows of a segment, not all of them (read the file itself for more)"
)
# By SegmentState's values (a StrEnum: its members find these keys).
_STATE_STYLE = {"ready": "green", "missing": "yellow", "unreadable": "red", "name shared": "yellow"}


def register(commands: SubParsers) -> None:
    """Add ``segment`` with its sub-commands."""
    segment = commands.add_parser(
        "segment",
        help="list, inspect, add and remove segments",
        description="Segments are files or folders of customer profiles: found in a segments "
        "folder (segments_dirs), or added one by one as [segments.NAME] entries.",
    )
    sub = segment.add_subparsers(dest="segment_command", required=True, metavar="COMMAND")
    listing = sub.add_parser(
        "list",
        help="every segment: state, format, rows, size",
        description="List every segment, the ones that cannot be read included (with the "
        "problem). Files skipped in segments folders are named on stderr with the reason.",
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)
    show = sub.add_parser(
        "show",
        help="columns, types, row count and first rows",
        description="Show a segment's columns, row count and a preview.",
    )
    show.add_argument("name", metavar="NAME")
    _add_rows_argument(show, DEFAULT_SHOW_ROWS, "preview rows (10")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_show)
    _register_add(sub)
    remove = sub.add_parser(
        "remove",
        help="remove a [segments.NAME] entry, or a segments folder (--dir)",
        description="Remove a segment entry (the file stays), or stop reading a segments "
        "folder. Refused while exports use it, unless --force.",
    )
    remove.add_argument("name", metavar="NAME", nargs="?", help="the segment entry to remove")
    remove.add_argument("--dir", metavar="PATH", help="the segments folder to stop reading")
    remove.add_argument(
        "--force", action="store_true", help="remove even if exports use it (they then fail)"
    )
    remove.set_defaults(handler=_remove)


def _register_add(sub: SubParsers) -> None:
    add = sub.add_parser(
        "add",
        help="add a segment file or folder (NAME PATH), or a segments folder (--dir PATH)",
        description="Add a segment: a CSV/TSV (.gz), Parquet, NDJSON file, a Parquet or Spark "
        "CSV part folder, a Delta Lake table, or a CDM folder's model.json. It is checked and "
        "its first rows are shown before it is saved. With --dir, add a folder whose every "
        "segment file is a segment. Paths are taken literally (no wildcards).",
    )
    add.add_argument("name", metavar="NAME", nargs="?", help="the segment's name")
    add.add_argument("path", metavar="PATH", nargs="?", help="its file or folder")
    add.add_argument("--dir", metavar="PATH", help="add a segments folder instead")
    header = add.add_mutually_exclusive_group()
    header.add_argument(
        "--no-header",
        dest="header",
        action="store_false",
        default=None,
        help="the first line is data, not column names (give them with --columns)",
    )
    header.add_argument(
        "--header",
        dest="header",
        action="store_true",
        help="the first line names the columns (Spark part folders have none by default)",
    )
    add.add_argument(
        "--columns", metavar="A,B,C", help="column names of a headerless file, in file order"
    )
    add.add_argument("--delimiter", metavar="C", help="field separator: one character, or tab")
    add.add_argument("--quote", metavar="Q", help="quote character ('' for none)")
    add.add_argument("--encoding", metavar="E", help="text encoding, e.g. cp1252 or latin-1")
    add.add_argument(
        "--format",
        metavar="F",
        help=f"the format, when the name does not tell: {', '.join(SEGMENT_FORMATS)}",
    )
    add.add_argument("--entity", metavar="E", help="the entity of a CDM folder to read")
    add.add_argument(
        "--snapshot", metavar="S", help="a CDM folder's dated snapshot, e.g. 2026/11/29/0600"
    )
    add.add_argument("--replace", action="store_true", help="change an existing entry")
    _add_rows_argument(add, None, "rows shown (5")
    add.set_defaults(handler=_add)


def _add_rows_argument(parser: argparse.ArgumentParser, default: int | None, text: str) -> None:
    """``--rows N`` of a preview: from 0 to :data:`MAX_SHOWN_ROWS`; ``text`` opens its help."""
    parser.add_argument(
        "--rows",
        type=between(0, MAX_SHOWN_ROWS, _MAX_ROWS_WHY),
        default=default,
        metavar="N",
        help=f"{text}; at most {MAX_SHOWN_ROWS:,})",
    )


# -- list and show -----------------------------------------------------------------------------


def _format_cell(segment: Segment) -> str:
    """The format, and for a CDM segment the entity it reads: ``cdm: Customer``."""
    if segment.entity is None:
        return segment.format_label
    return f"{segment.format_label}: {segment.entity}"


def _status_json(status: SegmentStatus, rows: int | None, rows_error: str) -> dict[str, Any]:
    segment = status.segment
    return {
        "name": status.name,
        "status": status.state.value,
        "problem": status.problem or None,
        "path": None if status.path is None else str(status.path),
        "format": segment.format_label if segment else None,
        "entity": segment.entity if segment else None,
        "snapshot": segment.snapshot if segment else None,
        "encoding": segment.encoding if segment else None,
        "rows": rows,
        "rows_error": rows_error or None,
        "size_bytes": segment.size_bytes if segment else None,
        "modified_at": segment.modified_at.isoformat() if segment else None,
        "origin": status.origin,
        "notes": list(segment.notes) if segment else [],
    }


def _list(ctx: CommandContext) -> int:
    from rich.text import Text  # Rich loads on use, not for --help

    from cc_tui.service.protocol import SegmentList
    from cc_tui.service.segment_views import SegmentsListed

    # The service reads (and counts) the segments, each asker seeing only what they may.
    listed = ctx.call(SegmentList(), SegmentsListed)
    for reason in listed.skipped:
        ctx.out.warn(f"skipped {reason}")
    counted = [(seen.status, seen.rows, seen.rows_error or "") for seen in listed.segments]
    if ctx.args.json:
        ctx.out.json([_status_json(status, rows, error) for status, rows, error in counted])
        return 0
    if not counted:
        ctx.out.print(
            styled(
                "No segments yet. Add a file: cc-tui segment add NAME PATH; or a folder of "
                "segment files: cc-tui segment add --dir PATH"
            )
        )
        return 0
    rows = []
    for status, rows_counted, error in counted:
        segment = status.segment
        state = status.state.value if not error else "rows failed"
        rows.append(
            [
                Text(visible(status.name)),
                Text(state, style=_STATE_STYLE[status.state] if not error else "yellow"),
                Text(visible(_format_cell(segment)) if segment else "—"),
                Text("—" if rows_counted is None else f"{rows_counted:,}"),
                Text(_size(segment.size_bytes) if segment else "—"),
                Text(visible(status.path if status.path is not None else status.origin)),
            ]
        )
    ctx.out.table(
        [
            Column("name", whole=True),
            "status",
            "format",
            Column("rows", justify="right"),
            Column("size", justify="right"),
            Column("path", whole=True),
        ],
        rows,
    )
    for status, _, error in counted:
        if status.problem:
            ctx.out.print(
                styled((f"{status.name} ({status.state.value}):", "bold"), " ", status.problem)
            )
        elif error:
            ctx.out.print(styled((f"{status.name} (rows not counted):", "bold"), " ", error))
    return 0


def _show(ctx: CommandContext) -> int:
    from cc_tui.service.protocol import SegmentShow
    from cc_tui.service.segment_views import SegmentShown

    shown = ctx.call(SegmentShow(name=ctx.args.name, rows=ctx.args.rows), SegmentShown)
    status = shown.counted.status
    segment = status.segment
    assert segment is not None  # the service shows ready segments only
    rows, rows_error = shown.counted.rows, shown.counted.rows_error or ""
    if ctx.args.json:
        ctx.out.json(
            {
                **_status_json(status, rows, rows_error),
                "columns": [{"name": name, "type": dtype} for name, dtype in shown.columns],
                "preview": shown.preview,
            }
        )
        return 0
    counted = f"{rows:,} rows" if rows is not None else f"rows not counted ({rows_error})"
    ctx.out.print(
        styled(
            (segment.name, "bold"),
            "  ",
            str(segment.path),
            "  ",
            f"{segment.format_label}, {counted}, {_size(segment.size_bytes)}",
        )
    )
    out = ctx.out
    _print_notes(out, segment.notes)
    out.table(
        [Column("column", whole=True), "type"],
        [cells([name, dtype]) for name, dtype in shown.columns],
        title="Columns",
    )
    out.table(
        [Column(header.plain) for header in cells(shown.header)],
        [cells([row.get(name) for name in shown.header]) for row in shown.preview],
        title=f"First {len(shown.preview)} rows",
    )
    return 0


def _print_notes(out: Output, notes: Sequence[str]) -> None:
    """How a segment is read: a Delta version, a CDM snapshot, a header-like first line..."""
    from rich.text import Text

    for note in notes:
        out.print(Text(visible(note), style="dim", overflow="fold", no_wrap=False), soft_wrap=False)


def _print_rows(out: Output, first: pl.DataFrame) -> None:
    out.table(
        [Column(header.plain) for header in cells(first.columns)],
        [cells(row) for row in first.iter_rows()],
        title=f"First {first.height} rows",
    )


def show_look(out: Output, look: SegmentLook) -> None:
    """What an entry reads: its format, columns and first rows, and a hint on the header."""
    segment = look.segment
    _show_parts(
        out,
        name=segment.name,
        path=str(segment.path),
        format_label=segment.format_label,
        delimiter=segment.delimiter,
        encoding=segment.encoding,
        columns=[(c.name, c.dtype) for c in look.columns],
    )
    _print_rows(out, look.first_rows)
    _header_hint(out, [column.name for column in look.columns])


def _show_parts(
    out: Output,
    *,
    name: str,
    path: str,
    format_label: str,
    delimiter: str | None,
    encoding: str,
    columns: list[tuple[str, str]],
) -> None:
    out.print(
        styled(
            (name, "bold"),
            "  ",
            path,
            "  ",
            format_label,
            f", delimiter {delimiter!r}" if delimiter else "",
            f", {encoding}",
        )
    )
    out.table(
        [Column("column", whole=True), "type"],
        [cells([column, dtype]) for column, dtype in columns],
        title="Columns",
    )


def _header_hint(out: Output, names: list[str]) -> None:
    if any("@" in name for name in names):
        out.warn(
            "a column name holds an '@': the first line looks like data, not a header. If the "
            "file has no header line, add it again with --no-header --columns A,B,... --replace"
        )


# -- add and remove ----------------------------------------------------------------------------


def _add(ctx: CommandContext) -> int:
    from cc_tui.engine.segments.entries import absolute_path
    from cc_tui.engine.sources import CHECK_PREVIEW_ROWS
    from cc_tui.service.protocol import FolderAdded, SegmentAdd, SegmentPreview, SegmentsDirAdd

    args = ctx.args
    if args.dir is not None:
        if args.name is not None or args.path is not None:
            raise UsageError("Give either NAME PATH or --dir PATH, not both.")
        # Absolute here: the service's working folder is not this command's.
        found = ctx.call(SegmentsDirAdd(folder=str(absolute_path(args.dir))), FolderAdded)
        names = ", ".join(found.names)
        ctx.out.print(
            styled(
                "Added segments folder ",
                (found.folder, "bold"),
                f". Segments found there: {names}."
                if names
                else ". No new segment found there yet (files already added as entries keep "
                "their names; cc-tui segment list shows every segment).",
            )
        )
        for reason in found.skipped:
            ctx.out.warn(f"skipped {reason}")
        return 0
    if args.name is None or args.path is None:
        raise UsageError(
            "segment add needs NAME and PATH (cc-tui segment add vip ./vip.csv), or --dir PATH."
        )
    columns = None if args.columns is None else args.columns.split(",")
    rows = CHECK_PREVIEW_ROWS if args.rows is None else max(0, args.rows)
    preview = ctx.call(
        SegmentAdd(
            name=args.name,
            path=str(absolute_path(args.path)),
            format=args.format,
            encoding=args.encoding,
            delimiter=args.delimiter,
            quote=args.quote,
            header=args.header,
            columns=columns,
            entity=args.entity,
            snapshot=args.snapshot,
            replace=args.replace,
            rows=rows,
        ),
        SegmentPreview,
    )
    _show_preview(ctx.out, preview)
    ctx.out.print(
        styled(
            ("Added segment ", "bold"),
            (preview.name, "bold"),
            f" ([segments.{preview.name}] in ",
            preview.config_file,
            "). Use it: cc-tui export add ... --segment ",
            preview.name,
        )
    )
    return 0


def _show_preview(out: Output, preview: SegmentPreview) -> None:
    """:func:`show_look` of a segment the service added (its rows as text), with its notes."""
    _show_parts(
        out,
        name=preview.name,
        path=preview.path,
        format_label=preview.format_label,
        delimiter=preview.delimiter,
        encoding=preview.encoding,
        columns=preview.columns,
    )
    _print_notes(out, preview.notes)
    out.table(
        [Column(header.plain) for header in cells(preview.header)],
        [cells(row) for row in preview.rows],
        title=f"First {len(preview.rows)} rows",
    )
    _header_hint(out, [name for name, _ in preview.columns])


def _remove(ctx: CommandContext) -> int:
    from cc_tui.engine.segments.entries import absolute_path
    from cc_tui.service.protocol import SegmentRemove, SegmentsDirRemove

    args = ctx.args
    if args.dir is not None:
        if args.name is not None:
            raise UsageError("Give either NAME or --dir PATH, not both.")
        folder = str(absolute_path(args.dir))
        users = ctx.call(SegmentsDirRemove(folder=folder, force=args.force), list[str])
        ctx.out.print(styled("Stopped reading the segments folder ", (folder, "bold"), "."))
    elif args.name is None:
        raise UsageError("segment remove needs NAME (a [segments.NAME] entry) or --dir PATH.")
    else:
        users = ctx.call(SegmentRemove(name=args.name, force=args.force), list[str])
        ctx.out.print(styled("Removed segment ", (args.name, "bold"), " (the file stays)."))
    if users:
        ctx.out.warn(
            f"export(s) {', '.join(users)} used it and cannot run until they get another segment."
        )
    return 0


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{size} B"
