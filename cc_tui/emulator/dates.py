"""Every answer dated by the emulator's clock, as an origin server with a clock must date it
(RFC 9110 section 6.6.1: ``Date``, IMF-fixdate, whole seconds).

The emulator's clock may stand off the machine's (``clock_offset``: a Constant Contact whose
clock disagrees with the client's), so the ``Date`` comes from that clock, as do the times the
answers state (activities' ``created_at``, tokens' lifetimes); uvicorn's own ``Date`` header,
from the machine's clock, is turned off (see :mod:`cc_tui.emulator.server`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cc_tui.emulator.runtime import Emulator

__all__ = ["ServerDate", "http_date"]


def http_date(timestamp: float) -> str:
    """``timestamp`` (seconds since the epoch) as an HTTP date, cut to the second."""
    return format_datetime(datetime.fromtimestamp(int(timestamp), tz=UTC), usegmt=True)


class ServerDate:
    """Adds ``Date`` (from the emulator's clock) to every HTTP answer that has none."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(name.lower() == b"date" for name, _ in headers):
                    stamp = http_date(self.emulator.clock()).encode("latin-1")
                    headers.append((b"date", stamp))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, dated)
