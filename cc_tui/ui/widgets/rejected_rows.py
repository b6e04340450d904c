"""RejectedRows: the first rows of a run's rejected.csv, filterable by reason.

The file is the cc-tui service's (0600 in its home: a team's members cannot read it), so the
service reads it for the app, in a worker. It can hold millions of rows (everything over the
cap), so only the first :data:`ROWS_SHOWN` rows of the chosen reason are asked for; the file's
path is shown so whoever may read it can open the whole file elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Self

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Select, Static

from cc_tui.errors import CcTuiError
from cc_tui.models.reasons import REJECT_REASONS, RejectReason
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.ui.host import host
from cc_tui.ui.outside_text import plain, plain_text

if TYPE_CHECKING:
    from cc_tui.service.rejected_pages import RejectedPage

__all__ = ["ALL_REASONS", "REASONS", "ROWS_SHOWN", "RejectedRows"]

ROWS_SHOWN = 500  # rows read from the file for one reason
ALL_REASONS = "all"
# Every reason rejected.csv can hold, in the order of the filter's keys 1 to 5.
REASONS = tuple(RejectReason)


def _reason_binding(number: int, reason: str) -> Binding:
    return Binding(
        str(number),
        f"filter('{reason}')",
        reason,
        show=False,
        id=f"rejected-rows-reason-{number}",
        tooltip=f"Show only rows rejected as {reason}",
    )


class RejectedRows(Vertical):
    """Rejected input rows with their reason; 0 shows all, 1-5 one reason."""

    HELP = (
        "The first rows of the run's rejected-rows file, with why each row was not sent. "
        "**0** shows every reason; **1**-**5** show missing_email, invalid_email, "
        "duplicate_email, over_cap or refused_by_constant_contact. The whole file is at the "
        "path shown above the table."
    )
    DEFAULT_CSS = """
    RejectedRows { height: 1fr; min-height: 8; border: round $panel; }
    RejectedRows:focus-within { border: round $accent; }
    RejectedRows > Horizontal { height: auto; padding: 0 0 0 1; }
    RejectedRows #rejected-rows-reason { width: 40; }
    RejectedRows #rejected-rows-note { width: 1fr; padding: 0 1; color: $text-muted; }
    RejectedRows #rejected-rows-path { height: auto; padding: 0 1; }
    RejectedRows DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "0",
            f"filter('{ALL_REASONS}')",
            "All reasons",
            show=False,
            id="rejected-rows-all",
            tooltip="Show rejected rows of every reason",
        ),
        *(_reason_binding(number, reason) for number, reason in enumerate(REASONS, start=1)),
        Binding("j", "move(1)", "Down", show=False, id="rejected-rows-down", tooltip="Next row"),
        Binding("k", "move(-1)", "Up", show=False, id="rejected-rows-up", tooltip="Previous row"),
    ]

    reason: reactive[str] = reactive(ALL_REASONS, init=False)
    """The reason shown ("all" for every reason)."""

    @dataclass(eq=False)
    class Loaded(Message):
        """Rows of ``reason`` are listed (``shown`` of them; ``problem`` if none could be)."""

        rows: RejectedRows
        reason: str
        shown: int
        problem: str | None

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "rejected rows"
        self.path: str | None = None
        self.run_id: str | None = None
        self.counts: dict[str, int] = {}
        self.record: RunRecord | None = None
        self._counts_read = False

    def compose(self) -> ComposeResult:
        yield Static("No rejected-rows file.", id="rejected-rows-path")
        with Horizontal():
            yield Select(
                _options(),
                value=ALL_REASONS,
                allow_blank=False,
                id="rejected-rows-reason",
                compact=True,
                tooltip="Which reason to show (keys 0-5)",
            )
            yield Static("", id="rejected-rows-note")
        yield DataTable[Text](id="rejected-rows-table", zebra_stripes=True, cursor_type="row")

    @property
    def row_count(self) -> int:
        """Rows listed now."""
        return self.query_one("#rejected-rows-table", DataTable).row_count

    def focus(self, scroll_visible: bool = True) -> Self:
        """Focus the table of rows."""
        self.query_one("#rejected-rows-table", DataTable).focus(scroll_visible)
        return self

    def show_run(self, record: RunRecord | None) -> None:
        """Read the rejected rows of ``record``'s file, and say how they compare with the
        figures the run accounted (an interrupted run's file holds the rows written so far)."""
        self.record = record
        self.run_id = record.run_id if record else None
        self.path = record.rejected_rows_file if record else None
        self.counts = {}
        self._counts_read = False
        self._show_path()
        self._start_read()

    def action_filter(self, reason: str) -> None:
        """Show only ``reason`` (or every reason)."""
        self.reason = reason

    def action_move(self, rows: int) -> None:
        """Move the table's cursor (j/k, alongside the arrow keys)."""
        table = self.query_one("#rejected-rows-table", DataTable)
        table.move_cursor(row=table.cursor_row + rows)

    def watch_reason(self, reason: str) -> None:
        select = self.query_one("#rejected-rows-reason", Select)
        if select.value != reason:
            select.value = reason
        self._start_read()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.reason:
            self.reason = event.value

    # -- reading, in a thread ------------------------------------------------------------------

    def _start_read(self) -> None:
        table = self.query_one("#rejected-rows-table", DataTable)
        if self.path is None or self.run_id is None:
            table.clear(columns=True)
            self._note("")
            return
        self._note("reading…")
        self._read(self.run_id, self.reason, not self._counts_read)

    @work(exclusive=True, group="rejected-rows", exit_on_error=False)
    async def _read(self, run_id: str, reason: str, with_counts: bool) -> None:
        """Ask the service for the rows (it reads the file, for a run this user may see)."""
        try:
            page = await host(self).client.rejected_rows(
                run_id, reason=reason, limit=ROWS_SHOWN, counts=with_counts
            )
        except CcTuiError as exc:
            from cc_tui.service.rejected_pages import RejectedPage

            page = RejectedPage(path=self.path, problem=str(exc))
        self._fill(run_id, reason, page)

    def _fill(self, run_id: str, reason: str, page: RejectedPage) -> None:
        if not self.is_mounted or run_id != self.run_id or reason != self.reason:
            return  # a newer read is on its way
        if page.counts is not None:
            self.counts = page.counts
            self._counts_read = True
            self._show_path()
        table = self.query_one("#rejected-rows-table", DataTable)
        table.clear(columns=True)
        if page.problem is not None or not page.header:
            self._note(page.problem or "")
            self.post_message(self.Loaded(self, reason, 0, page.problem))
            return
        table.add_columns(*(plain_text(name) for name in page.header))
        table.add_rows([_cell(value) for value in row] for row in page.rows)
        self._note(self._shown_note(reason, len(page.rows)))
        self.post_message(self.Loaded(self, reason, len(page.rows), None))

    # -- helpers -------------------------------------------------------------------------------

    def _shown_note(self, reason: str, shown: int) -> str:
        total = self.counts.get(reason) if reason != ALL_REASONS else sum(self.counts.values())
        what = "rows" if reason == ALL_REASONS else f"{reason} rows"
        if total is None or total == shown:
            return f"{shown:,} {what}" if shown else f"no {what}"
        return f"first {shown:,} of {total:,} {what}"

    def _note(self, text: str) -> None:
        self.query_one("#rejected-rows-note", Static).update(plain(text))

    def _show_path(self) -> None:
        path = self.path
        if path is None:
            self._path_text("No rejected-rows file for this run.")
            return
        counts = ""
        if self.counts:
            total = sum(self.counts.values())
            each = " · ".join(f"{r} {self.counts[r]:,}" for r in REASONS if r in self.counts)
            counts = f"\n{total:,} rows: {each}"
        if self._counts_read:
            counts += self._against_record()
        self._path_text(f"file: {path}{counts}")

    def _against_record(self) -> str:
        """A line when the file does not hold every row the run accounted, saying why."""
        record = self.record
        if record is None:
            return ""
        expected = {r: int(record.rejected.get(r, 0)) for r in REJECT_REASONS}
        expected[RejectReason.REFUSED] = record.failed
        total = sum(expected.values())
        written = sum(self.counts.get(reason, 0) for reason in REASONS)
        if written == total:
            return ""
        if record.status is RunStatus.RUNNING:
            why = "the run is still going: rows are written as it reads them"
        elif record.status is RunStatus.INTERRUPTED:
            why = "it stopped before writing them all; resuming writes every row again"
        elif written < total and written >= total - expected[RejectReason.REFUSED]:
            why = "Constant Contact did not name every contact it refused"
        else:
            why = "the file does not match the run's accounting"
        return f"\n{written:,} of the {total:,} rows the run counted are in the file: {why}"

    def _path_text(self, text: str) -> None:
        self.query_one("#rejected-rows-path", Static).update(plain(text, multiline=True))


def _cell(value: object) -> Text:
    """A value as read, with tabs and line breaks made visible (they are often why)."""
    if value is None:
        return Text("")
    return plain_text(value)


def _options() -> list[tuple[str, str]]:
    options = [("0 all reasons", ALL_REASONS)]
    options += [(f"{n} {reason}", reason) for n, reason in enumerate(REASONS, start=1)]
    return options
