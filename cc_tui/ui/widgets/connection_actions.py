"""ConnectionActions: the connection form's status line and its buttons, always in view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from cc_tui.ui.outside_text import plain

__all__ = ["ConnectionActions"]

# (action, label, variant); the action is also the button's id. The screen names the keys
# (show_keys), so a key remapped in config.toml shows on its button.
_BUTTONS = (
    ("save", "Save", "primary"),
    ("sign_in", "Sign in", "default"),
    ("test", "Test", "default"),
    ("remove", "Remove", "error"),
    ("close", "Close", "default"),
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

    @dataclass(eq=False)
    class Chosen(Message):
        """A button was pressed: ``action`` names the screen action to run."""

        action: str

    def __init__(self, status: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = status
        self._keys: dict[str, str] = {}
        self._signed_in = False

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

    def show_keys(self, keys: Mapping[str, str]) -> None:
        """Name each button's key (action -> key as the footer shows it)."""
        self._keys = dict(keys)
        self._relabel()

    def set_available(self, available: Mapping[str, bool], *, signed_in: bool) -> None:
        """Grey out what cannot run now; "Sign in" becomes "Sign in again" once signed in."""
        for button in self.query(Button):
            button.disabled = not available.get(button.id or "", True)
        self._signed_in = signed_in
        self._relabel()

    def _relabel(self) -> None:
        for action, name, _ in _BUTTONS:
            label = "Sign in again" if action == "sign_in" and self._signed_in else name
            key = self._keys.get(action)
            button = self.query_one(f"#{action}", Button)
            button.label = f"{label} {key}" if key else label
            button.refresh(layout=True)  # the label's width may change

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Chosen(event.button.id or ""))
