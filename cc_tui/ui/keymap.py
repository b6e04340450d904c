"""Binding ids users may remap in config.toml's [keymap] (binding id -> keys), the key a hint
should name, and why a key that does not apply does nothing.

Two rules keep keys honest:

* A screen that holds text fields (marked :class:`TakesTyping`) binds only keys that cannot
  be typed (``ctrl+…``, ``f…``, ``escape``): a letter would either be typed into the field or,
  worse, act on it. :func:`typeable` is the test; ``tests/ui/test_keys.py`` checks every
  marked screen, and config.toml's [keymap] cannot give them such keys (:func:`typed_remaps`).
* A key that is shown dimmed in the footer (``check_action`` answered None) says why when it
  is pressed: screens mix in :class:`ExplainsDisabledKeys` and answer
  :meth:`~ExplainsDisabledKeys.why_disabled`.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

from textual import events
from textual.actions import parse
from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import key_to_character

if TYPE_CHECKING:
    from collections.abc import Mapping

    from textual.app import App
    from textual.screen import Screen

__all__ = [
    "ExplainsDisabledKeys",
    "TakesTyping",
    "binding_by_id",
    "known_binding_ids",
    "shown_key",
    "typeable",
    "typed_remaps",
    "typing_screens",
]

DISABLED_KEY_SECONDS = 4.0  # a short notice: it answers a key press, it is not news


class TakesTyping:
    """Marks a screen made of text fields: it binds only keys that cannot be typed, and
    config.toml's [keymap] may not give its bindings such keys (:func:`typed_remaps`)."""


@cache
def _classes() -> tuple[type[DOMNode], ...]:
    """The app, its screens and its widgets."""
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
    return tuple(dict.fromkeys(classes))


@cache
def _bindings_by_id() -> dict[str, Binding]:
    """Every binding the app, its screens and its widgets declare, by id."""
    found: dict[str, Binding] = {}
    for cls in _classes():
        for binding in getattr(cls, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                found.setdefault(binding.id, binding)
    return found


def known_binding_ids() -> frozenset[str]:
    """Every binding id declared by the app, its screens and its widgets."""
    return frozenset(_bindings_by_id())


@cache
def typing_screens() -> tuple[type[DOMNode], ...]:
    """The screens marked :class:`TakesTyping`."""
    return tuple(cls for cls in _classes() if issubclass(cls, TakesTyping))


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


def binding_by_id(binding_id: str) -> Binding:
    """The declared binding called ``binding_id`` (KeyError if there is none)."""
    return _bindings_by_id()[binding_id]


def shown_key(app: App[Any], binding_id: str, keymap: Mapping[str, str]) -> str:
    """The key that triggers ``binding_id``, as the footer shows it (``keymap`` applied).

    Hints in the app's own words ("press ^l to sign in") use this, so they stay true when a
    user remaps the key in config.toml.
    """
    binding = binding_by_id(binding_id)
    keys = keymap.get(binding_id, binding.key)
    first = keys.split(",")[0].strip()
    return app.get_key_display(replace(binding, key=first, key_display=None))


def typeable(key: str) -> bool:
    """True when ``key`` types a character into a text field (a letter, a digit, "?", space)."""
    character = key_to_character(key)
    return character is not None and character.isprintable()


class ExplainsDisabledKeys:
    """Mixin for screens: a key whose action is disabled here says why instead of nothing.

    The footer already shows such a key dimmed (``check_action`` answered None); pressing it
    anyway shows a short notice with :meth:`why_disabled`'s answer. Keys that the focused
    widget takes (typing in a field) or binds itself never reach this.
    """

    def why_disabled(self, action: str) -> str | None:
        """Why ``action`` does nothing now, and what to do instead (None: say nothing)."""
        return None

    def on_key(self, event: events.Key) -> None:
        screen: Screen[Any] = self  # type: ignore[assignment]
        active = screen.active_bindings.get(event.key)
        if active is None or active.enabled or active.node is not screen:
            return
        _, action, _ = parse(active.binding.action)
        reason = self.why_disabled(action)
        if reason:
            event.stop()
            screen.notify(reason, title="Not now", timeout=DISABLED_KEY_SECONDS)
