"""Pass 2 reads its input in bounded chunks: Parquet a slice at a time, text by the streaming
reader; either way the batches depend only on the rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cc_tui.engine import building as preparation
from tests.engine.test_head_start import full_batches, messy_csv


@pytest.mark.parametrize("chunk_rows", [7, 100, 100_000])
def test_parquet_read_in_slices_gives_the_batches_of_the_same_rows_as_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    monkeypatch.setattr(preparation, "CHUNK_ROWS", chunk_rows)
    csv_path = tmp_path / "people.csv"
    csv_path.write_text(messy_csv(1_000), encoding="utf-8")
    parquet_path = tmp_path / "people.parquet"
    pl.read_csv(csv_path, infer_schema=False).write_parquet(parquet_path, row_group_size=64)
    from_csv = full_batches(csv_path, tmp_path, cap=1_000_000, max_contacts=60)
    from_parquet = full_batches(parquet_path, tmp_path, cap=1_000_000, max_contacts=60)
    assert len(from_csv) > 5
    assert [b.digest for b in from_parquet] == [b.digest for b in from_csv]
    assert all(p.refs.equals(c.refs) for p, c in zip(from_parquet, from_csv, strict=True))


def test_an_empty_parquet_segment_gives_no_batches(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    pl.DataFrame(
        {"email": [], "first_name": [], "title": []},
        schema={"email": pl.String, "first_name": pl.String, "title": pl.String},
    ).write_parquet(path)
    assert full_batches(path, tmp_path, cap=1_000_000, max_contacts=60) == []
