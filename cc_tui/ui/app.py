"""CcTuiApp: wiring only. Screens do the work; the home is the cc-tui service's, reached
through a :class:`~cc_tui.service.home_client.HomeClient`."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from cc_tui.errors import CcTuiError
from cc_tui.next_steps import NextSteps
from cc_tui.run_words import noun
from cc_tui.safe_text import visible
from cc_tui.ui.commands import AppCommands
from cc_tui.ui.host import AppHost
from cc_tui.ui.key_catalogue import known_binding_ids, shown_key, typed_remaps
from cc_tui.ui.run_notice import announce_finished
from cc_tui.ui.screens.opening import OpeningScreen
from cc_tui.ui.themes import (
    APP_VARIABLES,
    HOUSE_THEME,
    load_themes,
    offered_themes,
    shipped_themes_dir,
)

if TYPE_CHECKING:
    from cc_tui.models.run import RunRecord
    from cc_tui.service.home_client import HomeClient
    from cc_tui.service.protocol import HomeView
    from cc_tui.ui.messages import (
        CancelRequested,
        ConfigChanged,
        RunEventLogged,
        RunFailed,
        RunFinished,
        RunProgressed,
        RunRequested,
    )
    from cc_tui.ui.runs import RunManager
    from cc_tui.ui.widgets.run_summary import RunSummary

__all__ = ["OPENING_HOME", "VIEW_RUNS", "CcTuiApp", "HomeOpened", "OpenedHome", "open_home"]

OPENING_HOME = "Opening your cc-tui home…"
VIEW_RUNS = 200  # newest runs in the home's view (the home screen's run history)
"""What the first screen says while the home opens (``cc-tui`` with no command)."""


def _freeze_startup_objects() -> None:
    """Keep the garbage collector's full passes short while runs go.

    The app starts with a few hundred thousand long-lived objects (Polars, Textual, Rich);
    a full collection walking them all paused the event loop for 100-180 ms during a
    1M-contact run (measured). Frozen objects are never collected, so they are not walked.
    """
    gc.collect()
    gc.freeze()


@dataclass(frozen=True, slots=True)
class OpenedHome:
    """The home's service as this app reaches it, and the first view it gave."""

    client: HomeClient
    view: HomeView
    emulator_url: str | None = None
    """Where an emulator this process started listens (``cc-tui demo``), for the connection
    form's "use the local emulator"."""


def open_home(client: HomeClient, *, emulator_url: str | None = None) -> OpenedHome:
    """Reach the home's service (started first if none answers) and read its view.

    Blocking: on the app's opening thread, or before the app starts (tests).
    """
    return OpenedHome(client, asyncio.run(client.view(runs=VIEW_RUNS)), emulator_url)


class HomeOpened(Message):
    """The opening thread is done: ``home`` is None when opening failed."""

    def __init__(self, home: OpenedHome | None) -> None:
        super().__init__()
        self.home = home


# Actions that need the open home; refused while the opening screen shows.
_NEEDS_HOME = frozenset({"help", "command_palette"})


def _too_late(record: RunRecord) -> str:
    """A cancel that came after the run had ended: say so, and how it ended."""
    what = "preview" if record.dry_run else "run"
    count = record.sent if record.dry_run else record.confirmed
    verb = "would send" if record.dry_run else "confirmed"
    return (
        f"Too late to cancel: the {what} of {record.export} had already finished "
        f"({record.status.value}; {count:,} contacts {verb})."
    )


class CcTuiApp(App[int]):
    """Export customer segments to Constant Contact lists, keyboard first."""

    CSS_PATH = "app.tcss"
    TITLE = "cc-tui"
    SUB_TITLE = "segments → Constant Contact"
    COMMANDS: ClassVar = {AppCommands}  # replaces Textual's: each command listed once
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+q",
            "quit_app",
            "Quit",
            priority=True,
            id="quit",
            tooltip="Quit (runs go on in the cc-tui service)",
        ),
        Binding("f1", "help", "Help", id="help", tooltip="Every key of this screen"),
        Binding("question_mark", "help", "Help", show=False, id="help-alt"),
    ]

    def __init__(
        self,
        home: OpenedHome | Callable[[], OpenedHome],
        *,
        focus_export: str | None = None,
        opening: str = OPENING_HOME,
    ) -> None:
        """``home`` (its client and first view), or a function that opens it (connecting to the
        service, starting it if none answers): then the app paints :class:`OpeningScreen`
        (saying ``opening``) first and calls it on a thread, so the first frame never waits for
        the service or, for the demo, the emulator and its data."""
        super().__init__()
        self.focus_export = focus_export
        self.emulator_url: str | None = None
        """Where an emulator this process started listens (``cc-tui demo``), if any."""
        self.open_error: Exception | None = None
        """Why opening the home failed (the command line reports it once the app ends)."""
        self._opening = opening
        self._opener: Callable[[], OpenedHome] | None = None
        self._opener_thread: threading.Thread | None = None
        self._client: HomeClient | None = None
        self._view: HomeView | None = None
        self._views_asked = 0
        self._view_shown = 0
        self._runs: RunManager | None = None
        self._themes_ready = False
        self._user_keymap: dict[str, str] = {}
        self.view_changed: Signal[HomeView] = Signal(self, "view-changed")
        """Published when a newer view of the home arrived from the service."""
        if callable(home):
            self._opener = home
        else:
            self._use(home)

    def _use(self, home: OpenedHome) -> None:
        """Wire the runs to the home's service, and keep its first view."""
        from cc_tui.ui.runs import RunManager

        self._client = home.client
        self._view = home.view
        self.emulator_url = home.emulator_url
        self._runs = RunManager(self, home.client, refresh=self.refresh_view)
        self._runs.ask = self._ask

    async def _ask(self, question: str, yes: str, no: str) -> bool:
        """A yes/no question in a modal (from a worker: it waits for the answer)."""
        from cc_tui.ui.screens.confirm import ConfirmModal

        answer: bool = await self.push_screen(
            ConfirmModal(question, yes=yes, no=no), wait_for_dismiss=True
        )
        return answer

    @property
    def client(self) -> HomeClient:
        """The home's service, as this app's OS user (the one way screens reach the back end)."""
        if self._client is None:
            raise RuntimeError("the cc-tui home is still opening")
        return self._client

    @property
    def view(self) -> HomeView:
        """The newest view of the home the service gave (connections, exports, runs, settings)."""
        if self._view is None:
            raise RuntimeError("the cc-tui home is still opening")
        return self._view

    async def fetch_view(self) -> HomeView:
        """Ask the service for the home's view now; keep it and tell the screens.

        Views asked for one after the other may arrive in another order: an older one never
        replaces a newer one.
        """
        self._views_asked += 1
        asked = self._views_asked
        view = await self.client.view(runs=VIEW_RUNS)
        if asked > self._view_shown:
            self._view_shown = asked
            self._view = view
            self.view_changed.publish(view)
        return self.view

    def refresh_view(self) -> None:
        """Fetch the home's view in a worker (screens redraw on :attr:`view_changed`)."""
        self.run_worker(
            self.fetch_view(),
            group="view",
            description="Reading the home from the cc-tui service",
            exit_on_error=False,
        )

    @property
    def next_steps(self) -> NextSteps:
        """What to do next, in the app's own actions and keys (for messages shown here)."""
        return self.runs.steps

    @property
    def runs(self) -> RunManager:
        """Runs started in this session."""
        if self._runs is None:
            raise RuntimeError("the cc-tui home is still opening")
        return self._runs

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification of the app: plain text, control characters made visible.

        Messages carry outside text (paths, column names, config keys, API errors), so they
        are never read as markup, whatever ``markup`` says (widgets' ``notify`` lands here).
        """
        super().notify(
            visible(message, multiline=True),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(APP_VARIABLES)

    def on_mount(self) -> None:
        if self._opener is None:
            self._show_home()
            return
        # First paint: the house theme (the home's comes with its view) and a screen of one
        # line; connecting to the service (starting it if needed) runs on a thread meanwhile.
        self.register_theme(HOUSE_THEME)
        self.theme = HOUSE_THEME.name
        self.push_screen(OpeningScreen(self._opening))
        self._opener_thread = threading.Thread(
            target=self._open_home, args=(self._opener,), name="cc-tui-open", daemon=True
        )
        self.call_after_refresh(self._opener_thread.start)

    def _open_home(self, opener: Callable[[], OpenedHome]) -> None:
        """On the opening thread: reach the service, and import what the home screen needs."""
        home: OpenedHome | None
        try:
            # A broken config.toml is reported by the service like the command line reports
            # it (exit 2), not as a crash in the home screen.
            home = opener()
            # Imported here, not on the event loop: the home screen, every screen's and
            # widget's bindings (the keymap check walks them).
            from cc_tui.ui.runs import RunManager  # noqa: F401
            from cc_tui.ui.screens.home import HomeScreen  # noqa: F401

            known_binding_ids(type(self))
        except Exception as exc:  # reported by the command line once the app has ended
            self.open_error = exc
            home = None
        # post_message is safe from a thread, and a no-op once the person has quit (where
        # call_from_thread would wait for ever on a loop that has stopped).
        self.post_message(HomeOpened(home))

    @on(HomeOpened)
    def _opened(self, message: HomeOpened) -> None:
        if message.home is None:
            self.exit(1)
            return
        self._use(message.home)
        self._show_home()

    def wait_opened(self) -> None:
        """Wait for the opening thread (the caller stops what it started)."""
        if self._opener_thread is not None and self._opener_thread.is_alive():
            self._opener_thread.join()

    def _show_home(self) -> None:
        self._register_themes()
        self._apply_keymap()
        from cc_tui.ui.screens.home import HomeScreen

        if isinstance(self.screen, OpeningScreen):
            self.switch_screen(HomeScreen())
        else:
            self.push_screen(HomeScreen())
        self.runs.reattach()  # runs going in the service, started from another session
        self.call_after_refresh(_freeze_startup_objects)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the home opens, only quitting works (help and the palette need the home)."""
        if self._client is None and action in _NEEDS_HOME:
            return False
        return super().check_action(action, parameters)

    def _register_themes(self) -> None:
        self.register_theme(HOUSE_THEME)
        folders = [shipped_themes_dir()]
        # The home's own themes, when this user may read them (a team's home is the service
        # account's alone: its members get the shipped themes).
        themes_dir = self.client.link.paths.themes_dir
        if os.access(themes_dir, os.R_OK | os.X_OK):
            folders.append(themes_dir)
        themes, problems = load_themes(folders)
        for theme in themes:
            self.register_theme(theme)
        # Status words stay readable (4.5:1) in every theme offered; unmeasurable ones go.
        readable, unreadable = offered_themes(self.available_themes)
        for name in unreadable:
            self.unregister_theme(name)
        for theme in readable:
            self.register_theme(theme)
        if problems:
            self.notify(
                "Skipped theme files:\n" + "\n".join(problems),
                title="Themes",
                severity="warning",
                timeout=10,
            )
        wanted = self.view.theme
        self.theme = wanted if wanted in self.available_themes else HOUSE_THEME.name
        if wanted not in self.available_themes:
            self.notify(
                f"Theme '{wanted}' was not found; using {HOUSE_THEME.name}.", severity="warning"
            )
        self._themes_ready = True

    def watch_theme(self, theme: str) -> None:
        """Remember the chosen theme in config.toml (the service writes it)."""
        if not self._themes_ready:  # the initial theme comes from config.toml itself
            return
        if self.view.theme != theme:
            self.run_worker(
                self._save_theme(theme), group="theme", exclusive=True, exit_on_error=False
            )

    async def _save_theme(self, theme: str) -> None:
        try:
            await self.client.set_theme(theme)
        except CcTuiError as exc:
            self.notify(str(exc), title="Theme not saved", severity="error")
            return
        await self.fetch_view()

    def _apply_keymap(self) -> None:
        keymap = dict(self.view.keymap)
        unknown = sorted(set(keymap) - known_binding_ids(type(self)))
        if unknown:
            self.notify(
                f"config.toml [keymap]: unknown binding {noun(len(unknown), 'id')} "
                f"{', '.join(unknown)}; "
                "see the help screen (F1) for the ids.",
                severity="warning",
                timeout=10,
            )
        typed = typed_remaps(keymap)
        if typed:
            self.notify(
                f"config.toml [keymap]: {', '.join(typed)} kept their keys: a form's keys "
                "must not be ones that type into its fields (use ctrl+… or f1…f12).",
                severity="warning",
                timeout=10,
            )
        self._user_keymap = {k: v for k, v in keymap.items() if k not in unknown and k not in typed}
        self.set_keymap(self._user_keymap)
        self.runs.steps = self._next_steps()

    def _next_steps(self) -> NextSteps:
        """What to do next, in the app's own actions and keys (messages never name CLI flags).

        Runs started here record these words; runs started by the command line record its own.
        """
        run, sign_in = self.key_for("home-run"), self.key_for("connection-form-sign-in")
        return NextSteps(
            resume=f"Resume: press {run} on {{export}} in Exports.",
            run_again=f"Then run it again: {run} on {{export}} in Exports starts a new run.",
            start_over=f"start over with {self.key_for('run-restart')} in its run view",
            sign_in=f"open connection {{connection}} in Connections and press {sign_in}",
            show_connection="open connection {connection} in Connections",
            account_lists=f"the lists the export form offers ({self.key_for('home-edit')} on "
            "the export)",
            accept_privacy="open connection {connection} in Connections, tick the statement "
            f"and press {self.key_for('connection-form-save')}",
        )

    def key_for(self, binding_id: str) -> str:
        """The key of ``binding_id`` as the footer shows it (config.toml's [keymap] applied)."""
        return shown_key(self, binding_id, self._user_keymap)

    # -- navigation: screens ask for another screen through AppHost, never import each other -----

    def show_run(self, export: str, *, starting: bool = False) -> None:
        """Open the run view of ``export``'s latest run (``starting``: of the run just asked
        for, which it says is starting until the app has started it)."""
        from cc_tui.ui.screens.run import RunScreen

        self.push_screen(RunScreen(export, starting=starting))

    def show_history(self, export: str | None = None, run_id: str | None = None) -> None:
        """Open the run history (of ``export``, or every run), ``run_id`` highlighted."""
        from cc_tui.ui.screens.history import HistoryScreen

        self.push_screen(HistoryScreen(export=export, run_id=run_id))

    # -- runs ----------------------------------------------------------------------------------

    def on_run_requested(self, message: RunRequested) -> None:
        try:
            self.runs.start(message.export, dry_run=message.dry_run, restart=message.restart)
        except CcTuiError as exc:
            self.notify(self.runs.steps.explain(exc), title="Cannot run", severity="error")

    def on_cancel_requested(self, message: CancelRequested) -> None:
        export = message.export
        if self.runs.cancel(export):
            self.notify(
                f"Cancelling {export} at the next batch boundary; it stays resumable.",
                title="Cancel",
            )
            return
        # The question was asked while the run went on; it may have ended since.
        run = self.runs.get(export)
        if run is not None and run.record is not None:
            text = _too_late(run.record)
        elif run is not None and run.error is not None:
            text = f"Too late to cancel: the run of {export} had already stopped ({run.error})."
        else:
            text = f"{export} has no run to cancel."
        self.notify(text, title="Not cancelled", severity="warning", timeout=10)

    def on_config_changed(self, message: ConfigChanged) -> None:
        """A form changed the home (in the service): read its view again."""
        self.refresh_view()

    def on_run_progressed(self, message: RunProgressed) -> None:
        self.runs.progressed(message.progress)

    def on_run_event_logged(self, message: RunEventLogged) -> None:
        self.runs.logged(message.export, message.event)

    def on_run_finished(self, message: RunFinished) -> None:
        record = message.record
        self.runs.finished(record)
        if self.runs.cancelled_too_late(record.export):
            # Said even over a summary: the user asked to cancel and must learn it came too late.
            self.notify(_too_late(record), title=record.export, severity="warning", timeout=10)
            return
        announce_finished(self, record)

    def on_run_summary_shown(self, message: RunSummary.Shown) -> None:
        self.runs.seen(message.record)

    def on_run_failed(self, message: RunFailed) -> None:
        self.runs.failed(message.export, message.error)
        self.notify(
            message.error, title=f"{message.export} cannot run", severity="error", timeout=12
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place that turns a crashed worker into a message for the person."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            text = str(error) if isinstance(error, CcTuiError) else f"Unexpected error: {error!r}"
            self.notify(
                text, title=event.worker.description or "Error", severity="error", timeout=12
            )

    # -- app actions -----------------------------------------------------------------------------

    def action_help(self) -> None:
        """Show every key of the current screen and a note about the focused widget."""
        from cc_tui.ui.screens.help import HelpModal

        if not isinstance(self.screen, HelpModal):
            self.push_screen(HelpModal(self.screen, self.focused))

    def action_quit_app(self) -> None:
        """Quit. Runs are the cc-tui service's: they go on when the app quits (nothing to ask),
        and any app opened later, from any session, watches them again."""
        self.exit(0)


def _meets_app_host(app: CcTuiApp) -> AppHost:
    """Never called: mypy proves here that the app gives its screens all :class:`AppHost` names."""
    return app
