"""Deterministic demo data: the lists, custom fields and contacts of Riverside Outfitters.

The same ids come back on every start (uuid5 of the names), so a connection or an export that
points at "VIP customers" keeps working across emulator restarts.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cc_tui.emulator.records import ContactList, CustomField, custom_field_name
from cc_tui.emulator.state import EmulatorState

__all__ = [
    "SEED_CONTACTS",
    "SEED_FIELDS",
    "SEED_LISTS",
    "SeedField",
    "list_id_for",
    "seed_demo_data",
]

_NAMESPACE = uuid.UUID("6f2b3c1e-5d4a-4e8f-9a7b-0c1d2e3f4a5b")
SEED_LISTS = (
    ("Newsletter subscribers", "Monthly newsletter: new arrivals and trail reports."),
    ("Spring promo 2026", "Customers targeted by the spring 2026 gear sale."),
    ("VIP customers", "Top spenders and loyalty gold members."),
    ("Webinar attendees", "People who joined a gear-care or trip-planning webinar."),
    ("Trade show leads", "Leads collected at the Boston outdoor trade show."),
    ("Win-back", "Customers with no purchase in the last 18 months."),
)
DELETED_LIST = ("Holiday raffle 2024", "Entrants of the 2024 holiday raffle (retired).")


@dataclass(frozen=True, slots=True)
class SeedField:
    """A custom field of the demo account (its name is the label with blanks as underscores)."""

    label: str
    type: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    choices: tuple[str, ...] = ()


# The first three are what tests and the demo export map (cf:loyalty_tier...); the others give
# the account one field of every type the contract describes, and a name that is not ASCII.
SEED_FIELDS = (
    SeedField("loyalty tier", "string"),
    SeedField("favorite store", "string"),
    SeedField("customer since", "date"),
    SeedField(
        "lifetime value",
        "number",
        {"allow_negative": False, "integer": False, "decimal_places": 2},
    ),
    SeedField("store visits", "number", {"allow_negative": False, "integer": True}),
    SeedField(
        "balance",
        "currency",
        {"allow_negative": True, "integer": False, "decimal_places": 2, "currency_code": "USD"},
    ),
    SeedField(
        "shirt size", "single_select", {"display_type": "dropdown"}, ("XS", "S", "M", "L", "XL")
    ),
    SeedField(
        "interests",
        "multi_select",
        {"display_type": "checkbox"},
        ("hiking", "camping", "paddling", "climbing"),
    ),
    SeedField("Größe", "string"),
)
SEED_CONTACTS = 360
UNSUBSCRIBED_SHARE = 0.04
TYPED_VALUES_SHARE = 0.25  # seeded contacts that have values in the typed custom fields
_RANDOM_SEED = 20_260_401  # fixed: demo data never depends on the fault seed
_EPOCH = datetime(2025, 3, 1, 9, 0, tzinfo=UTC).timestamp()

# fmt: off
_FIRST = ("Avery", "Jordan", "Maya", "Liam", "Priya", "Noah", "Elena", "Mateo", "Grace", "Omar",
          "Hannah", "Kenji", "Sofia", "Lucas", "Amara", "Ethan", "Chloe", "Diego", "Ivy", "Sam")
_LAST = ("Nguyen", "Patel", "Okafor", "Schmidt", "Rossi", "Kim", "Garcia", "Murphy", "Silva",
         "Johansson", "Haddad", "Cohen", "Brooks", "Tanaka", "Moreau", "Walsh", "Ortiz")
# fmt: on
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
_TIERS = ("bronze", "silver", "gold")
_STORES = ("Riverside Main St", "Harbor Point", "Online", "Mill Falls")
_SIZES = ("XS", "S", "M", "L", "XL")
_INTERESTS = ("hiking", "camping", "paddling", "climbing")
_GROESSE = ("1,68 m", "1,75 m", "1,82 m")


def list_id_for(name: str) -> str:
    """The stable id of a seeded list."""
    return str(uuid.uuid5(_NAMESPACE, f"list:{name}"))


def seed_demo_data(state: EmulatorState) -> None:
    """Fill an empty state with the demo account."""
    for offset, (name, description) in enumerate(SEED_LISTS):
        when = _EPOCH + offset * 86_400
        state.add_list(ContactList(list_id_for(name), name, description, offset == 2, when, when))
    name, description = DELETED_LIST
    gone = _EPOCH + 30 * 86_400
    state.add_list(ContactList(list_id_for(name), name, description, False, _EPOCH, gone, gone))
    for offset, seeded in enumerate(SEED_FIELDS):
        field_name = custom_field_name(seeded.label)
        field_id = str(uuid.uuid5(_NAMESPACE, f"field:{field_name}"))
        when = _EPOCH + offset * 3_600
        record = CustomField(
            field_id,
            seeded.label,
            field_name,
            seeded.type,
            when,
            when,
            dict(seeded.metadata),
            list(seeded.choices),
        )
        state.add_custom_field(record)
    state.seed_contacts(_contacts())


def _contacts() -> list[dict[str, Any]]:
    rng = random.Random(_RANDOM_SEED)
    # The typed custom fields came later: their values have their own stream, so the names,
    # lists and permissions drawn from ``rng`` (member counts in snapshots) stay as they were.
    typed = random.Random(_RANDOM_SEED + 1)
    list_ids = [list_id_for(name) for name, _ in SEED_LISTS]
    people: list[dict[str, Any]] = []
    for number in range(SEED_CONTACTS):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        entry: dict[str, Any] = {
            "email": f"{first}.{last}{number}@{rng.choice(_DOMAINS)}".lower(),
            "first_name": first,
            "last_name": last,
            "cf:loyalty_tier": rng.choice(_TIERS),
            "cf:favorite_store": rng.choice(_STORES),
            "cf:customer_since": f"{rng.randint(2012, 2025)}-{rng.randint(1, 12):02d}-01",
            "list_ids": rng.sample(list_ids, rng.randint(1, 3)),
        }
        if typed.random() < TYPED_VALUES_SHARE:
            entry["cf:lifetime_value"] = f"{typed.randint(0, 500_000) / 100:.2f}"
            entry["cf:store_visits"] = str(typed.randint(1, 60))
            entry["cf:shirt_size"] = typed.choice(_SIZES)
            entry["cf:interests"] = ",".join(typed.sample(_INTERESTS, typed.randint(1, 2)))
            entry["cf:Größe"] = typed.choice(_GROESSE)
        if rng.random() < UNSUBSCRIBED_SHARE:
            entry["permission_to_send"] = "unsubscribed"
        people.append(entry)
    return people
