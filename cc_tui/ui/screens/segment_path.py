"""SegmentPathModal: add a segment by its path, seeing its columns and first rows first.

The path completes as it is typed (→ accepts); enter has the cc-tui service read what it holds
(for a path this user could read; a worker waits for it), so a wrong header shows at once: the
first row as column names. A CDM folder (or its ``model.json``) of several entities shows an
Entity choice instead, each entity marked with the segment that already reads it; choosing one
reads that entity. The name is derived from the file name (and the entity) until the person
types one. ctrl+s has the service write the ``[segments.NAME]`` entry (as ``cc-tui segment
add`` does) and dismisses with the name, or chooses the segment that already reads it; escape
leaves without a change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label, Select, Static

from cc_tui.engine.segments.entries import derive_segment_name, looks_like_name, make_source
from cc_tui.engine.sources import PathEntity
from cc_tui.errors import CcTuiError
from cc_tui.models.config import SegmentSource
from cc_tui.ui.host import host
from cc_tui.ui.keymap import ExplainsDisabledKeys, TakesTyping
from cc_tui.ui.outside_text import VisibleInInput, plain, plain_text
from cc_tui.ui.path_suggester import PathSuggester
from cc_tui.ui.widgets.field_problem import FieldProblem

if TYPE_CHECKING:
    from cc_tui.service.protocol import SegmentLookView

__all__ = ["SegmentPathModal"]

_HEADER_CHOICES = [
    ("header: as usual (files yes, Spark folders no)", "auto"),
    ("first line names the columns", "yes"),
    ("no header line: name the columns below", "no"),
]
_HEADER_VALUES = {"auto": None, "yes": True, "no": False}
_CHECK_NAME = "checking"  # options are checked before the name is known (it may be derived)
_ENTITY_PROMPT = "choose the entity to add"
_HOW_TO = "→ completes the path · enter reads it · ctrl+s adds it"
PREVIEW_ROWS = 5  # first rows shown of what the path holds


class SegmentPathModal(TakesTyping, ExplainsDisabledKeys, ModalScreen[str | None]):
    """Add a segment by path: dismisses with its name once added, None when cancelled."""

    HELP = (
        "Type the path of a segment file or folder (**→** completes it), **enter** reads its "
        "columns and first rows. If the first row shows as column names, choose *no header "
        "line* and name the columns. A CDM folder of several entities shows an *Entity* "
        "choice: pick the one to add. **ctrl+s** adds it to config.toml as [segments.NAME]."
    )
    DEFAULT_CSS = """
    SegmentPathModal { align: center middle; }
    SegmentPathModal > Vertical {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    SegmentPathModal .row { height: 1; }
    SegmentPathModal .row Label { width: 9; }
    SegmentPathModal #segment-path, SegmentPathModal #segment-columns { width: 1fr; }
    SegmentPathModal #segment-name { width: 30; }
    SegmentPathModal #segment-header, SegmentPathModal #segment-entity { width: 1fr; }
    SegmentPathModal #segment-entity-row { display: none; }
    SegmentPathModal #segment-summary { height: auto; color: $text-muted; }
    SegmentPathModal #segment-hint { height: auto; color: $text-warning; }
    SegmentPathModal DataTable { height: auto; max-height: 8; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "add",
            "Add",
            id="segment-path-add",
            tooltip="Check the segment and add it to config.toml",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="segment-path-cancel",
            tooltip="Close without adding a segment",
        ),
    ]

    def __init__(self, taken: Collection[str] = ()) -> None:
        super().__init__()
        self._taken = frozenset(taken)
        self._name_typed = False
        self._adding = False
        self._existing: str | None = None
        self._entities: tuple[PathEntity, ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical() as dialog:
            dialog.border_title = "Add a segment by its path"
            with Horizontal(classes="row"):
                yield Label("Path")
                yield Input(
                    placeholder="/data/exports/vip.csv, a folder, a model.json",
                    suggester=PathSuggester(),
                    id="segment-path",
                    compact=True,
                    highlighter=VisibleInInput(),
                )
            with Horizontal(classes="row", id="segment-entity-row"):
                yield Label("Entity")
                yield Select[str]([], prompt=_ENTITY_PROMPT, compact=True, id="segment-entity")
            with Horizontal(classes="row"):
                yield Label("Name")
                yield Input(
                    placeholder="from the file name",
                    id="segment-name",
                    compact=True,
                    highlighter=VisibleInInput(),
                )
            with Horizontal(classes="row"):
                yield Label("Header")
                yield Select(
                    _HEADER_CHOICES,
                    value="auto",
                    allow_blank=False,
                    compact=True,
                    id="segment-header",
                )
            with Horizontal(classes="row"):
                yield Label("Columns")
                yield Input(
                    placeholder="headerless file: Email,First,Last (in file order)",
                    id="segment-columns",
                    compact=True,
                    highlighter=VisibleInInput(),
                )
            yield Static(_HOW_TO, id="segment-summary", markup=False)
            yield DataTable[object](id="segment-preview", show_cursor=False, zebra_stripes=True)
            yield Static("", id="segment-hint", markup=False)
            yield FieldProblem(id="segment-problem")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#segment-path", Input).focus()

    # -- reading what the path holds -------------------------------------------------------

    def _source(self, *, for_check: bool) -> SegmentSource | None:
        """The entry the fields describe, or None with the problem shown."""
        path = self.query_one("#segment-path", Input).value.strip()
        if not path:
            self._problem("Type the path of a segment file or folder.")
            return None
        name = self.query_one("#segment-name", Input).value.strip()
        header = self.query_one("#segment-header", Select).value
        columns_text = self.query_one("#segment-columns", Input).value.strip()
        columns = columns_text.split(",") if columns_text else None
        try:
            return make_source(
                _CHECK_NAME if for_check else name,
                path,
                header=_HEADER_VALUES.get(str(header)),
                columns=columns,
                entity=self._entity(),
            )
        except CcTuiError as exc:
            self._problem(str(exc))
            return None

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._check_now()

    @on(Select.Changed, "#segment-header")
    def _header_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self.query_one("#segment-path", Input).value.strip():
            self._check_now()

    @on(Select.Changed, "#segment-entity")
    def _entity_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self._entity() is not None:
            self._check_now()

    @on(Input.Changed, "#segment-path")
    def _path_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._existing = None  # what was read belongs to the path before
        if self._entities:  # so do its entities, and what was said about them
            self._show_entities(())
            self.query_one("#segment-summary", Static).update(_HOW_TO)
            self._problem(None)

    def _entity(self) -> str | None:
        """The entity chosen, None when the path holds no choice of entities or none is made."""
        if not self._entities:
            return None
        value = self.query_one("#segment-entity", Select).value
        return value if isinstance(value, str) else None

    @on(Input.Changed, "#segment-name")
    def _name_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.query_one("#segment-name", Input).has_focus:
            self._name_typed = bool(event.value.strip())

    def _check_now(self) -> None:
        self._existing = None
        source = self._source(for_check=True)
        if source is not None:
            self._problem(None)
            self.query_one("#segment-summary", Static).update("Reading…")
            typed = self.query_one("#segment-name", Input).value.strip()
            self._check(source, typed if self._name_typed else None)

    @work(
        exclusive=True,
        group="segment-path-check",
        exit_on_error=False,
        description="Reading the segment",
    )
    async def _check(self, source: SegmentSource, typed: str | None) -> None:
        # Derived on a thread, not on the event loop: it looks at the path (a stat).
        entity = source.entity
        derived = (
            None
            if typed
            else await asyncio.to_thread(
                derive_segment_name, source.path, self._taken, entity=entity
            )
        )
        name = typed if typed and looks_like_name(typed) else derived or _CHECK_NAME
        try:
            checked = await host(self).client.check_segment(
                replace(source, name=name), rows=PREVIEW_ROWS
            )
        except CcTuiError as exc:
            self._unreadable(derived, str(exc))
            return
        if checked.entities:
            self._choose_entity(tuple(PathEntity(e, s) for e, s in checked.entities))
        elif checked.known is not None:
            self._known(checked.known, entity)
        elif checked.look is not None:
            self._show_look(derived, checked.look)

    def _set_name(self, name: str | None) -> None:
        if name is not None and not self._name_typed:
            field = self.query_one("#segment-name", Input)
            with field.prevent(Input.Changed):
                field.value = name

    def _show_entities(self, entities: tuple[PathEntity, ...]) -> None:
        """Offer ``entities`` in the Entity choice (none: hide it), nothing chosen yet."""
        self._entities = entities
        select = self.query_one("#segment-entity", Select)
        with select.prevent(Select.Changed):
            select.set_options(
                (
                    plain_text(
                        choice.entity
                        if choice.segment is None
                        else f"{choice.entity} (segment {choice.segment})"
                    ),
                    choice.entity,
                )
                for choice in entities
            )
        self.query_one("#segment-entity-row").display = bool(entities)

    def _choose_entity(self, entities: tuple[PathEntity, ...]) -> None:
        """The path holds several CDM entities: the person chooses which one to add."""
        self._show_entities(entities)
        self._set_name("")
        self.query_one("#segment-summary", Static).update(
            plain(
                f"{len(entities)} CDM entities here: choose one under Entity (enter opens "
                "the list)."
            )
        )
        self.query_one("#segment-preview", DataTable).clear(columns=True)
        self.query_one("#segment-hint", Static).update("")
        self._problem(None)
        self.query_one("#segment-entity", Select).focus()

    def _known(self, name: str, entity: str | None) -> None:
        """The path (or its entity) is a segment already: ctrl+s simply chooses it."""
        self._existing = name
        self._set_name(name)
        what = "This" if entity is None else f"The entity {entity}"
        header = _HEADER_VALUES.get(str(self.query_one("#segment-header", Select).value))
        typed = header is not None or self.query_one("#segment-columns", Input).value.strip()
        # The segment is chosen as it is: a header or column names typed here are not used.
        own = " (read with its own header and column names, not those typed here)" if typed else ""
        self.query_one("#segment-summary", Static).update(
            plain(f"{what} is already the segment {name}{own}: ctrl+s chooses it.")
        )
        self.query_one("#segment-preview", DataTable).clear(columns=True)
        self.query_one("#segment-hint", Static).update("")
        self._problem(None)

    def _unreadable(self, name: str | None, problem: str) -> None:
        self._set_name(name)
        self.query_one("#segment-summary", Static).update("")
        self.query_one("#segment-preview", DataTable).clear(columns=True)
        self.query_one("#segment-hint", Static).update("")
        self._problem(problem)

    def _show_look(self, name: str | None, look: SegmentLookView) -> None:
        self._set_name(name)
        entity = f"{look.entity} · " if look.entity is not None else ""
        delimiter = f" · delimiter {look.delimiter!r}" if look.delimiter else ""
        # How it is read (a Delta version, a CDM snapshot...) before the rows it shows: each
        # note a line of its own (outside text, made visible one line at a time).
        columns = f"{len(look.columns)} column{'' if len(look.columns) == 1 else 's'}"
        summary = f"{entity}{look.format_label}{delimiter} · {look.encoding} · {columns}; "
        notes = [_in_this_modal(note) for note in look.notes]
        self.query_one("#segment-summary", Static).update(
            Content("\n").join([plain(line) for line in [*notes, f"{summary}the first rows:"]])
        )
        table = self.query_one("#segment-preview", DataTable)
        table.clear(columns=True)
        table.add_columns(*(plain_text(column, style="bold") for column in look.columns))
        table.add_rows(
            [plain_text("" if value is None else value) for value in row] for row in look.rows
        )
        looks_like_data = any("@" in column for column in look.columns)
        self.query_one("#segment-hint", Static).update(
            "A column name holds an '@': the first line looks like data. If the file has no "
            "header line, choose 'no header line' and name the columns."
            if looks_like_data
            else ""
        )
        self._problem(None)

    # -- adding ------------------------------------------------------------------------------

    def why_disabled(self, action: str) -> str | None:
        """Why a dimmed key of the modal does nothing now."""
        return "Adding already: the segment is being read." if action == "add" else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add" and self._adding:
            return None
        return True

    def action_add(self) -> None:
        """Check the entry and write it to config.toml; close with its name."""
        if self._existing is not None:
            self.dismiss(self._existing)
            return
        if self._entities and self._entity() is None:
            self._problem("Choose the entity to add (Entity, above).")
            self.query_one("#segment-entity", Select).focus()
            return
        name_field = self.query_one("#segment-name", Input)
        if not name_field.value.strip():
            self._problem("Give the segment a name (enter on the path suggests one).")
            name_field.focus()
            return
        if name_field.value.strip() in self._taken:  # said here, in the app's words
            self._problem(
                f"A segment named '{name_field.value.strip()}' already exists: choose another "
                "name (enter on the path suggests a free one)."
            )
            name_field.focus()
            return
        source = self._source(for_check=False)
        if source is None:
            return
        self._adding = True
        self.refresh_bindings()
        self._add(source)

    @work(
        exclusive=True,
        group="segment-path-add",
        exit_on_error=False,
        description="Adding the segment",
    )
    async def _add(self, source: SegmentSource) -> None:
        """The service checks it and writes the entry (for a path this user could read)."""
        try:
            await host(self).client.add_segment(source)
        except CcTuiError as exc:
            self._add_failed(str(exc))
            return
        self._added(source)

    def _add_failed(self, problem: str) -> None:
        self._adding = False
        self.refresh_bindings()
        self._problem(problem)

    def _added(self, source: SegmentSource) -> None:
        entity = f"entity {source.entity} of " if source.entity is not None else ""
        self.notify(
            f"Added segment {source.name}: {entity}{source.path} ([segments.{source.name}] in "
            "config.toml).",
            title="Segment added",
        )
        self.dismiss(source.name)

    def action_cancel(self) -> None:
        """Close without adding anything."""
        self.dismiss(None)

    def _problem(self, text: str | None) -> None:
        self.query_one("#segment-problem", FieldProblem).show(text)


_GENERATED_NAMES_NOTE = "the file has no header line: "
"""How the reading notes begin for a headerless file read without column names."""


def _in_this_modal(note: str) -> str:
    """A reading note as this modal says it: a headerless file's columns are named in the
    Columns box here (the note itself, for segment add and show, points at config.toml)."""
    if not note.startswith(_GENERATED_NAMES_NOTE) or "; name them" not in note:
        return note
    said = note.split("; name them", 1)[0]
    return f"{said}; name them in Columns above (comma-separated, in file order), then enter."
