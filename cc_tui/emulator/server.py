"""Run the emulator with uvicorn on a loopback socket: in a thread, or in the foreground.

The listening socket is created here with ``IPPROTO_TCP``: asyncio only sets TCP_NODELAY on
accepted connections of such sockets, and without it every answer waits ~44 ms for Nagle's
algorithm (measured-notes section 5). Binding here also turns "port in use" into a plain
``OSError`` before any thread starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
import time
from types import FrameType, TracebackType
from typing import Any

import uvicorn

from cc_tui.emulator.app import create_app
from cc_tui.emulator.runtime import Emulator
from cc_tui.emulator.settings import EmulatorSettings
from cc_tui.emulator.state import EmulatorState
from cc_tui.models.connection import is_loopback_host

__all__ = ["EmulatorServer"]

START_TIMEOUT = 10.0  # seconds to wait for uvicorn to listen
STOP_TIMEOUT = 10.0
GRACEFUL_SHUTDOWN = 3  # seconds uvicorn waits for open requests when stopping
_POLL = 0.005
_TICK = 0.01
_TICKS_PER_DAY = 8_640_000
_LISTEN_BACKLOG = 128


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class _QuickServer(uvicorn.Server):
    """uvicorn that notices ``should_exit`` within 10 ms and stops without fixed sleeps.

    Stock uvicorn ticks every 100 ms and sleeps 100 ms more while shutting down; test suites
    start and stop an emulator per test, so that adds up.
    """

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % _TICKS_PER_DAY
            await asyncio.sleep(_TICK)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # idle keep-alive connections close now, busy ones after
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GRACEFUL_SHUTDOWN
        state = self.server_state
        # uvicorn offers no event for "connections closed"; poll its state.
        while (state.connections or state.tasks) and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(_TICK)
        for task in state.tasks:
            task.cancel(msg="the emulator is stopping")


class EmulatorServer:
    """One emulator on ``settings.host``; ``start()``/``stop()`` or use it as a context manager."""

    def __init__(self, settings: EmulatorSettings) -> None:
        if not is_loopback_host(settings.host):
            raise ValueError(
                f"The emulator only listens on loopback (localhost, 127.0.0.0/8, ::1), "
                f"not {settings.host!r}: it has no real security."
            )
        self.settings = settings
        self.app = create_app(settings)
        self.emulator: Emulator = self.app.state.emulator
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.url = ""

    # -- addresses ----------------------------------------------------------------------

    @property
    def api_base_url(self) -> str:
        """Base URL of the V3 API (``.../v3``)."""
        return self.url + "/v3"

    @property
    def auth_base_url(self) -> str:
        """Base URL of the authorization server."""
        return self.url + "/oauth2/default/v1"

    @property
    def verification_uri(self) -> str:
        """The page where a person approves a device code."""
        return self.url + "/activate"

    @property
    def state(self) -> EmulatorState:
        """The account data (thread-safe methods)."""
        return self.emulator.state

    # -- lifecycle ------------------------------------------------------------------------

    def bind(self) -> None:
        """Create the listening socket (``OSError`` if the port is taken); sets :attr:`url`."""
        if self._socket is not None:
            return
        host = self.settings.host
        family, kind, proto, _, address = socket.getaddrinfo(
            host, self.settings.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(_LISTEN_BACKLOG)
        except OSError:
            sock.close()
            raise
        sock.set_inheritable(True)
        self._socket = sock
        port = sock.getsockname()[1]
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"

    def _uvicorn(self, log_config: dict[str, Any] | None) -> uvicorn.Server:
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_level="warning",
            access_log=False,
            date_header=False,  # the app dates answers by the emulator's clock (dates.py)
            log_config=log_config,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        )
        return _QuickServer(config)

    def start(self) -> None:
        """Serve in a daemon thread; returns once listening."""
        if self._thread is not None:
            return
        self.bind()
        server = self._server = self._uvicorn(log_config=None)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._socket]}, name="cc-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"The emulator did not start on {self.url}")
            time.sleep(_POLL)

    def run_forever(self) -> None:
        """Serve in this (main) thread until Ctrl-C or SIGTERM, then save the state file."""
        self.bind()
        self._server = self._uvicorn(log_config=uvicorn.config.LOGGING_CONFIG)
        # uvicorn re-raises the signal that stopped it; make SIGTERM end up like Ctrl-C so the
        # state file is still saved.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            self._server.run(sockets=[self._socket] if self._socket else None)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            self._close_socket()
            self.emulator.save()

    def stop(self) -> None:
        """Stop serving (open requests get a few seconds) and save the state file."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(STOP_TIMEOUT)
        self._server = self._thread = None
        self._close_socket()
        if thread is not None:
            self.emulator.save()

    def _close_socket(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
            self._socket = None

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- test helpers -----------------------------------------------------------------------

    def pending_user_codes(self) -> list[str]:
        """User codes waiting for approval, oldest first (tests approve them)."""
        return self.emulator.oauth.pending_user_codes()

    def approve(self, user_code: str) -> None:
        """Approve a device code as a person would; ``KeyError`` if it is not pending."""
        if not self.emulator.oauth.decide(user_code, approve=True):
            raise KeyError(f"no pending device code {user_code!r}")

    def deny(self, user_code: str) -> None:
        """Deny a device code; ``KeyError`` if it is not pending."""
        if not self.emulator.oauth.decide(user_code, approve=False):
            raise KeyError(f"no pending device code {user_code!r}")

    def list_members(self, list_id: str) -> set[str]:
        """Lower-cased e-mails of a list's members."""
        return self.state.list_members(list_id)

    def stats(self) -> dict[str, Any]:
        """Same content as ``GET /__emulator/stats``."""
        return self.emulator.stats_snapshot()
