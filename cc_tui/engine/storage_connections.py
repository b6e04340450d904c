"""Storage connections: the Azure storage accounts remote segments are read from.

``[storage.NAME]`` in config.toml says the account, how cc-tui signs in (an account key, a SAS
token, a connection string, or Azure's standard environment / managed identity) and an optional
endpoint (a sovereign cloud, or Azurite on loopback); the secret itself is in secrets.toml
(0600) and never leaves it except to sign requests: it is never shown, logged or echoed in an
error. Adding, testing and removing are for administrators where roles are configured (as for
Constant Contact connections); listing and showing are for everyone (nothing secret shows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cc_tui.engine.segments.remote_storage import list_container
from cc_tui.engine.segments.storage_accounts import connection_string_parts
from cc_tui.errors import (
    AccessDeniedError,
    InputError,
    InsecureUrlError,
    NameTakenError,
    UnknownNameError,
    UsageError,
)
from cc_tui.models.config import AppConfig, Role
from cc_tui.models.connection import (
    url_has_credentials,
    url_is_secure_enough,
    url_without_credentials,
)
from cc_tui.models.storage import STORAGE_AUTH_SECRETS, StorageAuth, StorageConnection
from cc_tui.store.config import ConfigStore, with_storage, without_storage
from cc_tui.store.config_reader import validate_name
from cc_tui.store.history import HistoryStore
from cc_tui.store.secrets import SecretsStore

__all__ = ["TEST_LISTING_LIMIT", "StorageService", "StorageStatus", "StorageTest"]

TEST_LISTING_LIMIT = 20
"""Names shown by ``storage test``: enough to recognise the container."""
_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_CONTAINER = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")


@dataclass(frozen=True, slots=True)
class StorageStatus:
    """A storage connection and whether its secret is stored (never the secret)."""

    connection: StorageConnection
    has_secret: bool


@dataclass(frozen=True, slots=True)
class StorageTest:
    """What ``storage test`` saw: the first names at the top of the container."""

    connection: StorageConnection
    container: str
    names: tuple[str, ...]


class StorageService:
    """Adds, shows, tests and removes storage connections, with role checks and an audit."""

    def __init__(
        self, config: ConfigStore, secrets: SecretsStore, history: HistoryStore, os_user: str
    ) -> None:
        self._config = config
        self._secrets = secrets
        self._history = history
        self.os_user = os_user

    def __repr__(self) -> str:
        return f"StorageService(os_user={self.os_user!r})"

    def list(self) -> list[StorageStatus]:
        """Every storage connection, by name."""
        config = self._config.load()
        return [self._status(config.storage[name]) for name in sorted(config.storage)]

    def get(self, name: str) -> StorageStatus:
        """The storage connection ``name``; UsageError naming the known ones."""
        config = self._config.load()
        connection = config.storage.get(name)
        if connection is None:
            known = ", ".join(sorted(config.storage)) or "none yet"
            raise UnknownNameError(
                f"No storage connection named '{name}' (storage connections: {known}). Fix: "
                f"cc-tui storage add {name} --account ACCOUNT ..."
            )
        return self._status(connection)

    def _status(self, connection: StorageConnection) -> StorageStatus:
        return StorageStatus(connection, self._secrets.storage_secret(connection.name) is not None)

    def add(
        self,
        name: str,
        *,
        account: str,
        auth: StorageAuth,
        secret: str | None = None,
        endpoint: str | None = None,
        replace: bool = False,
    ) -> StorageConnection:
        """Save ``[storage.NAME]`` and its secret (required for key, SAS and connection string).

        The account, endpoint and secret are checked first; nothing is saved when one is wrong.
        """
        self._require_admin("add storage connections")
        validate_name("storage connection", name)
        if not _ACCOUNT.match(account):
            raise UsageError(
                f"'{account}' is not a storage account name. Fix: give the account's name (3 to "
                "24 lower-case letters and digits), e.g. --account contosoci"
            )
        checked_endpoint = None if endpoint is None else _checked_endpoint(endpoint)
        if auth in STORAGE_AUTH_SECRETS:
            secret = (secret or "").strip()
            if not secret:
                raise UsageError(
                    f"the {auth.value} is empty. Fix: give it at the prompt, on standard "
                    "input, or in $CC_TUI_STORAGE_SECRET"
                )
            if auth is StorageAuth.CONNECTION_STRING:
                parts = connection_string_parts(secret)
                if parts["account_name"] != account:
                    raise UsageError(
                        f"the connection string is for account '{parts['account_name']}', not "
                        f"'{account}'. Fix: give --account {parts['account_name']}, or the "
                        "other account's connection string"
                    )
                if checked_endpoint is None and "endpoint" in parts:
                    _checked_endpoint(parts["endpoint"])
        elif secret:
            raise UsageError(
                "Azure environment credentials take no secret. Fix: leave the secret out, or "
                "choose --account-key, --sas-token or --connection-string"
            )
        connection = StorageConnection(name, account, auth, checked_endpoint)

        def change(current: AppConfig) -> AppConfig:
            if name in current.storage and not replace:
                raise NameTakenError(
                    f"A storage connection named '{name}' already exists. Fix: choose another "
                    "name, or pass --replace"
                )
            return with_storage(current, connection)

        self._config.update(change)
        if secret and auth in STORAGE_AUTH_SECRETS:
            self._secrets.save_storage_secret(name, secret)
        else:
            self._secrets.delete_storage_secret(name)
        self._history.record_event(
            "storage.add",
            name,
            self.os_user,
            {"account": account, "auth": auth.value, "endpoint": checked_endpoint},
        )
        return connection

    def test(self, name: str, container: str) -> StorageTest:
        """List the top of ``container`` with the connection's credentials."""
        self._require_admin("test storage connections")
        status = self.get(name)
        if not _CONTAINER.match(container):
            raise UsageError(
                f"'{container}' is not a container name. Fix: 3 to 63 lower-case letters, "
                "digits and single hyphens"
            )
        names = list_container(
            status.connection,
            self._secrets.storage_secret(name),
            container,
            TEST_LISTING_LIMIT,
        )
        self._history.record_event("storage.test", name, self.os_user, {"container": container})
        return StorageTest(status.connection, container, tuple(names))

    def remove(self, name: str) -> None:
        """Delete ``[storage.NAME]`` and forget its secret."""
        self._require_admin("remove storage connections")
        self.get(name)
        self._config.update(lambda current: without_storage(current, name))
        self._secrets.delete_storage_secret(name)
        self._history.record_event("storage.remove", name, self.os_user)

    def _require_admin(self, doing: str) -> None:
        config = self._config.load()
        if config.roles.role_of(self.os_user) is not Role.ADMIN:
            admins = ", ".join(config.roles.admins) or "an administrator"
            raise AccessDeniedError(
                f"Only administrators may {doing}; '{self.os_user}' is not one. Ask {admins}."
            )


def _checked_endpoint(endpoint: str) -> str:
    url = endpoint.strip().rstrip("/")
    if url_has_credentials(url):
        raise InsecureUrlError(
            f"the endpoint '{url_without_credentials(url)}' has a user name or password in it. "
            "Fix: remove the 'user:password@' part (the secret goes in the storage connection)"
        )
    if "?" in url:
        raise InputError(
            "the endpoint has a query (a SAS token?). Fix: give the endpoint without it, and "
            "the token with --sas-token"
        )
    if not url_is_secure_enough(url):
        raise InsecureUrlError(
            f"the endpoint '{url}' is not allowed: use https:// (plain http:// only for a "
            "loopback host, such as Azurite on 127.0.0.1)"
        )
    return url
