"""SignInPanel: the device sign-in as it happens: URL, code, QR code, countdown, status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Button, Static

from cc_tui.qr import qr_fits, qr_text, reachable_from_a_phone
from cc_tui.ui.outside_text import plain

__all__ = ["SignInCode", "SignInPanel", "SignInState"]

COUNTDOWN_TICK = 1.0  # seconds between countdown updates
# Lines the form needs around the QR code to keep the URL, the code and the status on screen:
# dialog border, footer, action bar, this panel's border and margin (measured at 80x24).
QR_RESERVED_LINES = 12
QR_TEXT_MIN_WIDTH = 36  # the URL and code column beside the QR code
_STATES = {
    "pending": "Waiting for approval in the browser…",
    "slow_down": "Waiting for approval (Constant Contact asked us to poll more slowly)…",
    "approved": "Approved. Fetching the account…",
}


class SignInCode(Protocol):
    """What the person needs to approve a sign-in (a device authorization has it)."""

    @property
    def verification_uri(self) -> str: ...
    @property
    def verification_uri_complete(self) -> str: ...
    @property
    def user_code(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...


class SignInState(Protocol):
    """One poll's answer: ``pending``, ``slow_down`` or ``approved``."""

    @property
    def state(self) -> str: ...


class SignInPanel(Vertical):
    """Open the address in any browser, enter the code there and approve; this panel waits.

    The countdown shows how long the code stays valid. Escape or the Cancel button stops
    waiting (the connection keeps whatever sign-in it had before).
    """

    DEFAULT_CSS = """
    SignInPanel { height: auto; border: round $primary; padding: 0 1; margin-top: 1; }
    SignInPanel.-idle { display: none; }
    SignInPanel > Horizontal { height: auto; }
    SignInPanel #sign-in-qr { width: auto; margin-right: 2; }
    SignInPanel #sign-in-text { height: auto; width: 1fr; }
    SignInPanel #sign-in-user-code {
        text-style: bold; color: $accent; border: tall $accent; width: auto; padding: 0 2;
    }
    SignInPanel #sign-in-status { margin-top: 1; }
    SignInPanel.-ok #sign-in-status { color: $run-ok; text-style: bold; margin-top: 0; }
    SignInPanel.-failed #sign-in-status { color: $run-failed; text-style: bold; margin-top: 0; }
    SignInPanel .-code { display: none; }
    SignInPanel.-waiting .-code { display: block; }
    SignInPanel.-no-qr #sign-in-qr { display: none; }
    SignInPanel #sign-in-cancel { display: none; margin-top: 1; }
    SignInPanel.-asking #sign-in-cancel, SignInPanel.-waiting #sign-in-cancel { display: block; }
    """

    seconds_left: reactive[int | None] = reactive(None, init=False)
    """Whole seconds until the code expires (None before a code arrives)."""

    @dataclass(eq=False)
    class CancelRequested(Message):
        """The person asked to stop waiting for approval."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="-idle")
        self.border_title = "Sign in to Constant Contact"
        self.user_code = ""
        self.verification_url = ""
        self._expires_at: datetime | None = None
        self._timer: Timer | None = None
        self._qr = ""  # the code's QR text, when a phone could open its address

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("", id="sign-in-qr", classes="-code", markup=False)
            with Vertical(id="sign-in-text"):
                yield Static("", id="sign-in-url", classes="-code", markup=False)
                yield Static("", id="sign-in-user-code", classes="-code", markup=False)
                yield Static("", id="sign-in-countdown", classes="-code")
                yield Static("", id="sign-in-status", markup=False)
                yield Button(
                    "Cancel sign-in (esc)",
                    id="sign-in-cancel",
                    variant="warning",
                    tooltip="Stop waiting for approval",
                )

    # -- attributes down -------------------------------------------------------------------

    def start(self) -> None:
        """A sign-in begins: show the panel, asking Constant Contact for a code."""
        self._stop_timer()
        self.user_code = ""
        self._expires_at = None
        self.seconds_left = None
        self._state("-asking", "Asking Constant Contact for a sign-in code…")

    def show_code(self, code: SignInCode) -> None:
        """Show where to go, the code to enter, a QR code, and start the countdown."""
        self.user_code = code.user_code
        self.verification_url = code.verification_uri
        self._expires_at = code.expires_at
        complete = code.verification_uri_complete
        self._qr = qr_text(complete) if reachable_from_a_phone(complete) else ""
        self._place_qr()
        self.query_one("#sign-in-user-code", Static).update(plain(code.user_code))
        self._state("-waiting", _STATES["pending"])
        self._tick()
        self._timer = self.set_interval(COUNTDOWN_TICK, self._tick)
        self.call_after_refresh(self.scroll_visible, top=True)

    def show_state(self, status: SignInState) -> None:
        """A poll answered: waiting, slowing down, or approved."""
        self._state("-waiting", _STATES.get(status.state, status.state))

    def finished(self, message: str, *, ok: bool) -> None:
        """The sign-in ended: say how (and hide the code, which is no longer useful)."""
        self._stop_timer()
        self._state("-ok" if ok else "-failed", message)
        self.call_after_refresh(self.scroll_visible)

    @property
    def status(self) -> str:
        """The status line's text."""
        return str(self.query_one("#sign-in-status", Static).content)

    @property
    def shows_qr(self) -> bool:
        """True when the QR code is on screen (it fits and a phone could open the address)."""
        return bool(self.query_one("#sign-in-qr", Static).content)

    # -- internals -------------------------------------------------------------------------

    def _place_qr(self) -> None:
        """Show the QR code only whole and with the URL and code still on screen; else the
        URL alone (a loopback address, such as the emulator's, is never worth a QR code)."""
        width = self.content_region.width or self.app.size.width
        fits = bool(self._qr) and qr_fits(
            self._qr,
            width=width - QR_TEXT_MIN_WIDTH,
            height=self.app.size.height - QR_RESERVED_LINES,
        )
        self.query_one("#sign-in-qr", Static).update(self._qr if fits else "")
        self.set_class(not fits, "-no-qr")
        where = "any browser (or scan the QR code)" if fits else "a browser"
        # The URL comes from the server: shown as visible plain text.
        self.query_one("#sign-in-url", Static).update(
            plain(
                f"1. Open {self.verification_url} in {where}.\n"
                "2. Enter this code there and approve:",
                multiline=True,
            )
        )

    def on_resize(self) -> None:
        if self.has_class("-waiting"):
            self._place_qr()

    def _state(self, state: str, message: str) -> None:
        self.remove_class("-idle", "-asking", "-waiting", "-ok", "-failed")
        self.add_class(state)
        self.query_one("#sign-in-status", Static).update(plain(message, multiline=True))

    def _tick(self) -> None:
        if self._expires_at is None:
            return
        left = (self._expires_at - datetime.now(UTC)).total_seconds()
        self.seconds_left = max(0, int(left))

    def watch_seconds_left(self, seconds: int | None) -> None:
        text = (
            ""
            if seconds is None
            else (
                f"Code expires in {seconds // 60}:{seconds % 60:02d}" if seconds else "Code expired"
            )
        )
        self.query_one("#sign-in-countdown", Static).update(text)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "sign-in-cancel":
            event.stop()
            self.post_message(self.CancelRequested())
