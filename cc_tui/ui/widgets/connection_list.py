"""ConnectionList: the connections this user may see, and whether each is signed in."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from cc_tui.engine.connections import ConnectionStatus
from cc_tui.ui.widgets.named_table import NamedTable, TableColumn
from cc_tui.units import ago_text

__all__ = ["ConnectionList"]


class ConnectionList(NamedTable):
    """Connections to Constant Contact accounts. n adds one, enter or e edits and signs in."""

    HELP = (
        "Connections to Constant Contact accounts. **n** adds one (privacy consent, client ID, "
        "then sign in with the device flow), **enter**/**e** opens it to edit, test or sign in "
        "again, **d** removes it."
    )

    def __init__(self, *, id: str | None = None) -> None:
        # Narrow: who may use it goes first, then the display name; whether it is
        # signed in stays, since a run through it cannot start otherwise.
        columns = [
            TableColumn("name"),
            TableColumn("display name", drop=2),
            TableColumn("signed in"),
            TableColumn("usable by", drop=1),
        ]
        super().__init__(columns, id=id)

    def show_statuses(self, statuses: Sequence[ConnectionStatus]) -> None:
        """Show one row per connection."""
        rows = []
        for status in statuses:
            conn = status.connection
            signed: str | Text
            if not status.signed_in:
                signed = self.themed("no: press enter", "warning", bold=True)
            elif status.token_expires_at is not None:
                signed = f"yes (token {ago_text(status.token_expires_at)})"
            else:
                signed = "yes"
            usable = "admins" if conn.usable_by.value == "admins" else "contributors"
            rows.append((conn.name, [conn.name, conn.display_name, signed, usable]))
        self.show(rows)
