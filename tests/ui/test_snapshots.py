"""Snapshots of the main screens at 80x24 and 120x40, from fixed data and a pinned clock.

The home lives at a fixed path with no network: a signed-in connection (tokens expiring at a
fixed time), one segment, one export and three past runs written straight into the history.
The app reaches it as always, through the home's service (here on a thread of the test).
Run the tests with ``--snapshot-update`` only after reading the report of a failure.
"""

from __future__ import annotations

import asyncio
import fcntl
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cc_tui.engine.exports import build_export
from cc_tui.engine.services import Services
from cc_tui.models.batch import BatchRecord, BatchState
from cc_tui.models.connection import TokenSet, UsableBy
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import Phase, RunEvent, RunProgress
from cc_tui.paths import AppPaths
from cc_tui.service.async_client import ServiceLink
from cc_tui.service.home_client import HomeClient
from cc_tui.service.locate import service_files
from cc_tui.service.server import ServiceServer, ServiceThread
from cc_tui.store.run_history import RunHistory
from cc_tui.ui.app import CcTuiApp, open_home
from cc_tui.ui.list_names import ListNames
from cc_tui.ui.runs import ActiveRun
from tests.ui.conftest import settled

SIZES = [(80, 24), (120, 40)]
HOME = Path("/tmp/cc-tui-snapshot-home")
# The path shows in the snapshots, so it cannot differ per run: test runs of other checkouts on
# the same machine take turns with it instead (they deleted each other's files).
HOME_LOCK = Path("/tmp/cc-tui-snapshot-home.lock")
NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
LIST_ID = "4cffb0de-3266-51df-a872-3dae3e41c372"
PEOPLE = "email,first_name,last_name,city\n" + "".join(
    f"person{i}@example.com,Ana{i},Lopez,Lisboa\n" for i in range(20)
)


@pytest.fixture(autouse=True)
def home_to_ourselves() -> Iterator[None]:
    with HOME_LOCK.open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


_SERVICES: list[ServiceThread] = []


@pytest.fixture(autouse=True)
def stop_services() -> Iterator[None]:
    """Stop the home's service once the snapshot is taken (before the next test's home)."""
    yield
    while _SERVICES:
        _SERVICES.pop().stop()


def _app(services: Services) -> CcTuiApp:
    """The app over ``services``' home, a client of a service started for it."""
    paths = services.paths
    files = service_files(paths)
    _SERVICES.append(ServiceThread(ServiceServer(paths, files, schedule=False)).start())
    return CcTuiApp(open_home(HomeClient(ServiceLink(paths, files))))


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The home's connection names Constant Contact itself, which a snapshot must never ask
    (its refusal of the made-up tokens would sign the connection out): the export details get
    the names of its lists as the emulator's seeded account has them."""

    async def seeded(client: object, connection: str) -> ListNames:
        return ListNames({LIST_ID: "Newsletter subscribers"})

    monkeypatch.setattr("cc_tui.ui.screens.home.fetch_list_names", seeded)


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr("cc_tui.units.now", lambda: NOW)
    yield
    monkeypatch.undo()
    time.tzset()


def _run(run_id: str, status: RunStatus, minutes_ago: int, **counts: Any) -> RunRecord:
    started = NOW - timedelta(minutes=minutes_ago)
    return RunRecord(
        run_id=run_id, export="weekly", connection="marketing", status=status, dry_run=False,
        os_user="alice", started_at=started, finished_at=started + timedelta(seconds=42),
        rejected_rows_file=str(HOME / "runs" / run_id / "rejected.csv"), **counts,
    )  # fmt: skip


def _services(emulator: Any = None) -> Services:
    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(mode=0o700)  # private, as cc-tui wants a home it is pointed at
    (HOME / "segments").mkdir()
    (HOME / "segments" / "people.csv").write_text(PEOPLE)
    services = Services.open(AppPaths.resolve(HOME), os_user="alice")
    from dataclasses import replace

    services.config.update(lambda c: replace(c, segments_dirs=(HOME / "segments",)))
    urls = (
        {}
        if emulator is None
        else {"api_base_url": emulator.api_base_url, "auth_base_url": emulator.auth_base_url}
    )
    services.connections.add("marketing", client_id="snapshot-app", accept_privacy=True,
                             display_name="Marketing account", usable_by=UsableBy.ADMINS,
                             **urls)  # fmt: skip
    _pin_consent(services)
    services.secrets.save_tokens("marketing", TokenSet(
        access_token="a" * 40, refresh_token="r" * 40, expires_at=NOW + timedelta(hours=20),
        scope="contact_data account_read offline_access"))  # fmt: skip
    services.exports.save(build_export(
        "weekly", connection="marketing", list_ids=[LIST_ID], segments=["people"],
        email="email", first_name="first_name", last_name="last_name",
        attributes=[("city", "city")]))  # fmt: skip
    _history(services)
    return services


def _pin_consent(services: Services) -> None:
    from dataclasses import replace

    from cc_tui.models.connection import Consent
    from cc_tui.store.config import with_connection

    conn = services.config.load().connections["marketing"]
    pinned = replace(conn, consent=Consent(NOW - timedelta(days=2), "alice"))
    services.config.update(lambda c: with_connection(c, pinned))


def _history(services: Services) -> None:
    history = RunHistory(services.history)
    rejected = {"missing_email": 1, "invalid_email": 2, "duplicate_email": 3, "over_cap": 0}
    runs = [
        _run("20261129T120000Z-weekly-aaaaaa", RunStatus.SUCCEEDED, 180, rows_read=26, sent=20,
             posted=20, batches_complete=True, confirmed=19, unsubscribed=1, rejected=rejected,
             batches=1, requests=3),
        _run("20261129T140000Z-weekly-bbbbbb", RunStatus.PARTIAL, 60, rows_read=26, sent=20,
             posted=20, batches_complete=True, confirmed=18, failed=1, unsubscribed=1,
             rejected=rejected, batches=1, requests=3),
        _run("20261129T143000Z-weekly-cccccc", RunStatus.INTERRUPTED, 30, rows_read=26, sent=20,
             rejected=rejected, batches=1, requests=1, error="Cancelled. Resume with r."),
    ]  # fmt: skip
    for run in runs:
        history.create(run, inputs={}, plan={})
        history.save_batch(BatchRecord(
            run_id=run.run_id, seq=1, state=BatchState.CONFIRMED, contacts=20, bytes=1800,
            digest="0" * 64, attempts=1, activity_id="86b90820-cc52-11ea-9dad-fa163e3d9194",
            activity_state="completed", confirmed=run.confirmed, failed=run.failed,
            unsubscribed=run.unsubscribed))  # fmt: skip
        rows = HOME / "runs" / run.run_id / "rejected.csv"
        rows.parent.mkdir(parents=True, exist_ok=True)
        rows.write_text(
            "segment,row,reason,detail,email,first_name,last_name,city\n"
            "people,21,missing_email,,,NoEmail,X,Y\n"
            "people,22,invalid_email,,not-an-email,Bad,X,Y\n"
            "people,23,duplicate_email,,person1@example.com,Dup,X,Y\n"
        )


def _live_run(app: CcTuiApp, *, finished: bool) -> None:
    progress = RunProgress(
        run_id="20261129T150000Z-weekly-dddddd", export="weekly", dry_run=False,
        phase=Phase.FINISHED if finished else Phase.SENDING, rows_total=26, rows_read=26,
        contacts_total=20, rejected={"missing_email": 1, "invalid_email": 2,
                                     "duplicate_email": 3, "over_cap": 0},
        batches_total=2, batches_posted=2, batches_done=2 if finished else 1,
        in_flight=0 if finished else 1, contacts_posted=20, confirmed=19 if finished else 10,
        unsubscribed=1 if finished else 0, requests=4, elapsed=3.5, throughput=5.0,
        eta=None if finished else 2.0)  # fmt: skip
    events = [
        RunEvent(NOW, "26 rows read: 20 contacts to send, 6 rejected"),
        RunEvent(NOW, "Batch 1: 10 contacts sent (activity 86b90820)"),
        RunEvent(NOW, "Batch 1 confirmed: 10 added or updated, 0 unsubscribed, 0 refused"),
    ]
    run = ActiveRun(export="weekly", dry_run=False, progress=progress)
    run.events.extend(events)
    run.rates.extend([0.0, 2.0, 4.0, 5.0, 5.0, 6.0, 5.0])
    if finished:
        run.record = _run("20261129T150000Z-weekly-dddddd", RunStatus.SUCCEEDED, 1,
                          rows_read=26, sent=20, posted=20, batches_complete=True, confirmed=19,
                          unsubscribed=1, rejected=dict(progress.rejected), batches=2,
                          requests=4)  # fmt: skip
    app.runs.runs["weekly"] = run


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_home(snap_compare: Any, size: tuple[int, int]) -> None:
    async def planned(pilot: Any) -> None:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()  # the export's plan, made in a thread
        await pilot.pause()

    assert snap_compare(_app(_services()), terminal_size=size, run_before=planned)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
@pytest.mark.parametrize("finished", [False, True], ids=["in-progress", "finished"])
def test_run_view(snap_compare: Any, size: tuple[int, int], finished: bool) -> None:
    from cc_tui.ui.screens.run import RunScreen

    services = _services()
    app = _app(services)

    async def open_run(pilot: Any) -> None:
        _live_run(app, finished=finished)
        if finished:
            record = app.runs.runs["weekly"].record
            assert record is not None
            # The service reads its rejected rows: the run is in the home's history.
            RunHistory(services.history).create(record, inputs={}, plan={})
            rows = Path(record.rejected_rows_file or "")
            rows.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(HOME / "runs" / "20261129T140000Z-weekly-bbbbbb" / "rejected.csv", rows)
        await app.push_screen(RunScreen("weekly"))
        await pilot.pause()
        await settled(app, pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_run)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
@pytest.mark.parametrize(
    "run_id",
    ["20261129T140000Z-weekly-bbbbbb", "20261129T143000Z-weekly-cccccc"],
    ids=["partial", "interrupted"],
)
def test_history(snap_compare: Any, size: tuple[int, int], run_id: str) -> None:
    from cc_tui.ui.screens.history import HistoryScreen

    app = _app(_services())

    async def open_history(pilot: Any) -> None:
        await app.push_screen(HistoryScreen(run_id=run_id))
        await settled(app, pilot)  # its runs, then the run's detail, then its rejected rows

    assert snap_compare(app, terminal_size=size, run_before=open_history)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_connection_form(snap_compare: Any, size: tuple[int, int]) -> None:
    from cc_tui.ui.screens.connection_form import ConnectionFormModal

    app = _app(_services())

    async def open_form(pilot: Any) -> None:
        await pilot.pause()
        await settled(app, pilot)  # the home behind: its export's plan
        await app.push_screen(ConnectionFormModal("marketing"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_form)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_export_form(snap_compare: Any, size: tuple[int, int], emulator: Any) -> None:
    from cc_tui.ui.screens.export_form.screen import ExportFormScreen

    services = _services(emulator)
    services.secrets.delete("marketing")
    with ThreadPoolExecutor(1) as pool:  # sign in for real: the form lists the account's lists
        pool.submit(
            asyncio.run,
            services.connections.sign_in(
                "marketing", on_code=lambda code: emulator.approve(code.user_code)
            ),
        ).result()
    app = _app(services)

    async def open_form(pilot: Any) -> None:
        await app.push_screen(ExportFormScreen("weekly"))
        await pilot.pause()
        await settled(app, pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_form)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_help(snap_compare: Any, size: tuple[int, int]) -> None:
    async def planned(pilot: Any) -> None:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()  # the home behind: its export's plan
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(_app(_services()), terminal_size=size, run_before=planned)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_home_with_an_unseen_run(snap_compare: Any, size: tuple[int, int]) -> None:
    """A run that finished while the person looked elsewhere stays marked ● until shown."""
    services = _services()
    RunHistory(services.history).mark_unseen("20261129T143000Z-weekly-cccccc")

    async def planned(pilot: Any) -> None:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()  # the export's plan, made in a thread
        await pilot.pause()

    assert snap_compare(_app(services), terminal_size=size, run_before=planned)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_segment_path_modal(snap_compare: Any, size: tuple[int, int]) -> None:
    from cc_tui.ui.screens.segment_path import SegmentPathModal

    app = _app(_services())
    leads = HOME / "incoming" / "leads.csv"  # not in a segments folder: a new segment
    leads.parent.mkdir()
    leads.write_text(PEOPLE)

    async def open_modal(pilot: Any) -> None:
        await pilot.pause()
        await settled(app, pilot)  # the home behind: its export's plan
        await app.push_screen(SegmentPathModal(taken=["people"]))
        await pilot.pause()
        from textual.widgets import Input

        for field in app.screen.query(Input):
            field.cursor_blink = False  # the snapshot must not depend on the blink's phase
        await pilot.press(*str(leads), "enter")  # read: a preview
        await pilot.pause(0.5)
        await settled(app, pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_modal)


def test_audit(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit log at 80x24: the chain's state on top, entries newest first, one detail."""
    from cc_tui.store.audit import AuditOutcome
    from cc_tui.ui.screens.audit import AuditScreen

    # Entries are stamped (and hashed) at a pinned time, so the screen is the same every run.
    monkeypatch.setattr("cc_tui.store.audit_log.utc_now_iso", NOW.isoformat)
    services = _services()
    services.history.record_event(
        "connection.add", "c3", "bob", {"reason": "Only administrators may add connections"},
        outcome=AuditOutcome.REFUSED,
    )  # fmt: skip
    app = _app(services)

    async def open_audit(pilot: Any) -> None:
        await app.push_screen(AuditScreen())
        await pilot.pause()
        await settled(app, pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_audit)


def test_schedule(snap_compare: Any) -> None:
    """The schedule view at 80x24: cron and on-refresh exports, a paused one, missed runs."""
    from dataclasses import replace

    from cc_tui.models.config import MissedPolicy
    from cc_tui.store.config import with_export
    from cc_tui.store.schedule_state import MissedAction, MissedRun, ScheduleState
    from cc_tui.ui.screens.schedule import ScheduleScreen

    services = _services()
    weekly = services.config.load().exports["weekly"]
    services.config.update(lambda c: with_export(c, replace(
        weekly, schedule="0 6 * * 1", missed=MissedPolicy.SKIP)))  # fmt: skip
    services.config.update(lambda c: with_export(c, replace(
        weekly, name="fresh", schedule=None, on_refresh=True)))  # fmt: skip
    state = ScheduleState(services.history)
    at = NOW.replace(hour=6)
    state.record_missed(MissedRun("weekly", "0 6 * * 1", at, 1, NOW, MissedAction.SKIPPED))
    state.set_paused("fresh", True)
    app = _app(services)

    async def open_schedule(pilot: Any) -> None:
        await app.push_screen(ScheduleScreen())
        await pilot.pause()
        await settled(app, pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_schedule)
