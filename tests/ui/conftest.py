"""UI fixtures: an app over a temporary home with a signed-in emulator connection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cc_tui.engine.exports import build_export
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.services import Services
from cc_tui.models.connection import UsableBy
from cc_tui.paths import AppPaths
from cc_tui.ui.app import CcTuiApp
from tests.timing import FAST

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer
    from tests.conftest import StartEmulator

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

    def app(self, **kwargs: object) -> CcTuiApp:
        """A fresh app over this home (fast run options unless given)."""
        options = kwargs.pop("run_options", FAST_RUNS)
        return CcTuiApp(self.services, run_options=options, **kwargs)  # type: ignore[arg-type]

    def add_export(self, name: str = "weekly", segments: tuple[str, ...] = ("people",)) -> None:
        self.services.exports.save(build_export(
            name, connection="marketing", list_ids=[self.list_id], segments=list(segments),
            email="email", first_name="first_name", last_name="last_name",
            attributes=[("city", "city")]), replace=True)  # fmt: skip


@pytest.fixture
def make_ui_home(tmp_path: Path, start_emulator: StartEmulator) -> Iterator[Callable[..., UiHome]]:
    opened: list[Services] = []

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
        return UiHome(services, emulator, segments, list_id)

    yield make
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
