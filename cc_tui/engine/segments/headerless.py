"""A headerless text segment's first rows: read from its first bytes, they give the file's
width and tell whether its first line is a header after all (a note, never a guess)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cc_tui.engine.segments.formats import utf8_head
from cc_tui.engine.segments.model import Segment, SegmentFormat
from cc_tui.errors import InputError

if TYPE_CHECKING:
    import polars as pl

__all__ = ["first_rows", "header_note"]

# Rows of a headerless file looked at for its width, and for a first line that is a header:
# at least this many rows, and this share of them after the first holding an '@'.
_SAMPLE_ROWS = 20
_HEADER_HINT_ROWS = 2
_HEADER_HINT_SHARE = 0.5


def header_note(segment: Segment, first: pl.DataFrame) -> tuple[str, ...]:
    """A note when the first line of a file read without a header looks like one."""
    if not _looks_like_a_header(first):
        return ()
    shown = ", ".join(str(value) for value in first.row(0) if value is not None)
    return (
        f"its first line ({shown}) looks like a header line, not a row: it holds no e-mail "
        "address where the lines after it do. If it is one, add the segment with --header "
        f"(header = true under [segments.{segment.name}]); read as it is, that line is a row "
        "with an invalid e-mail",
    )


def _looks_like_a_header(first: pl.DataFrame) -> bool:
    """True when a column holds e-mail addresses on most rows but not on the first."""
    import polars as pl

    if first.height < _HEADER_HINT_ROWS:
        return False
    for name in first.columns:
        values = first.get_column(name).cast(pl.String)
        rest = values.slice(1).drop_nulls()
        top = values[0]
        if top is None or "@" in top or rest.is_empty():
            continue
        if rest.str.contains("@", literal=True).mean() >= _HEADER_HINT_SHARE:  # type: ignore[operator]
            return True
    return False


def first_rows(segment: Segment, head: bytes, quote: str) -> pl.DataFrame:
    """The first rows of a headerless file as text (from its first bytes, decompressed)."""
    import polars as pl

    from cc_tui.engine.segments.scan import TextOptions, parse_head

    text = utf8_head(head, segment.encoding)
    cut = text.rfind(segment.line_end.encode())
    sample = text[: cut + 1] if cut > 0 else text
    if not sample.strip():
        return pl.DataFrame()
    options = TextOptions(
        segment.delimiter,
        quote,
        header=False,
        line_end=segment.line_end,
        skip_lines=segment.skip_lines,
    )
    try:
        return parse_head(sample, SegmentFormat.CSV, options, _SAMPLE_ROWS, typed=False)
    except pl.exceptions.PolarsError as exc:
        from cc_tui.engine.segments.read_errors import quote_trouble

        located = quote_trouble(replace(segment, quote=quote))
        raise located or InputError(f"{segment.path}: cannot be read as CSV ({exc})") from exc
