"""Benchmark segments, generated once into benchmarks/data/ (git-ignored) and reused."""

from __future__ import annotations

from pathlib import Path

from cc_tui.cli.demo.data import DemoFormat, write_demo_segment

__all__ = ["DATA_DIR", "segment_file"]

DATA_DIR = Path(__file__).parent / "data"


def segment_file(rows: int, fmt: DemoFormat) -> Path:
    """A demo segment of ``rows`` rows in ``fmt``, generated on first use."""
    suffix = {"csv": ".csv", "parquet": ".parquet", "ndjson": ".ndjson", "csv.gz": ".csv.gz"}[fmt]
    path = DATA_DIR / f"customers-{rows // 1_000_000}m{suffix}"
    if not path.exists():
        print(f"  generating {path.name} ({rows:,} rows)…", flush=True)
        write_demo_segment(path, rows, seed=1, fmt=fmt)
    return path
