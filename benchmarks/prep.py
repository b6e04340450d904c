"""(a) Preparation throughput: read, classify, build every batch's JSON; no network.

Each measurement runs in a fresh process (``python -m benchmarks.prep FILE``) so its peak RSS
is its own. Two mappings: ``basic`` (e-mail, first and last name: the usual export) and
``full`` (the demo's: those plus job title, company, city and a custom field).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.memory import PeakMemory

__all__ = ["measure_preparation"]


MAPPINGS = {
    "basic": {"email": "email", "first_name": "first_name", "last_name": "last_name"},
    "full": {
        "email": "email",
        "first_name": "first_name",
        "last_name": "last_name",
        "job_title": "job_title",
        "company_name": "company",
        "city": "city",
        "cf:loyalty_tier": "loyalty_tier",
    },
}


def _prepare(path: Path, mapping_name: str) -> dict[str, float]:
    from cc_tui.engine.building import Builder
    from cc_tui.engine.email_check import RowClass, check_emails
    from cc_tui.engine.mapping import mapped_fields
    from cc_tui.engine.progress import ProgressTracker
    from cc_tui.engine.rejected import RejectedRowsWriter
    from cc_tui.engine.segments.inspection import inspect_path
    from cc_tui.models.config import FieldMapping
    from cc_tui.models.connection import CONTACT_CAP_PER_RUN

    columns = dict(MAPPINGS[mapping_name])
    mapping = FieldMapping(
        email=columns.pop("email"),
        first_name=columns.pop("first_name"),
        last_name=columns.pop("last_name"),
        attributes=columns,
    )
    fields = mapped_fields(mapping)
    from cc_tui.remote_paths import is_remote_location, remote_path

    segment = inspect_path(remote_path(path) if is_remote_location(path) else path, name="bench")
    stop = threading.Event()
    with PeakMemory() as memory, tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        classification = check_emails([segment], "email", cap=CONTACT_CAP_PER_RUN)
        writer = RejectedRowsWriter(Path(work) / "rejected.csv", [f.column for f in fields])
        preparer = Builder(
            [segment],
            fields,
            classification,
            ["0" * 8 + "-0000-0000-0000-" + "0" * 12],
            writer,
            ProgressTracker("b", "b", dry_run=True),
        )
        batches = contacts = body_bytes = 0
        ready = 0.0
        for batch in preparer.batches(stop):
            batches += 1
            contacts += batch.contacts
            body_bytes += len(batch.body)
            ready = time.perf_counter() - started
        writer.close()
        seconds = time.perf_counter() - started
    return {
        "rows": classification.rows_read,
        "seconds": seconds,
        # When the last batch was ready: a run sends from here on, while the rows past the
        # last contact are still being written to rejected.csv.
        "ready_seconds": ready,
        "rows_per_s": classification.rows_read / seconds,
        "peak_mb": memory.peak_mb,
        "batches": batches,
        "contacts": contacts,
        "sent": classification.counts()[RowClass.SENT],
        "body_mb": body_bytes / 1e6,
    }


def measure_preparation(
    path: Path, mapping: str = "basic", *, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Run the preparation of ``path`` (a file, or a storage location) in a fresh process and
    return its figures; ``env`` is that process's environment (its home, for storage)."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.prep", str(path), mapping],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        env=env,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    print(json.dumps(_prepare(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "basic")))
