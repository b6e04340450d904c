"""Services that tests start, and the guarantee that none outlives its test.

Every test gets a runtime folder of its own (``XDG_RUNTIME_DIR``, short: a socket path has at
most 107 bytes), so the sockets of its homes' services are there and nowhere else. A client
in the test's own process that finds no service starts one on a thread of this process (fast,
and the test's monkeypatches reach its runs); a client in a child process (``cc-tui run`` as a
subprocess) starts a real background service. At the end of the test both kinds are stopped:
the threads directly, the processes through their sockets (``service.stop``), then by their
pid (SIGKILL) if they do not go.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cc_tui.paths import AppPaths
from cc_tui.service import client
from cc_tui.service.locate import SOCKET_ENV, ServiceFiles
from cc_tui.service.protocol import ServiceState, ServiceStatus, ServiceStop
from cc_tui.service.server import ServiceServer, ServiceThread

__all__ = ["ServiceLauncher", "service_launcher"]

STOP_WAIT = 60.0  # seconds a process service may take to stop its runs and go


class ServiceLauncher:
    """Starts in-process services for a test's clients and stops every service at its end."""

    def __init__(self, runtime: Path) -> None:
        self.runtime = runtime
        self.threads: list[ServiceThread] = []

    def spawn(self, paths: AppPaths, files: ServiceFiles, *, shared: bool = False) -> client.Poll:
        """Stands in for :func:`cc_tui.service.client.spawn_service` in the test's process."""
        thread = ServiceThread(ServiceServer(paths, files, shared=shared)).start()
        self.threads.append(thread)
        return lambda: None

    def stop_all(self) -> None:
        for thread in self.threads:
            thread.stop()
        for sock in self.runtime.glob("**/*.sock"):
            _stop_process_service(sock)


def _stop_process_service(sock: Path) -> None:
    files = ServiceFiles(
        home=Path("/"), socket=sock, lock=Path("/nonexistent"), start_lock=Path("/nonexistent"),
        log=Path("/nonexistent"), shared_socket=True,
    )  # fmt: skip
    paths = AppPaths.resolve(None)
    pid = None
    with contextlib.suppress(client.ServiceUnavailableError, OSError):
        state = client.request(paths, files, ServiceStatus(), autostart=False)
        pid = state.pid if isinstance(state, ServiceState) else None
        client.request(paths, files, ServiceStop(), autostart=False)
    if pid is None or pid == os.getpid():
        sock.unlink(missing_ok=True)
        return
    deadline = time.monotonic() + STOP_WAIT
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def service_launcher(monkeypatch: object) -> Iterator[ServiceLauncher]:
    """The launcher of one test: its runtime folder set, the spawner replaced, all stopped."""
    runtime = Path(tempfile.mkdtemp(prefix="cct-", dir="/tmp"))
    launcher = ServiceLauncher(runtime)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))  # type: ignore[attr-defined]
    monkeypatch.delenv(SOCKET_ENV, raising=False)  # type: ignore[attr-defined]
    monkeypatch.setattr(client, "spawn_service", launcher.spawn)  # type: ignore[attr-defined]
    try:
        yield launcher
    finally:
        launcher.stop_all()
        shutil.rmtree(runtime, ignore_errors=True)
