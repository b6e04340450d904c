"""Turn a ``contacts_json_import`` body into a checked, possibly shortened, list of contacts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cc_tui.emulator.bodyparse import parse_import_body
from cc_tui.emulator.problems import ApiProblem
from cc_tui.emulator.schema import ImportChecker
from cc_tui.emulator.settings import EmulatorSettings

__all__ = ["PreparedImport", "prepare_import"]


@dataclass(frozen=True, slots=True)
class PreparedImport:
    """What an import will process: its lists and contacts, and how many were dropped."""

    list_ids: tuple[str, ...]
    items: list[dict[str, Any]]
    dropped: int  # cut by the byte limit or the per-import contact cap


def prepare_import(
    body: bytes,
    settings: EmulatorSettings,
    checker: ImportChecker,
    known_lists: frozenset[str],
    custom_fields: frozenset[str],
) -> PreparedImport:
    """Parse (truncating past ``max_import_bytes``), cap and check an import; 400 if invalid."""
    try:
        doc, kept = parse_import_body(body, settings.max_import_bytes)
    except ValueError as exc:
        raise ApiProblem.bad_request(f"body: not valid JSON ({exc})") from None
    problems = checker.check_document(doc)
    if problems:
        raise ApiProblem.bad_request(problems)
    sent: list[Any] = doc["import_data"]
    # Past the byte limit or the contact cap, contacts are ignored rather than rejected.
    items = sent if kept is None else sent[:kept]
    items = items[: settings.max_contacts_per_import]
    problems = checker.check_contacts(items, custom_fields)
    if problems:
        raise ApiProblem.bad_request(problems)
    requested = [str(list_id).lower() for list_id in doc["list_ids"]]
    unknown = [
        f"list_ids[{index}]: no contact list with id {list_id}"
        for index, list_id in enumerate(requested)
        if list_id not in known_lists
    ]
    if unknown:
        raise ApiProblem.bad_request(unknown)
    return PreparedImport(tuple(dict.fromkeys(requested)), items, len(sent) - len(items))
