"""Fixtures for engine tests: a home with segments, a signed-in connection, an export."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest

from cc_tui.engine.exports import build_export
from cc_tui.engine.segments.copies import use_cache_dir
from cc_tui.engine.segments.model import Segment
from cc_tui.engine.segments.read_errors import segment_read_errors
from cc_tui.engine.segments.reading import scan_segment
from cc_tui.engine.services import Services
from cc_tui.models.connection import UsableBy
from cc_tui.paths import AppPaths

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer
    from tests.conftest import StartEmulator

LIST_NAME = "cc-tui test list"


@dataclass
class Workspace:
    """A home with a signed-in connection to an emulator, and a folder for segments."""

    services: Services
    emulator: EmulatorServer
    segments: Path
    list_id: str

    def write(self, name: str, text: str) -> Path:
        path = self.segments / name
        path.write_text(text, encoding="utf-8")
        return path

    def add_export(
        self, name: str = "promo", segments: tuple[str, ...] = ("people",), **mapping: str
    ) -> str:
        self.services.exports.save(build_export(
            name, connection="conn", list_ids=[self.list_id], segments=list(segments),
            email=mapping.pop("email", "email"), first_name=mapping.pop("first_name", None),
            last_name=mapping.pop("last_name", None),
            attributes=list(mapping.items())), replace=True)  # fmt: skip
        return name

    def members(self) -> set[str]:
        return self.emulator.list_members(self.list_id)


async def _empty_list(services: Services) -> str:
    async with services.connections.client("conn") as client:
        created = await client.create_contact_list(LIST_NAME, "made by the test")
    return created.list_id


@pytest.fixture
def make_workspace(
    tmp_path: Path, start_emulator: StartEmulator
) -> Iterator[Callable[..., Workspace]]:
    opened: list[Services] = []

    def make(**emulator_settings: object) -> Workspace:
        settings = {"auto_approve": True, "device_poll_interval": 0.05,
                    "activity_start_delay": 0.05, **emulator_settings}  # fmt: skip
        emulator = start_emulator(**settings)
        services = Services.open(AppPaths.resolve(tmp_path / f"home{len(opened)}"))
        opened.append(services)
        segments = tmp_path / f"segments{len(opened)}"
        segments.mkdir()
        services.config.update(lambda c: replace(c, segments_dirs=(segments,)))
        services.connections.add(
            "conn", client_id=f"client-{len(opened)}-{tmp_path.name}", accept_privacy=True,
            usable_by=UsableBy.ADMINS, api_base_url=emulator.api_base_url,
            auth_base_url=emulator.auth_base_url)  # fmt: skip
        asyncio.run(services.connections.sign_in("conn", on_code=lambda _: None))
        return Workspace(services, emulator, segments, asyncio.run(_empty_list(services)))

    yield make
    for services in opened:
        services.close()


@pytest.fixture
def workspace(make_workspace: Callable[..., Workspace]) -> Workspace:
    return make_workspace()


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of this test's own, so the cache of converted copies is in its folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("CC_TUI_HOME", str(home))
    use_cache_dir(None)  # forget the home an earlier test's services opened
    return home


def read_segment(segment: Segment, columns: list[str] | None = None) -> pl.DataFrame:
    """Every row a full scan of ``segment`` gives (read errors as the engine reports them)."""
    with segment_read_errors(segment):
        return scan_segment(segment, columns).collect()
