"""Shared fixtures: a private CC_TUI_HOME per test and emulators on real loopback sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer
    from tests.azurite import Azurite

StartEmulator = Callable[..., "EmulatorServer"]


@pytest.fixture
def cc_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty CC_TUI_HOME that every store and command of the test uses.

    Made 0700 like cc-tui makes it, so a test may write config.toml into it before cc-tui
    runs (a wider home is refused).
    """
    home = tmp_path / "cc-home"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("CC_TUI_HOME", str(home))
    return home


@pytest.fixture
def start_emulator() -> Iterator[StartEmulator]:
    """Start emulators with settings overrides (``start_emulator(token_lifetime=2)``)."""
    from cc_tui.emulator.server import EmulatorServer
    from cc_tui.emulator.settings import EmulatorSettings

    servers: list[EmulatorServer] = []

    def start(**overrides: Any) -> EmulatorServer:
        settings = EmulatorSettings(port=0, **overrides)
        server = EmulatorServer(settings)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def emulator(start_emulator: StartEmulator) -> EmulatorServer:
    """An emulator with default settings, seeded demo data, on a free loopback port."""
    return start_emulator()


# --- Azurite (the Azure Storage emulator) for remote segments --------------------------------


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """One Azurite blob service per test process, on a free loopback port, stopped at the end.

    Skipped only where Node.js is missing; a missing Azurite fails (``make test`` installs it).
    """
    import shutil

    from tests.azurite import AZURITE_BIN, start_azurite

    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: Azurite (the Azure Storage emulator) needs it")
    if not AZURITE_BIN.exists():
        pytest.fail(f"Azurite is not installed at {AZURITE_BIN}: run `make test` (it installs it)")
    server = start_azurite(tmp_path_factory.mktemp("azurite"))
    yield server
    server.stop()


@pytest.fixture
def container_name() -> str:
    """A fresh container name for one test (the tests of a process share one Azurite)."""
    import uuid

    return f"t-{uuid.uuid4().hex[:20]}"


@pytest.fixture(autouse=True)
def cc_services(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Every cc-tui service a test starts is stopped at its end (tests/service/launcher.py)."""
    from tests.service.launcher import service_launcher

    with service_launcher(monkeypatch) as launcher:
        yield launcher
