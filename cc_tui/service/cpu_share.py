"""How many cores the service's data work may use: all but one, so its clients stay quick.

The service prepares runs with Polars, which by default keeps every core busy while it reads
and classifies a segment. On a small data server (2 cores) that left the app's event loop,
in another process, waiting for a core: one stall of 40-85 ms at the start of every
1M-contact run (measured; a service at nice 10 still caused it, the app on a core of its own
did not). With Polars on one core fewer the worst stall was 30 ms and the run took as long
(it is bound by Constant Contact's 4 requests a second, not by preparation).

Polars reads ``POLARS_MAX_THREADS`` once, when it is first imported, so this runs before the
service imports anything that imports Polars. A value already in the environment wins.
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["POLARS_THREADS_ENV", "leave_a_core_for_clients"]

POLARS_THREADS_ENV = "POLARS_MAX_THREADS"
log = logging.getLogger(__name__)


def leave_a_core_for_clients() -> int | None:
    """Give Polars every usable core but one (at least one); the count set, or None when the
    environment already names one or Polars is already loaded (too late to change it)."""
    if POLARS_THREADS_ENV in os.environ:
        return None
    if "polars" in sys.modules:
        log.debug("Polars is loaded already: it keeps its own thread count")
        return None
    threads = max(1, len(os.sched_getaffinity(0)) - 1)
    os.environ[POLARS_THREADS_ENV] = str(threads)
    return threads
