"""RunStatusLine: one line about every active run, at the bottom of the home screen."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Static

from cc_tui.models.run_progress import RunProgress
from cc_tui.units import duration_text

__all__ = ["RunStatusLine"]


class RunStatusLine(Static):
    """``▶ weekly: sending 45% · 12,000/s · ETA 8.0 s`` for each active run.

    The percentage, the rate and the ETA are the run view's (posted contacts count part of
    the way), so they move while contacts go out."""

    DEFAULT_CSS = """
    RunStatusLine { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    RunStatusLine.-active { color: $text; }
    """

    def show_runs(
        self, runs: Sequence[tuple[str, bool, RunProgress | None]], *, idle_hint: str = ""
    ) -> None:
        """``runs``: (export, dry_run, latest progress) of every active run; ``idle_hint``:
        what to do when none runs, for the pane in use (empty: nothing to add)."""
        self.set_class(bool(runs), "-active")
        # One line, whatever it says (its height is fixed): no layout of the screen again, which
        # cost the app's loop 10-30 ms a few times a second while a run went.
        if not runs:
            self.update("No run active" + (f" · {idle_hint}" if idle_hint else ""), layout=False)
            return
        parts = []
        for export, dry_run, progress in runs:
            kind = "preview " if dry_run else ""
            if progress is None:
                parts.append(f"▶ {kind}{export}: starting")
                continue
            percent = f"{progress.done_fraction:.0%}" if progress.contacts_total else ""
            eta = f" · ETA {duration_text(progress.eta)}" if progress.eta is not None else ""
            parts.append(
                f"▶ {kind}{export}: {progress.phase.value} {percent} · "
                f"{progress.throughput:,.0f}/s{eta}"
            )
        self.update("   ".join(parts), layout=False)
