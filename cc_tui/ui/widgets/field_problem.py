"""FieldProblem: the line under a form field that says what is wrong with it (hidden when fine)."""

from __future__ import annotations

from textual.widgets import Static

from cc_tui.ui.outside_text import plain

__all__ = ["FieldProblem"]


class FieldProblem(Static):
    """A problem explained next to the field it concerns; empty means no problem."""

    DEFAULT_CSS = """
    FieldProblem { display: none; color: $text-error; height: auto; padding: 0 0 0 1; }
    FieldProblem.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self._text = ""

    @property
    def text(self) -> str:
        """The problem shown now ("" when there is none)."""
        return self._text

    def show(self, text: str | None) -> None:
        """Explain ``text`` (None or "" hides the line)."""
        text = text or ""
        if text == self._text:
            return
        self._text = text
        self.update(plain(f"✗ {text}", multiline=True) if text else "")
        self.set_class(bool(text), "-shown")
