"""Start-up: ``cc-tui --help``, and the first paint of the app and of ``cc-tui demo``.

The app runs in a pseudo-terminal of 80x24, as a person would start it, each time with a fresh
home. Its first paint is the moment the first frame arrives: after the switch to the alternate
screen, the first output that holds visible text (escape sequences stripped). The clock starts
just before the process is started, so the figures include Python's own start and every import.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

__all__ = ["first_paint_seconds", "help_seconds"]

COLUMNS, LINES = 80, 24
ALTERNATE_SCREEN = b"\x1b[?1049h"
# Visible characters that make a frame: more than any escape-only output holds, fewer than
# the smallest screen shows.
FRAME_CHARACTERS = 20
PAINT_TIMEOUT = 60.0
_ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
_BLANKS = re.compile(rb"\s+")
_CC_TUI = Path(sys.executable).parent / "cc-tui"


def help_seconds() -> float:
    """Wall time of ``cc-tui --help``."""
    started = time.perf_counter()
    subprocess.run([str(_CC_TUI), "--help"], check=True, capture_output=True)
    return time.perf_counter() - started


def first_paint_seconds(*arguments: str) -> float:
    """Seconds from starting ``cc-tui ARGUMENTS`` in a pseudo-terminal to its first frame."""
    with tempfile.TemporaryDirectory(prefix="cc-tui-bench-") as home:
        environment = {**os.environ, "CC_TUI_HOME": home, "TERM": "xterm-256color"}
        environment.pop("NO_COLOR", None)
        leader, follower = os.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(_CC_TUI), "--home", home, *arguments],
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env=environment,
            start_new_session=True,
        )
        os.close(follower)
        try:
            return _wait_for_frame(leader, started)
        finally:
            _stop(process)
            os.close(leader)


def _wait_for_frame(leader: int, started: float) -> float:
    output = b""
    while time.perf_counter() - started < PAINT_TIMEOUT:
        ready, _, _ = select.select([leader], [], [], 0.05)
        if not ready:
            continue
        try:
            output += os.read(leader, 65536)
        except OSError as exc:  # the process ended (EIO on Linux) before painting
            raise RuntimeError(f"cc-tui ended before its first paint: {output[-500:]!r}") from exc
        at = output.find(ALTERNATE_SCREEN)
        if at < 0:
            continue
        visible = _ESCAPES.sub(b"", output[at + len(ALTERNATE_SCREEN) :])
        if len(_BLANKS.sub(b"", visible)) >= FRAME_CHARACTERS:
            return time.perf_counter() - started
    raise RuntimeError(f"no frame within {PAINT_TIMEOUT:.0f} s: {output[-500:]!r}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the app and everything it started (the demo's emulator runs in it)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
