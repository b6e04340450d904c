"""Contact lists, custom fields and the account owner: small records and their JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from cc_tui.emulator.formats import iso_time

__all__ = [
    "NUMBER_TYPES",
    "SELECT_TYPES",
    "Account",
    "ContactList",
    "CustomField",
    "custom_field_name",
]

# Custom field types whose values the emulator checks beyond their length (api-rules section 3).
NUMBER_TYPES = frozenset({"number", "currency"})
SELECT_TYPES = frozenset({"single_select", "multi_select"})


def custom_field_name(label: str) -> str:
    """The unique name CC derives from a label: blanks become underscores."""
    return label.strip().replace(" ", "_")


@dataclass(slots=True)
class ContactList:
    """One contact list; its members live in the contact table."""

    list_id: str
    name: str
    description: str
    favorite: bool
    created_at: float
    updated_at: float
    deleted_at: float | None = None

    def to_json(self, membership_count: int | None = None) -> dict[str, Any]:
        """A ``ContactList`` object; ``membership_count`` only when asked for."""
        body: dict[str, Any] = {
            "list_id": self.list_id,
            "name": self.name,
            "description": self.description,
            "favorite": self.favorite,
            "created_at": iso_time(self.created_at),
            "updated_at": iso_time(self.updated_at),
        }
        if self.deleted_at is not None:
            body["deleted_at"] = iso_time(self.deleted_at)
        if membership_count is not None:
            body["membership_count"] = membership_count
        return body

    def to_dict(self) -> dict[str, Any]:
        """State-file form."""
        return asdict(self)


@dataclass(slots=True)
class CustomField:
    """One custom field; contacts store its values under ``cf:<name>``.

    ``metadata`` holds the swagger's ``CustomFieldMetadata`` keys (``allow_negative``,
    ``integer``, ``decimal_places``...); ``choices`` the labels of a select field, in order.
    """

    custom_field_id: str
    label: str
    name: str
    type: str
    created_at: float
    updated_at: float
    metadata: dict[str, Any] = field(default_factory=dict)
    choices: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A ``CustomField`` object (``metadata`` when set, ``choices`` for select types)."""
        body: dict[str, Any] = {
            "custom_field_id": self.custom_field_id,
            "label": self.label,
            "name": self.name,
            "type": self.type,
        }
        if self.metadata:
            body["metadata"] = dict(self.metadata)
        if self.type in SELECT_TYPES:
            body["choices"] = [
                {
                    "custom_field_id": self.custom_field_id,
                    "choice_id": number,
                    "choice_label": label,
                    "display_order": number,
                    "created_at": iso_time(self.created_at),
                    "updated_at": iso_time(self.updated_at),
                }
                for number, label in enumerate(self.choices, start=1)
            ]
        body["created_at"] = iso_time(self.created_at)
        body["updated_at"] = iso_time(self.updated_at)
        return body

    def to_dict(self) -> dict[str, Any]:
        """State-file form."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Account:
    """The emulated account's owner and organisation (``GET /account/summary``)."""

    organization_name: str = "Riverside Outfitters"
    contact_email: str = "owner@riverside-outfitters.example"
    contact_phone: str = "5085550142"
    first_name: str = "Dana"
    last_name: str = "Whitfield"
    encoded_account_id: str = "a07e1riv3rsd"
    country_code: str = "US"
    state_code: str = "MA"
    time_zone_id: str = "US/Eastern"
    organization_phone: str = "508-555-0100"
    website: str = "https://riverside-outfitters.example"

    def to_json(self) -> dict[str, Any]:
        """A ``Customer`` object."""
        return asdict(self)
