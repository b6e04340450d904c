"""End to end over loopback: digits of other scripts are no digits to Constant Contact.

Polars' ``\\d`` matches every Unicode decimal digit (Arabic-Indic, full-width...),
but the contract's phone numbers, SMS numbers and numbers are ASCII ``0-9`` (api-rules.md
section 3; the emulator matches ``[0-9]``). Such a value is a field problem: left out of its
contact and reported, never sent to cost the whole contact.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import polars as pl

from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.models.run import RunStatus
from tests.engine.conftest import Workspace
from tests.engine.test_runner_fields import api, contact
from tests.timing import FAST

ARABIC_INDIC_ZERO, FULL_WIDTH_ZERO = 0x0660, 0xFF10


def in_digits(text: str, zero: int) -> str:
    """``text`` with its ASCII digits written in the script whose zero is ``zero``."""
    return "".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in text)


ARABIC_INDIC = in_digits("555-555-5555", ARABIC_INDIC_ZERO)
FULL_WIDTH = in_digits("5081231235", FULL_WIDTH_ZERO)
ROWS = [
    {"email": "a@example.com", "phone": ARABIC_INDIC, "mobile": FULL_WIDTH,
     "n": in_digits("12", ARABIC_INDIC_ZERO)},
    {"email": "b@example.com", "phone": FULL_WIDTH, "mobile": ARABIC_INDIC,
     "n": "12." + in_digits("5", ARABIC_INDIC_ZERO)},
    {"email": "c@example.com", "phone": "555-555-5555", "mobile": "508-123-1235", "n": "12"},
]  # fmt: skip


def test_non_ascii_digits_are_dropped_not_sent(workspace: Workspace) -> None:
    number = api(workspace, "POST", "/contact_custom_fields",
                 json={"label": "n", "type": "number",
                       "metadata": {"integer": False, "decimal_places": 1}})  # fmt: skip
    pl.DataFrame(ROWS).write_csv(workspace.segments / "people.csv")
    workspace.add_export("promo", ("people",), phone="phone", sms_number="mobile", **{"cf:n": "n"})
    record = asyncio.run(ExportRunner(workspace.services).run(
        "promo", RunOptions(timing=FAST)))  # fmt: skip

    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.sent, record.confirmed, record.failed) == (3, 3, 0)
    assert workspace.members() == {row["email"] for row in ROWS}
    counted = Counter({(f, r): n for f, reasons in record.fields.items()
                       for r, n in reasons.items()})  # fmt: skip
    assert counted == {
        ("phone", "dropped_invalid_phone"): 2,
        ("sms_number", "dropped_invalid_phone"): 2,
        ("cf:n", "dropped_invalid_number"): 2,
    }
    first = contact(workspace, "a@example.com")
    assert first["phone_numbers"] == [] and first["custom_fields"] == {}
    assert "sms_channel" not in first or not first["sms_channel"]
    good = contact(workspace, "c@example.com")
    assert good["custom_fields"] == {number["custom_field_id"]: "12"}
    assert [p["phone_number"] for p in good["phone_numbers"]] == ["555-555-5555"]
