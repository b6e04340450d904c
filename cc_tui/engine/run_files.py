"""Files a run writes into its folder (runs/<run-id>/): private to the user who ran it.

They hold rows of the user's segments (e-mail addresses, names, phone numbers), so the folder is
0700 and the files are created with mode 0600 whatever the umask, like the secrets and the
emulator's state.

The CSV files (rejected.csv, field_problems.csv) are meant to be opened in a spreadsheet, which
runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula
(CSV injection). Following OWASP's advice, such a cell of outside text (segment values, column
names, Constant Contact's error text) is written with a single quote ``'`` before it, so the
spreadsheet shows it as text. The rule is reversible: a cell that already started with one or
more ``'`` followed by one of those characters gets one more. So to get the original back,
remove one leading ``'`` from every cell that starts with ``'`` and, after all its leading
quotes, one of those characters (:func:`original_cell`); every other cell is as it was read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import polars as pl

from cc_tui.errors import StorageFullError, is_disk_full
from cc_tui.paths import PRIVATE_FILE_MODE, ensure_private_dir, open_private_fd

__all__ = [
    "FORMULA_TRIGGERS",
    "RUN_FILE_MODE",
    "SPACE_RESERVE_BYTES",
    "append_csv",
    "disk_full_stops_the_run",
    "may_need_quote",
    "neutralised",
    "neutralised_cell",
    "neutralised_columns",
    "open_private",
    "original_cell",
    "release_space",
    "reserve_space",
]

RUN_FILE_MODE = PRIVATE_FILE_MODE
SPACE_RESERVE_BYTES = 256 * 1024
"""Held by a running run and freed before its final record is written: on a full disk, that
last write (status interrupted, counts) still finds room, so the run is not left "running"."""
_SPACE_RESERVE_NAME = ".space-reserve"
FORMULA_TRIGGERS = "=+-@\t\r"
"""First characters that make a spreadsheet run a cell (OWASP, CSV injection)."""
_QUOTE = "'"
# Leading quotes, then a trigger: quoted cells too, so removing one quote always restores them.
_NEEDS_QUOTE = "^'*[" + re.escape(FORMULA_TRIGGERS) + "]"
_NEEDS_QUOTE_RE = re.compile(_NEEDS_QUOTE)
_WAS_QUOTED_RE = re.compile("^'+[" + re.escape(FORMULA_TRIGGERS) + "]")
# Every cell neutralised starts with a quote or a trigger, and all of those lie between these
# two characters. Comparing a string with them reads only its first bytes, which Polars keeps
# beside each string's length, so most cells (names, cities, most e-mails) are ruled out
# without the regular expression.
_FIRST_CHARACTERS = sorted(_QUOTE + FORMULA_TRIGGERS)
_LOWEST_FIRST, _PAST_HIGHEST_FIRST = _FIRST_CHARACTERS[0], chr(ord(_FIRST_CHARACTERS[-1]) + 1)


def neutralised(text: pl.Expr) -> pl.Expr:
    """``text`` with one more ``'`` before every cell a spreadsheet would run (vectorised).

    The regular expression reads only the cells :func:`may_need_quote` lets through: the
    others are null to it, and a null is not searched (27M cells of e-mails and names: 0.38 s
    of CPU, where the expression on every cell took 0.64 s).
    """
    candidate = pl.when(may_need_quote(text)).then(text)
    needs_quote = candidate.str.contains(_NEEDS_QUOTE).fill_null(False)
    return pl.when(needs_quote).then(pl.lit(_QUOTE) + text).otherwise(text)


def may_need_quote(text: pl.Expr) -> pl.Expr:
    """True for every cell :func:`neutralised` changes, and for some it does not (cheap)."""
    return (text >= _LOWEST_FIRST) & (text < _PAST_HIGHEST_FIRST)


def neutralised_columns(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """``frame`` with :func:`neutralised` applied to ``columns`` (text)."""
    if frame.height == 0 or not columns:
        return frame
    return frame.with_columns(neutralised(pl.col(name)).alias(name) for name in columns)


def neutralised_cell(text: str) -> str:
    """:func:`neutralised` for one cell (a header name)."""
    return _QUOTE + text if _NEEDS_QUOTE_RE.match(text) else text


def original_cell(cell: str) -> str:
    """The text a written cell came from: the inverse of :func:`neutralised_cell`."""
    return cell[1:] if _WAS_QUOTED_RE.match(cell) else cell


@contextmanager
def disk_full_stops_the_run(path: Path) -> Iterator[None]:
    """Turn a full disk (or quota) while writing ``path`` into :class:`StorageFullError`.

    That error stops the run resumable (exit 3) with a message that says what to do, instead
    of a bare ``OSError`` that would end it ``failed``.
    """
    try:
        yield
    except OSError as exc:
        if is_disk_full(exc):
            raise StorageFullError(path) from exc
        raise


def append_csv(file: IO[bytes], path: Path, frame: pl.DataFrame, *, header: bool) -> None:
    """Write ``frame`` as CSV to ``file`` (at ``path``) and flush it; a full disk stops the run.

    Polars writes straight to the file (no copy in memory); the OSError it re-raises for a
    full disk has lost its ``errno``, which :func:`is_disk_full` reads from the text instead.
    """
    with disk_full_stops_the_run(path):
        frame.write_csv(file, include_header=header)
        file.flush()


def open_private(path: Path) -> IO[bytes]:
    """Open ``path`` for writing from its start (created or emptied), readable by its owner only.

    The folder is created (0700) if needed. A file left from an earlier attempt of the run keeps
    no wider mode than 0600. A full disk raises :class:`StorageFullError`.
    """
    with disk_full_stops_the_run(path):
        ensure_private_dir(path.parent)
        fd = open_private_fd(path, os.O_WRONLY | os.O_TRUNC)
    try:
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def reserve_space(folder: Path) -> Path:
    """Write a small ballast file into ``folder`` (see :data:`SPACE_RESERVE_BYTES`).

    Real bytes, not a sparse file, so the blocks are taken now. A disk already full raises
    :class:`StorageFullError`.
    """
    path = folder / _SPACE_RESERVE_NAME
    with disk_full_stops_the_run(path):
        ensure_private_dir(folder)
        fd = open_private_fd(path, os.O_WRONLY | os.O_TRUNC)
        try:
            os.write(fd, bytes(SPACE_RESERVE_BYTES))
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        os.close(fd)
    return path


def release_space(folder: Path) -> None:
    """Free the ballast :func:`reserve_space` wrote (nothing if there is none)."""
    (folder / _SPACE_RESERVE_NAME).unlink(missing_ok=True)
