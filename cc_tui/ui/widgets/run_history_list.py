"""RunHistoryList: recent runs of every export, newest first."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from cc_tui.models.run import RunRecord
from cc_tui.ui.widgets.export_list import status_text
from cc_tui.ui.widgets.named_table import NamedTable, TableColumn
from cc_tui.units import duration_text, local_time_text

__all__ = ["RunHistoryList"]


class RunHistoryList(NamedTable):
    """Past runs: status, counts, active time. enter opens a run's detail."""

    HELP = (
        "Recent runs of every export, newest first. **enter** opens a run's detail (batches, "
        "activity states, errors, rejected rows); an interrupted run can be resumed there. "
        "**●** marks a run that finished while you were elsewhere, until its summary is shown."
    )

    def __init__(self, *, id: str | None = None) -> None:
        # Narrow (the pane beside the details at 120 columns): the active time goes first,
        # then the rejected count; the run's details show both.
        columns = [
            TableColumn("started"),
            TableColumn("export"),
            TableColumn("status"),
            TableColumn("confirmed"),
            TableColumn("rejected", drop=2),
            TableColumn("active", drop=1),
        ]
        super().__init__(columns, id=id)

    def show_runs(self, runs: Sequence[RunRecord]) -> None:
        """One row per run."""
        rows: list[tuple[str, list[str | Text]]] = []
        for run in runs:
            rejected = sum(run.rejected.values())
            rows.append(
                (
                    run.run_id,
                    [
                        local_time_text(run.started_at),
                        run.export,
                        status_text(self, run.status, dry_run=run.dry_run, unseen=run.unseen),
                        f"{run.confirmed:,}",
                        f"{rejected:,}",
                        duration_text(run.duration_s),
                    ],
                )
            )
        self.show(rows)
