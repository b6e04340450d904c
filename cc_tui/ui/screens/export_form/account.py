"""Where the export form's facts come from: the account and the segment files.

:class:`ExportFormSources` is the base of
:class:`~cc_tui.ui.screens.export_form.screen.ExportFormScreen`.
It fetches from Constant Contact in async workers (the account's lists, ids checked one by one,
custom field names) and reads segments in thread workers (row counts, columns and samples), and
keeps what it learnt for the form's checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.screen import Screen
from textual.widgets import Select, Static
from textual.worker import get_current_worker

from cc_tui.engine.segments.reading import Segment
from cc_tui.engine.sources import SegmentOverview, SegmentStatus
from cc_tui.errors import CcTuiError
from cc_tui.models.api_rules import is_uuid
from cc_tui.models.config import Export
from cc_tui.models.connection import Connection
from cc_tui.ui.host import host
from cc_tui.ui.keymap import ExplainsDisabledKeys, TakesTyping
from cc_tui.ui.outside_text import plain_text
from cc_tui.ui.screens.export_form.checks import guess_columns
from cc_tui.ui.screens.export_form.data import (
    ColumnsRead,
    check_list,
    common_columns,
    count_segment,
    fetch_custom_fields,
    fetch_error,
    fetch_lists,
    merged_samples,
    read_columns,
)
from cc_tui.ui.widgets.list_picker import ListPicker
from cc_tui.ui.widgets.mapping_editor import MappingEditor
from cc_tui.ui.widgets.segment_picker import SegmentChoice, SegmentPicker

if TYPE_CHECKING:
    from cc_tui.engine.services import Services

__all__ = ["ExportFormSources"]

_UNSET = "\0unset"


def _choice(status: SegmentStatus) -> SegmentChoice:
    segment = status.segment
    if segment is None:
        return SegmentChoice(status.name, state=status.state.value, problem=status.problem)
    return SegmentChoice(status.name, segment.format_label, segment.size_bytes)


def _not_mounted(*_args: object) -> None:
    raise RuntimeError("the export form is not mounted")


def _label(conn: Connection) -> Text:
    if conn.display_name == conn.name:
        return plain_text(conn.name)
    return plain_text(f"{conn.name} ({conn.display_name})")


class ExportFormSources(TakesTyping, ExplainsDisabledKeys, Screen[str | None]):
    """Connection choice, and what the form learns from the account and the segments."""

    def __init__(self, *, guess: bool) -> None:
        super().__init__()
        self._call: Callable[..., Any] = _not_mounted
        self._segments: dict[str, Segment] = {}
        self._discovered = False
        self._segment_errors: dict[str, str] = {}
        self._unusable: dict[str, str] = {}
        self._choose_next: str | None = None
        self._columns: dict[str, ColumnsRead] = {}
        self._guessed = not guess
        self._recheck_pending = False
        self._lists: frozenset[str] | None = None
        self._list_names: dict[str, str] = {}
        self._lists_error: CcTuiError | None = None  # why the lists could not be fetched
        self._fields_error: CcTuiError | None = None
        self._verified: set[str] = set()
        self._refused: dict[str, str] = {}
        self._entered: str | None = None
        self._fields: frozenset[str] | None = None
        self._account_for: str | None = _UNSET

    @property
    def services(self) -> Services:
        """The app's services (the one way to the back end)."""
        return host(self).services

    def _validate(
        self, *, saving: bool = False, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        """Re-check the form and show the problems (the form screen does the checking)."""
        return {}

    def _recheck(self) -> None:
        """Re-check the form once, after the current burst of changes has been handled."""
        if not self._recheck_pending:
            self._recheck_pending = True
            self.call_later(self._run_recheck)

    def _run_recheck(self) -> None:
        self._recheck_pending = False
        if self.is_attached:
            self._validate()

    # -- the connection --------------------------------------------------------------------------

    def _usable_connections(self) -> list[Connection]:
        usable = []
        for conn in self.services.connections.visible():
            try:
                self.services.connections.usable(conn.name)
            except CcTuiError:
                continue
            usable.append(conn)
        return usable

    def _connection_select(self, export: Export | None) -> Select[str]:
        """The Select of connections this user may use, preset for ``export``."""
        usable = self._usable_connections()
        names = [conn.name for conn in usable]
        options = [(_label(conn), conn.name) for conn in usable]
        value: str | object = Select.NULL
        if export is not None and export.connection in names:
            value = export.connection
        elif export is None and len(names) == 1:
            value = names[0]
        prompt = "(choose a connection)" if usable else "(no connection you may use)"
        return Select(options, prompt=prompt, value=value, compact=True, id="connection")  # type: ignore[arg-type]

    def _connection(self) -> str | None:
        value = self.query_one("#connection", Select).selection
        return value if isinstance(value, str) else None

    @on(Select.Changed, "#connection")
    def _connection_changed(self) -> None:
        name = self._connection()
        if name == self._account_for:
            return
        self._account_for = name
        self._lists, self._fields = None, None
        self._lists_error = self._fields_error = None
        self._verified.clear()
        self._refused.clear()
        self.refresh_bindings()
        status = self.query_one("#connection-status", Static)
        if name is None:
            status.update("Lists and custom fields come from the connection's account.")
            self.query_one(ListPicker).set_error("Choose a connection to see its lists.")
        else:
            signed_in = self.services.connections.status(name).signed_in
            status.update("Signed in." if signed_in else "Not signed in yet (see Lists below).")
            self.action_reload_lists()
        self._recheck()

    def action_reload_lists(self) -> None:
        """Fetch the account's lists and custom fields (again)."""
        name = self._connection()
        if name is not None:
            self._fetch_lists(name)
            self._fetch_fields(name)

    # -- fetching (async workers) ----------------------------------------------------------------

    @work(
        exclusive=True,
        group="export-form-lists",
        exit_on_error=False,
        description="Fetching contact lists",
    )
    async def _fetch_lists(self, name: str) -> None:
        picker = self.query_one(ListPicker)
        picker.show_fetching(f"Fetching the lists of {name}…")
        try:
            lists = await fetch_lists(self.services.connections, name)
        except CcTuiError as exc:
            self._lists, self._lists_error = None, exc
            app = host(self)
            reload_key = app.key_for("export-form-reload-lists")
            picker.set_error(fetch_error(exc, name, app.next_steps, reload_key))
        else:
            self._lists, self._lists_error = frozenset(choice.list_id for choice in lists), None
            self._list_names = {choice.list_id: choice.name for choice in lists}
            picker.set_lists(lists)
        self._recheck()

    @work(
        exclusive=True,
        group="export-form-fields",
        exit_on_error=False,
        description="Fetching custom fields",
    )
    async def _fetch_fields(self, name: str) -> None:
        try:
            self._fields = await fetch_custom_fields(self.services.connections, name)
            self._fields_error = None
        except CcTuiError as exc:
            # Not known: custom field names are not checked, and saving says so.
            self._fields, self._fields_error = None, exc
        self._recheck()

    @on(ListPicker.IdEntered)
    def _id_entered(self, event: ListPicker.IdEntered) -> None:
        """Enter on text that matches no list: refuse it, or check the id with the account."""
        self._entered = event.text
        name = self._connection()
        if is_uuid(event.text) and self._lists is None and name is not None:
            self._check_list(name, event.text)
        self._recheck()
        self.query_one(ListPicker).focus_filter()

    @work(
        exclusive=True,
        group="export-form-list-check",
        exit_on_error=False,
        description="Checking the list id",
    )
    async def _check_list(self, name: str, list_id: str) -> None:
        found = await check_list(self.services.connections, name, list_id)
        if isinstance(found, str):
            self._refused[list_id] = found
        else:
            self._verified.add(found.list_id)
            self.query_one(ListPicker).add_list(found)
        self._recheck()

    # -- segments (thread workers: files are read off the event loop) --------------------------

    @work(
        thread=True,
        exclusive=True,
        group="export-form-segments",
        exit_on_error=False,
        description="Reading segments",
    )
    def _discover(self, services: Services) -> None:
        worker = get_current_worker()
        try:
            overview = services.sources.overview()
        except CcTuiError as exc:
            self._call(self._segments_unreadable, str(exc))
            return
        self._call(self._segments_found, overview)
        for segment in overview.ready.values():
            if worker.is_cancelled:
                return
            rows, error = count_segment(segment)
            self._call(self._rows_counted, segment.name, rows, error)

    def _segments_unreadable(self, error: str) -> None:
        self.query_one(SegmentPicker).show_problem(error)

    def _rows_counted(self, name: str, rows: int | None, error: str) -> None:
        self.query_one(SegmentPicker).set_rows(name, rows, error)

    def _segments_found(self, overview: SegmentOverview) -> None:
        self._segments, self._discovered = overview.ready, True
        # A segment that cannot be read is listed with its problem; choosing it is refused
        # at saving with the same words.
        self._unusable = {
            status.name: f"{status.state.value}: {status.problem}"
            for status in overview.statuses
            if status.segment is None
        }
        picker = self.query_one(SegmentPicker)
        picker.set_segments([_choice(status) for status in overview.statuses], overview.skipped)
        if self._choose_next is not None:
            name, self._choose_next = self._choose_next, None
            picker.choose(name)
        self._segments_changed()

    @on(SegmentPicker.AddRequested)
    def action_add_segment(self) -> None:
        """Add a segment by its path (a modal); once added it is chosen."""
        from cc_tui.ui.screens.segment_path import SegmentPathModal

        def added(name: str | None) -> None:
            if name is not None:
                self._choose_next = name
                self._discover(self.services)

        taken = self.query_one(SegmentPicker).choices
        self.app.push_screen(SegmentPathModal(taken), added)

    @on(SegmentPicker.Changed)
    def _segments_changed(self) -> None:
        chosen = self.query_one(SegmentPicker).chosen
        unread = [
            self._segments[n] for n in chosen if n in self._segments and n not in self._columns
        ]
        if unread:
            self._read_columns(unread)
        self._columns_ready()

    @work(
        thread=True,
        group="export-form-columns",
        exit_on_error=False,
        description="Reading segment columns",
    )
    def _read_columns(self, segments: list[Segment]) -> None:
        for segment in segments:
            self._call(self._columns_read, segment.name, read_columns(segment))

    def _columns_read(self, name: str, read: ColumnsRead) -> None:
        self._columns[name] = read
        if read.error:
            self._segment_errors[name] = read.error
        self._columns_ready()

    def _columns_ready(self) -> None:
        chosen = [n for n in self.query_one(SegmentPicker).chosen if n in self._segments]
        reads = [self._columns[n] for n in chosen if n in self._columns]
        known = bool(reads) and len(reads) == len(chosen)
        columns = common_columns(reads)
        editor = self.query_one(MappingEditor)
        editor.set_columns(columns, merged_samples(reads), known=known)
        if known and columns and not self._guessed:
            self._guessed = True
            editor.guess(guess_columns(columns))
        self._recheck()
