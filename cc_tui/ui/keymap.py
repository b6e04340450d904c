"""The rules a screen's keys follow: which keys type into a field, and why a key that does not
apply does nothing. (The catalogue of every binding id users may remap in config.toml's [keymap]
is :mod:`cc_tui.ui.key_catalogue`.)

Two rules keep keys honest:

* A screen that holds text fields (marked :class:`TakesTyping`) binds only keys that cannot
  be typed (``ctrl+…``, ``f…``, ``escape``): a letter would either be typed into the field or,
  worse, act on it. :func:`typeable` is the test; ``tests/ui/test_keys.py`` checks every
  marked screen, and config.toml's [keymap] cannot give them such keys
  (:func:`~cc_tui.ui.key_catalogue.typed_remaps`).
* A footer shows only the keys that act on its screen. ``check_action`` answers None for a
  key that cannot act now but will without the person doing anything else here (run while
  a run goes, save while saving): the footer dims it. It answers False for a key that does
  not apply to this pane, selection or state (edit on the run history, cancel once the run
  ended, resume on a run that finished): the footer leaves it out. Either way, pressing it
  says why: screens mix in :class:`ExplainsDisabledKeys` and answer
  :meth:`~ExplainsDisabledKeys.why_disabled`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual.actions import parse
from textual.keys import key_to_character

if TYPE_CHECKING:
    from textual.screen import Screen

__all__ = ["DISABLED_KEY_SECONDS", "ExplainsDisabledKeys", "TakesTyping", "typeable"]

DISABLED_KEY_SECONDS = 4.0  # a short notice: it answers a key press, it is not news


class TakesTyping:
    """Marks a screen made of text fields: it binds only keys that cannot be typed, and
    config.toml's [keymap] may not give its bindings such keys
    (:func:`~cc_tui.ui.key_catalogue.typed_remaps`)."""


def typeable(key: str) -> bool:
    """True when ``key`` types a character into a text field (a letter, a digit, "?", space)."""
    character = key_to_character(key)
    return character is not None and character.isprintable()


class ExplainsDisabledKeys:
    """Mixin for screens: a key whose action is disabled here says why instead of nothing.

    The footer shows such a key dimmed (``check_action`` answered None) or not at all (False);
    pressing it anyway shows a short notice with :meth:`why_disabled`'s answer. Keys that the
    focused widget takes (typing in a field) or binds itself never reach this.
    """

    def why_disabled(self, action: str) -> str | None:
        """Why ``action`` does nothing now, and what to do instead (None: say nothing)."""
        return None

    def on_key(self, event: events.Key) -> None:
        screen: Screen[Any] = self  # type: ignore[assignment]
        active = screen.active_bindings.get(event.key)
        if active is None:
            action = _hidden_action(screen, event.key)
            if action is None:
                return
        elif active.enabled or active.node is not screen:
            return
        else:
            _, action, _ = parse(active.binding.action)
        reason = self.why_disabled(action)
        if reason:
            event.stop()
            screen.notify(reason, title="Not now", timeout=DISABLED_KEY_SECONDS)


def _hidden_action(screen: Screen[Any], key: str) -> str | None:
    """The action of ``screen``'s own binding of ``key`` that ``check_action`` hides (False):
    ``active_bindings`` leaves such bindings out, so they are looked up in the screen's
    binding chain, as remapped by the keymap and without keys a focused field takes."""
    # Textual offers no public view of the bindings check_action hides.
    for node, bindings in screen._modal_binding_chain:
        if node is not screen:
            continue
        for binding in bindings.key_to_bindings.get(key, ()):
            _, action, parameters = parse(binding.action)
            if screen.check_action(action, parameters) is False:
                return action
    return None
