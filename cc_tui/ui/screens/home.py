"""HomeScreen: connections, exports and run history side by side, details, active runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cc_tui.errors import CcTuiError, UsageError
from cc_tui.models.run import RunRecord
from cc_tui.ui.commands import PaletteCommand, ScreenCommands
from cc_tui.ui.connection_changes import removal_question
from cc_tui.ui.host import AppHost, host
from cc_tui.ui.keymap import ExplainsDisabledKeys
from cc_tui.ui.list_names import NAMES_NOT_ASKED, ListNameBook, ListNames, fetch_list_names
from cc_tui.ui.messages import CancelRequested, RunRequested
from cc_tui.ui.plans import PLAN_FAILED, PlanBook, make_plan
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.screens.home_palette import HOME_BINDINGS, home_commands
from cc_tui.ui.widgets.connection_list import ConnectionList
from cc_tui.ui.widgets.detail_panel import DetailPanel
from cc_tui.ui.widgets.export_list import ExportList
from cc_tui.ui.widgets.named_table import NamedTable
from cc_tui.ui.widgets.run_history_list import RunHistoryList
from cc_tui.ui.widgets.run_status_line import RunStatusLine

if TYPE_CHECKING:
    from cc_tui.engine.plan import ExportPlan

__all__ = ["HomeScreen"]

NARROW_WIDTH = 110  # below this the panes take turns (tab switches) instead of side by side
HISTORY_ROWS = 200
LIVE_REFRESH = 0.25  # seconds between redraws of live run figures on this screen
PANES = ("connections", "exports", "history")
_TITLES = {"connections": "Connections", "exports": "Exports", "history": "Run history"}


class HomeScreen(ExplainsDisabledKeys, Screen[None]):
    """cc-tui home: connections, exports and run history."""

    COMMANDS: ClassVar = {ScreenCommands}
    AUTO_FOCUS = ""  # on_mount decides which pane has the focus
    BINDINGS: ClassVar[list[BindingType]] = HOME_BINDINGS

    def __init__(self) -> None:
        super().__init__()
        self._pane = "exports"
        self._live_dirty: set[str] = set()
        self._plans = PlanBook()
        self._planning: set[str] = set()  # exports whose plan a worker is making
        self._list_names = ListNameBook()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="pane-tabs")
        with Vertical(id="panes"):
            with Horizontal(id="top-row"):
                yield _pane("connections", ConnectionList(id="connections"))
                yield _pane("exports", ExportList(id="exports"))
            with Horizontal(id="bottom-row"):
                yield _pane("history", RunHistoryList(id="history"))
                yield DetailPanel(id="details")
        yield RunStatusLine(id="run-status")
        yield Footer()

    @property
    def cc_app(self) -> AppHost:
        """The app, as its screens see it."""
        return host(self)

    def on_mount(self) -> None:
        self.cc_app.runs.changed.subscribe(self, self._run_changed)
        self.cc_app.view_changed.subscribe(self, lambda _view: self._show_view())
        # Status cells hold the theme's colours: a new theme draws them again.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.reload())
        self.set_interval(LIVE_REFRESH, self._refresh_live)
        self.reload()
        focus = self.cc_app.focus_export
        exports = self.query_one(ExportList)
        if focus:
            exports.select_name(focus)
        self._focus_pane("exports" if focus or exports.row_count else "connections")

    def on_screen_resume(self) -> None:
        """Back from a form or another screen: what it changed shows here."""
        # A form may have signed a connection in, or named a new list: ask for names again.
        self._list_names.forget()
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Show the home's newest view now, and ask the service for a fresher one (it is
        shown when it comes: :attr:`AppHost.view_changed`)."""
        self._show_view()
        self.cc_app.refresh_view()

    def _show_view(self) -> None:
        """Connections, exports and history as the app's newest view of the home has them."""
        view = self.cc_app.view
        self._plans.forget()  # runs ended or exports changed: plans are made again when shown
        self.query_one(ConnectionList).show_statuses(view.connections)
        # A preview never stands for an export's last run: the last real run does.
        self.query_one(ExportList).show_exports(view.exports, view.last_runs, self._live_labels())
        self.query_one(RunHistoryList).show_runs(view.runs[:HISTORY_ROWS])
        self._update_details()
        self._update_status_line()

    def _live_labels(self) -> dict[str, str]:
        labels = {}
        for run in self.cc_app.runs.active():
            percent = f" {run.progress.done_fraction:.0%}" if run.progress else ""
            labels[run.export] = f"{'preview' if run.dry_run else 'running'}{percent}"
        return labels

    def _run_changed(self, export: str) -> None:
        """Runs report about ten times a second: note it, redraw at a calmer pace."""
        active = self.cc_app.runs.get(export)
        if active is not None and not active.running:
            self.reload()  # a run finished: history and last-run columns change
            return
        self._live_dirty.add(export)

    def _refresh_live(self) -> None:
        """Update only what a running export changes: its row's status, the status line."""
        if not self._live_dirty:
            return
        changed, self._live_dirty = self._live_dirty, set()
        exports = self.query_one(ExportList)
        exports.show_live(self._live_labels())
        self._update_status_line()
        if self._current_pane() == "exports" and exports.selected in changed:
            self._update_details()

    def _last_runs(self) -> dict[str, RunRecord]:
        return self.cc_app.view.last_runs

    def _update_status_line(self) -> None:
        active = [(r.export, r.dry_run, r.progress) for r in self.cc_app.runs.active()]
        hint = ""
        if self._current_pane() == "exports":  # r and p act on the Exports pane only
            key = self.cc_app.key_for
            hint = (
                f"{key('home-run')} runs the highlighted export · {key('home-preview')} previews it"
            )
        self.query_one(RunStatusLine).show_runs(active, idle_hint=hint)

    # -- panes and details -------------------------------------------------------------------

    def _current_pane(self) -> str:
        return self._pane

    def _focus_pane(self, pane: str) -> None:
        self._pane = pane
        self._mark_current(pane)
        # In a narrow layout the pane was hidden until now: focus once styles have applied.
        self.call_after_refresh(self.query_one(f"#{pane}", NamedTable).focus)
        self._update_details()
        self._update_status_line()
        self.refresh_bindings()

    def _mark_current(self, pane: str) -> None:
        for name in PANES:
            self.query_one(f"#pane-{name}").set_class(name == pane, "-current")
        tabs = "  ".join(
            f"[reverse] {_TITLES[p]} [/]" if p == pane else f" {_TITLES[p]} " for p in PANES
        )
        self.query_one("#pane-tabs", Static).update(f"{tabs}   [dim](tab switches)[/]")

    def action_switch_pane(self, step: int) -> None:
        """Move to the next (or previous) pane."""
        index = PANES.index(self._current_pane())
        self._focus_pane(PANES[(index + step) % len(PANES)])

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A click focused another pane's list: it becomes the current pane."""
        pane = event.widget.id
        if pane in PANES and pane != self._pane:
            self._pane = pane
            self._mark_current(pane)
            self._update_details()
            self._update_status_line()
            self.refresh_bindings()

    def on_named_table_highlighted(self, event: NamedTable.Highlighted) -> None:
        if event.table.id == self._current_pane():
            self._update_details()
        self.refresh_bindings()

    def _update_details(self) -> None:
        detail = self.query_one(DetailPanel)
        pane = self._current_pane()
        name = self.query_one(f"#{pane}", NamedTable).selected
        view = self.cc_app.view
        if name is None:
            new, run_key = self.cc_app.key_for("home-new"), self.cc_app.key_for("home-run")
            no_export = f"No export yet: press {new} to add one."
            if not view.connections:  # an export sends through one: that comes first
                back = self.cc_app.key_for("home-previous-pane")
                no_export = (
                    "No export yet. An export sends through a connection, and there is none "
                    f"yet: press {back} to go to Connections, then {new} to add one."
                )
            detail.show_nothing(
                {
                    "connections": f"No connection yet: press {new} to add one.",
                    "exports": no_export,
                    "history": f"No run yet: pick an export in Exports and press {run_key}.",
                }[pane]
            )
        elif pane == "connections":
            status = next((s for s in view.connections if s.connection.name == name), None)
            if status is not None:
                detail.show_connection(status, view.exports_using.get(name, []))
        elif pane == "exports":
            export = next((e for e in view.exports if e.name == name), None)
            if export is None:
                return
            run = self.cc_app.runs.get(name)
            plan = self._plans.get(name)
            lists = self._list_names.get(export.connection) if export.connection else None
            detail.show_export(
                export,
                self._last_runs().get(name),
                run.progress if run and run.running else None,
                plan,
                lists,
            )
            if plan is None:
                self._make_plan(name)
            if lists is None and export.connection:
                self._fetch_list_names(export.connection)
        else:
            record = next((r for r in view.runs if r.run_id == name), None)
            if record is not None:
                detail.show_run(record)

    def _make_plan(self, export: str) -> None:
        """Ask the service for ``export``'s plan in a worker (it reads the segments)."""
        if export in self._planning:
            return
        self._planning.add(export)
        client = self.cc_app.client

        async def work() -> None:
            plan: ExportPlan | str = PLAN_FAILED
            try:
                plan = await make_plan(client, export)
            finally:
                # Also when the worker fails or is cancelled: an export left in _planning
                # would show "being worked out" for good, and never be asked again.
                self._plans.put(export, plan)
                self._plan_made(export)

        self.run_worker(work(), group="plans", exit_on_error=False)

    def _fetch_list_names(self, connection: str) -> None:
        """Ask the service for the names of ``connection``'s lists in a worker (Constant
        Contact answers it), once at a time per connection."""
        if not self._list_names.asking(connection):
            return
        client = self.cc_app.client

        async def work() -> None:
            names = ListNames(unknown=NAMES_NOT_ASKED)
            try:
                names = await fetch_list_names(client, connection)
            finally:
                # Also when the worker fails or is cancelled: never "asking" for good.
                self._list_names.put(connection, names)
                self._list_names_fetched(connection)

        self.run_worker(work(), group="list-names", exit_on_error=False)

    def _list_names_fetched(self, connection: str) -> None:
        name = self._selected("exports")
        export = next((e for e in self.cc_app.view.exports if e.name == name), None)
        if export is not None and export.connection == connection:
            self._update_details()

    def _plan_made(self, export: str) -> None:
        self._planning.discard(export)
        if self._current_pane() == "exports" and self._selected("exports") == export:
            self._update_details()

    # -- actions ---------------------------------------------------------------------------------

    def _selected(self, pane: str) -> str | None:
        return (
            self.query_one(f"#{pane}", NamedTable).selected
            if self._current_pane() == pane
            else None
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that do not apply to the pane or its selection are left out of the footer
        (False); run and preview are dimmed (None) while the export runs. Pressing either
        says why (:meth:`why_disabled`)."""
        pane = self._current_pane()
        export = self._selected("exports")
        running = export is not None and self.cc_app.runs.is_running(export)
        if action in {"run_export", "preview_export"}:
            if export is None:
                return False
            return None if running else True
        if action == "cancel_run":
            return True if running else None
        if action in {"edit", "delete"}:
            return pane != "history" and self.query_one(f"#{pane}", NamedTable).selected is not None
        if action == "new":
            return pane != "history"
        return True

    def why_disabled(self, action: str) -> str | None:
        """What a dimmed key of this screen would do, and where it works."""
        if action in {"run_export", "preview_export", "cancel_run"}:
            return self._why_run_key_disabled(action)
        key = self.cc_app.key_for
        pane = self._current_pane()
        if action in {"edit", "delete"} and pane == "history":
            return (
                "Runs are kept as they happened: enter opens a run; "
                f"{key('home-edit')} and {key('home-delete')} work on connections and exports."
            )
        if action in {"edit", "delete"}:
            return f"No {pane[:-1]} yet: press {key('home-new')} to add one."
        if action == "new":
            return (
                f"{key('home-new')} adds a connection or an export: press "
                f"{key('home-next-pane')} to reach their pane."
            )
        return None

    def _why_run_key_disabled(self, action: str) -> str:
        """Why run, preview or cancel does nothing on the current pane and selection."""
        key = self.cc_app.key_for
        binding, what = {
            "run_export": ("home-run", "runs the highlighted export"),
            "preview_export": ("home-preview", "previews the highlighted export (dry run)"),
            "cancel_run": ("home-cancel", "cancels the highlighted export's run"),
        }[action]
        export = self._selected("exports")
        if self._current_pane() != "exports":
            where = f"press {key('home-next-pane')} until Exports is highlighted"
            return f"{key(binding)} {what}: {where}."
        if export is None:
            return f"No export yet: press {key('home-new')} to add one."
        if action == "cancel_run":
            return f"{export} is not running: there is nothing to cancel."
        return (
            f"{export} is already running: enter opens its live view, "
            f"{key('home-cancel')} cancels it."
        )

    def action_new(self) -> None:
        """A new connection or export, depending on the pane."""
        pane = self._current_pane()
        if pane == "connections":
            from cc_tui.ui.screens.connection_form import ConnectionFormModal

            self.app.push_screen(ConnectionFormModal(), self._after_form(pane, None))
        else:
            from cc_tui.ui.screens.export_form.screen import ExportFormScreen

            self.app.push_screen(ExportFormScreen(), self._after_form("exports", None))

    def action_edit(self) -> None:
        """Edit what is highlighted."""
        pane = self._current_pane()
        name = self.query_one(f"#{pane}", NamedTable).selected
        if name is None:
            return
        if pane == "connections":
            from cc_tui.ui.screens.connection_form import ConnectionFormModal

            self.app.push_screen(ConnectionFormModal(name), self._after_form(pane, name))
        elif pane == "exports":
            from cc_tui.ui.screens.export_form.screen import ExportFormScreen

            self.app.push_screen(ExportFormScreen(name), self._after_form(pane, name))

    def _after_form(self, pane: str, edited: str | None) -> Callable[[str | None], None]:
        """What happens when a form closes: the highlight follows what it saved.

        A new or renamed item gets the highlight (so the next r runs what was just saved);
        an item the form removed hands it to its neighbour.
        """
        table = self.query_one(f"#{pane}", NamedTable)
        row = table.cursor_row

        def closed(saved: str | None) -> None:
            self.reload()
            if saved is not None:
                self.select(pane, saved)
            elif edited is not None and table.selected != edited:
                self._select_row(pane, row)

        return closed

    def _select_row(self, pane: str, row: int) -> None:
        """Highlight the row at ``row`` in ``pane`` (the last one if the list got shorter)."""
        table = self.query_one(f"#{pane}", NamedTable)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))

    def on_named_table_opened(self, event: NamedTable.Opened) -> None:
        """Enter: connections and exports open, a run opens its history detail."""
        if event.table.id == "history":
            self._open_history(run_id=event.name)
        elif event.table.id == "exports" and self.cc_app.runs.get(event.name) is not None:
            self._open_run_view(event.name)
        else:
            self.action_edit()

    def action_run_export(self) -> None:
        """Run the highlighted export (or resume its interrupted run) and watch it."""
        self._start(dry_run=False)

    def action_preview_export(self) -> None:
        """Dry-run the highlighted export and watch it."""
        self._start(dry_run=True)

    def _start(self, *, dry_run: bool) -> None:
        export = self._selected("exports")
        if export is None:
            return
        self.app.post_message(RunRequested(export, dry_run=dry_run))
        self.cc_app.show_run(export, starting=True)

    def _open_run_view(self, export: str) -> None:
        self.cc_app.show_run(export)

    def action_cancel_run(self) -> None:
        """Cancel the highlighted export's run after asking."""
        export = self._selected("exports")
        if export is None:
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self.app.post_message(CancelRequested(export))

        self.app.push_screen(
            ConfirmModal(
                f"Cancel the run of {export}? It stops at the next batch boundary and can be "
                f"resumed later ({self.cc_app.key_for('home-run')} on the export).",
                yes="Cancel run",
                no="Keep running",
            ),
            decided,
        )

    def action_history(self) -> None:
        """Run history (of the highlighted export when the exports pane has the focus)."""
        self._open_history(export=self._selected("exports"))

    def action_audit(self) -> None:
        """The audit log, newest first, with whether its hash chain is intact."""
        from cc_tui.ui.screens.audit import AuditScreen

        self.app.push_screen(AuditScreen())

    def action_schedule(self) -> None:
        """Every export's next run, last outcome and missed runs; run now, pause, resume."""
        from cc_tui.ui.screens.schedule import ScheduleScreen

        self.app.push_screen(ScheduleScreen())

    def _open_history(self, *, export: str | None = None, run_id: str | None = None) -> None:
        self.cc_app.show_history(export, run_id)

    def action_delete(self) -> None:
        """Delete the highlighted connection or export, after asking.

        What would refuse the deletion is checked first: the question comes only when "yes"
        can go ahead, and says what else changes (exports that lose their connection).
        """
        pane = self._current_pane()
        table = self.query_one(f"#{pane}", NamedTable)
        name = table.selected
        if name is None or pane == "history":
            return
        kind = "connection" if pane == "connections" else "export"
        row = table.cursor_row
        if kind == "connection":
            # Whether it may go is the service's to say (roles): asked before the question.
            self.run_worker(
                self._ask_delete_connection(name, row),
                group="delete",
                exclusive=True,
                exit_on_error=False,
                description=f"Delete connection {name}",
            )
            return
        refusal = self._export_refusal(name)
        if refusal:
            self.notify(refusal, title=f"{name} cannot be deleted", severity="warning", timeout=10)
            return
        self.app.push_screen(
            ConfirmModal(
                f"Delete export '{name}'? Its run history stays.", yes="Delete", no="Keep"
            ),
            lambda answer: self._start_delete("export", name, [], row) if answer else None,
        )

    def _start_delete(self, kind: str, name: str, users: list[str], row: int) -> None:
        self.run_worker(
            self._delete(kind, name, users, row),
            group="delete",
            exclusive=True,
            exit_on_error=False,
            description=f"Delete {kind} {name}",
        )

    async def _ask_delete_connection(self, name: str, row: int) -> None:
        refusal = await self._deletion_refusal("connection", name)
        if refusal:
            self.notify(refusal, title=f"{name} cannot be deleted", severity="warning", timeout=10)
            return
        users = self.cc_app.view.exports_using.get(name, [])
        question, yes = removal_question(name, users)
        if await self.app.push_screen_wait(ConfirmModal(question, yes=yes, no="Keep")):
            await self._delete("connection", name, users, row)

    def _export_refusal(self, name: str) -> str | None:
        """Why the export ``name`` cannot be deleted now (None: it can)."""
        if self.cc_app.runs.is_running(name):
            return (
                f"Export '{name}' is running: cancel its run first "
                f"({self.cc_app.key_for('home-cancel')}), then delete it."
            )
        return None

    async def _deletion_refusal(self, kind: str, name: str) -> str | None:
        """Why ``name`` cannot be deleted now (None: it can)."""
        if kind == "export":
            return self._export_refusal(name)
        try:
            await self.cc_app.client.check_removable(name)
        except CcTuiError as exc:
            return str(exc)
        return None

    async def _delete(self, kind: str, name: str, users: list[str], row: int) -> None:
        client = self.cc_app.client
        refusal = await self._deletion_refusal(kind, name)
        if kind == "connection" and refusal is None:
            now = (await self.cc_app.fetch_view()).exports_using.get(name, [])
            if now != users:  # an export started or stopped using it while we asked
                refusal = (
                    "The exports that use it changed while you were asked (now: "
                    f"{', '.join(now) or 'none'}); press "
                    f"{self.cc_app.key_for('home-delete')} again."
                )
        try:
            if refusal:
                raise UsageError(refusal)
            if kind == "export":
                await client.remove_export(name)
                note = ""
            else:
                detached = await client.remove_connection(name, detach_exports=bool(users))
                note = f"; detached {', '.join(detached)}" if detached else ""
        except CcTuiError as exc:
            self.notify(str(exc), title=f"{name} was not deleted", severity="error", timeout=10)
            return
        self.notify(f"Deleted {kind} {name}{note}.")
        await self.cc_app.fetch_view()
        self._select_row("connections" if kind == "connection" else "exports", row)

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """Commands for the current selection (see home_palette)."""
        return home_commands(self)

    @property
    def selected_export(self) -> str | None:
        """The export highlighted in the exports pane."""
        return self.query_one(ExportList).selected

    @property
    def selected_connection(self) -> str | None:
        """The connection highlighted in the connections pane."""
        return self.query_one(ConnectionList).selected

    def select(self, pane: str, name: str | None = None) -> None:
        """Make ``pane`` current and, if given, put its cursor on ``name``."""
        self._focus_pane(pane)
        if name is not None:
            self.query_one(f"#{pane}", NamedTable).select_name(name)

    def start_run(self, export: str, *, dry_run: bool) -> None:
        """Run (or preview) ``export`` and open its live view."""
        self.select("exports", export)
        self._start(dry_run=dry_run)

    def open_run_view(self, export: str) -> None:
        """The live view of ``export``'s run."""
        self._open_run_view(export)

    def open_history(self, *, export: str | None = None) -> None:
        """Run history, of one export or of all."""
        self._open_history(export=export)


def _pane(name: str, table: NamedTable) -> Vertical:
    pane = Vertical(table, id=f"pane-{name}", classes="pane")
    pane.border_title = _TITLES[name]
    return pane
