"""The export form's segment section: the segments to read, and what their files hold.

:class:`ExportSegments` shows the segment picker and reads the files in its own thread workers
(files are never read on the event loop): which segments exist and their row counts, then the
columns and sample values of the chosen ones. When the columns all chosen segments share are
known (or change), it posts :class:`ExportSegments.ColumnsKnown` for the mapping editor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label
from textual.worker import get_current_worker

from cc_tui.engine.segments.model import Segment
from cc_tui.engine.sources import SegmentOverview, SegmentStatus
from cc_tui.errors import CcTuiError
from cc_tui.ui.host import host
from cc_tui.ui.screens.export_form.data import (
    ColumnsRead,
    common_columns,
    count_segment,
    merged_samples,
    read_columns,
)
from cc_tui.ui.widgets.segment_picker import SegmentChoice, SegmentPicker

if TYPE_CHECKING:
    from cc_tui.engine.services import Services

__all__ = ["ExportSegments", "SegmentFacts"]


def _choice(status: SegmentStatus) -> SegmentChoice:
    segment = status.segment
    if segment is None:
        return SegmentChoice(status.name, state=status.state.value, problem=status.problem)
    return SegmentChoice(status.name, segment.format_label, segment.size_bytes)


def _not_mounted(*_args: object) -> None:
    raise RuntimeError("the export form's segments are not mounted")


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
        self._call: Callable[..., Any] = _not_mounted
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
        self._call = self.app.call_from_thread
        self._discover(host(self).services)

    @property
    def facts(self) -> SegmentFacts:
        """What the form knows of the segments so far."""
        return SegmentFacts(
            found=frozenset([*self._segments, *self._unusable]) if self._discovered else None,
            columns={name: read.columns for name, read in self._columns.items() if not read.error},
            errors={**self._unusable, **self._segment_errors},
        )

    # -- which segments exist (thread worker: files are read off the event loop) -----------------

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
    def add_segment(self) -> None:
        """Add a segment by its path (a modal); once added it is chosen."""
        from cc_tui.ui.screens.segment_path import SegmentPathModal

        def added(name: str | None) -> None:
            if name is not None:
                self._choose_next = name
                self._discover(host(self).services)

        taken = self.query_one(SegmentPicker).choices
        self.app.push_screen(SegmentPathModal(taken), added)

    # -- what the chosen segments hold (thread worker) -------------------------------------------

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
        self.post_message(self.ColumnsKnown(common_columns(reads), merged_samples(reads), known))
