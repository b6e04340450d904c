"""Runs live in the service: a killed client, two clients at once, a stale socket, SIGTERM.

Each test talks to the service over a real Unix socket. Children started with ``cc-tui`` as a
process start a real background service; ``main()`` in this process reaches the same one.
"""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Callable

import psutil
import pytest

from cc_tui.cli.entry import main
from cc_tui.models.run import RunStatus
from cc_tui.service.client import request, wait_for_service
from cc_tui.service.locate import service_files
from cc_tui.service.protocol import ServiceState, ServiceStatus
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.engine.test_runner import people_csv
from tests.service.conftest import a_batch_posted, spawn_cc_tui, wait_for

ROWS = 400
CHILD_WAIT = 120.0  # seconds a child cc-tui may take to end once its run is over


def slow(make_workspace: Callable[..., Workspace]) -> Workspace:
    """A home whose one export takes a few seconds: activities start late and go slowly."""
    ws = make_workspace(activity_start_delay=0.5, processing_rate=200.0)
    ws.write("people.csv", people_csv(ROWS))
    ws.add_export()
    return ws


def everyone() -> set[str]:
    return {f"person{i}@example.com" for i in range(ROWS)}


def test_a_run_goes_on_when_its_client_is_killed_and_a_new_client_sees_it_finish(
    make_workspace: Callable[..., Workspace], capsys: pytest.CaptureFixture[str]
) -> None:
    ws = slow(make_workspace)
    client = spawn_cc_tui(ws, "run", "promo")
    try:
        wait_for(a_batch_posted(ws), what="a batch posted")
    finally:
        client.send_signal(signal.SIGKILL)
        client.communicate(timeout=CHILD_WAIT)
    assert client.returncode == -signal.SIGKILL
    [running] = RunHistory(ws.services.history).runs(export="promo")

    home = str(ws.services.paths.config_dir)
    assert main(["--home", home, "run", "promo", "--attach", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["run_id"] == running.run_id
    assert (summary["status"], summary["attempts"]) == ("succeeded", 1)  # it went on: no resume
    assert (summary["rows_read"], summary["confirmed"], summary["failed"]) == (ROWS, ROWS, 0)
    assert ws.members() == everyone()


def test_two_clients_starting_the_service_at_once_start_one(workspace: Workspace) -> None:
    starters = [spawn_cc_tui(workspace, "service", "start") for _ in range(2)]
    for starter in starters:
        _, err = starter.communicate(timeout=CHILD_WAIT)
        assert starter.returncode == 0, err
    files = service_files(workspace.services.paths)
    state = request(workspace.services.paths, files, ServiceStatus(), autostart=False)
    assert isinstance(state, ServiceState)
    home = str(workspace.services.paths.config_dir)
    serving = [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if {"--foreground", home} <= set(p.info["cmdline"] or [])
    ]
    assert serving == [state.pid]


def test_a_socket_left_by_a_killed_service_is_replaced(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace.write("people.csv", people_csv(20))
    workspace.add_export()
    files = service_files(workspace.services.paths)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(files.socket))  # the file stays; nobody listens on it
    stale.close()
    home = str(workspace.services.paths.config_dir)
    assert main(["--home", home, "service", "status"]) == 1
    assert "No cc-tui service runs" in capsys.readouterr().out

    assert main(["--home", home, "run", "promo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["confirmed"] == 20
    assert main(["--home", home, "service", "status"]) == 0
    assert "runs going: none" in capsys.readouterr().out


def test_sigterm_stops_runs_resumable_then_cc_tui_run_resumes_them(
    make_workspace: Callable[..., Workspace], capsys: pytest.CaptureFixture[str]
) -> None:
    ws = slow(make_workspace)
    files = service_files(ws.services.paths)
    service = spawn_cc_tui(ws, "service", "start", "--foreground")
    try:
        wait_for_service(files, service.poll)
        watcher = spawn_cc_tui(ws, "run", "promo", "--json")
        wait_for(a_batch_posted(ws), what="a batch posted")
        service.send_signal(signal.SIGTERM)
        service.communicate(timeout=CHILD_WAIT)
    finally:
        service.kill()
    assert service.returncode == 0
    assert not files.socket.exists()
    # The client watching was told where the run stopped, with the resumable exit code.
    out, err = watcher.communicate(timeout=CHILD_WAIT)
    assert watcher.returncode == 3, err
    assert json.loads(out)["status"] == "interrupted"
    history = RunHistory(ws.services.history)
    [stopped] = history.runs(export="promo")
    assert stopped.status is RunStatus.INTERRUPTED  # never left "running"

    home = str(ws.services.paths.config_dir)
    assert main(["--home", home, "run", "promo", "--json"]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert (resumed["run_id"], resumed["attempts"]) == (stopped.run_id, 2)
    assert (resumed["status"], resumed["confirmed"]) == ("succeeded", ROWS)
    assert ws.members() == everyone()


def test_detach_prints_the_run_id_and_attach_ends_with_the_run_s_exit_code(
    make_workspace: Callable[..., Workspace], capsys: pytest.CaptureFixture[str]
) -> None:
    ws = slow(make_workspace)
    home = str(ws.services.paths.config_dir)
    assert main(["--home", home, "run", "promo", "--detach"]) == 0
    captured = capsys.readouterr()
    run_id = captured.out.strip()
    assert f"Run {run_id} of promo goes on in the cc-tui service" in " ".join(captured.err.split())
    assert main(["--home", home, "service", "status", "--json"]) == 0
    state = json.loads(capsys.readouterr().out)
    [going] = state["runs"]
    assert (going["export"], going["started_by"]) == ("promo", state["you"])

    assert main(["--home", home, "run", "promo", "--attach"]) == 0
    out = capsys.readouterr().out
    assert f"Run {run_id} of promo: " in out
    assert main(["--home", home, "service", "stop"]) == 0
    assert "stopped" in capsys.readouterr().out
    assert main(["--home", home, "service", "status"]) == 1
