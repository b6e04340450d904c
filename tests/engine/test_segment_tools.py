"""Segment files as the tools people export from really write them.

Each fixture is written byte for byte the way its tool writes it (see docs/segment-files.md for
the sources): Windows PowerShell 5.1's ``Export-Csv`` (a ``#TYPE`` line before the header),
SQL Server's bcp and SSMS (no header line, unquoted commas), and so on. The rule held: every
row is read as written, or the file is refused with its name, the line and the fix, before a
single contact is sent.
"""

from __future__ import annotations

import asyncio
import gzip
import re
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from cc_tui.engine.email_check import RowClass, check_emails
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.reading import count_rows, preview, segment_columns
from cc_tui.errors import InputError
from cc_tui.models.config import SegmentSource
from cc_tui.models.run import RunStatus
from tests.engine.conftest import Workspace, read_segment
from tests.engine.test_runner_fields import contact
from tests.timing import FAST

PEOPLE = (
    ("ann@example.com", "Ann Åström"),
    ("bob@example.com", "Bob, Jr."),
    ("zoe@example.com", "Zoë"),
)


def _powershell_csv(
    type_name: str, rows: tuple[tuple[str, str], ...], encoding: str = "utf-8-sig"
) -> bytes:
    """Windows PowerShell 5.1 ``Export-Csv -Encoding UTF8`` without ``-NoTypeInformation``:
    a UTF-8 byte-order mark, ``#TYPE`` and the objects' type, then every field quoted, CRLF
    (``ConvertTo-Csv | Out-File`` writes the same in UTF-16 with a byte-order mark)."""
    lines = [f"#TYPE {type_name}", '"Email","FirstName"']
    lines += [",".join('"' + value.replace('"', '""') + '"' for value in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


# --- PowerShell's type line ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "encoding"),
    [
        ("System.Management.Automation.PSCustomObject", "utf-8-sig"),
        ("Selected.System.Data.DataRow", "utf-8-sig"),
        ("System.Management.Automation.PSCustomObject", "utf-16"),
    ],
)
def test_powershells_type_line_is_no_header(tmp_path: Path, type_name: str, encoding: str) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(_powershell_csv(type_name, PEOPLE, encoding))

    segment = inspect_path(path, name="people")

    assert [column.name for column in segment_columns(segment)] == ["Email", "FirstName"]
    assert any("#TYPE" in note for note in segment.notes)
    assert preview(segment).rows() == list(PEOPLE)
    assert count_rows(segment) == len(PEOPLE)
    assert read_segment(segment).rows() == list(PEOPLE)
    assert check_emails([segment], "Email", cap=100).rows_read == len(PEOPLE)


def test_a_run_over_a_powershell_export_sends_every_row_with_its_name(
    workspace: Workspace,
) -> None:
    (workspace.segments / "people.csv").write_bytes(
        _powershell_csv("System.Management.Automation.PSCustomObject", PEOPLE)
    )
    workspace.add_export(email="Email", first_name="FirstName")

    record = asyncio.run(ExportRunner(workspace.services).run("promo", RunOptions(timing=FAST)))

    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.rows_read, record.sent) == (len(PEOPLE), len(PEOPLE))
    assert workspace.members() == {email for email, _ in PEOPLE}
    assert contact(workspace, "bob@example.com")["first_name"] == "Bob, Jr."


# --- a file without a header line, read with one --------------------------------------------


def _bcp_tsv(rows: tuple[tuple[str, str], ...]) -> bytes:
    """``bcp ... out people.tsv -c -T``: tab between fields, CRLF, no header line, no quotes."""
    return "".join(f"{email}\t{name}\r\n" for email, name in rows).encode("utf-8")


def test_a_first_line_holding_an_email_address_is_no_header(tmp_path: Path) -> None:
    """bcp and SSMS write no header line: read with one, the first person would be a header."""
    path = tmp_path / "people.tsv"
    path.write_bytes(_bcp_tsv(PEOPLE))
    segment = inspect_path(path, name="people")
    refused = r"people.tsv: its first line .*ann@example.com.* no header line.*--no-header"

    # Its preview shows the file as read (segment add warns that the header looks like data);
    # the plan's count, pass 1 and pass 2 refuse it.
    assert preview(segment).columns == ["ann@example.com", "Ann Åström"]
    with pytest.raises(InputError, match=refused):
        count_rows(segment)
    with pytest.raises(InputError, match=refused):
        read_segment(segment)
    with pytest.raises(InputError, match=refused):
        check_emails([segment], "ann@example.com", cap=100)

    named = inspect_path(path, name="people", header=False, columns=("email", "name"))
    assert read_segment(named).rows() == list(PEOPLE)


def test_a_run_over_a_file_whose_header_line_went_missing_sends_nothing(
    workspace: Workspace,
) -> None:
    """Its columns as shown are the first person's values; an export mapping the e-mail to
    the column named by the first address sent every person but that one."""
    (workspace.segments / "people.tsv").write_bytes(_bcp_tsv(PEOPLE))
    workspace.add_export(email="ann@example.com", first_name="Ann Åström")

    record = asyncio.run(ExportRunner(workspace.services).run("promo", RunOptions(timing=FAST)))

    assert record.status is RunStatus.FAILED
    assert re.search(r"people.tsv: its first line .*no header line", record.error or "")
    assert (record.rows_read, record.sent, record.posted) == (0, 0, 0)
    assert workspace.emulator.stats()["imports"] == 0
    assert workspace.members() == set()


# --- a value holding the delimiter, unquoted ----------------------------------------------------


def _ssms_csv(rows: list[tuple[str, str, str]]) -> bytes:
    """SSMS "Save Results As" CSV (its "Quote strings containing list separators" option off, as
    it is by default): a header line, commas, CRLF, and no quotes even around a value holding a
    comma."""
    lines = ["Email,Name,City"] + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


SHIFTED = [
    ("ann@example.com", "Ann", "Oslo"),
    ("bob@example.com", "Smith, Bob", "Paris"),
    ("zoe@example.com", "Zoe", "Rome"),
]


def test_a_row_with_more_fields_than_the_header_is_refused(tmp_path: Path) -> None:
    """Read as written, Bob's name would be 'Smith', his city ' Bob', and Paris cut off."""
    path = tmp_path / "people.csv"
    path.write_bytes(_ssms_csv(SHIFTED))
    segment = inspect_path(path, name="people")
    refused = r"people.csv: row 2 \(line 3\) has more fields than the header line's 3.*Paris.*Fix:"

    with pytest.raises(InputError, match=refused):
        check_emails([segment], "Email", cap=100)


def test_empty_fields_after_a_trailing_delimiter_are_no_extra_values(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"Email,Name\r\nann@example.com,Ann,\r\nbob@example.com,Bob,,\r\n")
    segment = inspect_path(path, name="people")

    assert check_emails([segment], "Email", cap=100).rows_read == 2
    assert read_segment(segment).rows() == [("ann@example.com", "Ann"), ("bob@example.com", "Bob")]


def test_a_headerless_row_with_more_fields_than_its_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes("".join(f"{','.join(row)}\r\n" for row in SHIFTED).encode())
    segment = inspect_path(path, name="people", header=False, columns=("email", "name", "city"))

    with pytest.raises(InputError, match=r"people.csv: row 2 \(line 2\) has more fields than"):
        check_emails([segment], "email", cap=100)


def test_a_run_over_a_shifted_row_sends_nobody(workspace: Workspace) -> None:
    (workspace.segments / "people.csv").write_bytes(_ssms_csv(SHIFTED))
    workspace.add_export(email="Email", first_name="Name")

    record = asyncio.run(
        ExportRunner(workspace.services).run("promo", RunOptions(max_batch_contacts=1, timing=FAST))
    )

    assert record.status is RunStatus.FAILED
    assert re.search(r"people.csv: row 2 \(line 3\) has more fields", record.error or "")
    assert workspace.emulator.stats()["imports"] == 0
    assert workspace.members() == set()


def test_the_line_of_a_shifted_row_counts_the_lines_of_quoted_fields(tmp_path: Path) -> None:
    """An address over two lines before it: the row is named by its line in the file."""
    path = tmp_path / "people.csv.gz"
    text = (
        'Email,Name,City\r\nann@example.com,"Ann\r\nAnna",Oslo\r\n'
        "cy@example.com,Cy,Rome\r\nbob@example.com,Smith, Bob,Paris\r\n"
    )
    path.write_bytes(gzip.compress(text.encode()))
    segment = inspect_path(path, name="people")

    with pytest.raises(InputError, match=r"row 3 \(line 5 of the uncompressed text\)"):
        check_emails([segment], "Email", cap=100)


# --- Excel's "CSV (Comma delimited)" and "CSV (Macintosh)": a legacy code page ------------------


def _advised_encoding(message: str) -> str:
    found = re.search(r'encoding = "([^"]+)"', message)
    assert found is not None, message
    return found.group(1)


@pytest.mark.parametrize(
    ("written", "line_end", "line"),
    [
        # Excel for Windows, "CSV (Comma delimited)": the Windows code page, CRLF.
        ("cp1252", "\r\n", 2),
        # Excel for Mac, "CSV (Macintosh)": Mac OS Roman, lines ended by a bare CR.
        ("mac_roman", "\r", 2),
    ],
)
def test_the_advised_encoding_of_an_excel_csv_reads_every_name_as_written(
    tmp_path: Path, written: str, line_end: str, line: int
) -> None:
    """The first byte that is no UTF-8 is an é; a curly apostrophe (Excel's AutoCorrect) comes
    later. Read as latin-1 it would be a control character, and the name mangled."""
    people = [
        ("jose@example.com", "José"),
        ("ob@example.com", "O\u2019Brien"),
        ("zoe@example.com", "Zoë"),
    ]
    lines = ["Email,First Name"] + [",".join(row) for row in people]
    path = tmp_path / "people.csv"
    path.write_bytes((line_end.join(lines) + line_end).encode(written))

    with pytest.raises(InputError, match=rf"\(line {line}\)") as caught:
        check_emails([inspect_path(path, name="people")], "Email", cap=100)

    advised = inspect_path(path, name="people", encoding=_advised_encoding(str(caught.value)))
    assert read_segment(advised).rows() == people


# --- a header naming one column twice -----------------------------------------------------------


def test_a_mapped_column_the_header_names_twice_is_refused(tmp_path: Path) -> None:
    """A hand-edited sheet with a second 'Email' column (an old address kept beside the new):
    which one is meant cannot be told, and Polars would read the first silently."""
    path = tmp_path / "people.csv"
    path.write_bytes(
        b"Email,Name,Email\r\nann@example.com,Ann,old-ann@example.com\r\n"
        b"bob@example.com,Bob,old-bob@example.com\r\n"
    )
    segment = inspect_path(path, name="people")

    with pytest.raises(InputError, match=r"people.csv: its header line names 'Email' twice.*Fix:"):
        check_emails([segment], "Email", cap=100)
    with pytest.raises(InputError, match=r"names 'Email' twice"):
        read_segment(segment, ["Email", "Name"])
    assert read_segment(segment, ["Name"]).height == 2  # an unmapped repeat is no trouble


def test_an_export_mapping_a_column_named_twice_is_refused_as_it_is_saved(
    workspace: Workspace,
) -> None:
    """Not only pass 1's e-mail: any mapped column, before a run could begin."""
    (workspace.segments / "people.csv").write_bytes(
        b"Email,First,First\r\nann@example.com,Ann,Anna\r\nbob@example.com,Bob,Bobby\r\n"
    )

    with pytest.raises(InputError, match=r"names the column 'First' twice or more.*Fix:"):
        workspace.add_export(email="Email", first_name="First")


# --- CR CR LF: CRLF written through a text-mode file on Windows --------------------------------


def test_lines_ending_in_cr_cr_lf_are_refused_with_their_cause(tmp_path: Path) -> None:
    """``df.to_csv(open(path, "w"), lineterminator="\\r\\n")`` or ``csv.writer(open(path, "w"))``
    on Windows: the writer's CRLF, then text mode's LF -> CRLF."""
    path = tmp_path / "people.csv"
    path.write_bytes(b"email,first_name\r\r\nann@example.com,Ann\r\r\nbob@example.com,Bob\r\r\n")

    with pytest.raises(InputError, match=r"people.csv: its lines end in CR CR LF.*newline=''"):
        inspect_path(path, name="people")


# --- NDJSON and Parquet: one field spelled in two cases -----------------------------------------


def test_ndjson_lines_spelling_the_mapped_key_in_another_case_are_refused(tmp_path: Path) -> None:
    """Two exports joined with ``cat`` (one wrote "email", the other "Email"): read by the
    mapped key only, the other lines' addresses would be missing e-mails."""
    path = tmp_path / "people.ndjson"
    path.write_text(
        '{"email":"ann@example.com","first_name":"Ann"}\n'
        '{"Email":"bob@example.com","FirstName":"Bob"}\n',
        encoding="utf-8",
    )
    segment = inspect_path(path, name="people")

    with pytest.raises(
        InputError, match=r"people.ndjson: its lines spell the key 'email'.*'Email'"
    ):
        check_emails([segment], "email", cap=100)


def test_one_parquet_file_with_two_columns_differing_in_case_reads_each(tmp_path: Path) -> None:
    """pandas keeps 'Email' and 'email' apart (Spark's parts never hold both): one file is no
    set of parts that disagree, and each column is read as itself."""
    path = tmp_path / "people.parquet"
    pl.DataFrame({"Email": ["ann@example.com"], "email": ["old@example.com"]}).write_parquet(path)
    segment = inspect_path(path, name="people")

    assert read_segment(segment, ["Email"]).rows() == [("ann@example.com",)]
    assert check_emails([segment], "Email", cap=100).rows_read == 1


def test_segment_add_refuses_a_shifted_row_among_the_rows_it_shows(tmp_path: Path) -> None:
    """The preview `segment add` shows would show Bob's name as 'Smith' and his city ' Bob'."""
    path = tmp_path / "people.csv"
    path.write_bytes(_ssms_csv(SHIFTED))
    segment = inspect_path(path, name="people")

    with pytest.raises(InputError, match=r"people.csv: row 2 \(line 3\) has more fields"):
        preview(segment)
    gz = tmp_path / "people.csv.gz"
    gz.write_bytes(gzip.compress(_ssms_csv(SHIFTED)))
    with pytest.raises(InputError, match=r"people.csv.gz: row 2 has more fields"):
        preview(inspect_path(gz, name="people"))


def test_a_repeated_header_name_is_no_trouble_to_a_read_of_every_column(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"Email,Name,Name\r\nann@example.com,Ann,Anna\r\n")

    assert read_segment(inspect_path(path, name="people")).columns == [
        "Email",
        "Name",
        "Name_duplicated_0",
    ]


def test_a_shifted_row_in_a_later_part_names_that_part(tmp_path: Path) -> None:
    """Spark's headerless part files are one stream: the row is named in its own file."""
    folder = tmp_path / "people"
    folder.mkdir()
    (folder / "part-00000-a.csv").write_bytes(b"ann@example.com,Ann,Oslo\n")
    (folder / "part-00001-b.csv").write_bytes(
        b"cy@example.com,Cy,Rome\nbob@example.com,Smith, Bob,Paris\n"
    )
    (folder / "_SUCCESS").write_bytes(b"")
    segment = inspect_path(folder, name="people", columns=("email", "name", "city"))

    with pytest.raises(InputError, match=r"part-00001-b.csv: row 2 \(line 2\) has more fields"):
        check_emails([segment], "email", cap=100)


# --- bcp's empty string: one NUL byte ---------------------------------------------------------


def _bcp_with_empty_strings() -> bytes:
    """``bcp ... queryout -c``: a NULL is written as nothing, an empty string as one NUL byte
    (documented: "the bcp utility represents an empty string as a null")."""
    rows = [
        ("ann@example.com", "\x00", "Ann"),  # last_name = ''
        ("bob@example.com", "", "Bob"),  # last_name IS NULL
        ("\x00", "Cy", "Cy"),  # email = ''
        ("zoe@example.com", "Zed", "Zoe"),
    ]
    return "".join("\t".join(row) + "\r\n" for row in rows).encode("utf-8")


def test_bcps_empty_strings_are_empty_values(tmp_path: Path) -> None:
    path = tmp_path / "people.tsv"
    path.write_bytes(_bcp_with_empty_strings())

    segment = inspect_path(path, name="people", header=False, columns=("email", "last", "first"))

    assert read_segment(segment).rows() == [
        ("ann@example.com", None, "Ann"),
        ("bob@example.com", None, "Bob"),
        (None, "Cy", "Cy"),
        ("zoe@example.com", "Zed", "Zoe"),
    ]
    counts = check_emails([segment], "email", cap=100).counts()
    assert (counts[RowClass.SENT], counts[RowClass.MISSING_EMAIL]) == (3, 1)


def test_a_nul_inside_a_value_is_still_binary(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"email,name\r\nann@example.com,A\x00nn\r\n")

    with pytest.raises(InputError, match=r"people.csv: is not CSV text: it holds NUL"):
        inspect_path(path, name="people")


# --- classic Mac line ends (a bare CR) with line feeds ----------------------------------------


def test_a_cell_with_a_line_break_in_a_file_whose_lines_end_in_cr(tmp_path: Path) -> None:
    """Excel for Mac's "CSV (Macintosh)": rows end in CR, a cell's line break (Alt+Enter) is an
    LF inside its quotes."""
    path = tmp_path / "people.csv"
    path.write_bytes(
        b'Email,Address\rann@example.com,"1 Main St\nApt 2"\rbob@example.com,2 High St\r'
    )
    segment = inspect_path(path, name="people")

    assert read_segment(segment).rows() == [
        ("ann@example.com", "1 Main St\nApt 2"),
        ("bob@example.com", "2 High St"),
    ]


def test_a_line_ending_in_lf_deep_in_a_file_whose_lines_end_in_cr_is_refused(
    tmp_path: Path,
) -> None:
    """Read with CR as the line end, the LF would join two rows into one."""
    lines = [b"email,name"] + [b"p%d@example.com,P%d" % (i, i) for i in range(5000)]
    path = tmp_path / "people.csv"
    path.write_bytes(b"\r".join(lines[:4000]) + b"\r" + b"\n".join(lines[4000:]) + b"\n")
    segment = inspect_path(path, name="people")

    with pytest.raises(InputError, match=r"people.csv: line 4,001 ends with a line feed"):
        check_emails([segment], "email", cap=10_000)


def test_a_run_over_a_bcp_file_sends_no_nul_for_an_empty_string(workspace: Workspace) -> None:
    path = workspace.segments.parent / "bcp" / "people.tsv"
    path.parent.mkdir()
    path.write_bytes(_bcp_with_empty_strings())
    source = SegmentSource("people", path, header=False, columns=("email", "last", "first"))
    workspace.services.config.update(
        lambda config: replace(config, segments={**config.segments, "people": source})
    )
    workspace.add_export(email="email", first_name="first", last_name="last")

    record = asyncio.run(ExportRunner(workspace.services).run("promo", RunOptions(timing=FAST)))

    assert record.status is RunStatus.SUCCEEDED, record.error
    assert (record.rows_read, record.sent) == (4, 3)
    assert {reason: n for reason, n in record.rejected.items() if n} == {"missing_email": 1}
    ann = contact(workspace, "ann@example.com")
    assert (ann["first_name"], ann.get("last_name")) == ("Ann", None)
    assert record.fields_changed == record.fields_dropped == 0
