"""Azurite, the Azure Storage emulator (an npm package), on a free loopback port for the tests.

``make test`` installs it into ``.azurite/`` (see the Makefile). The server keeps its data in
memory, answers only on 127.0.0.1, runs in strict mode (no ``--loose``) and is stopped when the
tests end. The account is a made-up one, ``contosoci`` (as Customer Insights' exports name
theirs), declared with ``AZURITE_ACCOUNTS`` so full ``https://contosoci.dfs.core.windows.net/``
partition URLs name the very account the storage connection points at Azurite.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from azure.storage.blob import BlobServiceClient, ContainerClient

__all__ = ["ACCOUNT", "ACCOUNT_KEY", "AZURITE_BIN", "Azurite", "start_azurite"]

REPO = Path(__file__).resolve().parents[1]
AZURITE_BIN = REPO / ".azurite" / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "contosoci"
# Azurite takes any base64 key for an account it is told about; this one is the tests' own.
ACCOUNT_KEY = base64.b64encode(b"cc-tui test key for azurite, never a real one!!").decode()
_START_SECONDS = 60.0
_STOP_SECONDS = 10.0


@dataclass
class Azurite:
    """A running Azurite blob service."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def endpoint(self) -> str:
        """The account's blob endpoint (path-style, as Azurite serves it)."""
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.endpoint};"
        )

    def container(self, name: str) -> ContainerClient:
        """A new container (the tests write with the Azure SDK; cc-tui only reads)."""
        service = BlobServiceClient.from_connection_string(self.connection_string)
        return service.create_container(name)

    def client(self, name: str) -> ContainerClient:
        """An existing container."""
        service = BlobServiceClient.from_connection_string(self.connection_string)
        return service.get_container_client(name)

    def upload(self, container: ContainerClient, key: str, data: bytes) -> None:
        container.upload_blob(key, data, overwrite=True)

    def upload_tree(self, container: ContainerClient, local: Path, prefix: str) -> list[str]:
        """Every file under ``local`` as ``prefix/<relative path>``; returns the keys."""
        keys = []
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            key = f"{prefix.strip('/')}/{path.relative_to(local).as_posix()}".lstrip("/")
            self.upload(container, key, path.read_bytes())
            keys.append(key)
        return keys

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_azurite(workdir: Path, *, port: int | None = None, keep: Path | None = None) -> Azurite:
    """Start ``azurite-blob`` on a free (or the given) loopback port; RuntimeError with its log.

    ``keep``: a folder that holds the blobs across restarts (else they are kept in memory).
    """
    node = shutil.which("node")
    if node is None:
        raise FileNotFoundError("node")
    port = port or _free_port()
    storage = ["--location", str(keep)] if keep is not None else ["--inMemoryPersistence"]
    log = workdir / "azurite.log"
    env = {**os.environ, "AZURITE_ACCOUNTS": f"{ACCOUNT}:{ACCOUNT_KEY}"}
    with log.open("wb") as sink:
        # cwd: Azurite writes its debug and lock files there, never into the repository.
        process = subprocess.Popen(
            [
                node,
                str(AZURITE_BIN.resolve()),  # the package's main.js: node runs it directly
                "--blobHost", "127.0.0.1", "--blobPort", str(port),
                *storage,
                "--disableTelemetry", "--silent", "--skipApiVersionCheck",
            ],
            stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=workdir,
        )  # fmt: skip
    server = Azurite(process, port, log)
    deadline = time.monotonic() + _START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Azurite exited ({process.returncode}): {log.read_text()}")
        if _listening(port):
            return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"Azurite did not listen within {_START_SECONDS:.0f} s: {log.read_text()}")
