"""The storage accounts behind remote segments: which credentials reach one, and its clients.

An ``az://`` location uses the home's only storage connection; an ``abfss://`` or ``https://``
location names its account and uses the connection of that account, or Azure's standard chain
(environment, workload or managed identity) when there is none. The connections and their
secrets are read from the home's config.toml and secrets.toml (again when they change). One
``obstore`` client is built per account settings and container, with bounded retries
(:data:`RETRY`); :mod:`cc_tui.engine.segments.remote_storage` serves file-system calls with it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from obstore.store import AzureStore

from cc_tui.errors import EXIT_RESUMABLE, CcTuiError, InputError
from cc_tui.models.config import AppConfig
from cc_tui.models.storage import StorageAuth, StorageConnection
from cc_tui.paths import AppPaths
from cc_tui.remote_paths import RemoteLocation, RemotePath
from cc_tui.store.config_reader import load_config
from cc_tui.store.secrets import SecretsStore

if TYPE_CHECKING:
    from obstore.store import AzureConfig, ClientConfig, RetryConfig

__all__ = [
    "RETRY",
    "AccountAccess",
    "StorageAccessError",
    "StorageUnavailableError",
    "account_access",
    "account_settings",
    "connection_string_parts",
    "container_store",
    "describe_location",
    "store_for",
    "use_storage_home",
]

# object_store retries 5xx answers (throttling 503 among them), timeouts and dropped
# connections with exponential backoff and jitter; a read request is retried whole. Bounded so
# that a storage account that is down stops a run in well under a minute, resumable.
RETRY: RetryConfig = {
    "max_retries": 4,
    "retry_timeout": timedelta(seconds=30),
    "backoff": {
        "init_backoff": timedelta(milliseconds=200),
        "max_backoff": timedelta(seconds=5),
        "base": 2,
    },
}
_CONNECT_TIMEOUT = timedelta(seconds=10)
# One request (a HEAD, a listing page, a ranged GET of at most _READ_BLOCK bytes).
_REQUEST_TIMEOUT = timedelta(seconds=60)
# Connection string keys (Azure's documented names) and the object_store settings they give.
_CONNECTION_STRING_KEYS = {
    "accountname": "account_name",
    "accountkey": "account_key",
    "sharedaccesssignature": "sas_key",
    "blobendpoint": "endpoint",
}


class StorageAccessError(InputError):
    """The storage account refused cc-tui (credentials, permissions) or the request: exit 2."""


class StorageUnavailableError(CcTuiError):
    """The storage account could not be reached, even after retries: exit 3, resumable."""

    exit_code = EXIT_RESUMABLE
    retry_can_fix = True


@dataclass(frozen=True, slots=True)
class AccountAccess:
    """How to reach one account: the connection used (None: Azure's standard chain)."""

    account: str
    connection: StorageConnection | None
    secret: str | None = field(repr=False)

    @property
    def label(self) -> str:
        if self.connection is None:
            return f"storage account '{self.account}' (Azure environment credentials)"
        return f"storage account '{self.account}' (storage connection '{self.connection.name}')"


class _Home:
    """The home whose config.toml and secrets.toml say how to reach accounts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.paths: AppPaths | None = None
        self.key: tuple[int, int, int, int] | None = None
        self.config = AppConfig()
        self.secrets: dict[str, str] = {}

    def load(self) -> tuple[AppConfig, dict[str, str]]:
        with self.lock:
            paths = self.paths or AppPaths.resolve()
            key = (*_version(paths.config_file), *_version(paths.secrets_file))
            if key != self.key:
                self.config = load_config(paths.config_file)
                store = SecretsStore(paths.secrets_file)
                self.secrets = {
                    name: secret
                    for name in self.config.storage
                    if (secret := store.storage_secret(name)) is not None
                }
                self.key = key
            return self.config, self.secrets


def _version(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)


_HOME = _Home()


def use_storage_home(paths: AppPaths | None) -> None:
    """Read storage connections from this home (None: the one ``CC_TUI_HOME`` names)."""
    with _HOME.lock:
        _HOME.paths = paths
        _HOME.key = None


def connection_string_parts(text: str) -> dict[str, str]:
    """The object_store settings an Azure connection string gives (account, key, SAS, endpoint).

    Raises InputError (without echoing the string: it holds the key) when it has no account.
    """
    found: dict[str, str] = {}
    for item in text.strip().split(";"):
        name, sep, value = item.partition("=")
        setting = _CONNECTION_STRING_KEYS.get(name.strip().lower())
        if sep and setting is not None and value.strip():
            found[setting] = value.strip()
    if "account_name" not in found:
        raise InputError(
            "the connection string has no AccountName=... part. Fix: copy the whole connection "
            "string from the storage account's Access keys page"
        )
    return found


def account_access(location: RemoteLocation, path: RemotePath) -> AccountAccess:
    config, secrets = _HOME.load()
    if location.account is None:
        if len(config.storage) == 1:
            connection = next(iter(config.storage.values()))
            return AccountAccess(connection.account, connection, secrets.get(connection.name))
        if not config.storage:
            raise StorageAccessError(
                f"{path}: an az:// location needs a storage connection for its account. Fix: "
                "cc-tui storage add NAME --account ACCOUNT (or write the location as "
                "abfss://<container>@<account>.dfs.core.windows.net/<path>)"
            )
        raise StorageAccessError(
            f"{path}: an az:// location does not say which storage account it is in, and "
            f"there are several storage connections ({', '.join(sorted(config.storage))}). "
            "Fix: write it as abfss://<container>@<account>.dfs.core.windows.net/<path>"
        )
    for name in sorted(config.storage):
        connection = config.storage[name]
        if connection.account == location.account:
            return AccountAccess(connection.account, connection, secrets.get(name))
    return AccountAccess(location.account, None, None)


def account_settings(access: AccountAccess) -> dict[str, str]:
    """object_store's settings for the account (secrets included: never log this)."""
    settings: dict[str, str] = {"account_name": access.account}
    connection = access.connection
    secret = access.secret
    if connection is not None:
        if connection.auth is StorageAuth.ACCOUNT_KEY and secret:
            settings["account_key"] = secret
        elif connection.auth is StorageAuth.SAS_TOKEN and secret:
            settings["sas_key"] = secret.lstrip("?")
        elif connection.auth is StorageAuth.CONNECTION_STRING and secret:
            settings.update(connection_string_parts(secret))
            settings["account_name"] = access.account
        if connection.endpoint:
            settings["endpoint"] = connection.endpoint
    return settings


def _client_options(settings: Mapping[str, str]) -> ClientConfig:
    options: ClientConfig = {
        "connect_timeout": _CONNECT_TIMEOUT,
        "timeout": _REQUEST_TIMEOUT,
    }
    # The endpoint was checked when it was stored: plain http only to a loopback host.
    if settings.get("endpoint", "").startswith("http://"):
        options["allow_http"] = True
    return options


class _Stores:
    """object_store clients by account settings and container (each built once)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stores: dict[tuple[str, str], AzureStore] = {}


_STORES = _Stores()


def store_for(path: RemotePath) -> tuple[AzureStore, str]:
    """The client of the path's container, and the key of the path in it."""
    location = path.location
    access = account_access(location, path)
    settings = account_settings(access)
    digest = hashlib.sha256(repr(sorted(settings.items())).encode()).hexdigest()
    with _STORES.lock:
        store = _STORES.stores.get((digest, location.container))
        if store is None:
            store = _new_store(settings, location.container)
            _STORES.stores[(digest, location.container)] = store
    return store, location.key


def container_store(
    connection: StorageConnection, secret: str | None, container: str
) -> AzureStore:
    """A client of ``container`` reached through ``connection`` with ``secret`` (not kept:
    for ``cc-tui storage test``, before the connection is stored)."""
    access = AccountAccess(connection.account, connection, secret)
    return _new_store(account_settings(access), container)


def _new_store(settings: Mapping[str, str], container: str) -> AzureStore:
    config: AzureConfig = dict(settings)  # type: ignore[assignment]
    return AzureStore(
        container, config=config, client_options=_client_options(settings), retry_config=RETRY
    )


def describe_location(path: RemotePath) -> str:
    """The path, its account (and how it is reached), container and key: for error messages."""
    location = path.location
    try:
        account = account_access(location, path).label
    except StorageAccessError:
        account = "storage account (unknown)"
    return f"{path} ({account}, container '{location.container}', path '{location.key}')"
