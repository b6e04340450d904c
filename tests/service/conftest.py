"""Fixtures for service tests: the engine's workspace (a home with a signed-in connection to an
emulator and an export), and helpers to run cc-tui as a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cc_tui.models.batch import BatchState
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace, make_workspace, workspace

__all__ = ["a_batch_posted", "make_workspace", "spawn_cc_tui", "wait_for", "workspace"]

REPO = Path(__file__).resolve().parents[2]
WAIT_LIMIT = 60.0  # seconds a child may take to reach the moment a test waits for


def spawn_cc_tui(ws: Workspace, *args: str, **popen: object) -> subprocess.Popen[str]:
    """``python -m cc_tui --home HOME ARGS`` as a child process, output captured."""
    home = str(ws.services.paths.config_dir)
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "cc_tui", "--home", home, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ},
        cwd=REPO, **popen,
    )  # fmt: skip


def wait_for(ready: Callable[[], bool], *, what: str) -> None:
    """Poll until ``ready`` (a test waits on a state, never on a duration)."""
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.01)
    raise AssertionError(f"never saw {what}")


def a_batch_posted(ws: Workspace) -> Callable[[], bool]:
    """True once the newest run of ``promo`` has a batch at Constant Contact."""
    history = RunHistory(ws.services.history)

    def ready() -> bool:
        runs = history.runs(export="promo", limit=1)
        if not runs:
            return False
        states = {b.state for b in history.batches(runs[0].run_id).values()}
        return bool(states & {BatchState.POSTED, BatchState.CONFIRMED})

    return ready
