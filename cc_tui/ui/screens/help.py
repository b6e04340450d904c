"""HelpModal (F1, ?): the focused widget's note and every key that works here."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Markdown

__all__ = ["HelpModal"]


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
        self._text = _help_text(screen, focused)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(self._text)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        """Back to the screen below."""
        self.dismiss(None)


def _help_text(screen: Screen[object], focused: Widget | None) -> str:
    parts = [f"# Help: {screen.__class__.__doc__ or screen.__class__.__name__}".splitlines()[0]]
    if focused is not None:
        # The nearest widget that has a note: an Input inside a form row has none itself.
        owner = next(
            (node for node in focused.ancestors_with_self if getattr(node, "HELP", None)), focused
        )
        note = getattr(owner, "HELP", None) or (owner.__class__.__doc__ or "").strip()
        title = getattr(owner, "border_title", None) or owner.__class__.__name__
        parts.append(f"## {title}\n\n{note}")
    parts.append("## Keys\n\n| key | does | binding id |\n|---|---|---|")
    seen: set[tuple[str, str]] = set()
    nodes = [focused, *(focused.ancestors_with_self if focused else [])] if focused else []
    for node in [*nodes, screen, screen.app]:
        if node is None:
            continue
        for binding in getattr(node.__class__, "BINDINGS", []):
            if not isinstance(binding, Binding) or (binding.key, binding.action) in seen:
                continue
            seen.add((binding.key, binding.action))
            does = binding.tooltip or binding.description or binding.action
            parts[-1] += f"\n| `{binding.key}` | {does} | {binding.id or ''} |"
    parts.append(
        "Every action is also in the command palette (**ctrl+p**). Keys can be "
        'remapped in config.toml: `[keymap]` with `binding-id = "keys"`.'
    )
    return "\n\n".join(parts)
