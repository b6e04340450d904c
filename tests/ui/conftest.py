"""UI fixtures: an app over a temporary home with a signed-in emulator connection.

The app is a client of the home's service, as in production: each home gets a service on a
thread of the test process (a real Unix socket), with small batches and brisk timing; the app
reaches it through a HomeClient and never opens the home itself. The fixture sets the home up
with the engine's services directly (that is the test's side, not the app's).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from textual.worker import WorkerCancelled

from cc_tui.engine.exports import build_export
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.services import Services
from cc_tui.models.connection import UsableBy
from cc_tui.paths import AppPaths
from cc_tui.service.async_client import ServiceLink
from cc_tui.service.home_client import HomeClient
from cc_tui.service.locate import service_files
from cc_tui.service.server import ServiceServer, ServiceThread
from cc_tui.store.run_history import RunHistory
from cc_tui.ui.app import CcTuiApp, OpenedHome, open_home
from tests.timing import FAST

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot
    from textual.screen import Screen
    from textual.widget import Widget

    from cc_tui.emulator.server import EmulatorServer
    from tests.conftest import StartEmulator

WAIT_LIMIT = 60.0  # seconds the app may take to reach a state a test waits for


def current_screen(app: App[Any]) -> Screen[Any]:
    """The screen on top now. Read through a call: mypy keeps a test's earlier ``isinstance``
    narrowing of ``app.screen`` across the awaits that change it."""
    return app.screen


def focused(app: App[Any]) -> Widget | None:
    """The widget with the focus now (read through a call, as :func:`current_screen`)."""
    return app.focused


async def until(pilot: Pilot[int], ready: Callable[[], object]) -> None:
    """Let the app work until ``ready`` holds (a state, never a duration): the app asks the
    service, so what it shows comes a few socket round trips after a key."""
    deadline = time.monotonic() + WAIT_LIMIT
    while not ready():
        assert time.monotonic() < deadline, "the app never got there"
        await pilot.pause(0.02)


async def workers_done(app: App[Any]) -> None:
    """Wait for the workers the app has now, as ``app.workers.wait_for_complete()`` does, except
    that a worker cancelled because a newer one replaced it (an ``exclusive`` worker: the
    history's detail when the screen reloads) counts as done instead of raising."""
    for worker in list(app.workers):
        if worker.is_finished:
            continue
        with contextlib.suppress(WorkerCancelled):
            await worker.wait()


async def settled(app: App[Any], pilot: Pilot[int]) -> None:
    """Let the app work until no worker is left running: a worker that finishes often starts
    the next (the history's runs, then the chosen run's detail, then its rejected rows), each a
    service call away, so one wait on the workers of the moment is not enough."""
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        await workers_done(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
        assert time.monotonic() < deadline, "the app's workers never came to rest"


# Small batches and brisk polling so a UI test sees several batches in a second or two.
FAST_RUNS = RunOptions(max_batch_contacts=50, timing=FAST)
PEOPLE = (
    "email,first_name,last_name,city\n"
    + "".join(f"Person{i}@Example.com,Ana{i},Lopez,Lisboa\n" for i in range(120))
    + ",NoEmail,X,Y\nnot-an-email,Bad,X,Y\nperson1@example.com,Dup,X,Y\n"
)


@dataclass
class UiHome:
    """Services over a temporary home, the emulator they talk to, a segments folder."""

    services: Services
    emulator: EmulatorServer
    segments: Path
    list_id: str
    started: list[ServiceThread]
    """Every service started for a home of the test (stopped when it ends)."""
    service: ServiceThread | None = None

    @property
    def history(self) -> RunHistory:
        """The home's runs, as the test reads them (the app reads them from the service)."""
        return RunHistory(self.services.history)

    @property
    def link(self) -> ServiceLink:
        """This home's service (started on a thread of the test process on first use)."""
        paths = self.services.paths
        files = service_files(paths)
        if self.service is None:
            server = ServiceServer(paths, files, schedule=False, run_options=FAST_RUNS)
            self.service = ServiceThread(server).start()
            self.started.append(self.service)
        return ServiceLink(paths, files)

    def client(self) -> HomeClient:
        """A client of this home's service."""
        return HomeClient(self.link)

    def opened(self, **kwargs: object) -> OpenedHome:
        """The home as an app opens it: a client and its first view (read on a thread: async
        tests call this from inside their own event loop)."""
        client = self.client()
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(open_home, client, **kwargs).result()  # type: ignore[arg-type]

    def app(self, **kwargs: object) -> CcTuiApp:
        """A fresh app over this home, a client of its service."""
        return CcTuiApp(self.opened(), **kwargs)  # type: ignore[arg-type]

    def add_export(self, name: str = "weekly", segments: tuple[str, ...] = ("people",)) -> None:
        self.services.exports.save(build_export(
            name, connection="marketing", list_ids=[self.list_id], segments=list(segments),
            email="email", first_name="first_name", last_name="last_name",
            attributes=[("city", "city")]), replace=True)  # fmt: skip


@pytest.fixture
def make_ui_home(
    tmp_path: Path, start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., UiHome]]:
    # The service names its clients from the kernel; the tests' homes are alice's, so the test
    # process is alice to it (a test that plays a contributor patches this again).
    monkeypatch.setattr("cc_tui.service.identity.user_name", lambda uid: "alice")
    opened: list[Services] = []
    started: list[ServiceThread] = []

    def make(*, signed_in: bool = True, **emulator_settings: object) -> UiHome:
        settings = {"device_poll_interval": 0.05, "activity_start_delay": 0.05,
                    **emulator_settings}  # fmt: skip
        emulator = start_emulator(**settings)
        home = tmp_path / f"home{len(opened)}"
        services = Services.open(AppPaths.resolve(home), os_user="alice")
        opened.append(services)
        segments = home / "segments"
        segments.mkdir()
        (segments / "people.csv").write_text(PEOPLE)
        services.config.update(lambda c: replace(c, segments_dirs=(segments,)))
        services.connections.add(
            "marketing", client_id="ui-tests", display_name="Marketing account",
            usable_by=UsableBy.ADMINS, accept_privacy=True,
            api_base_url=emulator.api_base_url, auth_base_url=emulator.auth_base_url)  # fmt: skip
        list_id = "4cffb0de-3266-51df-a872-3dae3e41c372"  # seeded "Newsletter subscribers"
        if signed_in:
            # In a thread: async tests call this from inside their own event loop.
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, _sign_in(services, emulator)).result()
        return UiHome(services, emulator, segments, list_id, started)

    yield make
    for service in started:
        service.stop()
    for services in opened:
        services.close()


async def _sign_in(services: Services, emulator: EmulatorServer) -> None:
    def approve(authorization: object) -> None:
        emulator.approve(authorization.user_code)  # type: ignore[attr-defined]

    await services.connections.sign_in("marketing", on_code=approve)


@pytest.fixture
def ui_home(make_ui_home: Callable[..., UiHome]) -> UiHome:
    """A home with a signed-in connection 'marketing' and a segment 'people' (123 rows)."""
    return make_ui_home()
