"""Calls about segments and segments folders: add, check, remove, list and show, each showing
the asker only the segments they may see.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cc_tui.errors import InputError, UsageError
from cc_tui.remote_paths import is_remote_location
from cc_tui.service.calls.caller import Caller, Handler
from cc_tui.service.peer_access import unreadable_reason
from cc_tui.service.protocol import (
    Call,
    FolderAdded,
    SegmentAdd,
    SegmentCheck,
    SegmentChecked,
    SegmentList,
    SegmentLookView,
    SegmentPreview,
    SegmentRemove,
    SegmentsDirAdd,
    SegmentsDirRemove,
    SegmentShow,
)
from cc_tui.store.audit import AuditOutcome

if TYPE_CHECKING:
    from cc_tui.engine.sources import SegmentStatus

__all__ = ["HANDLERS"]


async def _segment_add(caller: Caller, call: SegmentAdd) -> object:
    from cc_tui.engine.segments.entries import make_source

    source = make_source(
        call.name,
        call.path,
        format=call.format,
        encoding=call.encoding,
        delimiter=call.delimiter,
        quote=call.quote,
        header=call.header,
        columns=call.columns,
        entity=call.entity,
        snapshot=call.snapshot,
    )
    caller.require_readable("segment.add", call.name, source.path)
    if source.columns is not None and call.header is None and source.path.is_file():
        raise UsageError(
            "--columns names the columns of a file without a header line: add --no-header "
            "(else its first line is read as the header)."
        )
    look = caller.services.sources.add(source, replace=call.replace, rows=call.rows)
    segment = look.segment
    return SegmentPreview(
        name=segment.name,
        path=str(segment.path),
        format_label=segment.format_label,
        delimiter=segment.delimiter,
        encoding=segment.encoding,
        columns=[(column.name, column.dtype) for column in look.columns],
        header=list(look.first_rows.columns),
        rows=[
            [None if value is None else str(value) for value in row]
            for row in look.first_rows.iter_rows()
        ],
        config_file=str(caller.services.paths.config_file),
        notes=list(segment.notes),
    )


async def _segment_check(caller: Caller, call: SegmentCheck) -> object:
    from cc_tui.engine.segments.entries import make_source

    source = make_source(
        call.name, call.path, header=call.header, columns=call.columns, entity=call.entity
    )
    caller.require_readable("segment.check", call.name, source.path)
    sources = caller.services.sources
    if source.entity is None:
        entities = sources.entities(source.path)
        if len(entities) > 1:
            return SegmentChecked(entities=[(item.entity, item.segment) for item in entities])
    known = sources.name_of(source.path, source.entity)
    if known is not None:
        return SegmentChecked(known=known)
    look = sources.check(source, rows=call.rows)
    segment = look.segment
    return SegmentChecked(
        look=SegmentLookView(
            format_label=segment.format_label,
            delimiter=segment.delimiter,
            encoding=segment.encoding,
            entity=segment.entity,
            columns=[column.name for column in look.columns],
            rows=[
                [None if value is None else str(value) for value in row]
                for row in look.first_rows.iter_rows()
            ],
            notes=list(segment.notes),
        )
    )


async def _segments_dir_add(caller: Caller, call: SegmentsDirAdd) -> object:
    folder = Path(call.folder)
    caller.require_readable("segments_dir.add", call.folder, folder)
    found = caller.services.sources.add_dir(folder)
    return FolderAdded(
        folder=call.folder,
        names=[status.name for status in found.statuses],
        skipped=list(found.skipped),
    )


async def _segment_remove(caller: Caller, call: SegmentRemove) -> object:
    return caller.services.sources.remove(call.name, force=call.force)


async def _segments_dir_remove(caller: Caller, call: SegmentsDirRemove) -> object:
    return caller.services.sources.remove_dir(Path(call.folder), force=call.force)


def _readable_by(caller: Caller, status: SegmentStatus) -> bool:
    """Whether the asker could read ``status``'s local file or folder themselves."""
    path = status.path
    if path is None or is_remote_location(str(path)):
        return False  # a remote segment is read with the home's storage secrets, not theirs
    return unreadable_reason(caller.peer, path, caller.private) is None


def _segments_seen(caller: Caller) -> tuple[list[SegmentStatus], list[SegmentStatus], list[str]]:
    """The segments the asker may see, those hidden from them, and the skipped files they may
    see (see :func:`_segment_list`)."""
    overview = caller.services.sources.overview()
    if caller.sees_all:
        return list(overview.statuses), [], list(overview.skipped)
    used = {name for export in caller.services.exports.visible() for name in export.segments}
    seen: list[SegmentStatus] = []
    hidden: list[SegmentStatus] = []
    for status in overview.statuses:
        (seen if status.name in used or _readable_by(caller, status) else hidden).append(status)
    return seen, hidden, []


async def _segment_list(caller: Caller, call: SegmentList) -> object:
    """Every segment the asker may see, with its row count.

    Who sees what: the service's own user, root and administrators see every segment and the
    files skipped in segments folders. Anyone else (a contributor, or a user with no role) sees
    the segments of the exports they may see (whose connection is shared with them), and the
    local segments whose files they could read themselves (their uid and groups, as
    :mod:`~cc_tui.service.peer_access` checks): never a segment of an export kept from them on
    a file closed to them, nor a remote one (read with the home's storage secrets) that no
    export of theirs uses; the skipped files (paths in other people's folders) are not shown
    to them. A listing is not audited (reading is not an action), as ``connection list``.
    """
    from cc_tui.service.segment_views import SegmentCounted, SegmentsListed, count_rows_of

    seen, _, skipped = _segments_seen(caller)
    counted = []
    for status in seen:
        rows, error = count_rows_of(status.segment) if status.segment else (None, None)
        counted.append(SegmentCounted(status=status, rows=rows, rows_error=error))
    return SegmentsListed(segments=counted, skipped=skipped)


async def _segment_show(caller: Caller, call: SegmentShow) -> object:
    """A segment's columns, row count and first rows, to those who may see it.

    A segment hidden from the asker (see :func:`_segment_list`) is unknown to them: the same
    message as a name nobody added, listing only what they see, and a ``segment.show`` refusal
    in the audit log saying why. Its rows are personal data, so beyond seeing it the asker
    must be able to read its file themselves (administrators and the service's own user
    excepted): a segment they see only because an export of theirs uses it is listed, never
    shown (refused and audited).
    """
    from cc_tui.engine.segments.entries import unknown_segment_message
    from cc_tui.engine.segments.reading import preview, segment_columns
    from cc_tui.service.segment_views import SegmentCounted, SegmentShown, count_rows_of, json_cells

    seen, hidden, _ = _segments_seen(caller)
    status = next((s for s in seen if s.name == call.name), None)
    if status is None:
        message = unknown_segment_message(call.name, [s.name for s in seen])
        if any(s.name == call.name for s in hidden):
            caller.services.history.record_event(
                "segment.show",
                call.name,
                caller.peer.user,
                {"reason": f"segment '{call.name}' is hidden from '{caller.peer.user}'"},
                outcome=AuditOutcome.REFUSED,
            )
        raise InputError(message)
    segment = status.segment
    if segment is None:
        raise InputError(f"segment '{call.name}' is {status.state.value}: {status.problem}")
    if not caller.sees_all and not _readable_by(caller, status):
        caller.refuse(
            "segment.show",
            call.name,
            f"'{caller.peer.user}' cannot read the files of segment '{call.name}' "
            f"({segment.path}), so the service does not show its rows to them.",
        )
    columns = segment_columns(segment)
    rows, error = count_rows_of(segment)
    first = preview(segment, max(0, call.rows))
    return SegmentShown(
        counted=SegmentCounted(status=status, rows=rows, rows_error=error),
        columns=[(column.name, column.dtype) for column in columns],
        header=list(first.columns),
        preview=json_cells(first),
    )


HANDLERS: dict[type[Call], Handler] = {
    SegmentAdd: _segment_add,
    SegmentCheck: _segment_check,
    SegmentsDirAdd: _segments_dir_add,
    SegmentRemove: _segment_remove,
    SegmentsDirRemove: _segments_dir_remove,
    SegmentList: _segment_list,
    SegmentShow: _segment_show,
}
"""The handler of each of this subject's call intents."""
