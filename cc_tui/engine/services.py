"""The services one cc-tui process works with, built once by the command line.

Faces (the CLI and the app) receive a :class:`Services` and reach every store and service
through it; tests build one over a temporary home and an in-process transport.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass

import httpx

from cc_tui.engine.connections import ConnectionService
from cc_tui.engine.exports import ExportService
from cc_tui.engine.segments.copies import use_cache_dir
from cc_tui.engine.segments.storage_accounts import use_storage_home
from cc_tui.engine.sources import SourceService
from cc_tui.paths import AppPaths
from cc_tui.store.config import ConfigStore
from cc_tui.store.history import HistoryStore
from cc_tui.store.secrets import SecretsStore

__all__ = ["Services", "current_os_user"]


def current_os_user() -> str:
    """The OS user name that roles, consent and the audit log refer to.

    The password database's name of this process's effective uid, never ``LOGNAME`` or
    ``USER``: anyone can set those (``LOGNAME=alice cc-tui ...``). A uid without an entry
    (some containers) is ``uid:N``, as the service names such a peer.
    """
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


@dataclass(slots=True)
class Services:
    """Stores and services over one home; close it when done."""

    paths: AppPaths
    config: ConfigStore
    secrets: SecretsStore
    history: HistoryStore
    os_user: str
    connections: ConnectionService
    exports: ExportService
    sources: SourceService
    transport: httpx.AsyncBaseTransport | None = None
    emulator_url: str | None = None
    """Address of an emulator this process started (``cc-tui demo``): the connection form's
    "Use local emulator" fills it in. None: the form offers where ``cc-tui emulator`` listens."""

    @classmethod
    def open(
        cls,
        paths: AppPaths,
        *,
        os_user: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        emulator_url: str | None = None,
    ) -> Services:
        """Create the folders if needed and open every store under ``paths``."""
        paths.ensure()
        # Converted copies of segments go to this home's cache (``--home`` is not in the
        # environment, so the engine cannot find it alone).
        use_cache_dir(paths.cache_dir)
        # Remote segments are read with this home's storage connections.
        use_storage_home(paths)
        user = os_user or current_os_user()
        config = ConfigStore(paths.config_file)
        secrets = SecretsStore(paths.secrets_file)
        history = HistoryStore(paths.history_db)
        connections = ConnectionService(config, secrets, history, user, transport=transport)
        exports = ExportService(config, history, connections)
        sources = SourceService(config, history, user)
        return cls(
            paths,
            config,
            secrets,
            history,
            user,
            connections,
            exports,
            sources,
            transport,
            emulator_url,
        )

    def close(self) -> None:
        """Release the history database."""
        self.history.close()
