"""BatchTable: the checkpointed batches of one run (state, activity, counters, errors)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from cc_tui.models import BatchRecord, BatchState
from cc_tui.ui.outside_text import plain_text

__all__ = ["BatchTable"]

_COLUMNS = (
    "seq",
    "state",
    "contacts",
    "activity",
    "activity state",
    "confirmed",
    "refused",
    "unsub",
    "errors",
)
_STATE_VARIABLE = {
    BatchState.CONFIRMED: "run-ok",
    BatchState.FAILED: "run-failed",
    BatchState.POSTED: "accent",
    BatchState.PENDING: "warning",
    BatchState.UPLOADING: "warning",
}
_ERROR_CHARS = 60  # of the first error shown in the table


class BatchTable(DataTable[Text]):
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
        Binding("j", "cursor_down", "Down", show=False, id="batch-table-down",
                tooltip="Next batch"),
        Binding("k", "cursor_up", "Up", show=False, id="batch-table-up",
                tooltip="Previous batch"),
    ]  # fmt: skip

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self.border_title = "batches"

    def on_mount(self) -> None:
        self.add_columns(*_COLUMNS)

    def show(self, batches: Iterable[BatchRecord]) -> None:
        """Replace the rows with ``batches`` (in sequence order)."""
        self.clear()
        for batch in sorted(batches, key=lambda b: b.seq):
            self.add_row(*self._cells(batch), key=str(batch.seq))

    def _cells(self, batch: BatchRecord) -> list[Text]:
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
