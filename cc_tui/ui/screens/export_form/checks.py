"""What the export form checks, field by field, before (and while) an export is saved.

Pure functions over the form's values: each problem is keyed by the field it concerns
(``name``, ``connection``, ``lists``, ``segments``, ``email``, ``first_name``, ``last_name``,
``<row id>:field``, ``<row id>:column``, ``mapping``, ``schedule``, ``form``), in the order the
fields appear, so the first key is the field to focus. The rules come from the engine:
``mapping_problems`` and ``custom_field_problems`` (engine.mapping), ``is_uuid``
(constant_contact.schemas) and ``validate_name`` (store.config). What the form could not check
against the account (never signed in, unreachable) is said when it saves: :func:`unchecked_note`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cc_tui.constant_contact.schemas import ContactList
from cc_tui.engine.exports import unchecked_note as account_unchecked_note
from cc_tui.engine.mapping import custom_field_problems, mapping_problems
from cc_tui.engine.preflight import describe_lists
from cc_tui.errors import CcTuiError, ConfigError
from cc_tui.models.api_rules import (
    CUSTOM_FIELD_PREFIX,
    MAX_CUSTOM_FIELDS_PER_CONTACT,
    MAX_LISTS_PER_EXPORT,
    is_uuid,
)
from cc_tui.models.config import FieldMapping
from cc_tui.next_steps import NextSteps
from cc_tui.run_words import noun
from cc_tui.service.failure_kinds import kind_of
from cc_tui.service.protocol import FailureKind
from cc_tui.store.config_reader import validate_name
from cc_tui.ui.widgets.attribute_row import AttributeValue
from cc_tui.ui.widgets.mapping_editor import MappingValues

__all__ = [
    "FormContext",
    "FormValues",
    "error_key",
    "form_problems",
    "guess_columns",
    "sign_in_hint",
    "unchecked_note",
]

_GUESSES = {
    "email": ("email", "emailaddress", "mail", "email1"),
    "first_name": ("firstname", "first", "givenname", "forename"),
    "last_name": ("lastname", "last", "surname", "familyname"),
}
_BIRTHDAY = ("birthday_month", "birthday_day")


@dataclass(frozen=True, slots=True)
class FormValues:
    """Everything the person entered (comparable, to notice unsaved changes)."""

    name: str
    connection: str | None
    list_ids: tuple[str, ...]
    segments: tuple[str, ...]
    mapping: MappingValues
    schedule: str
    on_refresh: bool = False  # also run when a segment's data is refreshed


@dataclass(frozen=True, slots=True)
class FormContext:
    """What the form knows about the world (None: not known, so not checked)."""

    editing: bool
    existing: frozenset[str] = frozenset()
    lists: frozenset[str] | None = None
    verified_lists: frozenset[str] = frozenset()
    pending_list_text: str | None = None
    refused_lists: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    segments_found: frozenset[str] | None = None
    segment_errors: Mapping[str, str] = field(default_factory=dict)
    account_fields: frozenset[str] | None = None
    list_names: Mapping[str, str] = field(default_factory=dict)  # the account's, by id
    lists_error: CcTuiError | None = None  # why the account's lists could not be fetched
    fields_error: CcTuiError | None = None  # why its custom fields could not be fetched


def sign_in_hint(connection: str, steps: NextSteps) -> str:
    """What to do when a connection is not signed in (``steps``: the app's words)."""
    return f"sign in first: {steps.sign_in.format(connection=connection)}"


def form_problems(values: FormValues, context: FormContext, *, saving: bool) -> dict[str, str]:
    """Every problem of the form but the schedule's; "required" ones only when ``saving``."""
    problems: dict[str, str] = {}
    _add(problems, "name", _name_problem(values.name, context, saving))
    if saving and values.connection is None:
        problems["connection"] = "Choose a connection (only those you may use are listed)."
    _add(problems, "lists", _list_problem(values, context, saving))
    _add(problems, "segments", _segment_problem(values.segments, context, saving))
    problems.update(_mapping_problems(values.mapping, values.segments, context, saving))
    return problems


def _add(problems: dict[str, str], key: str, text: str | None) -> None:
    if text:
        problems[key] = text


def _name_problem(name: str, context: FormContext, saving: bool) -> str | None:
    if context.editing:
        return None
    name = name.strip()
    if not name:
        return "Give the export a name: letters, digits, '_', '.' or '-'." if saving else None
    try:
        validate_name("export", name)
    except ConfigError as exc:
        return str(exc)
    if name in context.existing:
        return f"An export named '{name}' already exists: choose another name, or edit that one."
    return None


def _list_problem(values: FormValues, context: FormContext, saving: bool) -> str | None:
    text = context.pending_list_text
    if text:
        return _typed_list_problem(text, context, saving)
    chosen = values.list_ids
    if context.lists is not None:
        known = context.lists | context.verified_lists
        missing = [list_id for list_id in chosen if list_id not in known]
        if missing:
            return (
                f"The account has no list with ID {', '.join(missing)}: untick it, or pick "
                f"another. Its lists: {_account_lists(context)}."
            )
    if len(chosen) > MAX_LISTS_PER_EXPORT:
        most = MAX_LISTS_PER_EXPORT
        return f"{len(chosen)} lists chosen; an export adds contacts to at most {most}."
    if saving and not chosen:
        return "Choose at least one list: type part of its name, or paste its ID, then enter."
    return None


def _typed_list_problem(text: str, context: FormContext, saving: bool) -> str | None:
    """Text typed in the list filter that matches no list (entered, or left when saving)."""
    if text in context.refused_lists:
        return context.refused_lists[text]
    if not is_uuid(text):
        return (
            f"'{text}' matches no list and is not a list ID: paste the UUID from the "
            "list's URL in Constant Contact (8-4-4-4-12 hexadecimal digits)."
        )
    if context.lists is not None:
        return (
            f"The account has no list with ID {text} (ctrl+r reloads the lists). Its lists: "
            f"{_account_lists(context)}."
        )
    if saving:
        return f"Press enter to check and add list {text}, or clear the filter."
    return None


def _account_lists(context: FormContext) -> str:
    return describe_lists(
        [ContactList(list_id, name) for list_id, name in context.list_names.items()]
    )


def unchecked_note(values: FormValues, context: FormContext, steps: NextSteps) -> str | None:
    """What a save must say plainly when the account could not check the lists or fields."""
    if values.connection is None:
        return None
    lists = context.lists is None
    custom = any(
        (row.field or "").startswith(CUSTOM_FIELD_PREFIX) for row in values.mapping.attributes
    )
    fields = custom and context.account_fields is None
    if not lists and not fields:
        return None
    what = "lists and custom fields" if lists and fields else "lists" if lists else "custom fields"
    error = (context.lists_error if lists else None) or (context.fields_error if fields else None)
    if error is None:  # saved before the account answered
        return (
            f"The account had not answered yet, so the {what} were not checked against "
            "Constant Contact: saved unchecked."
        )
    return account_unchecked_note(values.connection, error, what=what, steps=steps)


def _segment_problem(segments: Sequence[str], context: FormContext, saving: bool) -> str | None:
    found = context.segments_found
    missing = [name for name in segments if found is not None and name not in found]
    if missing:
        return (
            f"{noun(len(missing), 'Segment')} not found: {', '.join(missing)}. Untick "
            f"{noun(len(missing), 'it', 'them')}, or add the file by its path (ctrl+o)."
        )
    broken = [
        f"{name}: {context.segment_errors[name]}"
        for name in segments
        if name in context.segment_errors
    ]
    if broken:
        return " ".join(broken)
    if saving and not segments:
        return "Choose at least one segment (space toggles one)."
    return None


def _missing(column: str, segments: Sequence[str], context: FormContext) -> str | None:
    columns = {name: context.columns[name] for name in segments if name in context.columns}
    found = mapping_problems(FieldMapping(email=column), columns)
    return found[0] if found else None


def _mapping_problems(
    mapping: MappingValues, segments: Sequence[str], context: FormContext, saving: bool
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if mapping.email is None and saving:
        problems["email"] = "Choose the column that holds the e-mail address (required)."
    for key in ("email", "first_name", "last_name"):
        column = getattr(mapping, key)
        if column:
            _add(problems, key, _missing(column, segments, context))
    problems.update(_attribute_problems(mapping.attributes, segments, context, saving))
    return problems


def _attribute_problems(
    rows: Sequence[AttributeValue], segments: Sequence[str], context: FormContext, saving: bool
) -> dict[str, str]:
    problems: dict[str, str] = {}
    fields = {row.field for row in rows}
    customs = [row.key for row in rows if row.field and row.field.startswith(CUSTOM_FIELD_PREFIX)]
    seen: set[str] = set()
    for row in rows:
        if row.field in seen:
            problems[f"{row.key}:field"] = f"{row.field} is already mapped above: map it once."
        else:
            _add(
                problems, f"{row.key}:field", _field_problem(row, fields, customs, context, saving)
            )
        seen.add(row.field or "")
        if row.column:
            _add(problems, f"{row.key}:column", _missing(row.column, segments, context))
        elif saving:
            problems[f"{row.key}:column"] = "Choose the column that feeds this field."
    return problems


def _field_problem(
    row: AttributeValue,
    fields: set[str | None],
    customs: Sequence[str],
    context: FormContext,
    saving: bool,
) -> str | None:
    name = row.field
    if name is None:
        return "Choose a Constant Contact field, or remove the row." if saving else None
    if name == CUSTOM_FIELD_PREFIX:
        return "Type the custom field's name as Constant Contact knows it."
    if row.key in customs:
        position = customs.index(row.key) + 1
        if position > MAX_CUSTOM_FIELDS_PER_CONTACT:
            return (
                f"Custom field {position} of {len(customs)}: Constant Contact takes at most "
                f"{MAX_CUSTOM_FIELDS_PER_CONTACT} per contact; remove "
                f"{len(customs) - MAX_CUSTOM_FIELDS_PER_CONTACT}."
            )
        if context.account_fields is not None:
            found = custom_field_problems(
                FieldMapping(email="", attributes={name: ""}), context.account_fields
            )
            return found[0] if found else None
    if name in _BIRTHDAY and not all(f in fields for f in _BIRTHDAY):
        found = mapping_problems(FieldMapping(email="", attributes={name: ""}), {})
        return found[0] if found else None
    return None


def guess_columns(columns: Sequence[str]) -> dict[str, str]:
    """The likely e-mail / first name / last name columns (``FirstName``, ``e-mail``...)."""
    normalised = {"".join(ch for ch in c.lower() if ch.isalnum()): c for c in reversed(columns)}
    guesses = {}
    for key, candidates in _GUESSES.items():
        for candidate in candidates:
            if candidate in normalised:
                guesses[key] = normalised[candidate]
                break
    return guesses


def error_key(exc: CcTuiError) -> str:
    """The field a refusal of the save is about, by the refusal's kind.

    A usage, input or account refusal is about the export's own content, and its kind does not
    say which part: its words do (the engine's messages name the field), so those are placed by
    what they say, and anything unplaced goes to the whole form.
    """
    kind = kind_of(exc)
    if kind in _FIELD_OF_KIND:
        return _FIELD_OF_KIND[kind]
    if kind in _WORDED_KINDS:
        text = str(exc).lower()
        for needle, key in _ERROR_FIELDS:
            if needle in text:
                return key
    return "form"


_FIELD_OF_KIND = {
    FailureKind.CONFLICT: "name",
    FailureKind.NOT_FOUND: "connection",  # the export's connection (the only name it looks up)
    FailureKind.CONSENT: "connection",
    FailureKind.ACCESS_DENIED: "connection",
    FailureKind.SIGN_IN: "connection",
    FailureKind.NEVER_SIGNED_IN: "connection",
    FailureKind.INSECURE_URL: "connection",
}
_WORDED_KINDS = frozenset(
    {FailureKind.USAGE, FailureKind.INPUT, FailureKind.CONFIG, FailureKind.ACCOUNT_MISMATCH}
)
_ERROR_FIELDS = (
    ("export name", "name"),
    ("list id", "lists"),
    ("has no column", "mapping"),
    ("custom field", "mapping"),
    ("birthday", "mapping"),
    ("mapped twice", "mapping"),
    ("segment", "segments"),
    ("schedule", "schedule"),
    ("connection", "connection"),
)
