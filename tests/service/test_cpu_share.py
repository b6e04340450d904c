"""The service leaves one core to its clients: Polars gets every usable core but one."""

from __future__ import annotations

import os
import subprocess
import sys

_COUNT = (
    "import os, sys\n"
    "from cc_tui.service.cpu_share import leave_a_core_for_clients\n"
    "{before}"
    "set_to = leave_a_core_for_clients()\n"
    "import polars\n"
    "print(set_to, polars.thread_pool_size(), len(os.sched_getaffinity(0)))\n"
)


def _run(before: str = "", **env: str) -> tuple[str, int, int]:
    environment = {k: v for k, v in os.environ.items() if k != "POLARS_MAX_THREADS"}
    out = subprocess.run(
        [sys.executable, "-c", _COUNT.format(before=before)],
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return out[0], int(out[1]), int(out[2])


def test_polars_gets_every_core_but_one() -> None:
    set_to, pool, cores = _run()

    assert pool == max(1, cores - 1)
    assert set_to == str(pool)


def test_a_thread_count_in_the_environment_wins() -> None:
    set_to, pool, _ = _run(POLARS_MAX_THREADS="3")

    assert (set_to, pool) == ("None", 3)


def test_too_late_once_polars_is_loaded() -> None:
    set_to, pool, cores = _run(before="import polars\n")

    assert (set_to, pool) == ("None", cores)
