"""Turn a ``contacts_json_import`` body into a checked, possibly shortened, list of contacts.

Two levels of checks (docs/api-rules.md section 3): the structure of the body and of every
contact kept (a violation refuses the whole request with a 400), then the values of each
contact (a violation refuses that contact only: it is counted, not imported).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cc_tui.emulator.bodyparse import parse_import_body
from cc_tui.emulator.problems import ApiProblem
from cc_tui.emulator.records import CustomField
from cc_tui.emulator.refusals import ContactValueChecker, Refusal
from cc_tui.emulator.schema import ImportChecker
from cc_tui.emulator.settings import EmulatorSettings

__all__ = ["PreparedImport", "prepare_import"]


@dataclass(frozen=True, slots=True)
class PreparedImport:
    """What an import will process: its lists, contacts, refused contacts, and what was cut."""

    list_ids: tuple[str, ...]
    items: list[dict[str, Any]]
    refusals: dict[int, Refusal]  # by index in items
    dropped: int  # cut by the byte limit or the per-import contact cap


def prepare_import(
    body: bytes,
    settings: EmulatorSettings,
    checker: ImportChecker,
    known_lists: frozenset[str],
    custom_fields: Mapping[str, CustomField],
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
    problems = checker.check_contacts(items, frozenset(custom_fields))
    if problems:
        raise ApiProblem.bad_request(problems)
    # Ids match exactly, in the lower-case form the API gives them: an upper-case spelling is
    # no list it knows; one list twice is refused too (docs/api-rules.md section 3, assumed).
    requested = [str(list_id) for list_id in doc["list_ids"]]
    unknown = [
        f"list_ids[{index}]: no contact list with id {list_id}"
        for index, list_id in enumerate(requested)
        if list_id not in known_lists
    ] + [
        f"list_ids[{index}]: {list_id} is named twice"
        for index, list_id in enumerate(requested)
        if list_id in requested[:index]
    ]
    if unknown:
        raise ApiProblem.bad_request(unknown)
    values = ContactValueChecker(checker.max_lengths, custom_fields)
    refusals = values.refusals(items, doc.get("sms_permission_to_send"))
    return PreparedImport(tuple(dict.fromkeys(requested)), items, refusals, len(sent) - len(items))
