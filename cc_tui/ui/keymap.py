"""Binding ids users may remap in config.toml's [keymap] (binding id -> keys)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from textual.binding import Binding
from textual.dom import DOMNode

__all__ = ["known_binding_ids"]


@cache
def known_binding_ids() -> frozenset[str]:
    """Every binding id declared by the app, its screens and its widgets."""
    import cc_tui.ui.screens
    import cc_tui.ui.widgets
    from cc_tui.ui.app import CcTuiApp

    classes: list[type[DOMNode]] = [CcTuiApp]
    for package in (cc_tui.ui.screens, cc_tui.ui.widgets):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            classes += [
                v for v in vars(module).values() if isinstance(v, type) and issubclass(v, DOMNode)
            ]
    ids = set()
    for cls in classes:
        for binding in getattr(cls, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return frozenset(ids)
