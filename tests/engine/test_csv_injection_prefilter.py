"""The cheap look that lets a rejected.csv column skip the CSV-injection regex never skips a
cell that needs its quote: the result is the regex applied to every cell."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cc_tui.engine.run_files import FORMULA_TRIGGERS, neutralised, neutralised_columns

# Text that starts with quotes, triggers, digits, spaces, letters or non-ASCII, in any mix.
_FIRST = st.sampled_from(["'", "''", *FORMULA_TRIGGERS, "0", " ", "A", "a", "é", "\x00", "~", ""])
_CELL = st.one_of(st.none(), st.builds(lambda a, b: a + b, _FIRST, st.text(max_size=6)))


def _everywhere(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(neutralised(pl.col(name)).alias(name) for name in frame.columns)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=30))
def test_the_cheap_look_gives_what_the_regex_on_every_cell_gives(
    rows: list[tuple[str | None, str | None]],
) -> None:
    frame = pl.DataFrame(rows, schema={"a": pl.String, "b": pl.String}, orient="row")

    assert neutralised_columns(frame, ["a", "b"]).equals(_everywhere(frame))


def test_a_column_without_any_candidate_is_left_as_it_is() -> None:
    frame = pl.DataFrame({"a": ["Ann", "Zoë", "9 lives", None], "b": ["=1", "x", "y", "z"]})

    result = neutralised_columns(frame, ["a", "b"])

    assert result["a"].to_list() == ["Ann", "Zoë", "9 lives", None]
    assert result["b"].to_list() == ["'=1", "x", "y", "z"]
    assert neutralised_columns(frame, ["a"]).equals(frame)
