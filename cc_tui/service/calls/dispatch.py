"""Which handler carries out a call intent: the subjects' tables joined into one."""

from __future__ import annotations

from cc_tui.service.calls import (
    audit,
    connections,
    exports,
    home,
    runs,
    schedules,
    segments,
    storage,
)
from cc_tui.service.calls.caller import Handler
from cc_tui.service.protocol import Call

__all__ = ["HANDLERS", "handler_for"]


def _joined(*tables: dict[type[Call], Handler]) -> dict[type[Call], Handler]:
    """One table of every subject's handlers; an intent claimed by two subjects is a mistake
    that would let the later one win silently, so it stops the service at import."""
    joined: dict[type[Call], Handler] = {}
    for table in tables:
        twice = joined.keys() & table.keys()
        if twice:
            names = ", ".join(sorted(intent.__name__ for intent in twice))
            raise RuntimeError(f"call intents with two handlers: {names}")
        joined.update(table)
    return joined


HANDLERS: dict[type[Call], Handler] = _joined(
    connections.HANDLERS,
    exports.HANDLERS,
    segments.HANDLERS,
    runs.HANDLERS,
    schedules.HANDLERS,
    audit.HANDLERS,
    storage.HANDLERS,
    home.HANDLERS,
)
"""The handler of every call intent, keyed by the intent's type."""


def handler_for(intent: object) -> Handler | None:
    """The handler of a call intent; None for the other intents (runs, service)."""
    return HANDLERS.get(type(intent))  # type: ignore[arg-type]
