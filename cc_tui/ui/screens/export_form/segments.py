"""The export form's segment section: the segments to read, and what their files hold.

:class:`ExportSegments` shows the segment picker and asks the cc-tui service, in workers, what
the files hold (the service reads them, for segments this user may see): which segments exist
and their row counts, then the columns and sample values of the chosen ones. When the columns
all chosen segments share are known (or change), it posts :class:`ExportSegments.ColumnsKnown`
for the mapping editor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label

from cc_tui.errors import CcTuiError
from cc_tui.ui.host import host
from cc_tui.ui.screens.export_form.data import (
    SAMPLE_ROWS,
    ColumnsRead,
    columns_shown,
    common_columns,
    merged_samples,
    rows_note,
)
from cc_tui.ui.widgets.segment_picker import SegmentChoice, SegmentPicker

if TYPE_CHECKING:
    from cc_tui.engine.segments.model import Segment
    from cc_tui.engine.sources import SegmentStatus
    from cc_tui.service.segment_views import SegmentsListed

__all__ = ["ExportSegments", "SegmentFacts"]


def _choice(status: SegmentStatus) -> SegmentChoice:
    segment = status.segment
    if segment is None:
        return SegmentChoice(status.name, state=status.state.value, problem=status.problem)
    return SegmentChoice(status.name, segment.format_label, segment.size_bytes)


@dataclass(frozen=True, slots=True)
class SegmentFacts:
    """What the form knows of the segments so far."""

    found: frozenset[str] | None = None  # every segment listed (None: not listed yet)
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per segment read
    errors: dict[str, str] = field(default_factory=dict)  # unusable or unreadable segments


class ExportSegments(Vertical):
    """The segments of the export, in order, and what their files hold."""

    DEFAULT_CSS: ClassVar[str] = "ExportSegments { height: auto; }"

    @dataclass(eq=False)
    class ColumnsKnown(Message):
        """The columns every chosen segment has, with sample values (``known``: all read)."""

        columns: list[str]
        samples: dict[str, list[str]]
        known: bool

    def __init__(self, chosen: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._chosen = chosen
        self._segments: dict[str, Segment] = {}
        self._discovered = False
        self._segment_errors: dict[str, str] = {}
        self._unusable: dict[str, str] = {}
        self._choose_next: str | None = None
        self._columns: dict[str, ColumnsRead] = {}

    def compose(self) -> ComposeResult:
        yield Label("Segments (in order)", classes="section")
        yield SegmentPicker(self._chosen, id="segments")

    def on_mount(self) -> None:
        self._discover()

    @property
    def facts(self) -> SegmentFacts:
        """What the form knows of the segments so far."""
        return SegmentFacts(
            found=frozenset([*self._segments, *self._unusable]) if self._discovered else None,
            columns={name: read.columns for name, read in self._columns.items() if not read.error},
            errors={**self._unusable, **self._segment_errors},
        )

    # -- which segments exist (asked of the service in a worker) ---------------------------------

    @work(
        exclusive=True,
        group="export-form-segments",
        exit_on_error=False,
        description="Reading segments",
    )
    async def _discover(self) -> None:
        try:
            listed = await host(self).client.segments()
        except CcTuiError as exc:
            self._segments_unreadable(str(exc))
            return
        self._segments_found(listed)
        for counted in listed.segments:
            if counted.status.segment is not None:
                rows, error = counted.rows, rows_note(counted.rows, counted.rows_error)
                self._rows_counted(counted.status.name, rows, error)

    def _segments_unreadable(self, error: str) -> None:
        self.query_one(SegmentPicker).show_problem(error)

    def _rows_counted(self, name: str, rows: int | None, error: str) -> None:
        self.query_one(SegmentPicker).set_rows(name, rows, error)

    def _segments_found(self, listed: SegmentsListed) -> None:
        statuses = [counted.status for counted in listed.segments]
        self._segments = {s.name: s.segment for s in statuses if s.segment is not None}
        self._discovered = True
        # A segment that cannot be read is listed with its problem; choosing it is refused
        # at saving with the same words.
        self._unusable = {
            status.name: f"{status.state.value}: {status.problem}"
            for status in statuses
            if status.segment is None
        }
        picker = self.query_one(SegmentPicker)
        picker.set_segments([_choice(status) for status in statuses], listed.skipped)
        if self._choose_next is not None:
            name, self._choose_next = self._choose_next, None
            picker.choose(name)
        self._segments_changed()

    @on(SegmentPicker.AddRequested)
    def add_segment(self) -> None:
        """Add a segment by its path (a modal); once added it is chosen."""
        from cc_tui.ui.screens.segment_path import SegmentPathModal

        def added(name: str | None) -> None:
            if name is not None:
                self._choose_next = name
                self._discover()

        taken = self.query_one(SegmentPicker).choices
        self.app.push_screen(SegmentPathModal(taken), added)

    # -- what the chosen segments hold (asked of the service in a worker) --------------------------

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
        group="export-form-columns",
        exit_on_error=False,
        description="Reading segment columns",
    )
    async def _read_columns(self, segments: list[Segment]) -> None:
        client = host(self).client
        for segment in segments:
            try:
                shown = await client.segment(segment.name, rows=SAMPLE_ROWS)
            except CcTuiError as exc:
                text = str(exc).strip()
                error = text.splitlines()[0] if text else type(exc).__name__
                self._columns_read(segment.name, ColumnsRead(error=error))
                continue
            self._columns_read(segment.name, columns_shown(shown))

    def _columns_read(self, name: str, read: ColumnsRead) -> None:
        self._columns[name] = read
        if read.error:
            self._segment_errors[name] = read.error
        self._columns_ready()

    def _columns_ready(self) -> None:
        chosen = [n for n in self.query_one(SegmentPicker).chosen if n in self._segments]
        reads = [self._columns[n] for n in chosen if n in self._columns]
        known = bool(reads) and len(reads) == len(chosen)
        self.post_message(self.ColumnsKnown(common_columns(reads), merged_samples(reads), known))
