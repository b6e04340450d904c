"""Injected faults: seeded random decisions, and dropping a connection without an answer.

All decisions come from one ``random.Random(seed)``, so a run with the same seed and the same
sequence of requests sees the same faults. A rate of 0 draws nothing, so turning one fault on
does not shift the draws of the others.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable
from typing import Any

from starlette.types import Receive

__all__ = ["FaultInjector", "drop_connection"]

logger = logging.getLogger(__name__)
_DISCONNECT_WAIT_STEPS = 20  # event-loop turns to wait for uvicorn to notice the closed socket


class FaultInjector:
    """Seeded coin flips; thread-safe."""

    def __init__(self, seed: int | None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def reseed(self, seed: int | None) -> None:
        """Start the sequence again (``POST /__emulator/reset``)."""
        with self._lock:
            self._rng = random.Random(seed)

    def happens(self, rate: float) -> bool:
        """True with probability ``rate``."""
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def fraction(self) -> float:
        """A uniform draw in [0, 1) (where a failing activity stops)."""
        with self._lock:
            return self._rng.random()


async def drop_connection(receive: Receive, before_close: Callable[[], None]) -> bool:
    """Read the request, call ``before_close``, then close the connection without answering.

    uvicorn hands the app ``receive`` as a bound method of its request cycle, which holds the
    socket transport; closing that transport is the only way an ASGI app can hang up. The cycle
    is marked disconnected so uvicorn does not try to send a 500 of its own. Returns False (and
    does nothing) when the server is not uvicorn.
    """
    cycle: Any = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(cycle, "disconnected"):
        return False
    more = True
    while more:
        message = await receive()
        more = message.get("type") == "http.request" and bool(message.get("more_body"))
    before_close()  # count it before the client can notice
    transport.close()
    for _ in range(_DISCONNECT_WAIT_STEPS):
        if cycle.disconnected:
            break
        await asyncio.sleep(0)
    cycle.disconnected = True
    logger.debug("fault: dropped the connection")
    return True
