"""``make bench``: every benchmark, with its figures printed as a table.

``python -m benchmarks [--quick] [--only prep|e2e|lag]``. Data files are generated once into
benchmarks/data/ (git-ignored): about 1.5 GB for the 10M-row files.
"""

from __future__ import annotations

import argparse
import sys

from benchmarks.data import segment_file
from benchmarks.prep import measure_preparation

TARGET_ROWS_PER_S = 1_000_000
TARGET_PEAK_MB_10M_CSV = 400


def _prep(quick: bool) -> None:
    print("\n(a) Preparation: read, classify, build batch JSON (no network)")
    print(
        f"{'file':<28}{'mapping':>8}{'rows':>12}{'seconds':>9}{'rows/s':>12}{'peak MB':>9}"
        f"{'batches':>8}"
    )
    sizes = [1_000_000] if quick else [1_000_000, 10_000_000]
    for rows in sizes:
        for fmt in ("csv", "parquet"):
            path = segment_file(rows, fmt)  # type: ignore[arg-type]
            for mapping in ("basic", "full"):
                r = measure_preparation(path, mapping)
                print(
                    f"{path.name:<28}{mapping:>8}{int(r['rows']):>12,}{r['seconds']:>9.2f}"
                    f"{r['rows_per_s']:>12,.0f}{r['peak_mb']:>9.0f}{int(r['batches']):>8}",
                    flush=True,
                )
    print(
        f"targets: >= {TARGET_ROWS_PER_S:,} rows/s; peak <= {TARGET_PEAK_MB_10M_CSV} MB for "
        "the 10M-row CSV"
    )


def _e2e(quick: bool) -> None:
    from benchmarks.e2e import measure_end_to_end

    contacts = 200_000 if quick else 1_000_000
    print(f"\n(b) End to end: {contacts:,} contacts to the emulator (separate process)")
    result = measure_end_to_end(contacts)
    ratio = result.seconds / result.floor
    print(
        f"cc-tui: {result.seconds:.2f} s, {result.requests} requests, floor "
        f"ceil({result.requests}/4) = {result.floor:.0f} s, ratio {ratio:.2f} (target <= 1.25)"
    )
    each = ", ".join(f"{s:.2f} s/{r} requests/{t} throttled" for s, r, t in result.runs)
    print(f"  median of {len(result.runs)} runs: {each}")
    if result.naive_seconds is not None:
        print(
            f"(c) naive baseline (csv module, one request at a time): {result.naive_seconds:.2f}"
            f" s, {result.naive_requests} requests; cc-tui is "
            f"{result.naive_seconds / result.seconds:.1f}x faster (target >= 5x)"
        )


def _lag(quick: bool) -> None:
    from benchmarks.lag import measure_lag

    contacts = 200_000 if quick else 1_000_000
    print(f"\n(d) Event loop of the app during a {contacts:,}-contact run (headless)")
    result = measure_lag(contacts)
    print(
        f"worst delay of a 10 ms tick: {result.worst_ms:.1f} ms (p99 {result.p99_ms:.1f} ms) "
        f"over {result.seconds:.1f} s; target < 100 ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    parser.add_argument("--only", choices=["prep", "e2e", "lag"], help="run one benchmark")
    args = parser.parse_args()
    for name, bench in (("prep", _prep), ("e2e", _e2e), ("lag", _lag)):
        if args.only in (None, name):
            bench(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
