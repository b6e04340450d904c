"""A cc-tui service for kill tests: ``python -m tests.service.service_child HOME MODE MARKER``.

It serves HOME exactly as ``cc-tui service start --foreground`` does (same server, same socket,
same signals), with run options made for tests: small batches, so a few thousand contacts make
many of them, and brisk sender timing (tests/timing.py). MODE picks a moment at which
the service writes MARKER and then freezes, so a test can SIGKILL it there and nowhere else:

* ``normal``: never freezes.
* ``pass-1``: pass 1 has read every row (the head start's batches may be at Constant Contact),
  its classification not handed back yet.
* ``answer``: the first import answered with its activity this attempt, before that answer is
  checkpointed: Constant Contact holds the activity, the history says ``uploading``.
* ``finish``: every batch final, the attempt's accounting about to be written.
* ``restart``: a run started anew (``--restart``) has just been recorded.

Freezing blocks the thread it happens on (the event loop, for ``answer`` and ``finish``), as a
process stopped by the scheduler would be: nothing after it happens before the kill.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cc_tui.engine import email_check, execution
from cc_tui.engine.run_options import RunOptions
from cc_tui.models.run import RunStatus
from cc_tui.paths import AppPaths
from cc_tui.service.locate import service_files
from cc_tui.service.server import ServiceServer, serve_until_signalled
from cc_tui.store.run_history import RunHistory
from tests.timing import FAST

__all__ = ["BATCH_CONTACTS", "MODES", "RUN_OPTIONS", "main"]

BATCH_CONTACTS = 150
RUN_OPTIONS = RunOptions(max_batch_contacts=BATCH_CONTACTS, timing=FAST)
MODES = ("normal", "pass-1", "answer", "finish", "restart")


def _freeze(marker: Path) -> None:
    marker.write_text("frozen", encoding="utf-8")
    threading.Event().wait()  # until the test kills the process


def _freeze_after(original: Callable[..., Any], marker: Path) -> Callable[..., Any]:
    def frozen(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        _freeze(marker)

    return frozen


def _freeze_before(
    original: Callable[..., Any], marker: Path, when: Callable[..., bool]
) -> Callable[..., Any]:
    def frozen(*args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            _freeze(marker)
        return original(*args, **kwargs)

    return frozen


def _install(mode: str, marker: Path) -> None:
    if mode == "pass-1":
        # execution calls check_emails by its module-level name: replacing it there is enough.
        frozen = _freeze_after(email_check.check_emails, marker)
        execution.check_emails = frozen  # type: ignore[attr-defined]
    elif mode == "answer":
        RunHistory.record_answer = _freeze_before(  # type: ignore[method-assign]
            RunHistory.record_answer, marker, lambda *_: True
        )
    elif mode == "finish":
        RunExecution = execution.RunExecution

        def succeeding(_self: object, status: RunStatus, _error: object) -> bool:
            return status is RunStatus.SUCCEEDED

        RunExecution._finish = _freeze_before(  # type: ignore[method-assign]
            RunExecution._finish, marker, succeeding
        )
    elif mode == "restart":
        RunHistory.create = _freeze_after(RunHistory.create, marker)  # type: ignore[method-assign]
    elif mode != "normal":
        raise SystemExit(f"unknown mode {mode!r}: one of {', '.join(MODES)}")


def main(home: str, mode: str, marker: str) -> int:
    """Serve ``home`` until signalled, frozen at ``mode``'s moment (module docstring)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    _install(mode, Path(marker))
    paths = AppPaths.resolve(Path(home))
    server = ServiceServer(paths, service_files(paths), schedule=False, run_options=RUN_OPTIONS)
    return serve_until_signalled(server)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
