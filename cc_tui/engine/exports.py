"""Exports as the command line and the app change them: checked before they are saved.

Saving an export never runs it. Checks: the name, a connection this user may use, list IDs of
the right form, segments that exist, every mapped column present in every segment, at most 25
custom fields, and a cron schedule of five fields. When the account can be reached,
:meth:`ExportService.check_account` also checks the list IDs and ``cf:`` fields against it; when
it cannot (never signed in, offline), the export may still be saved, and the faces say plainly
that it was saved unchecked.

Segments given as paths (``--segment ./vip.csv``) are turned into ``[segments.NAME]`` entries by
:meth:`~cc_tui.engine.sources.SourceService.resolve`; :meth:`ExportService.save` writes those
entries in the same config.toml update as the export, so a refused export leaves none behind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from cc_tui.constant_contact.retry import RetryPolicy
from cc_tui.engine.connections import ConnectionService
from cc_tui.engine.mapping import mapped_fields, mapping_problems
from cc_tui.engine.preflight import (
    AccountFacts,
    account_problems,
    fetch_account,
    maps_custom_fields,
)
from cc_tui.engine.segments.discovery import find_segments
from cc_tui.engine.segments.entries import unknown_segment_message
from cc_tui.engine.segments.reading import mapping_column_problems, segment_columns
from cc_tui.errors import (
    AccountMismatchError,
    CcTuiError,
    InputError,
    NameTakenError,
    SignInRequiredError,
    UnknownNameError,
    UsageError,
)
from cc_tui.models.api_rules import is_attribute_field, is_uuid
from cc_tui.models.config import AppConfig, Export, FieldMapping, Role, SegmentSource
from cc_tui.next_steps import CLI_STEPS, NextSteps
from cc_tui.schedules import schedule_problem
from cc_tui.store.config import ConfigStore, with_export, with_segment, without_export
from cc_tui.store.config_reader import validate_name
from cc_tui.store.history import HistoryStore

__all__ = [
    "ACCOUNT_CHECK_RETRY",
    "ACCOUNT_CHECK_TIMEOUT",
    "AccountCheck",
    "ExportService",
    "build_export",
    "checked_things",
    "parse_attribute",
    "unchecked_note",
]

# Checking an export against the account is advice, not a run: one retry and a short timeout,
# so `export add` offline says "saved unchecked" in about a second rather than after minutes.
ACCOUNT_CHECK_RETRY = RetryPolicy(max_attempts=2)
ACCOUNT_CHECK_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class AccountCheck:
    """What the account said about an export: its facts, or why it could not be asked."""

    facts: AccountFacts | None
    unchecked: str | None = None  # said to the person when the account could not be asked


def unchecked_note(
    connection: str, error: CcTuiError, *, what: str, steps: NextSteps = CLI_STEPS
) -> str:
    """Why an export's ``what`` (its lists, custom fields) were not checked; it is saved anyway.

    ``steps`` words the way to sign in (the face that saves: command line or app)."""
    if isinstance(error, SignInRequiredError) and error.reason == error.NEVER_SIGNED_IN:
        return (
            f"Connection '{connection}' is not signed in yet, so the {what} could not be checked "
            f"against Constant Contact: saved unchecked. Sign in with: "
            f"{steps.sign_in.format(connection=connection)}"
        )
    reason = str(error).rstrip(".")
    return f"Could not check the {what} against Constant Contact ({reason}): saved unchecked."


def checked_things(mapping: FieldMapping) -> str:
    """What of an export the account can check: its lists, and custom fields when mapped."""
    return "lists and custom fields" if maps_custom_fields(mapping) else "lists"


def parse_attribute(text: str) -> tuple[str, str]:
    """``FIELD=COLUMN`` from the command line, with the field checked."""
    field, sep, column = text.partition("=")
    field, column = field.strip(), column.strip()
    if not sep or not field or not column:
        raise UsageError(
            f"--attr '{text}' must look like FIELD=COLUMN, e.g. job_title=Title "
            "or cf:loyalty_tier=Tier."
        )
    if not is_attribute_field(field):
        raise UsageError(
            f"--attr '{text}': '{field}' is not a Constant Contact contact field; "
            "use e.g. job_title, company_name, phone, city, birthday_month, or a "
            "custom field as cf:<name>."
        )
    return field, column


class ExportService:
    """Adds, changes and removes exports for one OS user."""

    def __init__(
        self, config: ConfigStore, history: HistoryStore, connections: ConnectionService
    ) -> None:
        self._config = config
        self._history = history
        self._connections = connections

    def visible(self) -> list[Export]:
        """Exports whose connection this user may use (detached ones only for admins)."""
        config = self._config.load()
        usable = {conn.name for conn in self._connections.visible()}
        admin = self._connections.role(config) is Role.ADMIN
        return [
            export
            for _, export in sorted(config.exports.items())
            if (export.connection in usable) or (export.connection is None and admin)
        ]

    def get(self, name: str) -> Export:
        """The export called ``name``, if visible to this user."""
        for export in self.visible():
            if export.name == name:
                return export
        known = ", ".join(e.name for e in self.visible()) or "none yet"
        raise UnknownNameError(f"No export named '{name}' (exports: {known}).")

    def save(
        self,
        export: Export,
        *,
        replace: bool = False,
        new_segments: Sequence[SegmentSource] = (),
    ) -> Export:
        """Check ``export`` and write it to config.toml (it does not run).

        ``new_segments`` are ``[segments.NAME]`` entries the export reads (from paths given
        for its segments); they are written with it, or not at all.
        """
        user = self._connections.os_user
        editing = replace and export.name in self._config.load().exports
        with self._history.audited(
            "export.edit" if editing else "export.add",
            export.name,
            user,
            {
                "connection": export.connection,
                "segments": list(export.segments),
                "replace": replace,
            },
            refusal=lambda: self._connections.hidden_reason(export.connection),
        ):
            validate_name("export", export.name)
            config = _with_segments(self._config.load(), new_segments)
            self._check(config, export)

            def change(current: AppConfig) -> AppConfig:
                if export.name in current.exports and not replace:
                    raise NameTakenError(
                        f"An export named '{export.name}' already exists (remove it first, or "
                        "edit it)."
                    )
                for source in new_segments:
                    if source.name in current.segments:
                        raise UsageError(
                            f"A segment named '{source.name}' was added meanwhile; try again"
                        )
                # The app's form and the CLI do not edit [exports.NAME.notify]: an edit keeps it.
                previous = current.exports.get(export.name)
                kept = export
                if replace and export.notify is None and previous is not None:
                    kept = dataclasses.replace(export, notify=previous.notify)
                return with_export(_with_segments(current, new_segments), kept)

            self._config.update(change)
            for source in new_segments:
                self._history.record_event(
                    "segment.add",
                    source.name,
                    user,
                    {"path": str(source.path), "for": export.name},
                )
        return export

    def check(self, export: Export, *, new_segments: Sequence[SegmentSource] = ()) -> None:
        """Every check :meth:`save` makes, without saving (raises the first problem)."""
        validate_name("export", export.name)
        self._check(_with_segments(self._config.load(), new_segments), export)

    async def check_account(self, export: Export) -> AccountCheck:
        """Check ``export``'s list IDs and ``cf:`` fields against its connection's account.

        Raises :class:`AccountMismatchError` (exit 2) naming every unknown or deleted list and
        unknown custom field with the account's lists and fields. When the account cannot be
        asked (never signed in, dead sign-in, network, quota, missing scope...) the returned
        check says so in ``unchecked``: saving still works offline.
        """
        if export.connection is None:
            raise UsageError("An export needs a connection.")
        name = export.connection
        custom = maps_custom_fields(export.mapping)
        what = checked_things(export.mapping)
        try:
            if not self._connections.status(name).signed_in:
                raise SignInRequiredError.never_signed_in(name)
            client = self._connections.client(
                name, retry=ACCOUNT_CHECK_RETRY, timeout=ACCOUNT_CHECK_TIMEOUT
            )
            async with client:
                facts = await fetch_account(client, export.list_ids, custom_fields=custom)
        except CcTuiError as exc:
            return AccountCheck(None, unchecked_note(name, exc, what=what))
        problems = account_problems(export, facts)
        if problems:
            raise AccountMismatchError(
                f"Export '{export.name}' was not saved",
                problems,
                f"Use list IDs from cc-tui lists {name}, or create the list or custom field "
                "in Constant Contact first.",
            )
        return AccountCheck(facts)

    def remove(self, name: str) -> None:
        """Delete the export from config.toml (its run history stays)."""
        config = self._config.load()
        connection = config.exports[name].connection if name in config.exports else None
        with self._history.audited(
            "export.remove",
            name,
            self._connections.os_user,
            refusal=lambda: self._connections.hidden_reason(connection),
        ):
            self.get(name)
            self._config.update(lambda config: without_export(config, name))

    def _check(self, config: AppConfig, export: Export) -> None:
        if export.connection is None:
            raise UsageError("An export needs a connection.")
        self._connections.usable(export.connection)
        if not export.list_ids:
            raise UsageError("An export needs at least one Constant Contact list ID.")
        bad = [list_id for list_id in export.list_ids if not is_uuid(list_id)]
        if bad:
            raise UsageError(
                f"{', '.join(bad)} is not a list ID: copy the UUID from the "
                "list's URL in Constant Contact (8-4-4-4-12 hexadecimal digits)."
            )
        if not export.segments:
            raise UsageError("An export needs at least one segment.")
        discovery = find_segments(config)
        found = dict(discovery.segments)
        for name in export.segments:
            if name in discovery.problems:
                raise InputError(f"segment '{name}' cannot be used: {discovery.problems[name]}")
            if name not in found:
                raise InputError(unknown_segment_message(name, sorted(found)))
        problems = mapping_problems(
            export.mapping,
            {
                name: [column.name for column in segment_columns(found[name])]
                for name in export.segments
            },
        )
        if not problems:
            # Lists and records cannot feed a field (the run would refuse them too).
            columns = [field.column for field in mapped_fields(export.mapping)]
            problems = [
                problem
                for name in export.segments
                for problem in mapping_column_problems(found[name], columns)
            ]
        if problems:
            raise InputError(" ".join(problems))
        problem = schedule_problem(export.schedule) if export.schedule else None
        if problem:
            raise UsageError(f"Schedule: {problem}.")


def _with_segments(config: AppConfig, sources: Sequence[SegmentSource]) -> AppConfig:
    return reduce(with_segment, sources, config)


def build_export(
    name: str,
    *,
    connection: str,
    list_ids: Sequence[str],
    segments: Sequence[str],
    email: str,
    first_name: str | None = None,
    last_name: str | None = None,
    attributes: Sequence[tuple[str, str]] = (),
    schedule: str | None = None,
    enabled: bool = True,
) -> Export:
    """An Export from command-line style arguments."""
    attrs = dict(attributes)
    if len(attrs) != len(attributes):
        raise UsageError("A Constant Contact field is mapped twice in --attr.")
    return Export(
        name=name,
        connection=connection,
        list_ids=tuple(dict.fromkeys(list_ids)),
        segments=tuple(dict.fromkeys(segments)),
        mapping=FieldMapping(
            email=email, first_name=first_name, last_name=last_name, attributes=attrs
        ),
        schedule=schedule,
        enabled=enabled,
    )
