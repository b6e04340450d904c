"""Segment files as the tools people export from really write them.

Each fixture is written byte for byte the way its tool writes it (see docs/segment-files.md for
the sources): Windows PowerShell 5.1's ``Export-Csv`` (a ``#TYPE`` line before the header),
SQL Server's bcp and SSMS (no header line, unquoted commas), and so on. The rule held: every
row is read as written, or the file is refused with its name, the line and the fix, before a
single contact is sent.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cc_tui.engine.email_check import check_emails
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.reading import count_rows, preview, segment_columns
from cc_tui.errors import InputError
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
