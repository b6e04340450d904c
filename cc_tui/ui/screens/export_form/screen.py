"""ExportFormScreen: a new export, or changes to one; ctrl+s saves it (saving never runs it).

Connection (only those this user may use), lists (picked by name or pasted id), segments in
order, the column mapping, and an optional schedule. Problems are checked as the person types
and explained beside the field they concern; a refused save focuses the first of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Select, Static

from cc_tui.engine.exports import build_export
from cc_tui.errors import CcTuiError
from cc_tui.models.config import Export
from cc_tui.ui.commands import PaletteCommand, ScreenCommands
from cc_tui.ui.host import host
from cc_tui.ui.keymap import ExplainsDisabledKeys, TakesTyping
from cc_tui.ui.messages import ConfigChanged
from cc_tui.ui.outside_text import VisibleInInput, plain
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.screens.export_form.account import ExportAccount
from cc_tui.ui.screens.export_form.checks import (
    FormContext,
    FormValues,
    error_key,
    form_problems,
    guess_columns,
    unchecked_note,
)
from cc_tui.ui.screens.export_form.segments import ExportSegments
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.list_picker import ListPicker
from cc_tui.ui.widgets.mapping_editor import MappingEditor
from cc_tui.ui.widgets.schedule_field import ScheduleField
from cc_tui.ui.widgets.segment_picker import SegmentPicker

__all__ = ["ExportFormScreen"]

WIDE_FROM = 140
"""From this many columns the form shows two columns side by side."""


class ExportFormScreen(TakesTyping, ExplainsDisabledKeys, Screen[str | None]):
    """Export form: dismisses with the export's name when saved, None when cancelled.

    The account section (:class:`ExportAccount`) and the segment section
    (:class:`ExportSegments`) fetch and read in their own workers; the screen lays them out,
    checks the whole form when they learn something, and saves.
    """

    COMMANDS = {ScreenCommands}  # noqa: RUF012 (typed by textual.Screen)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_FROM, "-wide")]  # noqa: RUF012
    DEFAULT_CSS = """
    ExportFormScreen #form { padding: 0 1; }
    ExportFormScreen #columns { height: auto; layout: vertical; }
    ExportFormScreen.-wide #columns { layout: horizontal; }
    ExportFormScreen .column { height: auto; width: 1fr; }
    ExportFormScreen.-wide #col-left { margin-right: 2; }
    ExportFormScreen.-wide ListPicker SelectionList { max-height: 14; }
    ExportFormScreen .section { text-style: bold; color: $accent; margin-top: 1; }
    ExportFormScreen #name, ExportFormScreen #connection { width: 40; }
    ExportFormScreen #connection-status { color: $text-muted; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "save",
            "Save",
            id="export-form-save",
            tooltip="Check and save the export (saving never runs it)",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="export-form-cancel",
            tooltip="Close the form (asks first when there are unsaved changes)",
        ),
        Binding(
            "ctrl+n",
            "add_attribute",
            "Add field",
            id="export-form-add-attribute",
            tooltip="Map another Constant Contact field or a custom field",
        ),
        Binding(
            "ctrl+r",
            "reload_lists",
            # It fetches the custom fields too; and "Reload lists" cut "f1 Help" at 80 columns.
            "Reload",
            id="export-form-reload-lists",
            tooltip="Fetch the account's lists and custom fields again",
        ),
        # Not in the footer (six keys at most): the picker's button says "(ctrl+o)".
        Binding(
            "ctrl+o",
            "add_segment",
            "Add segment",
            id="export-form-add-segment",
            show=False,
            tooltip="Add a segment file or folder by its path",
        ),
    ]

    def __init__(self, export: str | None = None) -> None:
        super().__init__()
        self._call: Callable[..., object] = self._not_mounted
        self._guessed = export is not None  # an edited export keeps its mapping
        self._recheck_pending = False
        self._editing = export
        self._export: Export | None = None
        self._baseline: FormValues | None = None
        self._attempted = False
        self._saving = False
        self._existing: frozenset[str] = frozenset()
        self._gone = ""

    # -- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        export = self._export = None
        if self._editing:
            views = host(self).view.exports
            export = self._export = next((e for e in views if e.name == self._editing), None)
            if export is None:  # removed meanwhile (by the command line, say)
                self._gone = f"There is no export named '{self._editing}' that you may see."
                yield Static(plain(self._gone, multiline=True))
                return
        with VerticalScroll(id="form"), Container(id="columns"):
            with Vertical(id="col-left", classes="column"):
                yield Label("Name", classes="section")
                yield Input(
                    export.name if export else "",
                    id="name",
                    compact=True,
                    highlighter=VisibleInInput(),
                    disabled=export is not None,
                    placeholder="e.g. spring-promo",
                )
                yield FieldProblem(id="name-problem")
                yield ExportAccount(export, id="account")
                yield ExportSegments(export.segments if export else (), id="segment-section")
            with Vertical(id="col-right", classes="column"):
                yield Label("Mapping: segment column → Constant Contact field", classes="section")
                yield MappingEditor(export.mapping if export else None, id="mapping")
                yield Label("Schedule (cron, UTC)", classes="section")
                yield ScheduleField(
                    export.schedule if export else None,
                    on_refresh=export.on_refresh if export else False,
                    id="schedule",
                )
                yield FieldProblem(id="form-problem")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Edit export {self._editing}" if self._editing else "New export"
        # What the footer cannot say, short enough for 80 columns beside "Edit export NAME"
        # (the footer names the keys: "^s saves ... · esc cancels" was cut to "esc …").
        self.sub_title = "saving does not run it"
        if self._gone:
            self.notify(self._gone, title="Export", severity="error")
            self.call_later(self.dismiss, None)
            return
        self._call = self.app.call_from_thread
        self._existing = frozenset(export.name for export in host(self).view.exports)
        if self._editing:
            self.query_one("#connection", Select).focus()
        else:
            self.query_one("#name", Input).focus()
        self.call_after_refresh(self._remember_baseline)

    def _remember_baseline(self) -> None:
        self._baseline = self._values()

    @staticmethod
    def _not_mounted(*_args: object) -> None:
        raise RuntimeError("the export form is not mounted")

    def _connection(self) -> str | None:
        return self.query_one(ExportAccount).connection

    # -- what the sections learnt ----------------------------------------------------------------

    @on(ExportAccount.Learnt)
    def _account_learnt(self) -> None:
        self.refresh_bindings()  # reloading the lists needs a connection
        self._recheck()

    @on(ExportSegments.ColumnsKnown)
    def _columns_known(self, message: ExportSegments.ColumnsKnown) -> None:
        editor = self.query_one(MappingEditor)
        editor.set_columns(message.columns, message.samples, known=message.known)
        if message.known and message.columns and not self._guessed:
            self._guessed = True
            editor.guess(guess_columns(message.columns))
        # The chosen segments changed: what was said about their columns may no longer hold.
        self._recheck()

    def _recheck(self) -> None:
        """Re-check the form once, after the current burst of changes has been handled."""
        if not self._recheck_pending:
            self._recheck_pending = True
            self.call_later(self._run_recheck)

    def _run_recheck(self) -> None:
        self._recheck_pending = False
        if self.is_attached:
            self._validate()

    # -- checking --------------------------------------------------------------------------------

    def _values(self) -> FormValues:
        connection = self.query_one("#connection", Select).selection
        return FormValues(
            name=self.query_one("#name", Input).value.strip(),
            connection=connection if isinstance(connection, str) else None,
            list_ids=self.query_one(ListPicker).chosen,
            segments=self.query_one(SegmentPicker).chosen,
            mapping=self.query_one(MappingEditor).values,
            schedule=self.query_one(ScheduleField).value,
            on_refresh=self.query_one(ScheduleField).on_refresh,
        )

    def _form_context(self, *, saving: bool) -> FormContext:
        pending = self.query_one(ListPicker).unmatched_text
        account = self.query_one(ExportAccount).facts
        segments = self.query_one(ExportSegments).facts
        return FormContext(
            editing=self._editing is not None,
            existing=self._existing,
            lists=account.lists,
            verified_lists=account.verified,
            pending_list_text=pending if saving or pending == account.entered else None,
            refused_lists=account.refused,
            columns=segments.columns,
            segments_found=segments.found,
            segment_errors=segments.errors,
            account_fields=account.fields,
            list_names=account.list_names,
            lists_error=account.lists_error,
            fields_error=account.fields_error,
        )

    def _validate(
        self, *, saving: bool = False, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        saving = saving or self._attempted
        problems = form_problems(self._values(), self._form_context(saving=saving), saving=saving)
        schedule = self.query_one(ScheduleField)
        if schedule.problem:
            problems["schedule"] = schedule.problem
        problems.update(extra or {})
        self.query_one("#name-problem", FieldProblem).show(problems.get("name"))
        self.query_one("#connection-problem", FieldProblem).show(problems.get("connection"))
        self.query_one(ListPicker).show_problem(problems.get("lists"))
        self.query_one(SegmentPicker).show_problem(problems.get("segments"))
        self.query_one(MappingEditor).show_problems(problems)
        schedule.show_problem(problems.get("schedule"))
        self.query_one("#form-problem", FieldProblem).show(problems.get("form"))
        return problems

    def _focus_field(self, key: str) -> None:
        focus: dict[str, Callable[[], object]] = {
            "name": self.query_one("#name", Input).focus,
            "connection": self.query_one("#connection", Select).focus,
            "lists": self.query_one(ListPicker).focus_filter,
            "segments": self.query_one(SegmentPicker).focus_options,
            "schedule": self.query_one(ScheduleField).focus_input,
            "form": lambda: None,
        }
        focus.get(key, lambda: self.query_one(MappingEditor).focus_field(key))()

    @on(Input.Changed)
    @on(MappingEditor.Changed)
    @on(ListPicker.Changed)
    def _changed(self) -> None:
        self._recheck()

    # -- saving ------------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Check everything; save when fine, else explain and focus the first problem."""
        self._attempted = True
        problems = self._validate(saving=True)
        if problems:
            self._refused_save(problems)
            return
        values = self._values()
        mapping = values.mapping
        rows = mapping.attributes
        try:
            export = build_export(
                self._editing or values.name,
                connection=values.connection or "",
                list_ids=values.list_ids,
                segments=values.segments,
                email=mapping.email or "",
                first_name=mapping.first_name,
                last_name=mapping.last_name,
                attributes=[(r.field, r.column) for r in rows if r.field and r.column],
                schedule=values.schedule or None,
                enabled=self._export.enabled if self._export else True,
            )
            if self._export is not None:  # what the form does not edit is kept as it was
                export = replace(
                    export, quiet_seconds=self._export.quiet_seconds, missed=self._export.missed
                )
            export = replace(export, on_refresh=values.on_refresh)
        except CcTuiError as exc:
            self._save_failed(exc)
            return
        self._saving = True
        self.refresh_bindings()
        self._save(export)

    @work(
        exclusive=True,
        group="export-form-save",
        exit_on_error=False,
        description="Saving the export",
    )
    async def _save(self, export: Export) -> None:
        """The service checks and saves it, as this app's OS user."""
        try:
            await host(self).client.save_export(export, replace=self._editing is not None)
        except CcTuiError as exc:
            self._save_failed(exc)
            return
        await host(self).fetch_view()  # the home screen shows what was saved
        self._saved(export.name)

    def _save_failed(self, exc: CcTuiError) -> None:
        self._saving = False
        self.refresh_bindings()
        self._refused_save(self._validate(saving=True, extra={error_key(exc): str(exc)}))

    def _refused_save(self, problems: dict[str, str]) -> None:
        self._focus_field(next(iter(problems)))
        count = len(problems)
        self.notify(
            f"Not saved: {count} problem{'s' if count > 1 else ''}, explained beside the fields.",
            title="Export",
            severity="warning",
        )

    def _saved(self, name: str) -> None:
        self.app.post_message(ConfigChanged())
        steps = host(self).next_steps
        note = unchecked_note(self._values(), self._form_context(saving=True), steps)
        self.notify(
            f"Saved export {name}. It has not run: start it from the home screen."
            + (f" {note}" if note else ""),
            title="Export saved",
            severity="warning" if note else "information",
            markup=False,
        )
        self.dismiss(name)

    # -- actions -----------------------------------------------------------------------------------

    def why_disabled(self, action: str) -> str | None:
        """Why a dimmed key of the form does nothing now."""
        if action == "save":
            return "Saving already: the form closes when it is saved."
        if action == "reload_lists":
            return "Choose a connection first: the lists come from its account."
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save" and self._saving:
            return None
        if action == "reload_lists":
            # The lists come from a connection's account: with none chosen it does not apply.
            return self._connection() is not None
        return True

    def action_cancel(self) -> None:
        """Close; ask first when something changed."""
        if self._baseline is None or self._values() == self._baseline:
            self.dismiss(None)
            return

        def decided(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmModal("Discard the changes to this export?", yes="Discard", no="Keep editing"),
            decided,
        )

    def action_reload_lists(self) -> None:
        """Fetch the account's lists and custom fields (again)."""
        self.query_one(ExportAccount).reload()

    def action_add_segment(self) -> None:
        """Add a segment by its path (a modal); once added it is chosen."""
        self.query_one(ExportSegments).add_segment()

    async def action_add_attribute(self) -> None:
        """Add an attribute row and put the cursor in it."""
        row = await self.query_one(MappingEditor).add_attribute()
        self.call_after_refresh(row.focus_part, "field")  # once laid out, so it scrolls to it

    def palette_commands(self) -> Iterable[PaletteCommand]:
        """Save, add an attribute, reload the lists (when a connection is chosen)."""
        yield PaletteCommand("export: Save", "Check and save (it does not run)", self.action_save)
        yield PaletteCommand(
            "export: Add field",
            "Map another Constant Contact field",
            lambda: self.run_action("add_attribute"),
        )
        yield PaletteCommand(
            "export: Add segment by path",
            "A segment file or folder that is not listed yet",
            self.action_add_segment,
        )
        if self._connection() is not None:
            yield PaletteCommand(
                "export: Reload lists", "Fetch the account's lists again", self.action_reload_lists
            )
        yield PaletteCommand("export: Cancel", "Close the form without saving", self.action_cancel)
