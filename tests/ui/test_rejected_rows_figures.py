"""The rejected-rows view says how its file compares with the figures the run accounted.

The file is read by the home's service (it is 0600 in the service's home): the widget asks it
for the run's rows, here of a service on a thread of the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from cc_tui.engine.services import Services
from cc_tui.models.reasons import REJECT_REASONS
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.paths import AppPaths
from cc_tui.service.async_client import ServiceLink
from cc_tui.service.home_client import HomeClient
from cc_tui.service.locate import service_files
from cc_tui.service.server import ServiceServer, ServiceThread
from cc_tui.store.run_history import RunHistory
from cc_tui.ui.widgets.rejected_rows import RejectedRows
from tests.ui.conftest import workers_done

HEADER = "segment,row,reason,detail,email\n"


class _Host(App[None]):
    """Just the widget, and the client it asks (as the app's screens give it)."""

    def __init__(self, client: HomeClient) -> None:
        super().__init__()
        self.client = client

    def compose(self) -> ComposeResult:
        yield RejectedRows(id="rows")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Services]:
    """A home with its service running (the test writes the run records itself)."""
    services = Services.open(AppPaths.resolve(tmp_path / "home"))
    paths = services.paths
    service = ServiceThread(ServiceServer(paths, service_files(paths), schedule=False)).start()
    yield services
    service.stop()
    services.close()


def _record(path: Path, status: RunStatus, *, refused: int = 0) -> RunRecord:
    rejected = dict.fromkeys(REJECT_REASONS, 0) | {"missing_email": 2, "invalid_email": 1}
    return RunRecord(
        run_id="r1", export="promo", connection="conn", status=status, dry_run=False,
        os_user="ana", started_at=datetime(2026, 1, 2, tzinfo=UTC), rows_read=103, sent=100,
        posted=100, confirmed=100 - refused, failed=refused, rejected=rejected,
        rejected_rows_file=str(path),
    )  # fmt: skip


async def _path_text(home: Services, record: RunRecord) -> str:
    RunHistory(home.history).create(record, inputs={}, plan={})
    app = _Host(HomeClient(ServiceLink(home.paths, service_files(home.paths))))
    async with app.run_test() as pilot:
        rows = app.query_one(RejectedRows)
        rows.show_run(record)
        await workers_done(app)
        await pilot.pause()
        return str(rows.query_one("#rejected-rows-path", Static).render())


@pytest.mark.parametrize(
    ("status", "refused", "lines", "why"),
    [
        (RunStatus.INTERRUPTED, 0, ["people,1,missing_email,,"],
         "1 of the 3 rows the run counted are in the file: it stopped before writing them all"),
        (RunStatus.PARTIAL, 2, ["people,1,missing_email,,", "people,2,missing_email,,",
                                "people,3,invalid_email,,x",
                                "people,9,refused_by_constant_contact,,y"],
         "4 of the 5 rows the run counted are in the file: Constant Contact did not name every "
         "contact it refused"),
    ],
)  # fmt: skip
async def test_a_file_short_of_the_run_s_figures_says_why(
    tmp_path: Path,
    home: Services,
    status: RunStatus,
    refused: int,
    lines: list[str],
    why: str,
) -> None:
    path = tmp_path / "rejected.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n")
    text = " ".join((await _path_text(home, _record(path, status, refused=refused))).split())
    assert why in text


async def test_a_complete_file_adds_nothing(tmp_path: Path, home: Services) -> None:
    path = tmp_path / "rejected.csv"
    rows = ["people,1,missing_email,,", "people,2,missing_email,,", "people,3,invalid_email,,x"]
    path.write_text(HEADER + "\n".join(rows) + "\n")
    text = await _path_text(home, _record(path, RunStatus.SUCCEEDED))
    assert "3 rows: missing_email 2 · invalid_email 1" in " ".join(text.split())
    assert "rows the run counted" not in text
