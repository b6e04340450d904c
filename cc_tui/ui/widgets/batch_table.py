"""BatchTable: the checkpointed batches of one run (state, activity, counters, errors)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.ui.outside_text import plain_text
from cc_tui.ui.widgets.named_table import NamedTable, TableColumn

__all__ = ["BatchTable"]

# At 80 columns the activity id (36 characters) leaves no room for the counters: it goes first
# (it is shown whole when the screen is wider, and in `cc-tui history --json`), then the other
# columns a person reads last. seq, state, contacts, confirmed and refused always stay.
_COLUMNS = (
    TableColumn("seq"),
    TableColumn("state"),
    TableColumn("contacts"),
    TableColumn("activity", drop=1),
    TableColumn("activity state", drop=2),
    TableColumn("confirmed"),
    TableColumn("refused"),
    TableColumn("unsub", drop=4),
    TableColumn("errors", drop=3),
)
_STATE_VARIABLE = {
    BatchState.CONFIRMED: "run-ok",
    BatchState.FAILED: "run-failed",
    BatchState.POSTED: "accent",
    BatchState.PENDING: "warning",
    BatchState.UPLOADING: "warning",
}
_ERROR_CHARS = 60  # of the first error shown in the table


class BatchTable(NamedTable):
    """One row per batch: pending → uploading → posted (activity id) → confirmed | failed."""

    HELP = (
        "The batches of the run as checkpointed: a batch is pending until it is sent, "
        "uploading while its request is out without an answer (if the answer was lost, its "
        "import is looked for among Constant Contact's recent activities before it is sent "
        "again), posted once it has an activity id, then confirmed or failed. Confirmed, "
        "refused and unsubscribed come from the activity's own counters."
    )
    DEFAULT_CSS = """
    BatchTable { height: auto; max-height: 12; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "j", "cursor_down", "Down", show=False, id="batch-table-down", tooltip="Next batch"
        ),
        Binding("k", "cursor_up", "Up", show=False, id="batch-table-up", tooltip="Previous batch"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(_COLUMNS, id=id)
        if classes:
            self.add_class(*classes.split())
        self.border_title = "batches"

    def show_batches(self, batches: Iterable[BatchRecord]) -> None:
        """Replace the rows with ``batches`` (in sequence order)."""
        ordered = sorted(batches, key=lambda b: b.seq)
        self.show([(str(batch.seq), self._cells(batch)) for batch in ordered])

    def on_named_table_highlighted(self, event: NamedTable.Highlighted) -> None:
        event.stop()  # a batch under the cursor is not a run to show

    def on_named_table_opened(self, event: NamedTable.Opened) -> None:
        event.stop()

    def _cells(self, batch: BatchRecord) -> list[str | Text]:
        colour = self.app.theme_variables.get(_STATE_VARIABLE.get(batch.state, ""), "")
        errors = ""
        if batch.errors:
            first = batch.errors[0]
            first = first if len(first) <= _ERROR_CHARS else first[: _ERROR_CHARS - 1] + "…"
            errors = f"{len(batch.errors)}: {first}"
        return [
            Text(str(batch.seq)),
            Text(batch.state.value, style=colour),
            Text(f"{batch.contacts:,}"),
            plain_text(batch.activity_id or "—"),
            plain_text(batch.activity_state or "—"),
            Text(f"{batch.confirmed:,}"),
            Text(f"{batch.failed:,}"),
            Text(f"{batch.unsubscribed:,}"),
            plain_text(errors),
        ]
