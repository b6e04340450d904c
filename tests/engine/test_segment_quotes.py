"""Quotes that would make rows of a text segment run together, found before any row is read.

Polars toggles "inside quotes" at every quote: a stray quote makes it read several lines as one
row, silently when the field that swallows them is well formed, and the e-mail projection of
pass 1 reads such rows even where a full read of every column fails. These tests hold the
judgement of the check (:mod:`cc_tui.engine.segments.quoting`) on files as producers write them:
multi-line fields as Excel, pandas and Customer Insights quote them pass; rows swallowed by a
stray quote, a quote that closes in the middle of a field and Spark's backslash escapes are
refused with the file and the lines, at every place a segment is read (plan, pass 1, pass 2).
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import io
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cc_tui.engine.email_check import check_emails
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.segments import file_bytes
from cc_tui.engine.segments.file_bytes import scan_line_ends
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.model import Segment
from cc_tui.engine.segments.quoting import (
    QuoteFault,
    QuoteProblem,
    find_quote_problem,
    quote_problem,
)
from cc_tui.engine.segments.reading import count_rows, preview, segment_columns
from cc_tui.engine.segments.scan import TextOptions
from cc_tui.errors import InputError
from cc_tui.models.run import RunStatus
from tests.engine.conftest import Workspace, read_segment
from tests.timing import FAST

SWALLOWED = 'name,email\n"Bob,bob@x.com\nAl,al@x.com\nCy 5",cy@x.com\nDi,di@x.com\n'
CLOSED_BY_AN_OPENING = 'name,email\n"Bob,bob@x.com\nAl,al@x.com\n"Cy,cy@x.com\nDi,di@x.com\n'
CLOSED_MID_FIELD = 'name,email\n"Bob,bob@x.com\nAl,al@x.com\nCy" x,cy@x.com\nDi,di@x.com\n'
CLOSED_AT_LINE_END = 'name,email\n"Bob,bob@x.com\nAl,al@x.com\nCy,cy@x.com"\nDi,di@x.com\n'


def _segment(tmp_path: Path, text: str | bytes, name: str = "people", **options: object) -> Segment:
    path = tmp_path / f"{name}.csv"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return inspect_path(path, name=name, **options)  # type: ignore[arg-type]


def _every_place_refuses(segment: Segment, pattern: str) -> None:
    """The plan's count, pass 1 (e-mail alone) and pass 2 (every column) all refuse it."""
    with pytest.raises(InputError, match=pattern):
        count_rows(segment)
    with pytest.raises(InputError, match=pattern):
        check_emails([segment], "email", cap=1000)
    with pytest.raises(InputError, match=pattern):
        read_segment(segment)


# --- rows a stray quote would swallow ---------------------------------------------------------


def test_a_preview_of_a_small_file_never_shows_rows_a_quote_joined(tmp_path: Path) -> None:
    """Read whole for a preview or its columns (as a run's mapping check does), it is judged."""
    segment = _segment(tmp_path, SWALLOWED)

    with pytest.raises(InputError, match=r"people.csv: lines 2-4: .*look like rows of their own"):
        preview(segment)
    with pytest.raises(InputError, match=r"people.csv: lines 2-4: .*look like rows of their own"):
        segment_columns(segment)


def test_rows_swallowed_by_a_well_formed_field_are_refused_with_both_lines(
    tmp_path: Path,
) -> None:
    """Polars reads 2 rows of 4, silently: Bob, Al and Cy become one name."""
    segment = _segment(tmp_path, SWALLOWED)

    _every_place_refuses(segment, r"people.csv: lines 2-4: .*look like rows of their own")
    with pytest.raises(InputError) as caught:
        read_segment(segment, ["email"])
    message = str(caught.value)
    assert "2 rows would be lost" in message
    assert "Fix:" in message


@pytest.mark.parametrize(
    "text", [CLOSED_BY_AN_OPENING, CLOSED_MID_FIELD], ids=["by-an-opening", "mid-field"]
)
def test_a_quote_closed_in_the_middle_of_a_field_is_refused_before_pass_1(
    tmp_path: Path, text: str
) -> None:
    """A full read fails on these, but the e-mail projection merged the rows: pass 1 counted
    the merged rows and pass 2 failed mid-run. Now every place refuses it, naming both lines."""
    segment = _segment(tmp_path, text)

    _every_place_refuses(segment, r"people.csv: lines 2-4: the quote .* closes on line 4")


@pytest.mark.parametrize("field", ['"Bob" Smith', '"Bob" ', '""Bob', '"Bob """ x'])
def test_a_quoted_field_closed_mid_field_on_one_line_is_refused_before_pass_1(
    tmp_path: Path, field: str
) -> None:
    """Polars' e-mail projection reads these rows, a full read fails on them: pass 1 counted
    them and pass 2 stopped on them."""
    segment = _segment(tmp_path, "name,email\nAnn,ann@x.com\nCy,cy@x.com\n")
    segment.path.write_text(f"name,email\nAnn,ann@x.com\n{field},bob@x.com\nCy,cy@x.com\n")

    _every_place_refuses(segment, r"people.csv: line 3: a field quoted with \" closes in the")


@pytest.mark.parametrize("spans", [True, False])
def test_the_line_of_a_field_closed_mid_field_whatever_the_chunks(
    tmp_path: Path, spans: bool
) -> None:
    path = tmp_path / "people.csv"
    path.write_text('email,name\na@x.com,"A\nB"\nc@x.com,C\nd@x.com,"D" x\ne@x.com,E\n')
    expected = QuoteProblem(QuoteFault.CLOSES_MID_FIELD, 5, 5)

    for chunk in (1, 7, 64, 1000):
        assert find_quote_problem(path, TextOptions(), spans=spans, chunk_bytes=chunk) == expected


def test_quotes_inside_an_unquoted_field_on_one_line_are_read_as_before(tmp_path: Path) -> None:
    """No row runs into another, and both passes read the same: nothing to refuse."""
    segment = _segment(tmp_path, 'name,email\nBob "the Builder" Smith,bob@x.com\nAl,al@x.com\n')

    rows, counted, frame = _rows_read(segment)

    assert rows == counted == frame.height == 2
    assert frame["name"][0] == 'Bob "the Builder" Smith'


def test_rows_swallowed_up_to_a_quote_at_a_line_end_are_refused(tmp_path: Path) -> None:
    segment = _segment(tmp_path, CLOSED_AT_LINE_END)

    _every_place_refuses(segment, r"lines 2-4: .*look like rows of their own")


def test_a_quote_never_closed_is_refused_by_pass_1_too(tmp_path: Path) -> None:
    segment = _segment(tmp_path, "email,name\n" + "".join(f"p{i}@x.com,P{i}\n" for i in range(50)))
    path = segment.path
    path.write_text(path.read_text() + 'p50@x.com,"Fifty\np51@x.com,Fiftyone\n')

    with pytest.raises(InputError, match=r"line 52: a field's quote"):
        check_emails([segment], "email", cap=1000)


def test_a_stray_quote_inside_an_unquoted_field_on_a_line_with_a_multi_line_field(
    tmp_path: Path,
) -> None:
    segment = _segment(
        tmp_path, 'name,note,email\nBob 5\'11",tall,bob@x.com\nAl,"two\nlines",al@x.com\n'
    )

    _every_place_refuses(segment, r"line 2: a field's quote")


def test_a_one_column_file_of_emails_with_a_stray_quote(tmp_path: Path) -> None:
    segment = _segment(tmp_path, 'email\nann@x.com\n"bob@x.com\ncy@x.com\ndi@x.com"\neve@x.com\n')

    _every_place_refuses(segment, r"lines 3-5: .*look like rows of their own")


def test_a_quote_not_doubled_in_a_headerless_partition_quoting_every_field(
    tmp_path: Path,
) -> None:
    """A producer that quotes every field but did not double a quote at a value's start:
    ``""Bob"`` is an empty field closed in the middle of a field."""
    good = '"1","Ann","ann@x.com"\r\n"2","Bob","bob@x.com"\r\n"3","Cy","cy@x.com"\r\n'
    segment = _segment(tmp_path, good, header=False, columns=("id", "name", "email"))
    segment.path.write_text(good.replace('"Bob"', '""Bob"'), newline="")

    _every_place_refuses(segment, r"people.csv: line 2: a field quoted with \" closes in the")


# --- Spark's backslash escapes ----------------------------------------------------------------


def test_a_backslash_escaped_quote_without_a_delimiter_inside_is_refused(tmp_path: Path) -> None:
    """Polars read "Robert \\"Bob\\"" as Robert \\Bob\\ (mangled); now it is named."""
    segment = _segment(
        tmp_path, 'email,name\nann@x.com,Ann\nbob@x.com,"Robert \\"Bob\\""\ncy@x.com,Cy\n'
    )

    _every_place_refuses(segment, r"people.csv: line 3 escapes a quote with a backslash")


def test_a_field_ending_in_a_backslash_is_read_as_written(tmp_path: Path) -> None:
    """RFC 4180 has no escape character: "C:\\dir\\" is a field that ends in a backslash."""
    segment = _segment(tmp_path, 'email,folder\nann@x.com,"C:\\dir\\"\nbob@x.com,"a\\"""\n')

    frame = read_segment(segment)

    assert frame["folder"].to_list() == ["C:\\dir\\", 'a\\"']


# --- multi-line fields as real producers write them -------------------------------------------


def _rows_read(segment: Segment) -> tuple[int, int, pl.DataFrame]:
    """Rows of pass 1's classification, of the plan's count, and the full read."""
    classification = check_emails([segment], "email", cap=10_000)
    return classification.rows_read, count_rows(segment), read_segment(segment)


def test_excel_addresses_with_line_breaks_and_commas_are_read(tmp_path: Path) -> None:
    """Excel writes CRLF rows and a bare LF inside a cell; a field is quoted only when it
    holds a delimiter, a quote or a line break."""
    text = (
        "email,name,address\r\n"
        'ann@x.com,Ann,"12 Main St, Apt 4\nSpringfield, IL 62704"\r\n'
        'bob@x.com,"Smith, Bob","PO Box 7\nShelbyville"\r\n'
        'cy@x.com,"Cy ""The Guy"" Lee","1 Elm St\n\nOgdenville, IL"\r\n'
        "di@x.com,Di,\r\n"
    )
    segment = _segment(tmp_path, text)

    rows, counted, frame = _rows_read(segment)

    assert rows == counted == frame.height == 4
    assert frame["address"][0] == "12 Main St, Apt 4\nSpringfield, IL 62704"
    assert frame["name"][2] == 'Cy "The Guy" Lee'


def test_a_multi_line_note_whose_second_line_starts_with_a_doubled_quote(tmp_path: Path) -> None:
    """Read from its line start, ``""hi"" there"`` would be an empty field closed mid-field:
    a line that starts inside a quoted field is never judged as if it started a row."""
    text = 'email,note\nann@x.com,"He said\n""hi"" there"\nbob@x.com,x\n'
    segment = _segment(tmp_path, text)

    rows, counted, frame = _rows_read(segment)

    assert rows == counted == frame.height == 2
    assert frame["note"][0] == 'He said\n"hi" there'


def test_an_email_then_address_file_whose_address_lines_have_one_comma(tmp_path: Path) -> None:
    """Each line of the address has as many commas as the header: not rows of their own,
    since only one of them holds an e-mail address where the header's lines do."""
    text = 'email,address\nann@x.com,"12 Main St, Apt 4\nSpringfield, IL 62704"\nbob@x.com,x\n'
    segment = _segment(tmp_path, text)

    rows, counted, frame = _rows_read(segment)

    assert rows == counted == frame.height == 2


def test_a_customer_insights_partition_quoting_every_field(tmp_path: Path) -> None:
    text = (
        '"1","ann@x.com","Ann","Note, with a comma\r\nand a second line"\r\n'
        '"2","bob@x.com","Bob ""Bobby""",""\r\n'
        '"3","cy@x.com","Cy","line one\nbob@x.com, line two\r\nline three"\r\n'
    )
    segment = _segment(tmp_path, text, header=False, columns=("id", "email", "name", "note"))

    rows, counted, frame = _rows_read(segment)

    assert rows == counted == frame.height == 3
    assert frame["note"][2] == "line one\nbob@x.com, line two\r\nline three"


def test_a_one_column_file_of_quoted_emails(tmp_path: Path) -> None:
    segment = _segment(tmp_path, '"email"\n"ann@x.com"\n"bob@x.com"\n""\n"cy@x.com"\n')

    rows, counted, frame = _rows_read(segment)

    assert rows == counted == frame.height == 4


def test_a_file_with_multi_line_fields_across_many_chunks(tmp_path: Path) -> None:
    """The exact look reads in chunks: fields and lines cut at chunk ends are judged whole."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "address"])
    for i in range(300):
        writer.writerow([f"p{i}@x.com", f"{i} Main St\nTown {i}, ST" if i % 3 == 0 else "x"])
    path = tmp_path / "people.csv"
    path.write_text(out.getvalue())
    options = TextOptions()

    for chunk in (1, 7, 64, 1000):
        assert find_quote_problem(path, options, chunk_bytes=chunk) is None
    line = 1 + 151 + 51 + 1  # of p151: the header, the rows before, their second lines
    opened = out.getvalue().replace("p151@x.com,x\n", 'p151@x.com,"x\n', 1)
    assert opened != out.getvalue()
    for text, expected in (
        # closed by the opening quote of p153's address
        (opened, QuoteProblem(QuoteFault.CLOSES_MID_FIELD, line, line + 2)),
        (
            opened.replace("p152@x.com,x\n", 'p152@x.com,x"\n', 1),
            QuoteProblem(QuoteFault.ROWS_SWALLOWED, line, line + 1, 2),
        ),
    ):
        path.write_text(text)
        for chunk in (1, 7, 64, 1000):
            assert find_quote_problem(path, options, chunk_bytes=chunk) == expected


_CELL = st.text(alphabet=st.sampled_from(list('ab ,"\n\r@.;x')), max_size=12)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_CELL, _CELL, _CELL), min_size=1, max_size=12),
    quote_all=st.booleans(),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def test_files_written_by_a_csv_writer_are_never_refused(
    tmp_path: Path, rows: list[tuple[str, str, str]], quote_all: bool, line_end: str
) -> None:
    """Whatever the values hold (delimiters, quotes, line breaks, e-mail addresses), a file
    written by a CSV writer (doubled quotes, quoted fields) passes, and reads every row."""
    out = io.StringIO(newline="")
    if quote_all:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator=line_end)
    else:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator=line_end)
    writer.writerow(["email", "name", "note"])
    writer.writerows(rows)
    path = tmp_path / "written.csv"
    path.write_bytes(out.getvalue().encode())

    assert quote_problem(path, TextOptions(), scan_line_ends(path, '"')) is None
    assert find_quote_problem(path, TextOptions(), chunk_bytes=5) is None


# --- the cheap scan ---------------------------------------------------------------------------


def test_the_line_end_scan_tells_whether_quotes_and_backslashes_are_there(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"email,name\nann@x.com,Ann\n")
    assert not scan_line_ends(path, '"').has_quote
    path.write_bytes(b'email,name\nann@x.com,"Ann"\nbob@x.com,C:\\dir\n')
    found = scan_line_ends(path, '"')
    assert found.has_quote
    assert not found.has_escaped_quote
    path.write_bytes(b'email,name\nann@x.com,"A \\"B\\""\n')
    assert scan_line_ends(path, '"').has_escaped_quote


# --- a whole run ------------------------------------------------------------------------------


def _people_text(rows: int, broken_at: int) -> str:
    lines = ["email,first_name"] + [f"p{i}@example.com,Ana{i}" for i in range(rows)]
    lines[broken_at] = lines[broken_at].replace(",Ana", ',"Ana')  # its first name opens a field
    lines[broken_at + 2] = lines[broken_at + 2] + '"'  # closed two rows further, at a line end
    return "\n".join(lines) + "\n"


def test_a_run_over_a_small_file_with_swallowed_rows_is_refused_before_it_starts(
    workspace: Workspace,
) -> None:
    """A file read whole for its columns is judged then: the run is refused as it resolves."""
    workspace.write("people.csv", "email,first_name\na@example.com,A\n")
    workspace.add_export(first_name="first_name")
    workspace.write("people.csv", _people_text(300, broken_at=250))
    runner = ExportRunner(workspace.services)

    with pytest.raises(InputError, match=r"people.csv: lines 251-253: .*2 rows would be lost"):
        asyncio.run(runner.run("promo", RunOptions(max_batch_contacts=5, timing=FAST)))

    assert workspace.emulator.stats()["imports"] == 0
    assert workspace.members() == set()


def test_a_run_over_swallowed_rows_stops_before_sending_anything(workspace: Workspace) -> None:
    """Far past the rows read for the columns and the head start: the run fails in pass 1,
    before its first import."""
    workspace.write("people.csv", "email,first_name\na@example.com,A\n")
    workspace.add_export(first_name="first_name")
    workspace.write("people.csv", _people_text(5000, broken_at=4000))
    runner = ExportRunner(workspace.services)

    record = asyncio.run(runner.run("promo", RunOptions(max_batch_contacts=5, timing=FAST)))

    assert record.status is RunStatus.FAILED
    assert re.search(r"people.csv: lines 4,001-4,003: .*2 rows would be lost", record.error or "")
    assert (record.rows_read, record.sent, record.posted, record.requests) == (0, 0, 0, 0)
    assert workspace.emulator.stats()["imports"] == 0
    assert workspace.members() == set()


def test_rows_swallowed_in_a_gzip_file_are_named_in_its_uncompressed_text(tmp_path: Path) -> None:
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(_people_text(20_000, broken_at=19_990).encode()))
    segment = inspect_path(path, name="people")

    with pytest.raises(InputError, match=r"lines 19,991-19,993 of the uncompressed text: a field"):
        check_emails([segment], "email", cap=1_000_000)


def test_a_backslash_and_its_quote_in_two_chunks_are_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b'email,n\na@x.co,"A \\"B\\""\n')
    monkeypatch.setattr(file_bytes, "COPY_CHUNK_BYTES", 1)  # every byte a chunk of its own

    found = scan_line_ends(path, '"')

    assert found.has_quote and found.has_escaped_quote
