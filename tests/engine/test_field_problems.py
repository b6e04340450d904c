"""field_problems.csv: streamed rows, private mode, formula cells neutralised, counts."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import polars as pl

from cc_tui.engine.field_problems import FIELD_PROBLEM_COLUMNS, FieldProblemsWriter
from cc_tui.engine.rejected import RejectedRowsWriter


def problems(*rows: tuple[int, str, str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"row": pl.UInt64, "field": pl.String, "reason": pl.String,
                      "value": pl.String}, orient="row")  # fmt: skip


def test_rows_are_appended_as_they_come_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "run" / "field_problems.csv"
    writer = FieldProblemsWriter(path)
    writer.write("vip", problems(
        (3, "anniversary", "dropped_invalid_date", "2006-13-45"),
        (4, "first_name", "changed_control_characters", "A\tB"),
    ))  # fmt: skip
    # Streamed: what is written is on disk before the run ends.
    assert pl.read_csv(path, infer_schema=False).height == 2
    writer.write("new", problems((1, "anniversary", "dropped_invalid_date", "1995-02-30")))
    writer.write("new", problems())
    writer.close()
    frame = pl.read_csv(path, infer_schema=False)
    assert tuple(frame.columns) == FIELD_PROBLEM_COLUMNS
    assert frame.rows() == [
        ("vip", "3", "anniversary", "dropped_invalid_date", "2006-13-45"),
        ("vip", "4", "first_name", "changed_control_characters", "A\tB"),
        ("new", "1", "anniversary", "dropped_invalid_date", "1995-02-30"),
    ]
    assert writer.counts() == {"anniversary": {"dropped_invalid_date": 2},
                               "first_name": {"changed_control_characters": 1}}  # fmt: skip
    assert writer.rows_written == 3


def test_cells_a_spreadsheet_would_run_get_a_leading_quote(tmp_path: Path) -> None:
    path = tmp_path / "field_problems.csv"
    writer = FieldProblemsWriter(path)
    values = ['=HYPERLINK("http://x")', "+1 555", "-2", "@SUM(A1)", "\t=1", "\r=1", "ok=1", None]
    writer.write("=seg", problems(*((i, "job_title", "dropped_too_long", v)
                                    for i, v in enumerate(values))))  # fmt: skip
    writer.close()
    frame = pl.read_csv(path, infer_schema=False)
    assert frame["value"].to_list() == [
        "'=HYPERLINK(\"http://x\")", "'+1 555", "'-2", "'@SUM(A1)", "'\t=1", "'\r=1", "ok=1", None,
    ]  # fmt: skip
    assert set(frame["segment"]) == {"'=seg"}


def test_run_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        stale = tmp_path / "field_problems.csv"
        stale.write_text("old")
        stale.chmod(0o644)
        FieldProblemsWriter(stale).close()
        RejectedRowsWriter(tmp_path / "rejected.csv", ["email"]).close()
    finally:
        os.umask(old)
    for name in ("field_problems.csv", "rejected.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert stale.read_text().startswith("segment,row,field,reason,value")
