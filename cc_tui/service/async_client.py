"""The app's side of the socket: the same intents and answers as the command line, on asyncio.

Connecting (and starting the service when none answers, which may take seconds) happens in a
worker thread, so the app's event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from cc_tui.paths import AppPaths
from cc_tui.service.client import connect, request
from cc_tui.service.frames import HEADER_SIZE, encode, frame_length
from cc_tui.service.locate import ServiceFiles
from cc_tui.service.protocol import Answer, Intent, decode_answer

__all__ = ["AsyncRunStream", "ServiceLink"]


@dataclass(frozen=True, slots=True)
class ServiceLink:
    """Where a face finds its home's service."""

    paths: AppPaths
    files: ServiceFiles

    async def open(self, *, autostart: bool = True) -> AsyncRunStream:
        """A connection to the service (started first if none answers and ``autostart``)."""
        sock = await asyncio.to_thread(connect, self.paths, self.files, autostart=autostart)
        reader, writer = await asyncio.open_unix_connection(sock=sock)
        return AsyncRunStream(reader, writer)

    async def ask(self, intent: Intent, *, autostart: bool = True) -> Answer:
        """Send one intent, return its one answer (an ``error`` answer raises RemoteError)."""
        return await asyncio.to_thread(request, self.paths, self.files, intent, autostart=autostart)


class AsyncRunStream:
    """One connection: send intents, await answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def send(self, intent: Intent) -> None:
        """Send one intent."""
        self._writer.write(encode(intent))
        await self._writer.drain()

    async def next(self) -> Answer | None:
        """The next answer; None once the service closed the connection."""
        try:
            header = await self._reader.readexactly(HEADER_SIZE)
            body = await self._reader.readexactly(frame_length(header))
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        return decode_answer(body)

    async def close(self) -> None:
        """Hang up (a run being watched goes on)."""
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
