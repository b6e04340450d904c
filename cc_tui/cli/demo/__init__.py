"""``cc-tui demo``: the command, and the sample segments it writes (also the benchmarks' data)."""
