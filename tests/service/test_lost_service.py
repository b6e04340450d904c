"""A service that goes away while a client waits: a clear message and exit code, no traceback.

A service killed (``kill -9``, OOM) or stopping after it accepted a client's connection but
before reading the client's request leaves unread bytes behind: the kernel then resets the
connection, and the client's next read fails with ECONNRESET instead of seeing the end of the
stream. Either way the client says the service went away.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cc_tui.cli import main
from cc_tui.errors import EXIT_FAILED, EXIT_RESUMABLE

WAIT = 30.0  # seconds the stand-in service waits for the client's request


@pytest.fixture
def dying_service(tmp_path: Path) -> Iterator[Path]:
    """A socket whose "service" accepts one client and dies as its request arrives, unread."""
    path = tmp_path / "s.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen()

    def die_on_request() -> None:
        conn, _ = listener.accept()
        select.select([conn], [], [], WAIT)  # the request is in, not read
        conn.close()  # with unread bytes: the kernel resets the connection

    thread = threading.Thread(target=die_on_request, daemon=True)
    thread.start()
    yield path
    thread.join(WAIT)
    listener.close()


@pytest.mark.parametrize(
    ("argv", "exit_code", "said"),
    [
        (["history"], EXIT_FAILED, "The cc-tui service hung up without answering"),
        (["service", "status"], EXIT_FAILED, "No cc-tui service runs for"),
        # A run the service may have begun: it resumes with the same command.
        (["run", "promo"], EXIT_RESUMABLE, "The cc-tui service went away before the run"),
    ],
)
def test_a_service_that_dies_on_a_request_is_reported_not_a_traceback(
    cc_home: Path,
    dying_service: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    exit_code: int,
    said: str,
) -> None:
    code = main(["--service", str(dying_service), *argv])
    captured = capsys.readouterr()
    assert code == exit_code, captured.err
    assert said in captured.out + captured.err
