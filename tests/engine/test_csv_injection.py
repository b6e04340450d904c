"""rejected.csv and field_problems.csv: cells a spreadsheet would run get a reversible ``'``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from cc_tui.engine.email_check import RowClass
from cc_tui.engine.field_problems import FieldProblemsWriter
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.engine.run_files import neutralised_cell, original_cell
from cc_tui.models.reasons import RejectReason

HOSTILE = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1", "\r=1"]  # fmt: skip
ALREADY_QUOTED = ["'=1", "''+2", "'@x"]
HARMLESS = ["ok=1", "plain", "'quoted text", "", "a-b", " =1"]


@pytest.mark.parametrize("text", [*HOSTILE, *ALREADY_QUOTED, *HARMLESS])
def test_the_rule_is_reversible(text: str) -> None:
    written = neutralised_cell(text)
    assert original_cell(written) == text
    # What a spreadsheet sees never starts with a trigger character.
    assert written[:1] not in {"=", "+", "-", "@", "\t", "\r"}


def test_only_cells_that_would_run_change() -> None:
    assert [neutralised_cell(t) for t in HOSTILE] == [f"'{t}" for t in HOSTILE]
    assert [neutralised_cell(t) for t in ALREADY_QUOTED] == ["''=1", "'''+2", "''@x"]
    assert [neutralised_cell(t) for t in HARMLESS] == HARMLESS


def test_rejected_rows_neutralise_values_details_segments_and_column_names(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rejected.csv"
    values = [*HOSTILE, *ALREADY_QUOTED, *HARMLESS, None]
    writer = RejectedRowsWriter(path, ["email", "=col"])
    rows = pl.DataFrame({
        "row": list(range(1, len(values) + 1)),
        "cls": [RowClass.INVALID_EMAIL.value] * len(values),
        "email": values, "=col": values,
    })  # fmt: skip
    writer.write_classified("-seg", rows)
    refs = pl.DataFrame({"segment": [0], "row": [99], "email": ["a@b.c"], "=col": ["@x"]})
    writer.write_refused(["=vip"], refs, ["=refused by Constant Contact"])
    writer.close()

    frame = pl.read_csv(path, infer_schema=False)
    assert frame.columns == ["segment", "row", "reason", "detail", "email", "'=col"]
    classified, refused = frame.head(len(values)), frame.tail(1)
    expected = [None if v is None else neutralised_cell(v) for v in values]
    assert classified["email"].to_list() == expected
    assert classified["'=col"].to_list() == expected
    assert set(classified["segment"]) == {"'-seg"}
    assert refused.row(0) == (
        "'=vip", "99", RejectReason.REFUSED.value, "'=refused by Constant Contact", "a@b.c", "'@x"
    )  # fmt: skip
    # Every original comes back by removing the one added quote.
    restored = [None if c is None else original_cell(c) for c in classified["email"]]
    assert restored == values


def test_field_problems_follow_the_same_rule(tmp_path: Path) -> None:
    path = tmp_path / "field_problems.csv"
    writer = FieldProblemsWriter(path)
    values = [v for v in (*ALREADY_QUOTED, *HARMLESS) if v]  # CSV reads "" back as null
    writer.write("vip", pl.DataFrame({
        "row": list(range(len(values))), "field": ["job_title"] * len(values),
        "reason": ["dropped_too_long"] * len(values), "value": values,
    }))  # fmt: skip
    writer.close()
    frame = pl.read_csv(path, infer_schema=False)
    assert [original_cell(c) for c in frame["value"]] == values
    assert frame["value"].to_list()[:3] == ["''=1", "'''+2", "''@x"]
