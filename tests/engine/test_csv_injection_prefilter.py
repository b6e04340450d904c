"""The vectorised CSV-injection quote, which runs its regular expression only on the cells a
cheap look at their first bytes lets through, gives every cell what the per-cell rule
(:func:`neutralised_cell`, Python's own regular expression) gives it."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cc_tui.engine.run_files import (
    FORMULA_TRIGGERS,
    neutralised,
    neutralised_cell,
    neutralised_columns,
)

# Text that starts with quotes, triggers, digits, spaces, letters or non-ASCII, in any mix.
_FIRST = st.sampled_from(["'", "''", *FORMULA_TRIGGERS, "0", " ", "A", "a", "é", "\x00", "~", ""])
_CELL = st.one_of(st.none(), st.builds(lambda a, b: a + b, _FIRST, st.text(max_size=6)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=30))
def test_every_cell_gets_what_the_per_cell_rule_gives(
    rows: list[tuple[str | None, str | None]],
) -> None:
    frame = pl.DataFrame(rows, schema={"a": pl.String, "b": pl.String}, orient="row")

    result = neutralised_columns(frame, ["a", "b"])

    for name in ("a", "b"):
        expected = [None if cell is None else neutralised_cell(cell) for cell in frame[name]]
        assert result[name].to_list() == expected


def test_only_cells_a_spreadsheet_would_run_get_a_quote() -> None:
    cells = ["Ann", "9 lives", " =1", "=1", "'=1", "''@x", "'ok", "-", "\tx", None, ""]
    frame = pl.DataFrame({"a": cells})

    result = frame.select(neutralised(pl.col("a"))).to_series().to_list()

    expected = ["Ann", "9 lives", " =1", "'=1", "''=1", "'''@x", "'ok", "'-", "'\tx", None, ""]
    assert result == expected
    assert neutralised_columns(frame, []).equals(frame)
