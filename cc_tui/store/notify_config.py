"""The ``[notify]`` tables of config.toml: read (unknown keys refused) and written back.

``[notify]`` tells about every export's runs; ``[exports.NAME.notify]`` replaces it for one
export. Keys: ``on`` (``finish``, ``failure`` or ``both``), ``command`` (an argv list, run
without a shell), ``webhook`` (https, or http to a loopback host), ``webhook_text`` (send
Slack/Teams' ``{"text": ...}`` instead of the JSON summary) and ``timeout_s``.
"""

from __future__ import annotations

from typing import Any

from cc_tui.models.connection import url_has_credentials, url_is_secure_enough
from cc_tui.models.notify import (
    DEFAULT_NOTIFY_TIMEOUT_S,
    MAX_NOTIFY_TIMEOUT_S,
    NotifySettings,
    NotifyWhen,
)
from cc_tui.store.toml_reader import TomlSection

__all__ = ["NOTIFY_KEY", "notify_doc", "read_notify"]

NOTIFY_KEY = "notify"
"""The table's name, at the top and in an export."""
_NOTIFY_KEYS = {"on", "command", "webhook", "webhook_text", "timeout_s"}


def read_notify(parent: TomlSection) -> NotifySettings | None:
    """The ``notify`` table under ``parent``, checked; None when there is none."""
    if NOTIFY_KEY not in parent.data:
        return None
    table = parent.table(NOTIFY_KEY)
    table.check_keys(_NOTIFY_KEYS)
    on_text = table.string("on", default=NotifyWhen.BOTH.value) or NotifyWhen.BOTH.value
    try:
        on = NotifyWhen(on_text)
    except ValueError:
        choices = ", ".join(f'"{w.value}"' for w in NotifyWhen)
        raise table.error("on", f"'{on_text}' is not one of {choices}", 'on = "both"') from None
    command = table.strings("command")
    if "command" in table.data and not command:
        raise table.error("command", "is empty", 'command = ["/path/to/program", "arg"]')
    webhook = table.string("webhook")
    if webhook is not None:
        if url_has_credentials(webhook):
            raise table.error(
                "webhook", "has a user name or password in it", "remove the 'user:password@' part"
            )
        if not url_is_secure_enough(webhook):
            raise table.error(
                "webhook",
                f"'{webhook}' is not allowed",
                "use https:// (plain http:// only for a loopback host)",
            )
    settings = NotifySettings(
        on=on,
        command=command,
        webhook=webhook,
        webhook_text=table.boolean("webhook_text", default=False),
        timeout_s=table.integer(
            "timeout_s", default=DEFAULT_NOTIFY_TIMEOUT_S, low=1, high=MAX_NOTIFY_TIMEOUT_S
        )
        or DEFAULT_NOTIFY_TIMEOUT_S,
    )
    if settings.empty:
        raise table.error(
            None,
            "has neither a command nor a webhook",
            'add command = ["program", "arg"] or webhook = "https://…", or remove the table',
        )
    return settings


def notify_doc(settings: NotifySettings) -> dict[str, Any]:
    """The TOML table of ``settings`` (defaults left out)."""
    doc: dict[str, Any] = {"on": settings.on.value}
    if settings.command:
        doc["command"] = list(settings.command)
    if settings.webhook:
        doc["webhook"] = settings.webhook
    if settings.webhook_text:
        doc["webhook_text"] = True
    if settings.timeout_s != DEFAULT_NOTIFY_TIMEOUT_S:
        doc["timeout_s"] = settings.timeout_s
    return doc
