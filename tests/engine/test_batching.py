"""Batches: never over 40,000 contacts or 4 MB, deterministic, JSON that parses back."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import Executor, ThreadPoolExecutor

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cc_tui.engine.batching import (
    MAX_BATCH_BYTES,
    MAX_CONTACTS_PER_BATCH,
    SIZE_SPREAD,
    Batch,
    BatchBuilder,
    SmsPermission,
    contact_lines,
    sms_permission,
)
from cc_tui.engine.mapping import contact_fields, mapped_fields
from cc_tui.models.config import FieldMapping

LIST_IDS = ["04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"]


def contacts_frame(n: int, *, long: int = 0, start: int = 0) -> pl.DataFrame:
    index = pl.int_range(start, start + n, eager=True)
    return pl.DataFrame({"email": index}).select(
        pl.format("user{}@example.com", pl.col("email")).alias("email"),
        pl.when(index % 3 == 0).then(pl.lit("Zoë")).alias("first_name"),
        pl.lit("x" * long if long else None, dtype=pl.String).alias("cf:notes"),
    )


def refs_for(contacts: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame({"row": pl.int_range(1, contacts.height + 1, eager=True)}).with_columns(
        contacts.get_column("email").alias("_email")
    )


def build(
    frames: list[pl.DataFrame],
    executor: Executor | None = None,
    *,
    max_contacts: int = MAX_CONTACTS_PER_BATCH,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[Batch]:
    builder = BatchBuilder(
        LIST_IDS, executor=executor, max_contacts=max_contacts, max_bytes=max_bytes
    )
    batches: list[Batch] = []
    for frame in frames:
        batches.extend(builder.add(contact_lines(frame), refs_for(frame)))
    batches.extend(builder.finish())
    return batches


def test_null_fields_are_left_out_and_json_parses() -> None:
    frame = contacts_frame(4)
    body = [json.loads(line) for line in contact_lines(frame).to_list()]
    assert body[0] == {"email": "user0@example.com", "first_name": "Zoë"}
    assert body[1] == {"email": "user1@example.com"}


def test_null_custom_fields_with_non_ascii_names_are_left_out() -> None:
    # Once sent as "cf:größe":null: the old code searched for the key as json.dumps spells it
    # (\u00f6), while the line held it as raw UTF-8.
    frame = pl.DataFrame({
        "email": ["a@x.com", "b@x.com", "c@x.com"],
        "cf:größe": [None, "42", ""],
        'cf:"quoted"\\': ["v", None, None],
        "birthday_month": [None, 7, None],
    }, schema_overrides={"birthday_month": pl.Int64})  # fmt: skip
    lines = contact_lines(frame).to_list()
    assert [json.loads(line) for line in lines] == [
        {"email": "a@x.com", 'cf:"quoted"\\': "v"},
        {"email": "b@x.com", "cf:größe": "42", "birthday_month": 7},
        {"email": "c@x.com"},
    ]
    assert all("null" not in line and '""' not in line for line in lines)
    assert "größe" in lines[1]  # written as UTF-8, not escaped


def test_values_that_look_like_json_stay_inside_their_string() -> None:
    hostile = [',"x":null', '"}', "back\\slash\\", '\\",\"email\":null', "tab\tnew\nline\x00\x1f",
               "😀 ünï \u2028", ":null", "null"]  # fmt: skip
    frame = pl.DataFrame({"email": [f"p{i}@x.com" for i in range(len(hostile))],
                          "job_title": hostile, "cf:größe": [None] * len(hostile)},
                         schema_overrides={"cf:größe": pl.String})  # fmt: skip
    decoded = [json.loads(line) for line in contact_lines(frame).to_list()]
    assert [d["job_title"] for d in decoded] == hostile
    assert all(set(d) == {"email", "job_title"} for d in decoded)


def test_other_column_types_are_refused() -> None:
    with pytest.raises(TypeError, match="score"):
        contact_lines(pl.DataFrame({"email": ["a@x.com"], "score": [1.5]}))


_TEXT = st.one_of(st.none(), st.text(max_size=12))
_KEYS = st.lists(
    st.one_of(st.sampled_from(["first_name", "cf:größe", 'cf:a"b', "cf:x\\y", "home country"]),
              st.text(min_size=1, max_size=8).map(lambda t: "cf:" + t)),
    min_size=1, max_size=4, unique=True,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(keys=_KEYS, data=st.data())
def test_every_line_is_json_without_nulls_or_empty_strings(
    keys: list[str], data: st.DataObject
) -> None:
    rows = data.draw(st.integers(min_value=1, max_value=6))
    # The e-mail is always there in a run; here it may be missing too (then the first present
    # field must not start with a comma).
    emails = [f"p{i}@x.com" for i in range(rows)]
    columns: dict[str, list[object]] = {
        "email": data.draw(st.one_of(st.just(emails), st.lists(_TEXT, min_size=rows,
                                                                max_size=rows)))
    }  # fmt: skip
    for key in keys:
        columns[key] = data.draw(st.lists(_TEXT, min_size=rows, max_size=rows))
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    for index, line in enumerate(contact_lines(frame).to_list()):
        decoded = json.loads(line)
        expected = {k: v[index] for k, v in columns.items() if v[index] not in (None, "")}
        assert decoded == expected
        assert None not in decoded.values() and "" not in decoded.values()


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=8))
def test_contacts_from_any_text_have_no_blank_values(values: list[str | None]) -> None:
    fields = mapped_fields(FieldMapping(email="e", first_name="f", attributes={
        "cf:größe": "f", "anniversary": "f", "phone": "f", "sms_number": "f"}))  # fmt: skip
    rows = pl.DataFrame({"e": [f"p{i}@x.com" for i in range(len(values))], "f": values},
                        schema={"e": pl.String, "f": pl.String})  # fmt: skip
    for line in contact_lines(contact_fields(rows, fields).contacts).to_list():
        decoded = json.loads(line)
        for value in decoded.values():
            assert isinstance(value, str) and value.strip() and value == value.strip()
            assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value)
            assert len(value.encode("utf-16-le")) // 2 <= 255


def test_unicode_quotes_and_newlines_survive() -> None:
    frame = pl.DataFrame({"email": ["a@x.com"], "job_title": ['He said "hi"\n,"x":null\u2028']})
    batch = build([frame])[0]
    assert json.loads(batch.body)["import_data"][0]["job_title"] == 'He said "hi"\n,"x":null\u2028'


def test_batches_hold_at_most_40000_contacts_in_order() -> None:
    batches = build([contacts_frame(30_000), contacts_frame(55_000, start=30_000)])
    # Cut by the contact limit, each batch holds one contact fewer than the one before (so
    # a lost import can be recognised by its count): 40,000, 39,999, then the rest.
    assert [b.contacts for b in batches] == [40_000, 39_999, 5_001]
    emails = [c["email"] for b in batches for c in json.loads(b.body)["import_data"]]
    assert emails == [f"user{i}@example.com" for i in range(85_000)]
    assert all(json.loads(b.body)["list_ids"] == LIST_IDS for b in batches)
    assert [b.seq for b in batches] == [1, 2, 3]
    assert batches[1].refs["row"][0] == 10_001  # refs travel with their contacts


def test_batches_cut_by_the_contact_limit_differ_in_size_within_a_spread() -> None:
    batches = build([contacts_frame(40_000)], max_contacts=2_000)
    sizes = [b.contacts for b in batches]
    assert sizes[:SIZE_SPREAD] == [2_000 - i for i in range(SIZE_SPREAD)]
    assert sizes[SIZE_SPREAD] == 2_000  # and round again
    assert len(set(sizes[:SIZE_SPREAD])) == SIZE_SPREAD
    # Small batches (tests) are cut exactly.
    assert {b.contacts for b in build([contacts_frame(100)], max_contacts=10)} == {10}


def test_same_contacts_give_same_batches_however_chunked() -> None:
    whole = build([contacts_frame(90_000, long=40)])
    chunks = build([contacts_frame(n, long=40, start=s) for s, n in
                    [(0, 7), (7, 40_000), (40_007, 1), (40_008, 49_992)]])  # fmt: skip
    assert [b.digest for b in whole] == [b.digest for b in chunks]


def test_bodies_built_on_other_threads_are_the_same_batches_in_order() -> None:
    frames = [contacts_frame(n, long=90, start=s) for s, n in
              [(0, 30_000), (30_000, 7), (30_007, 95_000), (125_007, 3)]]  # fmt: skip
    here = build(frames)
    with ThreadPoolExecutor(2) as pool:
        there = build(frames, executor=pool)
    assert len(there) >= 5
    assert [(b.seq, b.contacts, b.digest, b.body) for b in there] == [
        (b.seq, b.contacts, b.digest, b.body) for b in here
    ]
    assert all(t.refs.equals(h.refs) for t, h in zip(there, here, strict=True))
    # The body is exactly the request, and the digest is the body's.
    assert [b.digest for b in there] == [hashlib.sha256(b.body).hexdigest() for b in here]
    assert json.loads(there[0].body)["list_ids"] == LIST_IDS


def test_long_attributes_are_cut_by_bytes_before_4mb() -> None:
    batches = build([contacts_frame(40_000, long=200)])  # about 10 MB of JSON
    assert len(batches) == 3
    assert all(len(b.body) <= MAX_BATCH_BYTES for b in batches)
    assert sum(b.contacts for b in batches) == 40_000
    # The first batch is as full as the limit allows: one more contact would not fit.
    assert len(batches[0].body) > MAX_BATCH_BYTES - 400


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=3_000), min_size=1, max_size=6),
    long=st.integers(min_value=0, max_value=255),
    max_contacts=st.integers(min_value=1, max_value=2_500),
    max_bytes=st.integers(min_value=2_000, max_value=300_000),
)
def test_limits_hold_for_any_input(
    sizes: list[int], long: int, max_contacts: int, max_bytes: int
) -> None:
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    frames = [contacts_frame(n, long=long, start=s) for s, n in zip(starts, sizes, strict=True)]
    batches = build(frames, max_contacts=max_contacts, max_bytes=max_bytes)
    assert sum(b.contacts for b in batches) == sum(sizes)
    for batch in batches:
        assert 1 <= batch.contacts <= max_contacts
        assert len(batch.body) <= max_bytes
        decoded = json.loads(batch.body)
        assert len(decoded["import_data"]) == batch.contacts == batch.refs.height


def _sms_frame() -> pl.DataFrame:
    """30 contacts in batches of 10: the first 10 without SMS numbers, the next 10 with
    numbers and consent dates, the last 10 with numbers and one without a date."""
    dated = ["2024-01-02"] * 10 + [None] + ["2024-01-02"] * 9
    return pl.DataFrame(
        {
            "email": [f"user{i}@example.com" for i in range(30)],
            "sms_number": [None] * 10 + ["5551234567"] * 20,
            "sms_consent_date": [None] * 10 + dated,
        }
    )


def _permissions(frame: pl.DataFrame, how: SmsPermission) -> list[str | None]:
    builder = BatchBuilder(LIST_IDS, max_contacts=10, sms_permission=how)
    batches = [*builder.add(contact_lines(frame), refs_for(frame)), *builder.finish()]
    bodies = [json.loads(batch.body) for batch in batches]
    assert [len(body["import_data"]) for body in bodies] == [10, 10, 10]
    assert all(body["list_ids"] == LIST_IDS for body in bodies)
    return [body.get("sms_permission_to_send") for body in bodies]


def test_each_import_says_how_its_sms_contacts_consented() -> None:
    # The swagger: with sms_number "you must set" sms_permission_to_send; not_set when the
    # contacts gave no consent, explicit only with each contact's sms_consent_date.
    assert sms_permission(["email", "first_name"]) is SmsPermission.NONE
    assert sms_permission(["email", "sms_number"]) is SmsPermission.NOT_SET
    assert sms_permission(["email", "sms_number", "sms_consent_date"]) is SmsPermission.PER_BATCH
    frame = _sms_frame()
    assert _permissions(frame, SmsPermission.PER_BATCH) == [None, "explicit", "not_set"]
    assert _permissions(frame.drop("sms_consent_date"), SmsPermission.NOT_SET) == ["not_set"] * 3
    assert (
        _permissions(frame.drop("sms_number", "sms_consent_date"), SmsPermission.NONE) == [None] * 3
    )


def test_a_value_that_spells_a_key_is_no_sms_number() -> None:
    frame = pl.DataFrame({"email": ["a@example.com"], "first_name": ['"sms_number":"5551234567"']})
    builder = BatchBuilder(LIST_IDS, sms_permission=SmsPermission.PER_BATCH)
    [batch] = [*builder.add(contact_lines(frame), refs_for(frame)), *builder.finish()]
    assert "sms_permission_to_send" not in json.loads(batch.body)


def test_the_byte_limit_counts_the_sms_permission() -> None:
    frame = _sms_frame()
    limit = 700
    builder = BatchBuilder(LIST_IDS, max_bytes=limit, sms_permission=SmsPermission.PER_BATCH)
    batches = [*builder.add(contact_lines(frame), refs_for(frame)), *builder.finish()]
    assert len(batches) > 3 and all(len(batch.body) <= limit for batch in batches)
    assert sum(len(json.loads(b.body)["import_data"]) for b in batches) == 30
