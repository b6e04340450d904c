"""Pass 1 checks a file's line endings on a thread beside its own read of the file: a bare CR
deep in a file still stops the run with the line it is on, gzip copies are checked too, and a
clean file is classified exactly as before."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from cc_tui.engine.email_check import RowClass, check_emails
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.reading import scanning_with_line_end_check
from cc_tui.errors import InputError

ROWS = 20_000  # far past the head the format is sniffed from


def _body(line_end: bytes) -> bytes:
    return b"".join(b"p%d@x.co,N%d" % (i, i) + line_end for i in range(ROWS))


def test_pass_1_refuses_a_bare_cr_deep_in_a_file_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_bytes(b"email,name\r\n" + _body(b"\r\n") + b"late@x.co,L\rlost@x.co,M\r\n")
    segment = inspect_path(path, name="long")

    with pytest.raises(InputError, match=r"line 20,002 ends with a bare carriage return"):
        check_emails([segment], "email", cap=1_000_000)


def test_pass_1_checks_the_uncompressed_text_of_a_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "long.csv.gz"
    path.write_bytes(gzip.compress(b"email,name\n" + _body(b"\n") + b"late@x.co,L\rlost@x.co,M\n"))
    segment = inspect_path(path, name="long")

    with pytest.raises(InputError, match=r"line 20,002 of the uncompressed text ends with a bare"):
        check_emails([segment], "email", cap=1_000_000)


def test_pass_1_classifies_a_clean_crlf_file_row_for_row(tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    path.write_bytes(b"email,name\r\n" + _body(b"\r\n") + b"p0@x.co,again\r\nnot-an-email,X\r\n")
    segment = inspect_path(path, name="clean")

    classification = check_emails([segment], "email", cap=1_000_000)

    counts = classification.counts()
    assert classification.rows_read == ROWS + 2
    assert counts[RowClass.SENT] == ROWS
    assert counts[RowClass.DUPLICATE_EMAIL] == 1
    assert counts[RowClass.INVALID_EMAIL] == 1


def test_a_bare_cr_is_raised_in_place_of_what_the_read_then_hit(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_bytes(b"email,name\r\n" + _body(b"\r\n") + b"late@x.co,L\rlost@x.co,M\r\n")
    segment = inspect_path(path, name="long")

    with (
        pytest.raises(InputError, match="bare carriage return") as raised,
        scanning_with_line_end_check(segment) as prepared,
    ):
        prepared.scan(["email"]).collect()
        raise ValueError("a row joined to the next one upset the reader")

    assert isinstance(raised.value.__cause__, ValueError)


def test_a_clean_file_read_beside_its_check_gives_every_row(tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    path.write_bytes(b"email,name\r\n" + _body(b"\r\n"))
    segment = inspect_path(path, name="clean")

    with scanning_with_line_end_check(segment) as prepared:
        emails = prepared.scan(["email"]).collect().get_column("email")

    assert emails.to_list() == [f"p{i}@x.co" for i in range(ROWS)]
