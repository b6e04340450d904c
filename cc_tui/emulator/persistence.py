"""The emulator's state file: lists, contacts, custom fields, activities and tokens as JSON.

Saved atomically (temp file in the same folder, fsync, rename), so a crash mid-save leaves the
previous file intact. Tokens are saved too, so a signed-in connection survives a restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cc_tui.atomic import atomic_write_text
from cc_tui.emulator.activity import ImportQueue
from cc_tui.emulator.contacts import ContactTable
from cc_tui.emulator.oauth import OAuthServer
from cc_tui.emulator.records import ContactList, CustomField
from cc_tui.emulator.state import EmulatorState
from cc_tui.errors import CcTuiError

__all__ = ["EmulatorStateError", "load_state_file", "save_state_file"]

FORMAT = "cc-tui-emulator-state"
VERSION = 1
FILE_MODE = 0o600  # it holds tokens


class EmulatorStateError(CcTuiError):
    """The state file cannot be read; the message names the file and the fix."""

    exit_code = 2


def save_state_file(path: Path, state: EmulatorState, oauth: OAuthServer) -> None:
    """Write everything to ``path`` atomically."""
    state.advance()
    with state.lock:
        data = {
            "format": FORMAT,
            "version": VERSION,
            "lists": [record.to_dict() for record in state.lists.values()],
            "custom_fields": [record.to_dict() for record in state.custom_fields.values()],
            "contacts": state.contacts.to_dict(),
            "activities": state.queue.to_dict(),
            "oauth": oauth.to_dict(),
        }
        text = json.dumps(data, separators=(",", ":"))
    atomic_write_text(path, text, mode=FILE_MODE)


def load_state_file(path: Path, state: EmulatorState, oauth: OAuthServer) -> None:
    """Replace ``state`` and the tokens with what ``path`` holds."""
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not an emulator state file")
        if data.get("version") != VERSION:
            raise ValueError(f"unsupported version {data.get('version')!r}")
        _restore(data, state, oauth)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EmulatorStateError(
            f"{path}: cannot load the emulator state ({exc}). "
            "Fix: delete the file to start from the demo data, or pass another --state path."
        ) from exc


def _restore(data: dict[str, Any], state: EmulatorState, oauth: OAuthServer) -> None:
    lists = [ContactList(**item) for item in data["lists"]]
    fields = [CustomField(**item) for item in data["custom_fields"]]
    contacts = ContactTable.from_dict(data["contacts"])
    queue = ImportQueue.from_dict(data["activities"])
    oauth.load_dict(data["oauth"])
    with state.lock:
        state.lists = {record.list_id: record for record in lists}
        state.custom_fields = {record.name: record for record in fields}
        state.contacts = contacts
        state.queue = queue
