"""End to end over loopback: whatever a segment holds, Constant Contact refuses no contact.

Every field cc-tui can map (the most of each the contract allows: three phones, three
addresses of three kinds, every custom field type) is fed seeded random values drawn from a
hostile pool: other scripts' digits, control characters, emoji at the length limits, JSON
look-alikes, dates in and out of the documented formats, near-miss phones and choices. The
emulator refuses a contact for any value the contract does not allow (docs/api-rules.md
section 3); cc-tui must leave every such value out before sending, so every contact sent is
confirmed, none refused.
"""

from __future__ import annotations

import asyncio
import random

import polars as pl

from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.models.run import RunStatus
from tests.engine.conftest import Workspace
from tests.engine.test_runner_fields import api
from tests.timing import FAST

ROWS = 400
SEED = 20261205
ARABIC_INDIC_FIVE, FULL_WIDTH_FIVE = "\u0665", "\uff15"
# Pieces a value is made of: digits and separators (ASCII and not), letters, blanks and
# controls, emoji (two UTF-16 units), JSON's special characters, date and choice fragments.
PIECES = (
    *"0123456789" * 4,
    *" -.()+/:,xT",
    "ext.",
    "ext ",
    ARABIC_INDIC_FIVE,
    FULL_WIDTH_FIVE,
    *"aZéß",
    "\u00a0",
    "\u200b",
    "\t",
    "\n",
    "\x7f",
    "\x85",
    "\u2028",
    "\U0001f600",
    '"',
    "\\",
    "null",
    "2020-02-29",
    "1/31/2099",
    "2006-13-45",
    "12:30:00Z",
    "Gold",
    "Silver",
    ",",
)
# Values that pass a rule exactly, so that plenty of each field is sent.
GOOD = {
    "phone": "555-555-5555",
    "date": "2020-02-29",
    "sms": "(508) 123-1235",
    "number": "12.5",
    "choice": "Gold",
    "choices": "Gold, Silver",
    "month": "2",
    "day": "29",
}
LENGTHS = (0, 1, 2, 5, 10, 12, 16, 24, 25, 26, 49, 50, 51, 127, 128, 255, 256)
# label, type, metadata, choices
CUSTOM_FIELDS: tuple[tuple[str, str, dict[str, object], tuple[str, ...] | None], ...] = (
    ("text", "string", {}, None),
    ("since", "date", {}, None),
    ("amount", "number", {"allow_negative": True, "integer": False, "decimal_places": 2}, None),
    ("visits", "number", {"integer": True}, None),
    ("spend", "currency", {"integer": False, "decimal_places": 1, "currency_code": "USD"}, None),
    ("tier", "single_select", {}, ("Gold", "Silver")),
    ("tags", "multi_select", {}, ("Gold", "Silver")),
)
# Mapped field -> the kind of good value it is sometimes given (None: text).
FIELDS: dict[str, str | None] = {
    "first_name": None,
    "last_name": None,
    "job_title": None,
    "company_name": None,
    "birthday_month": "month",
    "birthday_day": "day",
    "anniversary": "date",
    "phone": "phone",
    "home_phone": "phone",
    "mobile_phone": "phone",
    **dict.fromkeys(("street", "street2", "city", "state", "zip", "country"), None),
    **dict.fromkeys(("work_street", "work_city", "work_zip", "work_country"), None),
    **dict.fromkeys(("other_street", "other_street2", "other_state"), None),
    "sms_number": "sms",
    "sms_consent_date": "date",
    "cf:text": None,
    "cf:since": "date",
    "cf:amount": "number",
    "cf:visits": "number",
    "cf:spend": "number",
    "cf:tier": "choice",
    "cf:tags": "choices",
}


def hostile(rng: random.Random, good: str | None) -> str:
    """A value: empty, the good one, the good one spoiled, or pieces up to a length limit."""
    roll = rng.random()
    if good is not None and roll < 0.3:
        return GOOD[good]
    if good is not None and roll < 0.5:
        spoiled = list(GOOD[good])
        spoiled.insert(rng.randrange(len(spoiled) + 1), rng.choice(PIECES))
        return "".join(spoiled)
    text = ""
    limit = rng.choice(LENGTHS)
    while len(text) < limit:
        text += rng.choice(PIECES)
    return text


def test_no_contact_is_refused_whatever_its_fields_hold(workspace: Workspace) -> None:
    for label, kind, metadata, choices in CUSTOM_FIELDS:
        body: dict[str, object] = {"label": label, "type": kind, "metadata": metadata}
        if choices:
            body["choices"] = [{"choice_label": c, "display_order": i} for i, c in
                               enumerate(choices)]  # fmt: skip
        api(workspace, "POST", "/contact_custom_fields", json=body)
    rng = random.Random(SEED)
    columns = {name: f"c{index}" for index, name in enumerate(FIELDS)}
    rows = [
        {"email": f"p{row}@example.com"}
        | {columns[name]: hostile(rng, good) for name, good in FIELDS.items()}
        for row in range(ROWS)
    ]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String))
    frame.write_parquet(workspace.segments / "people.parquet")
    first, last = columns.pop("first_name"), columns.pop("last_name")
    workspace.add_export("promo", ("people",), first_name=first, last_name=last, **columns)

    record = asyncio.run(ExportRunner(workspace.services).run(
        "promo", RunOptions(max_batch_contacts=100, timing=FAST)))  # fmt: skip

    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.sent, record.confirmed, record.failed) == (ROWS, ROWS, 0)
    assert workspace.emulator.stats()["contacts_refused"] == {}
    # The pool did its job: values of every kind were left out, and plenty were sent.
    dropped = {field for field, reasons in record.fields.items()
               if any(reason.startswith("dropped_") for reason in reasons)}  # fmt: skip
    assert {"phone", "sms_number", "anniversary", "cf:amount", "cf:tags", "first_name"} <= dropped
    assert record.fields_dropped < ROWS * len(FIELDS) // 2
