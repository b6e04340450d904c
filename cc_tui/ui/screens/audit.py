"""AuditScreen: the audit log, newest first, with whether its hash chain is intact on top.

The chain is walked in a thread (a long log hashes for a while); until it answers the line at
the top says it is checking. Every cell is outside text (user names, subjects, reasons) and is
shown as plain text with control characters made visible.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cc_tui.errors import CcTuiError
from cc_tui.store.audit import SHORT_HASH, AuditEvent, AuditOutcome, AuditVerification
from cc_tui.ui.commands import PaletteCommand, ScreenCommands
from cc_tui.ui.host import AppHost, host
from cc_tui.ui.outside_text import plain, templated
from cc_tui.ui.widgets.named_table import NamedTable, TableColumn
from cc_tui.units import local_time_text

__all__ = ["AUDIT_LIMIT", "AuditScreen"]

AUDIT_LIMIT = 500  # entries listed, newest first (`cc-tui audit --limit N` reaches further)
_COLUMNS = (
    TableColumn("#"),
    TableColumn("at"),
    TableColumn("user"),
    TableColumn("action"),
    TableColumn("subject", drop=2),
    TableColumn("outcome"),
    TableColumn("detail", drop=1),
)
_OUTCOME_VARIABLE = {
    AuditOutcome.ALLOWED: "foreground",
    AuditOutcome.REFUSED: "error",
    AuditOutcome.FAILED: "warning",
}


class _AuditEntries(NamedTable):
    """The audit log's entries (its help note is the screen's)."""

    HELP = (
        "Every action, newest first: who did it (the OS user), what (the action and its "
        "subject) and its outcome: **allowed**, **refused** (the user's role does not allow "
        "it; nothing was done) or **failed** (with the reason). Entries are hash-chained: the "
        "line on top says whether the chain is intact, and marks ✘ the entry it names when it "
        "is not. **v** checks again; `cc-tui audit verify` does the same from the command line."
    )


class AuditScreen(Screen[None]):
    """Who did what, allowed or refused, and whether anyone edited the record of it."""

    COMMANDS: ClassVar = {ScreenCommands}
    DEFAULT_CSS = """
    AuditScreen #audit-state { height: auto; padding: 0 1; }
    AuditScreen #audit-state.-intact { color: $success; }
    AuditScreen #audit-state.-broken { color: $error; text-style: bold; }
    AuditScreen #audit-entries { height: 1fr; border: round $panel; }
    AuditScreen #audit-entries:focus { border: round $accent; }
    AuditScreen #audit-detail { height: auto; max-height: 6; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "v",
            "verify",
            "Verify",
            id="audit-verify",
            tooltip="Read the log again and walk its hash chain",
        ),
        Binding("escape", "back", "Back", id="audit-back", tooltip="Back"),
        Binding("b", "back", "Back", show=False, id="audit-back-alt", tooltip="Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._events: dict[str, AuditEvent] = {}
        self._broken: int | None = None
        self.verification: AuditVerification | None = None
        """The last walk of the chain (None: not answered yet)."""

    @property
    def cc_app(self) -> AppHost:
        """The app, as its screens see it."""
        return host(self)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Checking the hash chain…", id="audit-state")
        entries = _AuditEntries(_COLUMNS, id="audit-entries")
        entries.border_title = "audit log, newest first"
        yield entries
        yield Static(id="audit-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Audit log"
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._reload())
        self._reload()
        self.query_one("#audit-entries", NamedTable).focus()

    # -- loading ---------------------------------------------------------------------------------

    def _reload(self) -> None:
        self._load()

    @work(exclusive=True, group="audit-load", exit_on_error=False)
    async def _load(self) -> None:
        """Ask the service for the newest entries, then for the chain's check (administrators
        only: anyone else is refused, and the refusal is audited)."""
        try:
            events = await self.cc_app.client.audit(limit=AUDIT_LIMIT)
        except CcTuiError as exc:
            self.notify(str(exc), title="Cannot read the audit log", severity="error")
            events = []
        self._events = {str(event.seq): event for event in events}
        self._broken = None
        self._show_entries()
        if not events:
            self.query_one("#audit-detail", Static).update("No entries yet.")
        try:
            result: AuditVerification | str = await self.cc_app.client.verify_audit()
        except CcTuiError as exc:
            result = str(exc)
        self._show_verification(result)

    def _show_entries(self) -> None:
        table = self.query_one("#audit-entries", NamedTable)
        table.show([(name, self._cells(table, event)) for name, event in self._events.items()])

    def _cells(self, table: NamedTable, event: AuditEvent) -> list[str | Text]:
        broken = event.seq == self._broken  # the entry verify named is marked in the list
        return [
            table.themed(f"✘{event.seq}", "error", bold=True) if broken else str(event.seq),
            local_time_text(event.at),
            event.os_user,
            event.action,
            event.subject,
            table.themed(event.outcome.value, _OUTCOME_VARIABLE[event.outcome]),
            event.detail_text(),
        ]

    def _show_verification(self, result: AuditVerification | str) -> None:
        state = self.query_one("#audit-state", Static)
        if isinstance(result, str):
            self.verification = None
            state.set_classes("-broken")
            state.update(plain(f"✘ The audit log cannot be read: {result}", multiline=True))
            return
        self.verification = result
        state.set_class(result.intact, "-intact")
        state.set_class(not result.intact, "-broken")
        mark = "✔" if result.intact else "✘"
        lines = [f"{mark} {result.sentence()}", *result.notes]
        state.update(plain("\n".join(lines), multiline=True))
        if result.broken_seq is not None and str(result.broken_seq) in self._events:
            self._broken = result.broken_seq
            self._show_entries()

    def on_named_table_highlighted(self, event: NamedTable.Highlighted) -> None:
        event.stop()
        entry = self._events.get(event.name or "")
        detail = self.query_one("#audit-detail", Static)
        if entry is None:
            return
        detail.update(
            templated(
                "[b]#$seq[/b] $at UTC · $user · $action $subject · [b]$outcome[/b]\n"
                "[dim]hash $hash… after $prev…[/dim]\n$detail",
                seq=entry.seq,
                at=entry.at.strftime("%Y-%m-%d %H:%M:%S"),
                user=entry.os_user,
                action=entry.action,
                subject=entry.subject,
                outcome=entry.outcome.value,
                detail=entry.detail_text() or "(no detail)",
                hash=entry.hash[:SHORT_HASH],
                prev=entry.prev_hash[:SHORT_HASH],
            )
        )

    # -- actions ---------------------------------------------------------------------------------

    def action_verify(self) -> None:
        """Read the log again and walk its chain."""
        self.query_one("#audit-state", Static).update("Checking the hash chain…")
        self._reload()

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.dismiss(None)

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """What the audit screen offers."""
        yield PaletteCommand(
            "audit: Verify the chain", "Read again and check for edits (v)", self.action_verify
        )
        yield PaletteCommand(
            "audit: Back", "Back to the previous screen (escape)", self.action_back
        )
