"""The export form's account section: the connection, and what its account tells.

:class:`ExportAccount` shows the connection choice and the list picker, and asks Constant Contact
in its own async workers: the account's lists, a pasted list id checked on its own, the custom
field names. What it learnt is :attr:`ExportAccount.facts`; each time that changes it posts
:class:`ExportAccount.Learnt`, and the form checks itself again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, Select, Static

from cc_tui.errors import CcTuiError
from cc_tui.models.api_rules import is_uuid
from cc_tui.models.config import Export
from cc_tui.models.connection import Connection
from cc_tui.ui.host import host
from cc_tui.ui.outside_text import plain_text
from cc_tui.ui.screens.export_form.data import (
    check_list,
    fetch_custom_fields,
    fetch_error,
    fetch_lists,
)
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.list_picker import ListPicker

__all__ = ["AccountFacts", "ExportAccount"]

_UNSET = "\0unset"


def _label(conn: Connection) -> Text:
    if conn.display_name == conn.name:
        return plain_text(conn.name)
    return plain_text(f"{conn.name} ({conn.display_name})")


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the account told the form so far (None: not known, with the error if it failed)."""

    lists: frozenset[str] | None = None
    list_names: dict[str, str] = field(default_factory=dict)
    lists_error: CcTuiError | None = None  # why the lists could not be fetched
    fields: frozenset[str] | None = None
    fields_error: CcTuiError | None = None
    verified: frozenset[str] = frozenset()  # pasted ids the account confirmed
    refused: dict[str, str] = field(default_factory=dict)  # pasted ids it refused, and why
    entered: str | None = None  # the text last entered in the picker that matched no list


class ExportAccount(Vertical):
    """Connection (only those this user may use) and lists, with what the account tells."""

    DEFAULT_CSS: ClassVar[str] = "ExportAccount { height: auto; }"

    @dataclass(eq=False)
    class Learnt(Message):
        """The connection changed, or the account told something new: check the form again."""

    def __init__(self, export: Export | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._export = export
        self._account_for: str | None = _UNSET
        self._lists: frozenset[str] | None = None
        self._list_names: dict[str, str] = {}
        self._lists_error: CcTuiError | None = None
        self._fields: frozenset[str] | None = None
        self._fields_error: CcTuiError | None = None
        self._verified: set[str] = set()
        self._refused: dict[str, str] = {}
        self._entered: str | None = None

    def compose(self) -> ComposeResult:
        yield Label("Connection", classes="section")
        yield self._connection_select()
        yield Static("", id="connection-status", markup=False)
        yield FieldProblem(id="connection-problem")
        yield Label("Lists", classes="section")
        yield ListPicker(self._export.list_ids if self._export else (), id="lists")

    def on_mount(self) -> None:
        self._connection_changed()

    # -- what the form reads ---------------------------------------------------------------------

    @property
    def connection(self) -> str | None:
        """The chosen connection's name (None: none chosen)."""
        value = self.query_one("#connection", Select).selection
        return value if isinstance(value, str) else None

    @property
    def facts(self) -> AccountFacts:
        """What the account told so far."""
        return AccountFacts(
            lists=self._lists,
            list_names=dict(self._list_names),
            lists_error=self._lists_error,
            fields=self._fields,
            fields_error=self._fields_error,
            verified=frozenset(self._verified),
            refused=dict(self._refused),
            entered=self._entered,
        )

    def reload(self) -> None:
        """Fetch the account's lists and custom fields (again)."""
        name = self.connection
        if name is not None:
            self._fetch_lists(name)
            self._fetch_fields(name)

    # -- the connection --------------------------------------------------------------------------

    def _usable_connections(self) -> list[Connection]:
        # Those this user may see whose privacy consent is recorded (the engine's "usable").
        statuses = host(self).view.connections
        return [s.connection for s in statuses if s.connection.consent is not None]

    def _connection_select(self) -> Select[str]:
        """The Select of connections this user may use, preset for the export."""
        export = self._export
        usable = self._usable_connections()
        names = [conn.name for conn in usable]
        options = [(_label(conn), conn.name) for conn in usable]
        value: str | object = Select.NULL
        if export is not None and export.connection in names:
            value = export.connection
        elif export is None and len(names) == 1:
            value = names[0]
        prompt = "(choose a connection)" if usable else "(no connection you may use)"
        return Select(options, prompt=prompt, value=value, compact=True, id="connection")  # type: ignore[arg-type]

    @on(Select.Changed, "#connection")
    def _connection_changed(self) -> None:
        name = self.connection
        if name == self._account_for:
            return
        self._account_for = name
        self._lists, self._fields = None, None
        self._lists_error = self._fields_error = None
        self._verified.clear()
        self._refused.clear()
        status = self.query_one("#connection-status", Static)
        if name is None and not self._usable_connections():
            # Nothing to choose: say where connections are made, not "choose one".
            new = host(self).key_for("home-new")
            status.update(
                "No connection you may use yet: add one on the home screen (Connections, "
                f"{new}) and accept its privacy statement, then come back here."
            )
            self.query_one(ListPicker).set_error("The lists come from a connection's account.")
        elif name is None:
            status.update("Lists and custom fields come from the connection's account.")
            self.query_one(ListPicker).set_error("Choose a connection to see its lists.")
        else:
            statuses = host(self).view.connections
            signed_in = any(s.signed_in for s in statuses if s.connection.name == name)
            status.update("Signed in." if signed_in else "Not signed in yet (see Lists below).")
            self.reload()
        self.post_message(self.Learnt())

    # -- fetching (async workers) ----------------------------------------------------------------

    @work(
        exclusive=True,
        group="export-form-lists",
        exit_on_error=False,
        description="Fetching contact lists",
    )
    async def _fetch_lists(self, name: str) -> None:
        picker = self.query_one(ListPicker)
        picker.show_fetching(f"Fetching the lists of {name}…")
        app = host(self)
        try:
            lists = await fetch_lists(app.client, name)
        except CcTuiError as exc:
            self._lists, self._lists_error = None, exc
            reload_key = app.key_for("export-form-reload-lists")
            picker.set_error(fetch_error(exc, name, app.next_steps, reload_key))
        else:
            self._lists, self._lists_error = frozenset(choice.list_id for choice in lists), None
            self._list_names = {choice.list_id: choice.name for choice in lists}
            picker.set_lists(lists)
        self.post_message(self.Learnt())

    @work(
        exclusive=True,
        group="export-form-fields",
        exit_on_error=False,
        description="Fetching custom fields",
    )
    async def _fetch_fields(self, name: str) -> None:
        try:
            self._fields = await fetch_custom_fields(host(self).client, name)
            self._fields_error = None
        except CcTuiError as exc:
            # Not known: custom field names are not checked, and saving says so.
            self._fields, self._fields_error = None, exc
        self.post_message(self.Learnt())

    @on(ListPicker.IdEntered)
    def _id_entered(self, event: ListPicker.IdEntered) -> None:
        """Enter on text that matches no list: refuse it, or check the id with the account."""
        self._entered = event.text
        name = self.connection
        if is_uuid(event.text) and self._lists is None and name is not None:
            self._check_list(name, event.text)
        self.post_message(self.Learnt())
        self.query_one(ListPicker).focus_filter()

    @work(
        exclusive=True,
        group="export-form-list-check",
        exit_on_error=False,
        description="Checking the list id",
    )
    async def _check_list(self, name: str, list_id: str) -> None:
        found = await check_list(host(self).client, name, list_id)
        if isinstance(found, str):
            self._refused[list_id] = found
        else:
            self._verified.add(found.list_id)
            self.query_one(ListPicker).add_list(found)
        self.post_message(self.Learnt())
