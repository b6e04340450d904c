"""(a4) Preparation of a segment read in place from Azure Storage (Azurite) beside the same file
read from the local disk: the cost of remote segments (issue 14).

Azurite (installed by ``make test`` into ``.azurite/``) serves the blob from memory on loopback,
so the figure is the client's overhead (object_store, ranged reads), not a real network's.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.prep import measure_preparation

__all__ = ["RemoteRow", "measure_remote"]

_CONTAINER = "bench"


@dataclass(frozen=True)
class RemoteRow:
    """One file read both ways: the figures of the local and of the remote preparation."""

    name: str
    local: dict[str, float]
    remote: dict[str, float]


def measure_remote(files: list[Path]) -> list[RemoteRow]:
    """Upload ``files`` to a fresh Azurite and prepare each from disk and from the blob."""
    from cc_tui.models.storage import StorageAuth, StorageConnection
    from cc_tui.paths import AppPaths
    from cc_tui.store.config import ConfigStore, with_storage
    from cc_tui.store.secrets import SecretsStore
    from tests.azurite import ACCOUNT, ACCOUNT_KEY, start_azurite

    rows = []
    with tempfile.TemporaryDirectory() as work:
        server = start_azurite(Path(work))
        try:
            home = Path(work) / "home"
            home.mkdir(mode=0o700)
            paths = AppPaths.resolve(home)
            connection = StorageConnection(
                "bench", ACCOUNT, StorageAuth.ACCOUNT_KEY, server.endpoint
            )
            ConfigStore(paths.config_file).update(lambda c: with_storage(c, connection))
            SecretsStore(paths.secrets_file).save_storage_secret("bench", ACCOUNT_KEY)
            container = server.container(_CONTAINER)
            env = {**os.environ, "CC_TUI_HOME": str(home)}
            for path in files:
                with path.open("rb") as data:
                    container.upload_blob(path.name, data, overwrite=True)
                local = measure_preparation(path, "basic")
                remote = measure_preparation(
                    Path(f"az://{_CONTAINER}/{path.name}"), "basic", env=env
                )
                rows.append(RemoteRow(path.name, local, remote))
        finally:
            server.stop()
    return rows
