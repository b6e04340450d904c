"""(e) The app's memory during a 1,000,000-contact run (issue 15, Deliver 4).

As a person runs it: the emulator in its own process (as Constant Contact would be), the app
in an 80x24 pseudo-terminal, opened by ``cc-tui`` on a prepared home, its run going through
the cc-tui service (which the app starts, and which does the run in its own process). The
bench presses ``r`` on the export once the home screen shows and samples the app process's
resident memory until the run is recorded as ended; the app's figure is what it holds to show
the run (snapshots, events, the run view), not the run's own memory.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.e2e import _free_port, _setup, _start_emulator
from benchmarks.startup import _CC_TUI, _ESCAPES, COLUMNS, LINES, _stop
from cc_tui.cli.demo.data import write_demo_segment
from cc_tui.models.run import RunStatus
from cc_tui.store.run_history import RunHistory

__all__ = ["AppMemory", "measure_app_memory"]

SAMPLE_INTERVAL = 0.02  # seconds between reads of /proc/PID/status
HISTORY_POLL = 0.5  # seconds between looks at whether the run has ended
HOME_TIMEOUT = 60.0
RUN_TIMEOUT = 600.0
_HOME_SHOWN = b"No run active"  # the home screen's status line (escape sequences stripped)


@dataclass(frozen=True)
class AppMemory:
    """Resident memory of the app process around one run, in MB."""

    contacts: int
    idle_mb: float
    """Once the home screen shows, before the run."""
    peak_mb: float
    """The most seen from pressing ``r`` to the run's end."""
    seconds: float
    """From pressing ``r`` to the run recorded as ended."""
    status: str


def measure_app_memory(contacts: int = 1_000_000) -> AppMemory:
    """Run one export of ``contacts`` distinct, valid contacts from the app; sample its RSS."""
    with tempfile.TemporaryDirectory(prefix="cc-tui-bench-") as work:
        segment = Path(work) / "segments" / "contacts.csv"
        write_demo_segment(
            segment, contacts, seed=7, invalid_share=0.0, duplicate_share=0.0, missing_share=0.0
        )
        home = Path(work) / "home"
        port = _free_port()
        emulator = _start_emulator(port)
        try:
            services, _ = _setup(home, port, segment)
            try:
                return _measure(home, RunHistory(services.history), contacts)
            finally:
                services.close()
        finally:
            subprocess.run(
                [str(_CC_TUI), "--home", str(home), "service", "stop"],
                capture_output=True,
                check=False,
            )
            emulator.kill()
            emulator.wait()


def _measure(home: Path, history: RunHistory, contacts: int) -> AppMemory:
    environment = {**os.environ, "CC_TUI_HOME": str(home), "TERM": "xterm-256color"}
    environment.pop("CC_TUI_SERVICE_SOCKET", None)
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    process = subprocess.Popen(
        [str(_CC_TUI), "--home", str(home)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=environment,
        start_new_session=True,
    )
    os.close(follower)
    try:
        _read_until(leader, _HOME_SHOWN, HOME_TIMEOUT)
        time.sleep(1.0)  # the home screen settles (its first reload, the frozen objects)
        idle = _rss_mb(process.pid)
        os.write(leader, b"r")
        started = time.monotonic()
        peak, last_poll, record = idle, 0.0, None
        while time.monotonic() - started < RUN_TIMEOUT:
            _drain(leader, SAMPLE_INTERVAL)  # the app must never block writing its frames
            peak = max(peak, _rss_mb(process.pid))
            if time.monotonic() - last_poll >= HISTORY_POLL:
                last_poll = time.monotonic()
                runs = history.runs(limit=1)
                if runs and runs[0].status is not RunStatus.RUNNING:
                    record = runs[0]
                    break
        if record is None:
            raise RuntimeError(f"the run did not end within {RUN_TIMEOUT:.0f} s")
        seconds = time.monotonic() - started
        for _ in range(int(1.0 / SAMPLE_INTERVAL)):  # the summary is drawn after the end
            _drain(leader, SAMPLE_INTERVAL)
            peak = max(peak, _rss_mb(process.pid))
        return AppMemory(contacts, idle, peak, seconds, record.status.value)
    finally:
        _stop(process)
        os.close(leader)


def _read_until(leader: int, wanted: bytes, timeout: float) -> None:
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output += _drain(leader, 0.05)
        if wanted in _ESCAPES.sub(b"", output):
            return
    raise RuntimeError(f"the home screen did not show within {timeout:.0f} s: {output[-300:]!r}")


def _drain(leader: int, wait: float) -> bytes:
    ready, _, _ = select.select([leader], [], [], wait)
    if not ready:
        return b""
    try:
        return os.read(leader, 65536)
    except OSError as exc:
        raise RuntimeError("the app ended during the run") from exc


def _rss_mb(pid: int) -> float:
    """Resident memory (anonymous + file pages) of ``pid`` in MB, as /proc tells it."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
