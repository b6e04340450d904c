"""ExportList: exports with their connection, segments, schedule and latest run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text

from cc_tui.models.config import Export
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.ui.widgets.named_table import NamedTable, TableColumn

__all__ = ["LAST_RUN", "STATUS_VARIABLE", "UNSEEN_MARK", "ExportList", "status_text"]

LAST_RUN = "last run"
"""The label (and key) of the column with the latest run's state."""

# Before the status of a run that finished while its summary was not on screen (a symbol, so
# it shows without colour too); it goes once the run's summary has been shown.
UNSEEN_MARK = "● "

STATUS_VARIABLE = {
    RunStatus.SUCCEEDED: "run-ok",
    RunStatus.PARTIAL: "rejected",
    RunStatus.FAILED: "run-failed",
    RunStatus.INTERRUPTED: "warning",
    RunStatus.RUNNING: "accent",
}


def status_text(
    table: NamedTable, status: RunStatus, *, dry_run: bool = False, unseen: bool = False
) -> Text:
    """A run status in its theme colour; bold and marked while the run is unseen."""
    label = (UNSEEN_MARK if unseen else "") + status.value + (" (preview)" if dry_run else "")
    return table.themed(label, STATUS_VARIABLE.get(status, "foreground"), bold=unseen)


class ExportList(NamedTable):
    """Exports: segments to lists through a connection. r runs, p previews, enter opens."""

    HELP = (
        "Exports send segments to Constant Contact lists. **r** runs the highlighted export "
        "(or resumes its interrupted run), **p** previews it (a dry run: nothing is sent), "
        "**enter** opens its run view, **e** edits it, **n** adds one, **d** removes it, **h** "
        "shows its run history, **c** cancels its active run. **●** before the last run "
        "marks a run that finished while you were elsewhere, until you open its summary."
    )

    def __init__(self, *, id: str | None = None) -> None:
        # Narrow: the segments go first, then the schedule, then the connection (the detail
        # panel below shows them all); the name and the last run always stay.
        columns = [
            TableColumn("name"),
            TableColumn("connection", drop=3),
            TableColumn("segments", drop=1),
            TableColumn("schedule", drop=2),
            TableColumn(LAST_RUN),
        ]
        super().__init__(columns, id=id)

    def show_live(self, running: Mapping[str, str]) -> None:
        """Update the last-run cell of running exports only (cheap: no rebuild)."""
        for name, label in running.items():
            self.set_cell(name, LAST_RUN, self.themed(label, "accent", bold=True))

    def show_exports(
        self,
        exports: Sequence[Export],
        last_runs: Mapping[str, RunRecord],
        running: Mapping[str, str],
    ) -> None:
        """One row per export; ``running`` maps an export to a short live status."""
        rows = []
        for export in exports:
            if export.name in running:
                last = self.themed(running[export.name], "accent", bold=True)
            elif export.name in last_runs:
                record = last_runs[export.name]
                last = status_text(
                    self, record.status, dry_run=record.dry_run, unseen=record.unseen
                )
            else:
                last = Text("never", style="dim")
            connection = export.connection or self.themed("(detached)", "warning")
            rows.append(
                (
                    export.name,
                    [
                        export.name,
                        connection,
                        ", ".join(export.segments),
                        export.runs_when(),
                        last,
                    ],
                )
            )
        self.show(rows)
