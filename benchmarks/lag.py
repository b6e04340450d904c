"""(d) How long the app's event loop is blocked while a big run goes (headless app).

The app is a client of the home's service, measured two ways: the service in its own process
(``cc-tui``: the app starts or finds it), and on a thread of the app's process (``cc-tui
demo``: the run's preparation then shares the process, and its interpreter lock, with the
app's loop). The emulator runs in its own process, as Constant Contact would.

Each layout is measured in a child process of its own (:mod:`benchmarks.lag_probe` does the
measuring), started the way the real command starts: ``cc-tui demo`` leaves a core to the app
(:func:`~cc_tui.service.cpu_share.leave_a_core_for_clients`) before anything loads Polars,
which a bench process that has already prepared files with Polars could no longer do. This
module imports nothing that loads Polars, so the child can set the count first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass

__all__ = ["SERVICE_LAYOUTS", "LagResult", "measure_lag"]

SERVICE_LAYOUTS = {
    "process": "the service in its own process (cc-tui)",
    "thread": "the service on a thread of the app's process (cc-tui demo)",
}


@dataclass(frozen=True)
class LagResult:
    """Worst and 99th-percentile wake-up delay of a 10 ms probe, over the whole run."""

    worst_ms: float
    p99_ms: float
    seconds: float
    confirmed: int


def measure_lag(contacts: int = 1_000_000, service: str = "process") -> LagResult:
    """Run ``contacts`` contacts through a headless app, in a child process started as the
    layout ``service`` (one of :data:`SERVICE_LAYOUTS`) starts, and measure its loop's delays."""
    if service not in SERVICE_LAYOUTS:
        raise ValueError(f"unknown service layout {service!r}")
    child = [sys.executable, "-m", "benchmarks.lag", service, str(contacts)]
    done = subprocess.run(child, check=False, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the lag bench's child failed ({done.returncode}):\n{done.stderr}")
    return LagResult(**json.loads(done.stdout.splitlines()[-1]))


def _measure_in_child(service: str, contacts: int) -> None:
    """The child's work: set the thread count as the layout's command does, then measure."""
    if service == "thread":
        # As `cc-tui demo` does before it imports anything that loads Polars.
        from cc_tui.service.cpu_share import leave_a_core_for_clients

        leave_a_core_for_clients()
    from benchmarks.lag_probe import measure_here

    print(json.dumps(asdict(measure_here(contacts, service))))


if __name__ == "__main__":
    _measure_in_child(sys.argv[1], int(sys.argv[2]))
