"""Batches: never over 40,000 contacts or 4 MB, deterministic, JSON that parses back."""

from __future__ import annotations

import json

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cc_tui.engine.batching import MAX_BATCH_BYTES, BatchBuilder, contact_lines

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


def build(frames: list[pl.DataFrame], **limits: int) -> list:  # type: ignore[type-arg]
    builder = BatchBuilder(LIST_IDS, **limits)
    batches = []
    for frame in frames:
        batches.extend(builder.add(contact_lines(frame), refs_for(frame)))
    batches.extend(builder.finish())
    return batches


def test_null_fields_are_left_out_and_json_parses() -> None:
    frame = contacts_frame(4)
    body = [json.loads(line) for line in contact_lines(frame).to_list()]
    assert body[0] == {"email": "user0@example.com", "first_name": "Zoë"}
    assert body[1] == {"email": "user1@example.com"}


def test_unicode_quotes_and_newlines_survive() -> None:
    frame = pl.DataFrame({"email": ["a@x.com"], "job_title": ['He said "hi"\n,"x":null\u2028']})
    batch = build([frame])[0]
    assert json.loads(batch.body)["import_data"][0]["job_title"] == 'He said "hi"\n,"x":null\u2028'


def test_batches_hold_at_most_40000_contacts_in_order() -> None:
    batches = build([contacts_frame(30_000), contacts_frame(55_000, start=30_000)])
    assert [b.contacts for b in batches] == [40_000, 40_000, 5_000]
    emails = [c["email"] for b in batches for c in json.loads(b.body)["import_data"]]
    assert emails == [f"user{i}@example.com" for i in range(85_000)]
    assert all(json.loads(b.body)["list_ids"] == LIST_IDS for b in batches)
    assert [b.seq for b in batches] == [1, 2, 3]
    assert batches[1].refs["row"][0] == 10_001  # refs travel with their contacts


def test_same_contacts_give_same_batches_however_chunked() -> None:
    whole = build([contacts_frame(90_000, long=40)])
    chunks = build([contacts_frame(n, long=40, start=s) for s, n in
                    [(0, 7), (7, 40_000), (40_007, 1), (40_008, 49_992)]])  # fmt: skip
    assert [b.digest for b in whole] == [b.digest for b in chunks]


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
