"""CcTuiApp: wiring only. Screens do the work; services come in from the command line."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.worker import Worker, WorkerState

from cc_tui.errors import CcTuiError
from cc_tui.next_steps import NextSteps
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
    # The engine (Polars, httpx) loads after the first paint: see :class:`CcTuiApp`.
    import httpx

    from cc_tui.engine.run_options import RunOptions
    from cc_tui.engine.services import Services
    from cc_tui.models.run import RunRecord
    from cc_tui.service.async_client import ServiceLink
    from cc_tui.store.run_history import RunHistory
    from cc_tui.ui.messages import (
        CancelRequested,
        RunEventLogged,
        RunFailed,
        RunFinished,
        RunProgressed,
        RunRequested,
    )
    from cc_tui.ui.runs import RunManager
    from cc_tui.ui.widgets.run_summary import RunSummary

__all__ = ["OPENING_HOME", "CcTuiApp", "HomeOpened"]

OPENING_HOME = "Opening your cc-tui home…"
"""What the first screen says while the home opens (``cc-tui`` with no command)."""


def _freeze_startup_objects() -> None:
    """Keep the garbage collector's full passes short while runs go.

    The app starts with a few hundred thousand long-lived objects (Polars, Textual, Rich);
    a full collection walking them all paused the event loop for 100-180 ms during a
    1M-contact run (measured). Frozen objects are never collected, so they are not walked.
    """
    gc.collect()
    gc.freeze()


class HomeOpened(Message):
    """The opening thread is done: ``services`` is None when opening failed."""

    def __init__(self, services: Services | None) -> None:
        super().__init__()
        self.services = services


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
            tooltip="Quit (asks first while runs are active)",
        ),
        Binding("f1", "help", "Help", id="help", tooltip="Every key of this screen"),
        Binding("question_mark", "help", "Help", show=False, id="help-alt"),
    ]

    def __init__(
        self,
        services: Services | Callable[[], Services],
        *,
        run_options: RunOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        focus_export: str | None = None,
        service: ServiceLink | None = None,
        opening: str = OPENING_HOME,
    ) -> None:
        """``services``, or a function that opens them: then the app paints :class:`OpeningScreen`
        (saying ``opening``) first and calls it on a thread, so the first frame never waits for
        the engine's imports (Polars, httpx) or, for the demo, the emulator and its data."""
        super().__init__()
        self.focus_export = focus_export
        self.open_error: Exception | None = None
        """Why opening the services failed (the command line reports it once the app ends)."""
        self._run_options = run_options
        self._transport = transport
        self._service = service
        self._opening = opening
        self._opener: Callable[[], Services] | None = None
        self._opener_thread: threading.Thread | None = None
        self._services: Services | None = None
        self._runs: RunManager | None = None
        self._history: RunHistory | None = None
        self._themes_ready = False
        self._user_keymap: dict[str, str] = {}
        if callable(services):
            self._opener = services
        else:
            self._use(services)

    def _use(self, services: Services) -> None:
        """Wire the runs and the history to ``services`` (the engine is imported here)."""
        from cc_tui.engine.runner import ExportRunner
        from cc_tui.store.run_history import RunHistory
        from cc_tui.ui.runs import RunManager

        history = RunHistory(services.history)
        runner = ExportRunner(services, transport=self._transport or services.transport)
        self._runs = RunManager(
            self, runner, history, options=self._run_options, service=self._service
        )
        self._runs.ask = self._ask
        self._history = history
        self._services = services

    async def _ask(self, question: str, yes: str, no: str) -> bool:
        """A yes/no question in a modal (from a worker: it waits for the answer)."""
        from cc_tui.ui.screens.confirm import ConfirmModal

        answer: bool = await self.push_screen(
            ConfirmModal(question, yes=yes, no=no), wait_for_dismiss=True
        )
        return answer

    @property
    def services(self) -> Services:
        """Stores and services of this home (the one way screens reach the back end)."""
        if self._services is None:
            raise RuntimeError("the cc-tui home is still opening")
        return self._services

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

    @property
    def run_history(self) -> RunHistory:
        """Every run recorded in this home."""
        if self._history is None:
            raise RuntimeError("the cc-tui home is still opening")
        return self._history

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
        # First paint: the house theme (config.toml is read once the home is open) and a
        # screen of one line; the engine's imports and the opening run on a thread meanwhile.
        self.register_theme(HOUSE_THEME)
        self.theme = HOUSE_THEME.name
        self.push_screen(OpeningScreen(self._opening))
        self._opener_thread = threading.Thread(
            target=self._open_home, args=(self._opener,), name="cc-tui-open", daemon=True
        )
        self.call_after_refresh(self._opener_thread.start)

    def _open_home(self, opener: Callable[[], Services]) -> None:
        """On the opening thread: open the services and import what the home screen needs."""
        try:
            services = opener()
            # A broken config.toml is reported like the command line reports it (exit 2),
            # not as a crash in the home screen.
            services.config.load()
            # Imported here, not on the event loop: the home screen, every screen's and
            # widget's bindings (the keymap check walks them), the runner and Polars with it.
            from cc_tui.engine.runner import ExportRunner  # noqa: F401
            from cc_tui.ui.runs import RunManager  # noqa: F401
            from cc_tui.ui.screens.home import HomeScreen  # noqa: F401

            known_binding_ids(type(self))
        except Exception as exc:  # reported by the command line once the app has ended
            self.open_error = exc
            services = None
        # post_message is safe from a thread, and a no-op once the person has quit (where
        # call_from_thread would wait for ever on a loop that has stopped).
        self.post_message(HomeOpened(services))

    @on(HomeOpened)
    def _opened(self, message: HomeOpened) -> None:
        if message.services is None:
            self.exit(1)
            return
        self._use(message.services)
        self._show_home()

    def wait_opened(self) -> None:
        """Wait for the opening thread (the caller closes the services it opened)."""
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
        if self._services is None and action in _NEEDS_HOME:
            return False
        return super().check_action(action, parameters)

    def _register_themes(self) -> None:
        self.register_theme(HOUSE_THEME)
        themes, problems = load_themes([shipped_themes_dir(), self.services.paths.themes_dir])
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
        wanted = self.services.config.load().theme
        self.theme = wanted if wanted in self.available_themes else HOUSE_THEME.name
        if wanted not in self.available_themes:
            self.notify(
                f"Theme '{wanted}' was not found; using {HOUSE_THEME.name}.", severity="warning"
            )
        self._themes_ready = True

    def watch_theme(self, theme: str) -> None:
        """Remember the chosen theme in config.toml."""
        if not self._themes_ready:  # the initial theme comes from config.toml itself
            return
        try:
            if self.services.config.load().theme != theme:
                self.services.config.update(lambda c: replace(c, theme=theme))
        except CcTuiError as exc:
            self.notify(str(exc), title="Theme not saved", severity="error")

    def _apply_keymap(self) -> None:
        keymap = dict(self.services.config.load().keymap)
        unknown = sorted(set(keymap) - known_binding_ids(type(self)))
        if unknown:
            self.notify(
                f"config.toml [keymap]: unknown binding id(s) {', '.join(unknown)}; "
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

    def show_run(self, export: str) -> None:
        """Open the run view of ``export``'s latest run."""
        from cc_tui.ui.screens.run import RunScreen

        self.push_screen(RunScreen(export))

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
        """Quit; while runs of this process are active, ask first (they stay resumable).

        Runs of the cc-tui service go on when the app quits: nothing to ask.
        """
        runs = self._runs
        if runs is None:  # still opening: no runs yet
            self.exit(0)
            return
        active = runs.active()
        if not active or runs.outlive_app:
            self.exit(0)
            return
        from cc_tui.ui.screens.confirm import ConfirmModal

        names = ", ".join(run.export for run in active)

        def decided(quit_now: bool | None) -> None:
            if quit_now:
                for run in active:
                    runs.cancel(run.export)
                self.exit(0)

        self.push_screen(
            ConfirmModal(
                f"{len(active)} run(s) are active ({names}). Quitting cancels them at the next "
                "batch boundary; each can be resumed later. Quit?",
                yes="Quit",
                no="Stay",
            ),
            decided,
        )


def _meets_app_host(app: CcTuiApp) -> AppHost:
    """Never called: mypy proves here that the app gives its screens all :class:`AppHost` names."""
    return app
