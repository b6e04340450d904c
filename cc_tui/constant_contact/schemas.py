"""Constant Contact V3 response bodies as frozen dataclasses.

Parsing is lenient on purpose: unknown keys are ignored and missing optional keys get defaults,
so a field Constant Contact adds or drops tomorrow does not break a run. Only identifiers are
required; a body without one raises ``ValueError`` (the client turns it into a clear error).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

__all__ = [
    "FINAL_ACTIVITY_STATES",
    "AccountSummary",
    "Activity",
    "ActivityStatus",
    "Contact",
    "ContactList",
    "CustomField",
    "CustomFieldMetadata",
]

# An activity in one of these states will never change again.
FINAL_ACTIVITY_STATES = frozenset({"completed", "cancelled", "failed", "timed_out"})

Json = Mapping[str, Any]


def _required_str(data: Json, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"the answer has no {key!r}")
    return value


def _str(data: Json, key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _int(data: Json, key: str) -> int | None:
    value = data.get(key)
    # bool is an int in Python; a true/false here would be a server bug, not a count.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _count(data: Json, key: str) -> int:
    return _int(data, key) or 0


def _time(data: Json, key: str) -> datetime | None:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        return None
    try:
        # Python 3.11 reads the trailing "Z" and fractional seconds Constant Contact sends.
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    # A time without an offset is read as UTC (the swagger's examples all end in "Z"): left
    # naive, comparing it with the aware times of a run would raise TypeError.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _mapping(data: Json, key: str) -> Json:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _error_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        for key in ("message", "error_message", "error"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return str(item)


@dataclass(frozen=True, slots=True)
class ContactList:
    """One contact list of the account."""

    list_id: str
    name: str
    membership_count: int | None = None
    description: str = ""
    favorite: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None

    @classmethod
    def from_json(cls, data: Json) -> Self:
        """Read a list object of ``GET /contact_lists``."""
        return cls(
            list_id=_required_str(data, "list_id"),
            name=_str(data, "name"),
            membership_count=_int(data, "membership_count"),
            description=_str(data, "description"),
            favorite=data.get("favorite") is True,
            created_at=_time(data, "created_at"),
            updated_at=_time(data, "updated_at"),
            deleted_at=_time(data, "deleted_at"),
        )

    @property
    def deleted(self) -> bool:
        """True for a list that was deleted (an import may not target it)."""
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class CustomFieldMetadata:
    """A custom field's ``metadata``: what its values may look like (absent keys: defaults)."""

    allow_negative: bool = False  # number: negative values allowed (the swagger: default false)
    integer: bool = False  # number / currency: whole numbers only
    decimal_places: int | None = None  # number / currency: at most this many decimals
    currency_code: str = ""
    display_format: str = ""  # date: how the UI shows it (default YYYY-MM-DD)
    display_type: str = ""  # single_select / multi_select: radio, checkbox, dropdown

    @classmethod
    def from_json(cls, data: Json) -> Self:
        """Read the ``metadata`` object of a custom field."""
        return cls(
            allow_negative=data.get("allow_negative") is True,
            integer=data.get("integer") is True,
            decimal_places=_int(data, "decimal_places"),
            currency_code=_str(data, "currency_code"),
            display_format=_str(data, "display_format"),
            display_type=_str(data, "display_type"),
        )


@dataclass(frozen=True, slots=True)
class CustomField:
    """A custom contact field; imports address it as ``cf:<name>``.

    ``type`` is what its values must be (``string``, ``date``, ``number``, ``currency``,
    ``single_select``, ``multi_select``...); ``choices`` are the labels a select field accepts
    (deleted choices left out).
    """

    custom_field_id: str
    name: str
    label: str = ""
    type: str = ""
    metadata: CustomFieldMetadata = field(default_factory=CustomFieldMetadata)
    choices: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> Self:
        """Read an entry of ``GET /contact_custom_fields``."""
        choices = data.get("choices")
        label = _str(data, "label")
        return cls(
            custom_field_id=_required_str(data, "custom_field_id"),
            # `name` is not required (only `label` and `type` are): it is "constructed from the
            # label by replacing blanks with underscores", so a missing one is made that way.
            name=_str(data, "name") or label.replace(" ", "_"),
            label=label,
            type=_str(data, "type"),
            metadata=CustomFieldMetadata.from_json(_mapping(data, "metadata")),
            choices=tuple(
                _str(choice, "choice_label")
                for choice in (choices if isinstance(choices, list) else [])
                if isinstance(choice, Mapping)
                and _str(choice, "choice_label")
                and not choice.get("deleted_at")
            ),
        )


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """Who the connection is signed in as (``GET /account/summary``)."""

    organization_name: str = ""
    contact_email: str = ""
    first_name: str = ""
    last_name: str = ""
    encoded_account_id: str = ""
    country_code: str = ""
    time_zone_id: str = ""

    @classmethod
    def from_json(cls, data: Json) -> Self:
        """Read the account summary body; every field is optional."""
        return cls(
            organization_name=_str(data, "organization_name"),
            contact_email=_str(data, "contact_email"),
            first_name=_str(data, "first_name"),
            last_name=_str(data, "last_name"),
            encoded_account_id=_str(data, "encoded_account_id"),
            country_code=_str(data, "country_code"),
            time_zone_id=_str(data, "time_zone_id"),
        )


@dataclass(frozen=True, slots=True)
class ActivityStatus:
    """The counters of a bulk activity (see the API contract for what each one means)."""

    items_total_count: int = 0
    items_completed_count: int = 0
    person_count: int = 0
    error_count: int = 0
    correctable_count: int = 0
    cannot_add_to_list_count: int = 0
    reported: bool = False
    """True when the answer carried the counters (``items_total_count`` or ``person_count``);
    a listed activity may come without them (the swagger requires none of its properties),
    and zeros read from nothing must never account a batch."""

    @classmethod
    def from_json(cls, data: Json) -> Self:
        """Read the ``status`` object of an activity; missing counters are 0."""
        return cls(
            reported=_int(data, "items_total_count") is not None
            or _int(data, "person_count") is not None,
            items_total_count=_count(data, "items_total_count"),
            items_completed_count=_count(data, "items_completed_count"),
            person_count=_count(data, "person_count"),
            error_count=_count(data, "error_count"),
            correctable_count=_count(data, "correctable_count"),
            cannot_add_to_list_count=_count(data, "cannot_add_to_list_count"),
        )


@dataclass(frozen=True, slots=True)
class Activity:
    """A bulk activity (an import): its state, progress and counters."""

    activity_id: str
    state: str
    percent_done: int = 0
    activity_errors: tuple[str, ...] = ()
    status: ActivityStatus = field(default_factory=ActivityStatus)
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    errors_reported: bool = False
    """True when the answer carried an ``activity_errors`` list (empty or not)."""

    @property
    def is_final(self) -> bool:
        """True once the activity is completed, cancelled, failed or timed out."""
        return self.state in FINAL_ACTIVITY_STATES

    @property
    def has_details(self) -> bool:
        """True when the answer carried the counters and the error texts: a listed activity
        may lack both (``GET /activities/{id}`` is the one that states them)."""
        return self.status.reported and self.errors_reported

    @classmethod
    def from_json(cls, data: Json) -> Self:
        """Read an activity of ``POST /activities/...`` or ``GET /activities/{id}``."""
        errors = data.get("activity_errors")
        return cls(
            activity_id=_required_str(data, "activity_id"),
            # The swagger spells states in lower case; a server that shouts them means the same.
            state=_str(data, "state").strip().lower() or "initialized",
            percent_done=_count(data, "percent_done"),
            activity_errors=tuple(_error_text(e) for e in errors)
            if isinstance(errors, list)
            else (),
            status=ActivityStatus.from_json(_mapping(data, "status")),
            created_at=_time(data, "created_at"),
            started_at=_time(data, "started_at"),
            completed_at=_time(data, "completed_at"),
            errors_reported=isinstance(errors, list),
        )


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact, reduced to what cc-tui looks at."""

    contact_id: str
    email: str = ""
    permission_to_send: str = ""
    first_name: str = ""
    last_name: str = ""
    list_memberships: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> Self:
        """Read a contact of ``GET /contacts`` (``email_address`` is a nested object)."""
        email = _mapping(data, "email_address")
        memberships = data.get("list_memberships")
        return cls(
            contact_id=_required_str(data, "contact_id"),
            email=_str(email, "address"),
            permission_to_send=_str(email, "permission_to_send"),
            first_name=_str(data, "first_name"),
            last_name=_str(data, "last_name"),
            list_memberships=tuple(m for m in memberships if isinstance(m, str))
            if isinstance(memberships, list)
            else (),
        )
