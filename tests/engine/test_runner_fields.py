"""End to end over loopback: bad optional fields never cost a contact.

A segment full of values Constant Contact documents as invalid (impossible dates, ISO
date-times, international and over-long phones, emoji over the length, tabs, a date custom
field holding text, a custom field with a non-ASCII name and JSON-looking values) is sent to the
emulator: every contact is confirmed, the bad values are left out or changed, and the summary,
the history and field_problems.csv say which, per field and reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.models.run import RunStatus
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.timing import FAST

ROWS = 90
_THROTTLED_TRIES = 20
_THROTTLED_WAIT = 0.3  # seconds: the emulator counts 4 requests in any one-second window


def segment_rows() -> list[dict[str, str | None]]:
    """Rows whose optional fields break the rules in a repeating pattern."""
    rows = []
    for i in range(ROWS):
        rows.append({
            "email": "p0@xn--bcher-kva.example" if i == 0 else f"p{i}@example.com",
            "first": {1: "Ana\tMaria", 2: "😀" * 30}.get(i % 10, f"Ana{i}"),
            "anniv": ["2006-13-45", "1995-05-11 00:00:00.000000000", "5/11/1995"][i % 3],
            "phone": {0: "+44 20 7946 0958", 1: "5" * 51}.get(i % 5, "555-555-5555"),
            "since": "gold" if i % 2 == 0 else "2020-01-31",
            "size": {0: None, 1: 'x,"y":null\\'}.get(i % 4, "42"),
            "bm": {0: "2", 1: "2"}.get(i % 6),
            "bd": {0: "30", 1: "29"}.get(i % 6),
            "mobile": {0: "+44 7700 900123", 1: "(508) 123-1235"}.get(i % 7, "508-123-1235"),
            "country": "Canada",
        })  # fmt: skip
    return rows


def expected_problems(rows: list[dict[str, str | None]]) -> Counter[tuple[str, str]]:
    """What each row's values should cost, decided here without cc-tui's code."""
    found: Counter[tuple[str, str]] = Counter()
    for row in rows:
        if "\t" in (row["first"] or ""):
            found["first_name", "changed_control_characters"] += 1
        if len((row["first"] or "").encode("utf-16-le")) // 2 > 50:
            found["first_name", "dropped_too_long"] += 1
        if row["anniv"] == "2006-13-45":
            found["anniversary", "dropped_invalid_date"] += 1
        if " 00:00:00" in (row["anniv"] or ""):
            found["anniversary", "changed_date_format"] += 1
        if (row["phone"] or "").startswith("+44"):
            found["phone", "dropped_invalid_phone"] += 1
        if len(row["phone"] or "") > 50:
            found["phone", "dropped_too_long"] += 1
        if row["since"] == "gold":
            found["cf:since", "dropped_invalid_date"] += 1
        if (row["mobile"] or "").startswith("+44"):
            found["sms_number", "dropped_invalid_phone"] += 1
        if (row["mobile"] or "").startswith("("):
            found["sms_number", "changed_sms_number_format"] += 1
        if row["bd"] == "30":
            found["birthday_month", "dropped_invalid_birthday"] += 1
            found["birthday_day", "dropped_invalid_birthday"] += 1
    return found


def api(ws: Workspace, method: str, path: str, **kwargs: Any) -> Any:
    """One API call as the signed-in connection, waiting out the rate limit like a client."""
    tokens = ws.services.secrets.tokens("conn")
    assert tokens is not None
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    for _ in range(_THROTTLED_TRIES):
        response = httpx.request(method, ws.emulator.api_base_url + path, headers=headers,
                                 **kwargs)  # fmt: skip
        if response.status_code != httpx.codes.TOO_MANY_REQUESTS:
            break
        time.sleep(_THROTTLED_WAIT)
    response.raise_for_status()
    return response.json()


def contact(
    ws: Workspace, email: str, include: str = "custom_fields,phone_numbers"
) -> dict[str, Any]:
    found = api(ws, "GET", "/contacts", params={"email": email, "include": include})["contacts"]
    assert len(found) == 1
    fields = {f["custom_field_id"]: f["value"] for f in found[0].get("custom_fields", [])}
    return {**found[0], "custom_fields": fields}


def test_bad_optional_fields_are_left_out_and_every_contact_is_confirmed(
    workspace: Workspace,
) -> None:
    ids = {
        label: api(workspace, "POST", "/contact_custom_fields",
                   json={"label": label, "type": kind})["custom_field_id"]
        for label, kind in (("größe", "string"), ("since", "date"))
    }  # fmt: skip
    rows = segment_rows()
    pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).write_csv(
        workspace.segments / "people.csv"
    )
    # name and segments given, so the **dict of str cannot be read as filling them
    workspace.add_export("promo", ("people",), first_name="first", anniversary="anniv",
                         phone="phone", birthday_month="bm", birthday_day="bd",
                         sms_number="mobile", **{"cf:since": "since", "cf:größe": "size",
                                                 "home country": "country"})  # fmt: skip
    runner = ExportRunner(workspace.services)
    record = asyncio.run(runner.run("promo", RunOptions(max_batch_contacts=40, timing=FAST)))

    # Fields never cost a contact, and never change the accounting.
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.rows_read, record.sent, record.confirmed, record.failed) == (ROWS,) * 3 + (0,)
    assert workspace.members() == {row["email"] for row in rows}
    expected = expected_problems(rows)
    counted = Counter({(f, r): n for f, reasons in record.fields.items() for r, n in
                       reasons.items()})  # fmt: skip
    assert counted == expected
    assert record.fields_dropped + record.fields_changed == expected.total()
    assert record.to_json()["fields"] == record.fields
    assert RunHistory(workspace.services.history).get(record.run_id) == record

    # field_problems.csv: one row per changed or dropped value, with the value as it was
    # (rows count from 1: rows[i] is row i + 1).
    assert record.field_problems_file is not None
    problems = pl.read_csv(record.field_problems_file, infer_schema=False)
    assert Counter(problems.select("field", "reason").rows()) == expected
    assert ("people", "2", "anniversary", "changed_date_format",
            "1995-05-11 00:00:00.000000000") in problems.rows()  # fmt: skip
    assert ("people", "1", "phone", "dropped_invalid_phone", "'+44 20 7946 0958") in problems.rows()

    # What Constant Contact received: the good values, changed where they had to be.
    first = contact(workspace, "p1@example.com", "custom_fields,phone_numbers,street_addresses")
    assert first["first_name"] == "Ana Maria"
    assert first["anniversary"] == "1995-05-11"
    assert (first["birthday_month"], first["birthday_day"]) == (2, 29)
    assert first["custom_fields"] == {ids["since"]: "2020-01-31", ids["größe"]: 'x,"y":null\\'}
    assert [p["phone_number"] for p in first["phone_numbers"]] == []  # 51 characters: dropped
    assert first["street_addresses"] == [{"kind": "home", "country": "Canada"}]
    zero = contact(workspace, "p0@xn--bcher-kva.example")
    assert "anniversary" not in zero and "birthday_month" not in zero
    assert zero["custom_fields"] == {}  # "gold" is no date; the size was empty
    assert zero["phone_numbers"] == []
    assert contact(workspace, "p3@example.com")["phone_numbers"] == [
        {"phone_number": "555-555-5555", "kind": "other"}
    ]
    assert Path(record.field_problems_file).stat().st_mode & 0o777 == 0o600


def test_a_resumed_run_counts_each_field_problem_once(workspace: Workspace) -> None:
    lines = ["email,anniv"] + [
        f"p{i}@example.com,{'2006-13-45' if i % 4 == 0 else '1995-05-11'}" for i in range(400)
    ]
    workspace.write("people.csv", "\n".join(lines) + "\n")
    workspace.add_export(anniversary="anniv")
    history = RunHistory(workspace.services.history)
    opts = RunOptions(max_batch_contacts=40, timing=FAST, workers=1)

    async def cancel_after_two_batches() -> None:
        task = asyncio.create_task(ExportRunner(workspace.services).run("promo", opts))
        while True:
            await asyncio.sleep(0.02)
            runs = history.runs(export="promo")
            if runs and len(history.batches(runs[0].run_id)) >= 2:
                break
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(cancel_after_two_batches())
    interrupted = history.runs(export="promo")[0]
    assert interrupted.status is RunStatus.INTERRUPTED
    resumed = asyncio.run(ExportRunner(workspace.services).run("promo", opts))
    assert resumed.run_id == interrupted.run_id and resumed.status is RunStatus.SUCCEEDED
    assert resumed.confirmed == 400
    assert resumed.fields == {"anniversary": {"dropped_invalid_date": 100}}
    assert resumed.field_problems_file is not None
    problems = pl.read_csv(resumed.field_problems_file, infer_schema=False)
    assert problems.height == 100 and problems["row"].n_unique() == 100


def test_a_dry_run_counts_field_problems_too(workspace: Workspace) -> None:
    workspace.write("people.csv", "email,phone\na@example.com,+44 20 7946 0958\nb@example.com,"
                    "555-555-5555\n")  # fmt: skip
    workspace.add_export(phone="phone")
    record = asyncio.run(ExportRunner(workspace.services).run(
        "promo", RunOptions(dry_run=True, timing=FAST)))  # fmt: skip
    assert record.status is RunStatus.SUCCEEDED and record.sent == 2
    assert record.fields == {"phone": {"dropped_invalid_phone": 1}}
    assert record.field_problems_file is not None
    would_send = Path(record.field_problems_file).with_name("would_send.jsonl").read_text()
    assert "+44" not in would_send and "555-555-5555" in would_send
