"""Deterministic demo data: the lists, custom fields and contacts of Riverside Outfitters.

The same ids come back on every start (uuid5 of the names), so a connection or an export that
points at "VIP customers" keeps working across emulator restarts.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

from cc_tui.emulator.records import ContactList, CustomField, custom_field_name
from cc_tui.emulator.state import EmulatorState

__all__ = ["SEED_CONTACTS", "SEED_LISTS", "list_id_for", "seed_demo_data"]

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
SEED_FIELDS = (("loyalty tier", "string"), ("favorite store", "string"), ("customer since", "date"))
SEED_CONTACTS = 360
UNSUBSCRIBED_SHARE = 0.04
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
    for offset, (label, field_type) in enumerate(SEED_FIELDS):
        field_name = custom_field_name(label)
        field_id = str(uuid.uuid5(_NAMESPACE, f"field:{field_name}"))
        when = _EPOCH + offset * 3_600
        state.add_custom_field(CustomField(field_id, label, field_name, field_type, when, when))
    state.seed_contacts(_contacts())


def _contacts() -> list[dict[str, Any]]:
    rng = random.Random(_RANDOM_SEED)
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
        if rng.random() < UNSUBSCRIBED_SHARE:
            entry["permission_to_send"] = "unsubscribed"
        people.append(entry)
    return people
