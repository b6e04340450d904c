"""The catalogue of keys: every binding the app, its screens and its widgets declare, by id.

Binding ids are what users remap in config.toml's [keymap] (binding id -> keys); this module
finds them all, names the key a hint should show (:func:`shown_key`), and refuses remaps that
would give a text-field screen a key that types (:func:`typed_remaps`). It walks the screens
and widgets packages, so only the app (above them) uses it; the app hands in its own class.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.dom import DOMNode

import cc_tui.ui.screens
import cc_tui.ui.widgets
from cc_tui.ui.keymap import TakesTyping, typeable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from textual.app import App

__all__ = ["binding_by_id", "known_binding_ids", "shown_key", "typed_remaps", "typing_screens"]


@cache
def _screens_and_widgets() -> tuple[type[DOMNode], ...]:
    """Every screen and widget class of the app."""
    classes: list[type[DOMNode]] = []
    for package in (cc_tui.ui.screens, cc_tui.ui.widgets):
        # walk_packages: a screen may be a package of its own (the export form).
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            classes += [
                v for v in vars(module).values() if isinstance(v, type) and issubclass(v, DOMNode)
            ]
    return tuple(dict.fromkeys(classes))


@cache
def _bindings_by_id(app: type[DOMNode]) -> dict[str, Binding]:
    """Every binding the app, its screens and its widgets declare, by id."""
    found: dict[str, Binding] = {}
    for cls in (app, *_screens_and_widgets()):
        for binding in getattr(cls, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                found.setdefault(binding.id, binding)
    return found


def known_binding_ids(app: type[DOMNode]) -> frozenset[str]:
    """Every binding id declared by the app (its class), its screens and its widgets."""
    return frozenset(_bindings_by_id(app))


@cache
def typing_screens() -> tuple[type[DOMNode], ...]:
    """The screens marked :class:`TakesTyping`."""
    return tuple(cls for cls in _screens_and_widgets() if issubclass(cls, TakesTyping))


def typed_remaps(keymap: Mapping[str, str]) -> list[str]:
    """The [keymap] entries that would give a text-field screen's binding a typeable key."""
    ids = {
        binding.id
        for screen in typing_screens()
        for binding in getattr(screen, "BINDINGS", [])
        if isinstance(binding, Binding) and binding.id
    }
    return sorted(
        binding_id
        for binding_id, keys in keymap.items()
        if binding_id in ids and any(typeable(key.strip()) for key in keys.split(","))
    )


def binding_by_id(app: type[DOMNode], binding_id: str) -> Binding:
    """The declared binding called ``binding_id`` (KeyError if there is none)."""
    return _bindings_by_id(app)[binding_id]


def shown_key(app: App[Any], binding_id: str, keymap: Mapping[str, str]) -> str:
    """The key that triggers ``binding_id``, as the footer shows it (``keymap`` applied).

    Hints in the app's own words ("press ^l to sign in") use this, so they stay true when a
    user remaps the key in config.toml.
    """
    binding = binding_by_id(type(app), binding_id)
    keys = keymap.get(binding_id, binding.key)
    first = keys.split(",")[0].strip()
    return app.get_key_display(replace(binding, key=first, key_display=None))
