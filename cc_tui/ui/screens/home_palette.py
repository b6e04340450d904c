"""The home screen's keys and palette commands (what makes sense for the selection)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from textual.binding import Binding, BindingType

from cc_tui.ui.commands import PaletteCommand
from cc_tui.ui.messages import CancelRequested

if TYPE_CHECKING:
    from textual.app import App

    from cc_tui.ui.host import AppHost

__all__ = ["HOME_BINDINGS", "HomeActions", "home_commands"]

HOME_BINDINGS: list[BindingType] = [
    Binding("n", "new", "New", id="home-new", tooltip="New connection or export"),
    Binding("e", "edit", "Edit", id="home-edit", tooltip="Edit the highlighted item"),
    Binding(
        "r",
        "run_export",
        "Run",
        id="home-run",
        tooltip="Run the highlighted export now (resumes an interrupted run)",
    ),
    Binding(
        "h",
        "history",
        "History",
        id="home-history",
        tooltip="Run history of the highlighted export (all runs elsewhere)",
    ),
    Binding(
        "a",
        "audit",
        "Audit",
        show=False,
        id="home-audit",
        tooltip="The audit log: who did what, allowed or refused, and whether it was edited",
    ),
    Binding(
        "s",
        "schedule",
        "Schedule",
        show=False,
        id="home-schedule",
        tooltip="Every export's next run, last outcome and missed runs; run now, pause, resume",
    ),
    Binding(
        "p",
        "preview_export",
        "Preview",
        show=False,
        id="home-preview",
        tooltip="Dry run: everything but sending; shows what would be sent",
    ),
    Binding(
        "d",
        "delete",
        "Delete",
        show=False,
        id="home-delete",
        tooltip="Delete the highlighted connection or export (asks first)",
    ),
    Binding(
        "c",
        "cancel_run",
        "Cancel run",
        show=False,
        id="home-cancel",
        tooltip="Cancel the highlighted export's run (asks; it stays resumable)",
    ),
    # priority: the inherited tab (focus the next widget) must not run first.
    Binding(
        "tab",
        "switch_pane(1)",
        "Next pane",
        show=False,
        id="home-next-pane",
        tooltip="Next pane",
        priority=True,
    ),
    Binding(
        "shift+tab",
        "switch_pane(-1)",
        "Previous pane",
        show=False,
        id="home-previous-pane",
        tooltip="Previous pane",
        priority=True,
    ),
]


class HomeActions(Protocol):
    """What the palette does on the home screen (the home screen imports this module, so the
    palette names what it needs instead of importing the screen back)."""

    @property
    def app(self) -> App[Any]:
        """The app the home screen runs in."""

    @property
    def cc_app(self) -> AppHost:
        """The app, as its screens see it."""

    @property
    def selected_export(self) -> str | None:
        """The export highlighted in the exports pane."""

    @property
    def selected_connection(self) -> str | None:
        """The connection highlighted in the connections pane."""

    def select(self, pane: str, name: str | None = None) -> None:
        """Make ``pane`` current and, if given, put its cursor on ``name``."""

    def action_new(self) -> None:
        """A new connection or export, depending on the pane."""

    def action_edit(self) -> None:
        """Edit what is highlighted."""

    def action_audit(self) -> None:
        """Show the audit log."""

    def action_schedule(self) -> None:
        """Show the schedule view."""

    def start_run(self, export: str, *, dry_run: bool) -> None:
        """Run (or preview) ``export`` and open its live view."""

    def open_run_view(self, export: str) -> None:
        """The live view of ``export``'s run."""

    def open_history(self, *, export: str | None = None) -> None:
        """Run history, of one export or of all."""


def home_commands(home: HomeActions) -> Iterator[PaletteCommand]:
    """New things, the highlighted connection and export, their runs and history."""
    export = home.selected_export
    connection = home.selected_connection
    running = export is not None and home.cc_app.runs.is_running(export)
    key = home.cc_app.key_for  # the keys as config.toml's [keymap] has them

    def new(pane: str) -> None:
        home.select(pane)
        home.action_new()

    def open_connection(name: str) -> None:
        home.select("connections", name)
        home.action_edit()

    yield PaletteCommand("connection: New", "Add a connection", lambda: new("connections"))
    yield PaletteCommand("export: New", "Add an export", lambda: new("exports"))
    yield PaletteCommand("history: Show all runs", "Every run, newest first", home.open_history)
    yield PaletteCommand(
        "audit: Show the audit log",
        f"Who did what; is the chain intact ({key('home-audit')})",
        home.action_audit,
    )
    yield PaletteCommand(
        "schedule: Show the schedules",
        f"Next runs, last outcomes, missed runs; run now, pause, resume ({key('home-schedule')})",
        home.action_schedule,
    )
    if connection:
        yield PaletteCommand(
            f"connection: Open {connection}",
            "Edit, test or sign in again",
            lambda: open_connection(connection),
        )
    if export and not running:
        yield PaletteCommand(
            f"export: Run {export} now",
            "Send it to Constant Contact",
            lambda: home.start_run(export, dry_run=False),
        )
        yield PaletteCommand(
            f"export: Preview {export}",
            "Dry run: nothing is sent",
            lambda: home.start_run(export, dry_run=True),
        )
    if export and running:
        yield PaletteCommand(
            f"run: Watch {export}", "Open its live view", lambda: home.open_run_view(export)
        )
        yield PaletteCommand(
            f"run: Cancel {export}",
            "Stop it; it stays resumable",
            lambda: home.app.post_message(CancelRequested(export)),
        )
    if export:
        yield PaletteCommand(
            f"history: Runs of {export}", "Its past runs", lambda: home.open_history(export=export)
        )
