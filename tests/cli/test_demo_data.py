"""Demo segments: deterministic, realistic, with the asked-for shares of bad and repeated rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cc_tui.cli.demo import data as demo_data
from cc_tui.cli.demo.data import (
    DEMO_COLUMNS,
    DemoFormat,
    write_demo_segment,
    write_demo_segments,
)
from cc_tui.engine.segments.discovery import discover_segments
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.reading import count_rows, scan_segment
from cc_tui.models.config import AppConfig

# What a reasonable validator accepts; the demo's malformed e-mails must all fail it.
EMAIL_RE = r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"


def _normalised(frame: pl.DataFrame) -> pl.Series:
    return frame["email"].str.strip_chars().str.to_lowercase()


def test_same_seed_same_bytes_other_seed_other_rows(tmp_path: Path) -> None:
    a = write_demo_segment(tmp_path / "a.csv", 5_000, seed=7)
    b = write_demo_segment(tmp_path / "b.csv", 5_000, seed=7)
    c = write_demo_segment(tmp_path / "c.csv", 5_000, seed=8)

    assert a.path.read_bytes() == b.path.read_bytes()
    assert (a.invalid, a.missing, a.duplicate) == (b.invalid, b.missing, b.duplicate)
    assert a.path.read_bytes() != c.path.read_bytes()


def test_chunking_does_not_change_the_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = write_demo_segment(tmp_path / "whole.csv", 10_000)
    monkeypatch.setattr(demo_data, "CHUNK_ROWS", 1_500)
    chunked = write_demo_segment(tmp_path / "chunked.csv", 10_000)

    assert whole.path.read_bytes() == chunked.path.read_bytes()
    assert chunked.duplicate == whole.duplicate


def test_shares_are_roughly_as_asked_and_counted_exactly(tmp_path: Path) -> None:
    stats = write_demo_segment(
        tmp_path / "s.csv", 50_000, invalid_share=0.04, duplicate_share=0.06, missing_share=0.02
    )
    frame = pl.read_csv(stats.path, infer_schema=False)
    emails = _normalised(frame)
    present = emails.drop_nulls()

    assert stats.rows == frame.height == 50_000
    assert stats.missing == frame["email"].null_count()
    assert stats.missing == pytest.approx(1_000, rel=0.15)
    assert stats.invalid == pytest.approx(2_000, rel=0.1)
    assert stats.duplicate == pytest.approx(3_000, rel=0.1)
    # Exact: every duplicate repeats an earlier e-mail once normalised, and nothing else does.
    assert present.len() - present.n_unique() == stats.duplicate
    assert (~present.str.contains(EMAIL_RE)).sum() == stats.invalid


def test_emails_need_normalising_and_names_are_international(tmp_path: Path) -> None:
    frame = pl.read_csv(write_demo_segment(tmp_path / "p.csv", 20_000).path, infer_schema=False)
    raw = frame["email"].drop_nulls()

    assert frame.columns == list(DEMO_COLUMNS)
    assert (raw != raw.str.strip_chars()).sum() > 100
    assert (raw != raw.str.to_lowercase()).sum() > 100
    names = set(frame["first_name"]) | set(frame["last_name"])
    assert {"José", "Zoë", "Łukasz", "Müller", "O'Brien"} <= names
    assert frame["customer_id"][0] == "0000000000"
    assert frame["customer_id"].n_unique() == frame.height


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet", "ndjson"])
def test_every_format_holds_the_same_rows(tmp_path: Path, fmt: DemoFormat) -> None:
    reference = write_demo_segment(tmp_path / "ref.csv", 3_000, seed=3)
    stats = write_demo_segment(tmp_path / f"out.{fmt}", 3_000, seed=3, fmt=fmt)
    expected = scan_segment(inspect_path(reference.path, name="ref")).collect()

    frame = scan_segment(inspect_path(stats.path, name="out"), work_dir=tmp_path / "w").collect()

    assert (stats.invalid, stats.missing) == (reference.invalid, reference.missing)
    # NDJSON numbers come back as Polars prints them (409.0 -> "409"): compare them as numbers.
    as_number = pl.col("lifetime_value").cast(pl.Float64)
    assert_frame_equal(frame.with_columns(as_number), expected.with_columns(as_number))


def test_200k_rows_generate_fine(tmp_path: Path) -> None:
    stats = write_demo_segment(tmp_path / "big.parquet", 200_000, fmt="parquet", seed=1)

    segment = inspect_path(stats.path, name="big")
    assert count_rows(segment) == stats.rows == 200_000
    assert stats.duplicate == pytest.approx(6_000, rel=0.1)


def test_zero_rows_writes_just_the_header(tmp_path: Path) -> None:
    stats = write_demo_segment(tmp_path / "none.csv", 0)

    assert stats.rows == stats.invalid == stats.missing == stats.duplicate == 0
    assert stats.path.read_text().strip() == ",".join(DEMO_COLUMNS)


@pytest.mark.parametrize(
    "kwargs",
    [{"rows": -1}, {"invalid_share": -0.1}, {"duplicate_share": 0.7, "invalid_share": 0.5}],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, float]) -> None:
    arguments: dict[str, float] = {"rows": 10} | kwargs
    rows = int(arguments.pop("rows"))
    with pytest.raises(ValueError, match=r"negative|at most 1"):
        write_demo_segment(tmp_path / "x.csv", rows, **arguments)  # type: ignore[arg-type]


def test_demo_segments_overlap_so_cross_segment_dedup_shows(tmp_path: Path) -> None:
    customers, vip, new = write_demo_segments(tmp_path, 20_000)

    found = discover_segments(AppConfig(segments_dirs=(tmp_path,)))
    assert sorted(found) == ["customers", "new-subscribers", "vip"]
    assert [s.path.name for s in (customers, vip, new)] == [
        "customers.csv",
        "vip.parquet",
        "new-subscribers.ndjson",
    ]
    frames = {name: scan_segment(seg, ["email"]).collect() for name, seg in found.items()}
    main = set(_normalised(frames["customers"]).drop_nulls())
    in_vip = set(_normalised(frames["vip"]).drop_nulls())
    overlap = len(main & in_vip)
    assert 0 < overlap <= vip.duplicate
    assert vip.rows == 2_000 and new.rows == 400
    # Every repeated VIP e-mail is in customers or earlier in the VIP file itself.
    assert overlap + (len(frames["vip"]) - vip.missing - len(in_vip)) == vip.duplicate
