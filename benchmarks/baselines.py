"""Baselines of the preparation: the same job done as a straightforward script would do it.

Each baseline reads the e-mail and both names of a CSV segment, trims and lower-cases the
e-mail, keeps it when it matches cc-tui's pattern (``EMAIL_PATTERN``, at most
``EMAIL_MAX_LENGTH`` characters), keeps the first row of each e-mail, stops at the per-run cap
and builds every import request's JSON body (40,000 contacts, under 4 MB). Three ways:

- ``naive``: the csv module, a set and ``json.dumps``;
- ``pandas``: ``read_csv``, ``str`` methods, ``drop_duplicates``, ``to_dict`` and ``json.dumps``
  (pandas is the bench's own extra, ``pip install -e '.[bench]'``, never the product's);
- ``polars``: the eager Polars script of issue 15: ``read_csv``, normalise, regex filter,
  ``unique``, ``write_ndjson``.

They do less than cc-tui: no rejected.csv, no field_problems.csv, no field rules beyond
trimming, no row references; the Polars script also sends empty names as ``null`` where cc-tui
leaves the key out. Each runs in a fresh process (``python -m benchmarks.baselines KIND FILE``)
so its peak RSS is its own, measured the way cc-tui's is (:class:`~benchmarks.memory.PeakMemory`).
"""

from __future__ import annotations

import csv
import importlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.memory import PeakMemory
from cc_tui.engine.email_check import EMAIL_PATTERN
from cc_tui.models.api_rules import EMAIL_MAX_LENGTH
from cc_tui.models.connection import CONTACT_CAP_PER_RUN

if TYPE_CHECKING:
    import polars as pl

__all__ = ["BASELINES", "measure_baseline"]

BATCH_CONTACTS = 40_000
MAX_BODY_BYTES = 4_000_000
LIST_IDS = ["0" * 8 + "-0000-0000-0000-" + "0" * 12]
NAME_COLUMNS = ("first_name", "last_name")
# The Polars script writes the body around write_ndjson's lines, as cc-tui's batches are.
_PREFIX = b'{"import_data":['
_SUFFIX = b'],"list_ids":' + json.dumps(LIST_IDS).encode() + b"}"

BASELINES = {
    "naive": "naive Python (csv + set + json.dumps)",
    "pandas": "pandas",
    "polars": "eager Polars script",
}


def _json_bodies(contacts: list[dict[str, str]]) -> list[bytes]:
    """One request of ``contacts`` by ``json.dumps``, halved until each is under the limit."""
    body = json.dumps({"import_data": contacts, "list_ids": LIST_IDS}).encode()
    if len(body) < MAX_BODY_BYTES:
        return [body]
    half = len(contacts) // 2
    return _json_bodies(contacts[:half]) + _json_bodies(contacts[half:])


def _naive(path: Path) -> tuple[int, Iterator[list[bytes]]]:
    rows = 0
    pattern = re.compile(EMAIL_PATTERN)
    seen: set[str] = set()
    contacts: list[dict[str, str]] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        at_email = header.index("email")
        at_names = [(name, header.index(name)) for name in NAME_COLUMNS]
        for row in reader:
            rows += 1
            email = row[at_email].strip().lower()
            if (
                not email
                or len(email) > EMAIL_MAX_LENGTH
                or not pattern.match(email)
                or email in seen
            ):
                continue
            seen.add(email)
            if len(seen) > CONTACT_CAP_PER_RUN:
                continue  # over the cap: read on (the rows are counted), never sent
            contact = {"email": email}
            for name, at in at_names:
                value = row[at].strip()
                if value:
                    contact[name] = value
            contacts.append(contact)
    batches = (
        _json_bodies(contacts[start : start + BATCH_CONTACTS])
        for start in range(0, len(contacts), BATCH_CONTACTS)
    )
    return rows, batches


def _pandas(path: Path) -> tuple[int, Iterator[list[bytes]]]:
    import pandas as pd

    frame = pd.read_csv(
        path, usecols=["email", *NAME_COLUMNS], dtype=str, keep_default_na=False, engine="c"
    )
    rows = len(frame)
    frame["email"] = frame["email"].str.strip().str.lower()
    for name in NAME_COLUMNS:
        frame[name] = frame[name].str.strip()
    email = frame["email"]
    valid = email.str.match(EMAIL_PATTERN) & (email.str.len() <= EMAIL_MAX_LENGTH)
    kept = frame[valid].drop_duplicates("email", keep="first").head(CONTACT_CAP_PER_RUN)
    records = kept.to_dict("records")
    del frame, kept
    batches = (
        _json_bodies(
            [
                {k: v for k, v in record.items() if v}
                for record in records[start : start + BATCH_CONTACTS]
            ]
        )
        for start in range(0, len(records), BATCH_CONTACTS)
    )
    return rows, batches


def _polars(path: Path) -> tuple[int, Iterator[list[bytes]]]:
    import polars as pl

    frame = pl.read_csv(path, columns=["email", *NAME_COLUMNS], infer_schema=False)
    rows = frame.height
    email = pl.col("email").str.strip_chars().str.to_lowercase()
    contacts = (
        frame.with_columns(
            email.alias("email"),
            *(
                pl.col(name).str.strip_chars().replace("", None).alias(name)
                for name in NAME_COLUMNS
            ),
        )
        .filter(
            pl.col("email").str.contains(EMAIL_PATTERN)
            & (pl.col("email").str.len_chars() <= EMAIL_MAX_LENGTH)
        )
        .unique("email", keep="first", maintain_order=True)
        .head(CONTACT_CAP_PER_RUN)
    )
    del frame
    batches = (
        _ndjson_bodies(contacts.slice(start, BATCH_CONTACTS))
        for start in range(0, contacts.height, BATCH_CONTACTS)
    )
    return rows, batches


def _ndjson_bodies(contacts: pl.DataFrame) -> list[bytes]:
    """One request of ``contacts`` by ``write_ndjson``, halved until each is under the limit."""
    lines = contacts.write_ndjson().rstrip("\n").replace("\n", ",")
    body = _PREFIX + lines.encode() + _SUFFIX
    if len(body) < MAX_BODY_BYTES:
        return [body]
    half = contacts.height // 2
    return _ndjson_bodies(contacts.head(half)) + _ndjson_bodies(contacts.slice(half))


_RUNS: dict[str, Callable[[Path], tuple[int, Iterator[list[bytes]]]]] = {
    "naive": _naive,
    "pandas": _pandas,
    "polars": _polars,
}


def _measure(kind: str, path: Path) -> dict[str, float]:
    # Libraries are loaded before the clock starts, as cc-tui's engine is in benchmarks.prep.
    if kind != "naive":
        importlib.import_module(kind)
    with PeakMemory() as memory:
        started = time.perf_counter()
        rows, bodies = _RUNS[kind](path)
        batches = contacts_bytes = 0
        for parts in bodies:
            batches += len(parts)
            contacts_bytes += sum(len(part) for part in parts)
        seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_mb": memory.peak_mb,
        "batches": batches,
        "body_mb": contacts_bytes / 1e6,
    }


def measure_baseline(kind: str, path: Path) -> dict[str, float]:
    """Run baseline ``kind`` on ``path`` in a fresh process and return its figures."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.baselines", kind, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    print(json.dumps(_measure(sys.argv[1], Path(sys.argv[2]))))
