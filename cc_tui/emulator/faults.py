"""Injected faults: seeded random decisions, and dropping a connection without an answer.

All decisions come from one ``random.Random(seed)``, so a run with the same seed and the same
sequence of requests sees the same faults. A rate of 0 draws nothing, so turning one fault on
does not shift the draws of the others.

The faults (settings of the same names; ``cc-tui emulator --help`` lists them):

* ``error_rate``: a /v3 request is answered 503 before it does anything.
* ``drop_rate``: a /v3 request's connection is closed without an answer. For an import, a
  second coin (``drop_after_create_share``) decides whether that happens before anything was
  done or only *after* the activity was created (the gate marks the request with
  :data:`DROP_AFTER_CREATE` and the import route hangs up once the activity exists), so a
  client meets a lost answer whose import nevertheless exists.
* ``ambiguous_rate``: an import is answered 500 after its activity was created.
* ``empty_answer_rate``: an import is answered 202 with an empty body after its activity was
  created (a gateway that strips the body): a success that names no activity.
* ``failed_activity_rate``, ``cancelled_activity_rate``, ``timed_out_activity_rate``: an
  import's activity stops part-way and ends in that state.
* ``unfinished_activity_rate``: an import's activity stops part-way and stays ``processing``
  for ever.
* ``latency``: seconds added before every /v3 answer.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

__all__ = ["DROP_AFTER_CREATE", "NO_ANSWER", "FaultInjector", "drop_connection"]

logger = logging.getLogger(__name__)
_DISCONNECT_WAIT_STEPS = 20  # event-loop turns to wait for uvicorn to notice the closed socket
# Key in the ASGI scope's "state": the import route drops the connection after creating the
# activity; the value is the callback that counts the dropped request.
DROP_AFTER_CREATE = "drop_after_create"


class _NoAnswer(Response):
    """What a route returns after dropping the connection: it sends nothing."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return


NO_ANSWER = _NoAnswer()


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


async def drop_connection(
    receive: Receive, before_close: Callable[[], None], *, body_read: bool = False
) -> bool:
    """Read the request, call ``before_close``, then close the connection without answering.

    ``body_read``: the route has already read the body (a drop after doing the work).

    uvicorn hands the app ``receive`` as a bound method of its request cycle, which holds the
    socket transport; closing that transport is the only way an ASGI app can hang up. The cycle
    is marked disconnected so uvicorn does not try to send a 500 of its own. Returns False (and
    does nothing) when the server is not uvicorn.
    """
    cycle: Any = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(cycle, "disconnected"):
        return False
    more = not body_read
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
