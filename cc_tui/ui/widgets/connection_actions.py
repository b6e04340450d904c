"""ConnectionActions: the connection form's status line and its buttons, always in view."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from cc_tui.ui.outside_text import plain

__all__ = ["ConnectionActions"]

# (action, label naming its key, variant); the action is also the button's id.
_BUTTONS = (
    ("save", "Save ^s", "primary"),
    ("sign_in", "Sign in s", "default"),
    ("test", "Test t", "default"),
    ("remove", "Remove d", "error"),
    ("close", "Close esc", "default"),
)


class ConnectionActions(Vertical):
    """What happened last (saved, signed in, tested, or what went wrong) and what to do next.

    Each button names its key; unavailable actions are greyed out.
    """

    DEFAULT_CSS = """
    ConnectionActions { height: auto; }
    ConnectionActions #form-status { height: auto; max-height: 4; color: $text-muted; }
    ConnectionActions #form-status.-ok { color: $run-ok; }
    ConnectionActions #form-status.-failed { color: $run-failed; }
    ConnectionActions Horizontal { height: auto; }
    ConnectionActions Button { min-width: 0; width: auto; margin-right: 1; }
    """

    class Chosen(Message):
        """A button was pressed: ``action`` names the screen action to run."""

        def __init__(self, action: str) -> None:
            self.action = action
            super().__init__()

    def __init__(self, status: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = status

    def compose(self) -> ComposeResult:
        yield Static(plain(self._initial, multiline=True), id="form-status")
        with Horizontal():
            for action, label, variant in _BUTTONS:
                yield Button(label, id=action, variant=variant)  # type: ignore[arg-type]

    @property
    def status(self) -> str:
        """The status line's text."""
        return str(self.query_one("#form-status", Static).content)

    def show_status(self, message: str, state: str = "") -> None:
        """Say what happened; ``state`` is "ok", "failed" or "" (neutral)."""
        line = self.query_one("#form-status", Static)
        line.update(plain(message, multiline=True))
        line.set_class(state == "ok", "-ok")
        line.set_class(state == "failed", "-failed")

    def set_available(self, available: Mapping[str, bool], *, signed_in: bool) -> None:
        """Grey out what cannot run now; "Sign in" becomes "Sign in again" once signed in."""
        for button in self.query(Button):
            button.disabled = not available.get(button.id or "", True)
        sign_in = self.query_one("#sign_in", Button)
        sign_in.label = "Sign in again s" if signed_in else "Sign in s"
        sign_in.refresh(layout=True)  # the label's width changed

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Chosen(event.button.id or ""))
