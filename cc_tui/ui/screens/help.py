"""HelpModal (F1, ?): the focused widget's note, then the app's own keys grouped by screen.

Only cc-tui's actions are listed, each with its key (after any ``[keymap]`` remap) and its
binding id, the name users remap it by. Bindings that Textual's own widgets bring (scrolling,
cursor keys of inputs) are left out: they work as in every Textual app and would bury ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.keys import format_key
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Markdown

from cc_tui.ui.host import host

__all__ = ["HelpModal", "KeyGroup", "help_text", "key_groups"]

OWN_PACKAGE = "cc_tui."  # classes from here are the app's own; the rest is Textual's


@dataclass(frozen=True, slots=True)
class KeyGroup:
    """A screen's keys: the screen's own, then those of the widgets it shows."""

    title: str
    screen: type[DOMNode]
    widgets: tuple[tuple[str, type[DOMNode]], ...] = ()


def key_groups(app: type[DOMNode]) -> list[KeyGroup]:
    """Every screen of the app with the widgets that bring keys of their own, and the app.

    The app's class comes in as ``app``: the app opens this screen, so importing it here would
    close an import circle.
    """
    from cc_tui.ui.screens.audit import AuditScreen
    from cc_tui.ui.screens.confirm import ConfirmModal
    from cc_tui.ui.screens.connection_form import ConnectionFormModal
    from cc_tui.ui.screens.export_form.screen import ExportFormScreen
    from cc_tui.ui.screens.history import HistoryScreen
    from cc_tui.ui.screens.home import HomeScreen
    from cc_tui.ui.screens.run import RunScreen
    from cc_tui.ui.screens.schedule import ScheduleScreen
    from cc_tui.ui.screens.segment_path import SegmentPathModal
    from cc_tui.ui.widgets.attribute_row import AttributeRow
    from cc_tui.ui.widgets.batch_table import BatchTable
    from cc_tui.ui.widgets.list_picker import ListPicker
    from cc_tui.ui.widgets.named_table import NamedTable
    from cc_tui.ui.widgets.rejected_rows import RejectedRows

    return [
        KeyGroup("Home", HomeScreen, (("lists", NamedTable),)),
        KeyGroup("Run view", RunScreen, (("rejected rows", RejectedRows),)),
        KeyGroup(
            "Run history",
            HistoryScreen,
            (("lists", NamedTable), ("batches", BatchTable), ("rejected rows", RejectedRows)),
        ),
        KeyGroup("Audit log", AuditScreen, (("lists", NamedTable),)),
        KeyGroup("Schedule", ScheduleScreen, (("lists", NamedTable),)),
        KeyGroup(
            "Export form",
            ExportFormScreen,
            (("lists picker", ListPicker), ("field row", AttributeRow)),
        ),
        KeyGroup("Connection form", ConnectionFormModal),
        KeyGroup("Add a segment by path", SegmentPathModal),
        KeyGroup("Confirmation", ConfirmModal),
        KeyGroup("Help", HelpModal),
        KeyGroup("Anywhere", app),
    ]


class HelpModal(ModalScreen[None]):
    """Closing it puts focus back where it was (the screen below keeps its focus)."""

    DEFAULT_CSS = """
    HelpModal { align: center middle; }
    HelpModal > VerticalScroll {
        width: 90; max-width: 95%; height: 90%; border: thick $primary; background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="help-close", tooltip="Back to where you were"),
        Binding("f1", "close", "Close", show=False, id="help-close-f1"),
        Binding("question_mark", "close", "Close", show=False, id="help-close-alt"),
    ]

    def __init__(self, screen: Screen[object], focused: Widget | None) -> None:
        super().__init__()
        keymap = host(screen).view.keymap
        self._text = help_text(screen, focused, keymap)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(self._text)
        # Its own footer: the one below is the screen's, whose keys do nothing here.
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        """Back to the screen below."""
        self.dismiss(None)


def help_text(screen: Screen[object], focused: Widget | None, keymap: Mapping[str, str]) -> str:
    """Markdown: the focused widget's note, this screen's keys, then every other screen's."""
    groups = key_groups(type(screen.app))
    here = next((g for g in groups if isinstance(screen, g.screen)), None)
    doc = (screen.__class__.__doc__ or screen.__class__.__name__).strip().splitlines()[0]
    parts = [f"# Help: {here.title if here else doc}"]
    note = _focused_note(focused)
    if note:
        parts.append(note)
    ordered = ([here] if here else []) + [g for g in groups if g is not here]
    for group in ordered:
        mark = " (this screen)" if group is here else ""
        rows = _rows(group, keymap)
        if rows:
            parts.append(f"## {group.title}{mark}\n\n| key | does | binding id |\n|---|---|---|")
            parts[-1] += "".join(f"\n| `{key}` | {does} | `{id_}` |" for key, does, id_ in rows)
    parts.append(
        "Every action is also in the command palette (**ctrl+p**). Keys can be remapped in "
        'config.toml: `[keymap]` with `binding-id = "keys"` (several keys: `"f5,ctrl+r"`). '
        "Scrolling and text editing keys work as in any terminal app."
    )
    return "\n\n".join(parts)


def _focused_note(focused: Widget | None) -> str:
    """The note of the nearest app widget around the focus (Textual's own have none here)."""
    if focused is None:
        return ""
    for node in focused.ancestors_with_self:
        if isinstance(node, Screen):
            break  # above the screen is the app, whose docstring says nothing of the focus
        if not _own(type(node)):
            continue
        note = getattr(node, "HELP", None) or (node.__class__.__doc__ or "").strip()
        if note:
            return f"## {_title(node)}\n\n{note}"
    return ""


def _title(node: DOMNode) -> str:
    """What the person sees the widget called: its pane's border title (``Exports``), else its
    class name in words (``Export list``), never a bare class name."""
    for around in node.ancestors_with_self:
        title = getattr(around, "border_title", None)
        if title and not isinstance(around, Screen):
            return str(title)
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", type(node).__name__)
    return " ".join([words[0], *(word.lower() for word in words[1:])]) if words else ""


def _rows(group: KeyGroup, keymap: Mapping[str, str]) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    sources: list[tuple[str, type[DOMNode]]] = [("", group.screen), *group.widgets]
    for area, cls in sources:
        for binding in _own_bindings(cls):
            if binding.id is None or binding.id in seen:
                continue
            seen.add(binding.id)
            keys = keymap.get(binding.id, binding.key)
            does = binding.tooltip or binding.description or binding.action
            rows.append((_keys(keys), f"{area}: {does}" if area else does, binding.id))
    return rows


def _own_bindings(cls: type[DOMNode]) -> Iterable[Binding]:
    """Bindings declared by the app's classes in ``cls``'s ancestry (not Textual's)."""
    for klass in cls.__mro__:
        if _own(klass) and "BINDINGS" in klass.__dict__:
            yield from (b for b in klass.__dict__["BINDINGS"] if isinstance(b, Binding))


def _own(cls: type) -> bool:
    return cls.__module__.startswith(OWN_PACKAGE)


def _keys(keys: str) -> str:
    """``ctrl+s,question_mark`` as ``ctrl+s`` / ``?``: the names people type."""
    shown = []
    for key in keys.split(","):
        *modifiers, name = key.strip().split("+")
        shown.append("+".join([*modifiers, format_key(name)]))
    return " / ".join(shown)
