"""The service's scheduler runs an on-refresh export once its segment is quiet, once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from cc_tui.models.run import RunStatus
from cc_tui.service.locate import service_files
from cc_tui.service.server import ServiceServer, ServiceThread
from cc_tui.store.config import with_export
from cc_tui.store.run_history import RunHistory
from cc_tui.store.schedule_state import ScheduleState
from tests.engine.conftest import Workspace
from tests.service.conftest import wait_for


def test_the_service_runs_an_on_refresh_export_for_new_data(
    make_workspace: Callable[..., Workspace],
) -> None:
    ws = make_workspace()
    ws.write("people.csv", "email\na@x.com\nb@x.com\n")
    ws.add_export()
    ws.services.config.update(lambda c: with_export(
        c, replace(c.exports["promo"], on_refresh=True, quiet_seconds=0)))  # fmt: skip
    paths = ws.services.paths
    service = ServiceThread(ServiceServer(paths, service_files(paths))).start()
    history = RunHistory(ws.services.history)
    try:
        wait_for(
            lambda: any(r.status is RunStatus.SUCCEEDED for r in history.runs(export="promo")),
            what="the refreshed export's run",
        )
    finally:
        service.stop()
    assert ws.members() == {"a@x.com", "b@x.com"}
    assert len(history.runs(export="promo")) == 1
    assert "promo" in ScheduleState(ws.services.history).snapshot_runs()
