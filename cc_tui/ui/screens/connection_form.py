"""ConnectionFormModal: add or edit a connection, sign it in, test it, remove it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from cc_tui.engine.connections import PRIVACY_STATEMENT
from cc_tui.errors import CcTuiError
from cc_tui.models.connection import Connection
from cc_tui.service.failure_kinds import kind_of
from cc_tui.service.protocol import FailureKind
from cc_tui.ui.commands import PaletteCommand, ScreenCommands
from cc_tui.ui.connection_changes import (
    describe_check,
    describe_status,
    form_problems,
    problem_of,
    removal_question,
    save_connection,
)
from cc_tui.ui.host import host
from cc_tui.ui.keymap import ExplainsDisabledKeys, TakesTyping
from cc_tui.ui.messages import ConfigChanged
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.widgets.connection_actions import ConnectionActions
from cc_tui.ui.widgets.connection_fields import FIELD_KEYS, ConnectionFields, ConnectionValues
from cc_tui.ui.widgets.sign_in_panel import SignInPanel

if TYPE_CHECKING:
    from cc_tui.service.home_client import HomeClient

__all__ = ["ConnectionFormModal"]

SIGN_IN_GROUP = "connection-sign-in"
TEST_GROUP = "connection-test"
SAVE_GROUP = "connection-save"
# action -> (palette title, help, binding id whose key the help names)
_PALETTE = {
    "save": ("connection: Save", "Save and close", "connection-form-save"),
    "sign_in": (
        "connection: Sign in",
        "Device sign-in through a browser",
        "connection-form-sign-in",
    ),
    "cancel_sign_in": (
        "connection: Cancel sign-in",
        "Stop waiting for approval",
        "connection-form-close",
    ),
    "test": ("connection: Test", "Organisation, lists and token expiry", "connection-form-test"),
    "remove": (
        "connection: Remove",
        "Remove after asking; may detach exports",
        "connection-form-remove",
    ),
    "use_emulator": ("connection: Use local emulator", "Base URLs of the emulator address", ""),
}
_BUTTON_KEYS = {action: binding for action, (_, _, binding) in _PALETTE.items() if binding}


class ConnectionFormModal(TakesTyping, ExplainsDisabledKeys, ModalScreen[str | None]):
    """Connection form: what a Constant Contact connection is called, who may use it, where it
    signs in; sign-in, test and removal. Dismisses with the name when something was saved."""

    DEFAULT_CSS = """
    ConnectionFormModal { align: center middle; }
    ConnectionFormModal > #dialog {
        width: 100; max-width: 100%; height: 100%; max-height: 48;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ConnectionFormModal #body { height: 1fr; }
    """
    COMMANDS: ClassVar = {ScreenCommands}
    # Keys that cannot be typed: the form is mostly text fields, where a letter is text.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="connection-form-save", tooltip="Save and close"),
        Binding(
            "ctrl+l",
            "sign_in",
            "Sign in",
            id="connection-form-sign-in",
            tooltip="Save if needed, then sign in through a browser",
        ),
        Binding(
            "ctrl+t",
            "test",
            "Test",
            id="connection-form-test",
            tooltip="Reach the account: organisation, lists, token expiry",
        ),
        Binding(
            "f8",
            "remove",
            "Remove",
            id="connection-form-remove",
            tooltip="Remove the connection (asks first; may detach exports)",
        ),
        Binding(
            "escape",
            "close",
            "Cancel/close",
            id="connection-form-close",
            tooltip="Cancel a sign-in in progress, else close without saving",
        ),
    ]

    def __init__(self, connection: str | None = None, *, start_sign_in: bool = False) -> None:
        super().__init__()
        self._name = connection
        self._conn: Connection | None = None
        self._start_sign_in = start_sign_in
        self._changed = False
        self._signed_in = False
        self._sign_in_worker: Worker[None] | None = None
        self._test_worker: Worker[None] | None = None
        self._save_worker: Worker[None] | None = None

    @property
    def _client(self) -> HomeClient:
        """The home's service: every change is made there, as this app's OS user."""
        return host(self).client

    def compose(self) -> ComposeResult:
        problem = self._load()
        with Vertical(id="dialog") as dialog:
            dialog.border_title = f"Connection {self._name}" if self._name else "New connection"
            with VerticalScroll(id="body"):
                yield ConnectionFields(
                    self._conn,
                    PRIVACY_STATEMENT,
                    emulator_address=host(self).emulator_url,
                    id="fields",
                )
                yield SignInPanel(id="sign-in")
            yield ConnectionActions(problem, id="actions")
        yield Footer()

    def _load(self) -> str:
        if self._name is None:
            return "New connection: fill in the fields, accept the statement, then save or sign in."
        view = host(self).view
        status = next((s for s in view.connections if s.connection.name == self._name), None)
        if status is None:
            missing, self._name = self._name, None
            return f"There is no connection named '{missing}' that you may see."
        self._conn = status.connection
        self._signed_in = status.signed_in
        return describe_status(status, sign_in_key=self._key("sign_in"))

    def _key(self, action: str) -> str:
        """The key of one of the form's actions, as the footer and the buttons show it."""
        return host(self).key_for(_BUTTON_KEYS[action])

    def on_mount(self) -> None:
        self.query_one(ConnectionActions).show_keys(
            {action: self._key(action) for action in ("save", "sign_in", "test", "remove")}
            | {"close": self._key("cancel_sign_in")}
        )
        fields = self.query_one(ConnectionFields)
        fields.focus_field("display_name" if self._conn else "name")
        self._refresh_state()
        if self._start_sign_in and self._conn is not None:
            self.call_after_refresh(self.action_sign_in)

    @property
    def signing_in(self) -> bool:
        """True while the device flow runs."""
        return _busy(self._sign_in_worker)

    @property
    def saving(self) -> bool:
        """True while the service saves the form."""
        return _busy(self._save_worker)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"save", "sign_in", "use_emulator"} and (self.signing_in or self.saving):
            return None
        if action == "cancel_sign_in":
            return self.signing_in
        if action in {"test", "remove"}:
            if self._conn is None:
                return False  # not saved yet: nothing to test or remove
            return None if self.signing_in or _busy(self._test_worker) else True
        return True

    def why_disabled(self, action: str) -> str | None:
        """Why a dimmed key of the form does nothing now."""
        if self.signing_in:
            return (
                f"Waiting for the sign-in to be approved; {self._key('cancel_sign_in')} stops "
                "waiting."
            )
        if self._conn is None:
            return (
                f"Save the connection first ({self._key('save')}, or sign in with "
                f"{self._key('sign_in')}, which saves it)."
            )
        if action == "test":
            return "A test is running: its answer shows above the buttons."
        return None

    def _refresh_state(self) -> None:
        available = {action: self.check_action(action, ()) is True for action in _PALETTE}
        self.query_one(ConnectionActions).set_available(available, signed_in=self._signed_in)
        self.refresh_bindings()

    def _status(self, message: str, state: str = "") -> None:
        self.query_one(ConnectionActions).show_status(message, state)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group in {SIGN_IN_GROUP, TEST_GROUP, SAVE_GROUP}:
            self._refresh_state()
        if event.worker.group == SIGN_IN_GROUP and event.state is WorkerState.ERROR:
            self.query_one(SignInPanel).finished(f"Sign-in failed: {event.worker.error}", ok=False)

    async def on_connection_actions_chosen(self, event: ConnectionActions.Chosen) -> None:
        await self.run_action(event.action)

    # -- saving ------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Save and close."""
        self._save_worker = self._save_and_close()
        self._refresh_state()

    @work(exclusive=True, group=SAVE_GROUP, exit_on_error=False, description="Save connection")
    async def _save_and_close(self) -> None:
        if await self._save():
            await host(self).fetch_view()  # the home screen shows what was saved
            self.dismiss(self._name)

    async def _save(self, *, for_sign_in: bool = False) -> bool:
        """Save the form (the service does); True when the stored connection now matches it."""
        fields = self.query_one(ConnectionFields)
        values = fields.values()
        problems = form_problems(values, new=self._conn is None, for_sign_in=for_sign_in)
        if not problems:
            try:
                await self._store(values)
            except CcTuiError as exc:
                problems = problem_of(exc, values)
        fields.show_problems(problems)
        if problems:
            first = next((key for key in FIELD_KEYS if key in problems), None)
            if first is not None:
                fields.focus_field(first)
            self._status(problems.get("", "Not saved: see the marked fields."), "failed")
            return False
        return True

    async def _store(self, values: ConnectionValues) -> None:
        conn = await save_connection(self._client, self._conn, values)
        if conn == self._conn:
            return
        self._conn, self._name, self._changed = conn, conn.name, True
        self.query_one(ConnectionFields).saved(conn)
        self.query_one("#dialog").border_title = f"Connection {conn.name}"
        self._status(f"Saved connection '{conn.name}'.", "ok")
        self.app.post_message(ConfigChanged())
        self._refresh_state()

    # -- signing in --------------------------------------------------------------------------

    def action_sign_in(self) -> None:
        """Save if needed, then run the device flow (in the service) from here."""
        self._sign_in_worker = self._sign_in()
        self._refresh_state()

    @work(exclusive=True, group=SIGN_IN_GROUP, exit_on_error=False, description="Sign in")
    async def _sign_in(self) -> None:
        if not await self._save(for_sign_in=True) or self._conn is None:
            return
        name = self._conn.name
        panel = self.query_one(SignInPanel)
        panel.start()
        self._status("Signing in…")
        try:
            # The service runs the device flow and keeps the tokens: the app sees only the
            # code to approve and how the wait goes.
            await self._client.sign_in(name, on_code=panel.show_code, on_status=panel.show_state)
        except CcTuiError as exc:
            panel.finished(f"Sign-in failed: {exc}", ok=False)
            self._status(f"Not signed in: {exc}", "failed")
            return
        self._signed_in = self._changed = True
        self.app.post_message(ConfigChanged())
        try:
            check = await self._client.test_connection(name)
        except CcTuiError as exc:
            panel.finished(f"Signed in, but the account could not be reached: {exc}", ok=False)
            self._status(
                f"Signed in; the account could not be reached ({self._key('test')} tests again).",
                "failed",
            )
            return
        panel.finished(f"Signed in. {describe_check(check)}", ok=True)
        self._status(f"Signed in to {check.account.organization_name}.", "ok")

    def on_sign_in_panel_cancel_requested(self, event: SignInPanel.CancelRequested) -> None:
        self.action_cancel_sign_in()

    # -- test, remove, close -----------------------------------------------------------------

    def action_test(self) -> None:
        """Save if needed, then reach the account."""
        self._test_worker = self._test()
        self._refresh_state()

    @work(exclusive=True, group=TEST_GROUP, exit_on_error=False, description="Test connection")
    async def _test(self) -> None:
        if not await self._save() or self._conn is None:
            return
        name = self._conn.name
        self._status(f"Testing '{name}'…")
        try:
            check = await self._client.test_connection(name)
        except CcTuiError as exc:
            kind = kind_of(exc)
            if not kind.needs_sign_in:
                self._status(f"Test failed: {exc}", "failed")
                return
            # The service's words name the command line's way to sign in; this form has a key.
            never = kind is FailureKind.NEVER_SIGNED_IN
            state = "is not signed in yet" if never else "must sign in again"
            key = self._key("sign_in")
            self._status(f"Test failed: '{name}' {state}. Press {key} to sign in here.", "failed")
            return
        self._status(f"Test passed. {describe_check(check)}", "ok")

    def action_remove(self) -> None:
        """Remove the connection after asking (offering to detach exports that use it)."""
        if self._conn is not None:
            self.run_worker(
                self._remove(self._conn.name),
                group="connection-remove",
                exclusive=True,
                exit_on_error=False,
                description="Remove connection",
            )

    async def _remove(self, name: str) -> None:
        try:  # what would refuse whatever the answer is said now, not after "yes"
            await self._client.check_removable(name)
        except CcTuiError as exc:
            self._status(f"Cannot remove: {exc}", "failed")
            return
        users = (await host(self).fetch_view()).exports_using.get(name, [])
        question, yes = removal_question(name, users)
        if not await self.app.push_screen_wait(ConfirmModal(question, yes=yes, no="Keep")):
            return
        try:
            detached = await self._client.remove_connection(name, detach_exports=bool(users))
        except CcTuiError as exc:
            self._status(f"Not removed: {exc}", "failed")
            return
        self.app.post_message(ConfigChanged())
        note = f"; detached {', '.join(detached)}" if detached else ""
        self.notify(f"Removed connection '{name}'{note}.", title="Connection removed")
        await host(self).fetch_view()
        self.dismiss(None)

    def action_use_emulator(self) -> None:
        """Point both base URLs at the local emulator (Advanced section)."""
        self.query_one(ConnectionFields).use_emulator()

    def action_close(self) -> None:
        """Cancel a sign-in in progress; otherwise close (unsaved edits are dropped)."""
        if self.signing_in:
            self.action_cancel_sign_in()
        else:
            self.run_worker(self._close(), group="connection-close", exclusive=True)

    async def _close(self) -> None:
        if self._changed:
            await host(self).fetch_view()  # the home screen shows what changed
        self.dismiss(self._name if self._changed else None)

    def action_cancel_sign_in(self) -> None:
        """Stop waiting for approval; the form stays open."""
        if self._sign_in_worker is not None and self.signing_in:
            self._sign_in_worker.cancel()
            self.query_one(SignInPanel).finished("Sign-in cancelled; nothing changed.", ok=False)
            self._status("Sign-in cancelled.")

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """The form's commands that make sense now."""
        for action, (title, help_text, binding) in _PALETTE.items():
            if self.check_action(action, ()):
                again = " again" if action == "sign_in" and self._signed_in else ""
                key = f" ({host(self).key_for(binding)})" if binding else ""
                yield PaletteCommand(
                    title + again, help_text + key, partial(self.run_action, action)
                )


def _busy(worker: Worker[None] | None) -> bool:
    return worker is not None and not worker.is_finished
