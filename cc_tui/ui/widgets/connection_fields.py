"""ConnectionFields: every field of a connection, in tab order, with inline errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Collapsible, Input, Label, RadioButton, RadioSet

from cc_tui.models.connection import (
    DEFAULT_API_BASE_URL,
    DEFAULT_AUTH_BASE_URL,
    Connection,
    Consent,
    UsableBy,
    url_is_secure_enough,
)
from cc_tui.ui.outside_text import VisibleInInput
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.privacy_notice import PrivacyNotice
from cc_tui.ui.widgets.toggles import MarkedRadioButton

__all__ = ["FIELD_KEYS", "LOCAL_EMULATOR_ADDRESS", "ConnectionFields", "ConnectionValues"]

# Where `cc-tui emulator` listens by default (the form offers the running emulator's address
# instead when this process started one); its API and auth paths sit below it.
LOCAL_EMULATOR_ADDRESS = "http://127.0.0.1:8911"
EMULATOR_API_PATH = "/v3"
EMULATOR_AUTH_PATH = "/oauth2/default/v1"
# Field keys in visual (and tab) order; problems are reported against these.
FIELD_KEYS = (
    "name",
    "display_name",
    "usable_by",
    "client_id",
    "privacy",
    "api_base_url",
    "auth_base_url",
)
_INPUT_IDS = {
    "name": "name",
    "display_name": "display-name",
    "client_id": "client-id",
    "api_base_url": "api-base-url",
    "auth_base_url": "auth-base-url",
}


@dataclass(frozen=True, slots=True)
class ConnectionValues:
    """What the form holds right now."""

    name: str
    display_name: str
    usable_by: UsableBy
    client_id: str
    api_base_url: str
    auth_base_url: str
    privacy_accepted: bool


class ConnectionFields(Vertical):
    """Name, display name, who may use it, client ID, privacy consent and base URLs."""

    DEFAULT_CSS = """
    ConnectionFields { height: auto; }
    ConnectionFields .row { height: auto; }
    ConnectionFields .row > Label { width: 16; padding: 1 1 0 0; text-align: right; }
    ConnectionFields .row > Input { width: 1fr; }
    ConnectionFields .row > RadioSet { width: 1fr; }
    ConnectionFields .field-problem { margin-left: 16; }
    ConnectionFields #advanced { margin-top: 1; padding: 0; }
    ConnectionFields #advanced Contents { padding: 0; }
    ConnectionFields #advanced Horizontal { height: auto; }
    ConnectionFields #use-emulator { margin-left: 1; }
    """

    def __init__(
        self,
        connection: Connection | None,
        statement: str,
        *,
        emulator_address: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._connection = connection
        self._statement = statement
        # The running emulator's address when this process started one (the demo's port is
        # random); else where `cc-tui emulator` listens by default.
        self._emulator_address = emulator_address or LOCAL_EMULATOR_ADDRESS

    def compose(self) -> ComposeResult:
        conn = self._connection
        name = Input(
            conn.name if conn else "",
            id="name",
            max_length=64,
            placeholder="e.g. marketing (letters, digits, _ . -)",
            disabled=conn is not None,
            tooltip="Used on the command line",
        )
        yield from _row("Name", name, "name")
        display = Input(
            conn.display_name if conn else "",
            id="display-name",
            placeholder="e.g. Marketing account",
            highlighter=VisibleInInput(),  # free text from config.toml
        )
        yield from _row("Display name", display, "display_name")
        contributors = conn is not None and conn.usable_by is UsableBy.CONTRIBUTORS
        usable_by = RadioSet(
            MarkedRadioButton("Administrators only", not contributors, id="usable-admins"),
            MarkedRadioButton("Contributors too", contributors, id="usable-contributors"),
            id="usable-by",
            tooltip="Who may run exports through it",
        )
        yield from _row("Usable by", usable_by, "usable_by")
        client_id = Input(
            conn.client_id if conn else "",
            id="client-id",
            placeholder="API key of your Constant Contact application",
            highlighter=VisibleInInput(),
        )
        yield from _row("Client ID", client_id, "client_id")
        yield PrivacyNotice(self._statement, conn.consent if conn else None, id="privacy")
        with Collapsible(title="Advanced: base URLs", id="advanced"):
            yield from self._compose_advanced()

    def _compose_advanced(self) -> ComposeResult:
        conn = self._connection
        api = conn.api_base_url if conn else DEFAULT_API_BASE_URL
        yield from _row(
            "API base URL",
            Input(api, id="api-base-url", highlighter=VisibleInInput()),
            "api_base_url",
        )
        auth = conn.auth_base_url if conn else DEFAULT_AUTH_BASE_URL
        yield from _row(
            "Auth base URL",
            Input(auth, id="auth-base-url", highlighter=VisibleInInput()),
            "auth_base_url",
        )
        with Horizontal(classes="row"):
            yield Label("Emulator at")
            yield Input(
                self._emulator_address,
                id="emulator-address",
                highlighter=VisibleInInput(),
                tooltip="Address of `cc-tui emulator`; Enter fills both URLs",
            )
            yield Button(
                "Use local emulator",
                id="use-emulator",
                tooltip="Fill both base URLs for the local emulator",
            )
        yield FieldProblem(id="emulator-error", classes="field-problem")

    # -- reading ---------------------------------------------------------------------------

    def values(self) -> ConnectionValues:
        """The form's current values, stripped."""
        contributors = self.query_one("#usable-contributors", RadioButton).value
        return ConnectionValues(
            name=self._text("name"),
            display_name=self._text("display_name"),
            usable_by=UsableBy.CONTRIBUTORS if contributors else UsableBy.ADMINS,
            client_id=self._text("client_id"),
            api_base_url=self._text("api_base_url").rstrip("/"),
            auth_base_url=self._text("auth_base_url").rstrip("/"),
            privacy_accepted=self.query_one(PrivacyNotice).accepted,
        )

    def _text(self, key: str) -> str:
        return self.query_one(f"#{_INPUT_IDS[key]}", Input).value.strip()

    # -- attributes down -------------------------------------------------------------------

    def saved(self, connection: Connection) -> None:
        """The connection now exists: its name can no longer change."""
        self._connection = connection
        self.query_one("#name", Input).disabled = True
        self.query_one(PrivacyNotice).set_consent(connection.consent)

    def set_consent(self, consent: Consent | None) -> None:
        """Show a freshly recorded acceptance."""
        self.query_one(PrivacyNotice).set_consent(consent)

    def show_problems(self, problems: Mapping[str, str]) -> None:
        """Explain each problem next to its field (and clear the others)."""
        for key in FIELD_KEYS:
            message = problems.get(key, "")
            if key == "privacy":
                self.query_one(PrivacyNotice).show_error(message)
            else:
                self.query_one(f"#{key}-error", FieldProblem).show(message)
        if "api_base_url" in problems or "auth_base_url" in problems:
            self.query_one("#advanced", Collapsible).collapsed = False

    def focus_field(self, key: str) -> None:
        """Focus the field called ``key`` (after the layout has caught up)."""
        if key == "privacy":
            self.call_after_refresh(self.query_one(PrivacyNotice).focus_accept)
        elif key == "usable_by":
            self.call_after_refresh(self.query_one("#usable-by", RadioSet).focus)
        else:
            self.call_after_refresh(self.query_one(f"#{_INPUT_IDS[key]}", Input).focus)

    # -- the local emulator ----------------------------------------------------------------

    def use_emulator(self) -> None:
        """Fill both base URLs from the emulator address."""
        address = self.query_one("#emulator-address", Input).value.strip().rstrip("/")
        error = self.query_one("#emulator-error", FieldProblem)
        if not url_is_secure_enough(address):
            error.show(f"'{address}' is not an emulator address: use http://127.0.0.1:PORT.")
            return
        error.show(None)
        self.query_one("#api-base-url", Input).value = address + EMULATOR_API_PATH
        self.query_one("#auth-base-url", Input).value = address + EMULATOR_AUTH_PATH
        self.query_one("#advanced", Collapsible).collapsed = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "use-emulator":
            event.stop()
            self.use_emulator()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "emulator-address":
            event.stop()
            self.use_emulator()


def _row(label: str, field: Widget, key: str) -> ComposeResult:
    """A labelled field with the line that explains its problems below it."""
    with Horizontal(classes="row"):
        yield Label(label)
        yield field
    yield FieldProblem(id=f"{key}-error", classes="field-problem")
