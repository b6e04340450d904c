"""Notifications when a run ends: a command given the JSON summary on standard input, and a
webhook POST received by a local HTTP server on loopback. A failing notifier is reported and
never changes the run's result."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cc_tui.engine.notify import notify_run
from cc_tui.engine.runner import ExportRunner
from cc_tui.models.notify import NotifySettings, NotifyWhen
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import RunEvent
from tests.engine.conftest import Workspace
from tests.engine.test_runner import options, people_csv


class Receiver:
    """A local HTTP server that keeps every POST body and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[bytes] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(self.rfile.read(length))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass  # quiet

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def _run_with(ws: Workspace, settings: NotifySettings | None) -> tuple[RunRecord, list[RunEvent]]:
    ws.services.config.update(lambda c: replace(c, notify=settings))
    events: list[RunEvent] = []
    runner = ExportRunner(ws.services)
    record = asyncio.run(runner.run("promo", options(), on_event=events.append))
    return record, events


def _python(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


def test_command_and_webhook_get_the_json_summary(
    workspace: Workspace, receiver: Receiver, tmp_path: Path
) -> None:
    workspace.write("people.csv", people_csv(5))
    workspace.add_export()
    out = tmp_path / "summary.json"
    copy = f"import sys, pathlib; pathlib.Path({str(out)!r}).write_bytes(sys.stdin.buffer.read())"
    settings = NotifySettings(command=_python(copy), webhook=receiver.url)

    record, _ = _run_with(workspace, settings)

    assert record.status is RunStatus.SUCCEEDED
    from_command = json.loads(out.read_bytes())
    (posted,) = receiver.bodies
    from_webhook = json.loads(posted)
    assert from_command == from_webhook == json.loads(json.dumps(record.to_json()))
    assert from_webhook["run_id"] == record.run_id
    assert from_webhook["verification"]["state"] == "verified"


def test_text_webhook_posts_one_line_for_chat(workspace: Workspace, receiver: Receiver) -> None:
    workspace.write("people.csv", people_csv(3))
    workspace.add_export()

    record, _ = _run_with(workspace, NotifySettings(webhook=receiver.url, webhook_text=True))

    (posted,) = receiver.bodies
    body = json.loads(posted)
    assert list(body) == ["text"]
    assert record.run_id in body["text"] and "succeeded" in body["text"]


def test_failing_notifiers_are_reported_and_the_run_stands(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(4))
    workspace.add_export()
    fails = _python("import sys; sys.stdin.read(); print('no route to pager', file=sys.stderr); "
                    "sys.exit(3)")  # fmt: skip
    # Nothing listens on port 9 of loopback: the webhook cannot be reached.
    settings = NotifySettings(command=fails, webhook="http://127.0.0.1:9/hook")

    record, events = _run_with(workspace, settings)

    assert record.status is RunStatus.SUCCEEDED
    assert record.confirmed == 4
    failures = [e.message for e in events if e.message.startswith("Notification failed")]
    assert len(failures) == 2
    assert "exited 3: no route to pager" in failures[0]
    assert "could not be reached" in failures[1]
    assert all(e.level == "warning" for e in events if e.message in failures)


def test_a_webhook_error_answer_and_a_missing_program_are_reported(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.status = 500
    record = RunRecord(
        run_id="r1", export="promo", connection="conn", status=RunStatus.FAILED, dry_run=False,
        os_user="me", started_at=datetime.now(UTC))  # fmt: skip
    settings = NotifySettings(command=(str(tmp_path / "no-such-program"),), webhook=receiver.url)

    problems = asyncio.run(notify_run(settings, record))

    assert len(problems) == 2
    assert "could not start" in problems[0]
    assert problems[1] == "notify webhook answered HTTP 500"


def test_a_slow_command_is_stopped_at_its_timeout() -> None:
    record = RunRecord(
        run_id="r2", export="promo", connection="conn", status=RunStatus.SUCCEEDED,
        dry_run=False, os_user="me",
        started_at=datetime.now(UTC))  # fmt: skip
    settings = NotifySettings(command=_python("import time; time.sleep(60)"), timeout_s=1)

    problems = asyncio.run(notify_run(settings, record))

    assert problems == [f"notify command {sys.executable!r} did not finish within 1 s"]


@pytest.mark.parametrize(
    ("when", "status", "told"),
    [
        (NotifyWhen.FINISH, RunStatus.SUCCEEDED, True),
        (NotifyWhen.FINISH, RunStatus.PARTIAL, True),
        (NotifyWhen.FINISH, RunStatus.FAILED, False),
        (NotifyWhen.FAILURE, RunStatus.FAILED, True),
        (NotifyWhen.FAILURE, RunStatus.INTERRUPTED, True),
        (NotifyWhen.FAILURE, RunStatus.SUCCEEDED, False),
        (NotifyWhen.BOTH, RunStatus.INTERRUPTED, True),
    ],
)
def test_which_runs_a_notifier_hears_of(when: NotifyWhen, status: RunStatus, told: bool) -> None:
    assert when.covers(status) is told
