"""PrivacyNotice: the data-privacy statement in full, an explicit accept, who accepted when."""

from __future__ import annotations

from datetime import UTC

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, Static

from cc_tui.models.connection import Consent
from cc_tui.ui.outside_text import plain
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.toggles import MarkedCheckbox

__all__ = ["PrivacyNotice"]

ACCEPT_LABEL = "I accept the data-privacy statement"
TICKED_TEXT = "Ticked: saving or signing in records your acceptance (your user, the time)."


class PrivacyNotice(Vertical):
    """Customer data leaves the system through a connection, so someone must accept that.

    Tick the box (space) to accept the statement. A new connection cannot be saved without
    it; once accepted, the notice shows who accepted and when.
    """

    DEFAULT_CSS = """
    PrivacyNotice {
        height: auto; border: round $warning; padding: 0 1; margin: 1 0 0 0;
    }
    PrivacyNotice #privacy-statement { margin-bottom: 1; }
    PrivacyNotice #privacy-consent { color: $text-muted; }
    PrivacyNotice.-missing #privacy-consent { color: $warning; }
    """

    def __init__(self, statement: str, consent: Consent | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Data privacy"
        self._statement = statement
        self._consent = consent

    def compose(self) -> ComposeResult:
        yield Static(self._statement, id="privacy-statement", markup=False)
        yield MarkedCheckbox(
            ACCEPT_LABEL,
            self._consent is not None,
            id="privacy-accept",
            disabled=self._consent is not None,
            tooltip="Required before the connection can be saved or signed in",
        )
        # Who accepted comes from config.toml: shown as visible plain text.
        yield Static(plain(_consent_text(self._consent)), id="privacy-consent")
        yield FieldProblem(id="privacy-error")

    def on_mount(self) -> None:
        self.set_class(self._consent is None, "-missing")

    @property
    def consent(self) -> Consent | None:
        """The recorded acceptance, if any."""
        return self._consent

    @property
    def accepted(self) -> bool:
        """True when consent is recorded or the box is ticked now."""
        return self.query_one("#privacy-accept", Checkbox).value

    def set_consent(self, consent: Consent | None) -> None:
        """Show a freshly recorded acceptance (or its absence)."""
        self._consent = consent
        box = self.query_one("#privacy-accept", Checkbox)
        box.value = consent is not None or box.value
        box.disabled = consent is not None
        self.query_one("#privacy-consent", Static).update(plain(_consent_text(consent)))
        self.set_class(consent is None, "-missing")

    def show_error(self, message: str) -> None:
        """Explain inline why the box must be ticked."""
        self.query_one("#privacy-error", FieldProblem).show(message)

    def focus_accept(self) -> None:
        """Put the focus on the accept box."""
        self.query_one("#privacy-accept", Checkbox).focus()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.value:
            self.query_one("#privacy-error", FieldProblem).show(None)
        if self._consent is None:  # "tick the box" would be stale once it is ticked
            text = TICKED_TEXT if event.value else _consent_text(None)
            self.query_one("#privacy-consent", Static).update(text)


def _consent_text(consent: Consent | None) -> str:
    if consent is None:
        return "Not accepted yet: tick the box to accept, then save."
    when = consent.accepted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"Accepted by {consent.accepted_by} on {when}."
