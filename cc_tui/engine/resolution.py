"""Before a run: resolve the export's connection and segments, check the mapping, and
fingerprint every input so an interrupted run can tell whether it may resume."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from cc_tui.engine.connections import ConnectionService
from cc_tui.engine.mapping import (
    MappedField,
    mapped_fields,
    mapping_problems,
    with_account_fields,
)
from cc_tui.engine.preflight import AccountFacts
from cc_tui.engine.segments.copies import fingerprint
from cc_tui.engine.segments.discovery import find_segments
from cc_tui.engine.segments.model import Segment
from cc_tui.engine.segments.reading import mapping_column_problems, segment_columns
from cc_tui.errors import InputError, UnknownNameError, UsageError
from cc_tui.models.config import AppConfig, Export
from cc_tui.models.connection import CONTACT_CAP_PER_RUN, Connection
from cc_tui.run_words import noun

__all__ = [
    "ResolvedRun",
    "changed_inputs",
    "resolve_export",
    "resolve_run",
    "segments_changed_since",
]


@dataclass(frozen=True, slots=True)
class ResolvedRun:
    """Everything a run needs, checked."""

    export: Export
    connection: Connection | None  # None only for a dry run of a detached export
    segments: tuple[Segment, ...]
    fields: tuple[MappedField, ...]
    cap: int
    inputs: Mapping[str, Any]  # JSON-ready fingerprint of segments, mapping, lists and cap
    # What the account said before the run (lists, custom fields with their types); None for
    # a dry run, which asks Constant Contact nothing.
    account: AccountFacts | None = None


def resolve_run(
    config: AppConfig,
    export_name: str,
    connections: ConnectionService,
    *,
    dry_run: bool = False,
    cap: int | None = None,
    account: AccountFacts | None = None,
) -> ResolvedRun:
    """Resolve and check ``export_name``; raise a clear error for anything that would fail."""
    export, connection = resolve_export(config, export_name, connections, dry_run=dry_run)
    segments = _resolve_segments(config, export)
    fields = tuple(mapped_fields(export.mapping))
    if account is not None and account.custom_fields is not None:
        # Each cf: field's values are checked against the account's type of it (date, number,
        # select...).
        fields = with_account_fields(fields, account.custom_fields.values())
    problems = mapping_problems(
        export.mapping, {seg.name: [c.name for c in segment_columns(seg)] for seg in segments}
    )
    if not problems:
        # Lists and records cannot feed a field: refused here, before anything is read or sent.
        columns = [field.column for field in fields]
        problems = [p for seg in segments for p in mapping_column_problems(seg, columns)]
    if problems:
        raise InputError(f"Export '{export_name}' cannot run: " + " ".join(problems))
    run_cap = connection.contact_cap if connection else CONTACT_CAP_PER_RUN
    if cap is not None:
        run_cap = min(run_cap, cap)
    inputs = {
        "segments": [
            {"name": seg.name, "path": str(seg.path), "fingerprint": fingerprint(seg).to_dict()}
            for seg in segments
        ],
        "mapping": export.mapping.columns(),
        "list_ids": list(export.list_ids),
        "cap": run_cap,
    }
    if account is not None and account.custom_fields is not None:
        # A resumed run rebuilds its batches with the same field rules, or not at all.
        inputs["custom_fields"] = {
            f.field: asdict(custom) if (custom := account.custom_field(f.field)) else None
            for f in fields
            if f.is_custom
        }
    return ResolvedRun(
        export=export,
        connection=connection,
        segments=segments,
        fields=fields,
        cap=run_cap,
        inputs=inputs,
        account=account,
    )


def resolve_export(
    config: AppConfig, export_name: str, connections: ConnectionService, *, dry_run: bool = False
) -> tuple[Export, Connection | None]:
    """The export and its connection, if this user may use it (reads no segment)."""
    export = config.exports.get(export_name)
    if export is None:
        known = ", ".join(sorted(config.exports)) or "none yet"
        raise UnknownNameError(f"No export named '{export_name}' (exports: {known}).")
    if export.connection is None:
        if not dry_run:
            raise UsageError(
                f"Export '{export_name}' has no connection (it was detached); give it one first."
            )
        return export, None
    return export, connections.usable(export.connection)


def _resolve_segments(config: AppConfig, export: Export) -> tuple[Segment, ...]:
    discovery = find_segments(config)
    broken = [name for name in export.segments if name in discovery.problems]
    if broken:
        reasons = "; ".join(f"'{name}': {discovery.problems[name]}" for name in broken)
        raise InputError(f"Export '{export.name}' cannot run: segment {reasons}")
    found = discovery.segments
    missing = [name for name in export.segments if name not in found]
    if missing:
        where = ", ".join(str(d) for d in config.segments_dirs) or "no segments_dirs configured"
        raise InputError(
            f"Export '{export.name}' uses {noun(len(missing), 'segment')} {', '.join(missing)} "
            f"that {noun(len(missing), 'was', 'were')} not found "
            f"(looked in: {where}; found: {', '.join(sorted(found)) or 'none'}). Add the file "
            "to a segments folder, or a [segments.NAME] entry with its path to config.toml."
        )
    return tuple(found[name] for name in export.segments)


def segments_changed_since(resolved: ResolvedRun) -> list[str]:
    """The run's segments whose files are no longer what it resolved (size, time, both ends).

    Pass 1 and pass 2 read every segment separately: a file rewritten between them would be
    built from classes (valid, duplicate, over the cap) that belong to other rows, and a file
    swapped for a link to something else would be read as if it were the segment.
    """
    recorded = {entry["name"]: entry["fingerprint"] for entry in resolved.inputs["segments"]}
    return [
        f"'{segment.name}' ({segment.path})"
        for segment in resolved.segments
        if fingerprint(segment).to_dict() != recorded.get(segment.name)
    ]


def changed_inputs(before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """What differs between two input fingerprints, in words (empty when nothing does)."""
    changes = []
    old_segments = {s["name"]: s for s in before.get("segments", [])}
    for segment in now.get("segments", []):
        previous = old_segments.get(segment["name"])
        if previous is None:
            changes.append(f"segment '{segment['name']}' was added")
        elif previous != segment:
            changes.append(f"segment '{segment['name']}' ({segment['path']}) changed")
    for name in old_segments.keys() - {s["name"] for s in now.get("segments", [])}:
        changes.append(f"segment '{name}' was removed")
    for key, label in (
        ("mapping", "the mapping"),
        ("list_ids", "the lists"),
        ("cap", "the contact cap"),
    ):
        if before.get(key) != now.get(key):
            changes.append(f"{label} changed")
    # Runs recorded before custom fields were fingerprinted have no such key: not a change.
    # The recorded fingerprint went through JSON (tuples became lists): compare it so.
    now_fields = json.loads(json.dumps(now.get("custom_fields")))
    if "custom_fields" in before and before["custom_fields"] != now_fields:
        changes.append("the account's custom fields (type, format or choices) changed")
    return changes
