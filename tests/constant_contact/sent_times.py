"""When rate-limited requests leave the client, stamped by the test at their first byte.

The in-process emulator counts a request when its own thread gets to it: on a busy machine
that is late by more than the client's margin, so what the emulator counts says how busy the
machine was as much as how the client sent. These stamps are taken on the client's side, in
httpx's ``trace`` event right after the rate limiter let the request go
(``send_request_headers.started``, :data:`~cc_tui.constant_contact.limiter.WIRE_EVENT`), so a
test checks the window as the client keeps it; the emulator's own strict count stays checked
apart.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from cc_tui.constant_contact.limiter import WIRE_EVENT

__all__ = ["SentTimes", "most_in_any_window", "tightest_span"]


class SentTimes(httpx.AsyncHTTPTransport):
    """httpx's own transport, noting the monotonic time each rate-limited request went out.

    A request is rate-limited when the client gave it the limiter's ``trace`` extension; the
    stamp is taken after that extension returns, so a request the limiter holds at the wire
    is stamped when it is let go.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        held = request.extensions.get("trace")
        if held is None:
            return await super().handle_async_request(request)

        async def trace(event: str, info: Mapping[str, Any]) -> None:
            await held(event, info)
            if event.endswith(WIRE_EVENT):
                self.sent.append(time.monotonic())

        request.extensions["trace"] = trace
        return await super().handle_async_request(request)


def most_in_any_window(times: Sequence[float], window: float) -> int:
    """The most of ``times`` within any ``window`` seconds (``t <= x < t + window``), as the
    emulator counts its arrivals."""
    ordered = sorted(times)
    most = first = 0
    for last, stamp in enumerate(ordered):
        while stamp - ordered[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def tightest_span(times: Sequence[float], count: int) -> float:
    """The shortest time in which ``count`` of ``times`` happened (inf if there are fewer)."""
    ordered = sorted(times)
    return min(
        (ordered[i + count - 1] - ordered[i] for i in range(len(ordered) - count + 1)),
        default=float("inf"),
    )
