"""secrets.toml: OAuth tokens per connection, private to the user (mode 0600).

The file is refused, with the ``chmod`` that fixes it, when group or others may read it. Tokens
leave this module only inside :class:`~cc_tui.models.connection.TokenSet`, whose repr masks them.

Storage connections keep their secret (account key, SAS token or connection string) under
``[storage.NAME] secret = "..."``; it leaves this module only through :meth:`storage_secret`
and is never logged or shown.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from cc_tui.atomic import atomic_write_text
from cc_tui.errors import ConfigError, SecretsPermissionError
from cc_tui.models.connection import TokenSet
from cc_tui.store.toml_reader import TomlSection, parse_toml

__all__ = ["ConnectionTokens", "RefreshLock", "SecretsStore"]

SECRETS_MODE = 0o600
_TOKEN_KEYS = {"access_token", "refresh_token", "expires_at", "scope", "token_type"}


class SecretsStore:
    """Reads and writes secrets.toml under an exclusive lock; never logs or shows a token."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"SecretsStore(path={str(self.path)!r})"

    def tokens(self, connection: str) -> TokenSet | None:
        """The stored tokens of ``connection``, or None when it never signed in."""
        return self._read().get(connection)

    def save_tokens(self, connection: str, tokens: TokenSet) -> None:
        """Store (replace) the tokens of ``connection``."""
        with self._locked():
            current = self._read()
            current[connection] = tokens
            self._write(current)

    def delete(self, connection: str) -> None:
        """Forget the tokens of ``connection`` (sign-out, or the connection was removed)."""
        with self._locked():
            current = self._read()
            if current.pop(connection, None) is not None:
                self._write(current)

    def storage_secret(self, storage: str) -> str | None:
        """The secret of storage connection ``storage``, or None when it has none."""
        return self._read_storage().get(storage)

    def save_storage_secret(self, storage: str, secret: str) -> None:
        """Store (replace) the secret of storage connection ``storage``."""
        with self._locked():
            current = self._read_storage()
            current[storage] = secret
            self._write(self._read(), current)

    def delete_storage_secret(self, storage: str) -> None:
        """Forget the secret of storage connection ``storage``."""
        with self._locked():
            current = self._read_storage()
            if current.pop(storage, None) is not None:
                self._write(self._read(), current)

    def for_connection(self, connection: str) -> ConnectionTokens:
        """A token store bound to one connection (what the Constant Contact client needs)."""
        return ConnectionTokens(self, connection)

    def _read(self) -> dict[str, TokenSet]:
        root = self._root()
        if root is None:
            return {}
        return {name: _token_set(table) for name, table in root.table("connections").tables()}

    def _read_storage(self) -> dict[str, str]:
        root = self._root()
        if root is None:
            return {}
        secrets = {}
        for name, table in root.table("storage").tables():
            table.check_keys({"secret"})
            secrets[name] = table.required_string("secret")
        return secrets

    def _root(self) -> TomlSection | None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretsPermissionError(
                f"is readable by others (mode {stat.S_IMODE(info.st_mode):o}); "
                "it holds OAuth tokens and was not used",
                path=self.path,
                fix=f"chmod 600 {self.path}",
            )
        text = self.path.read_text(encoding="utf-8")
        root = TomlSection(self.path, parse_toml(self.path, text), text=text)
        root.check_keys({"connections", "storage"})
        return root

    def _write(self, tokens: dict[str, TokenSet], storage: dict[str, str] | None = None) -> None:
        if storage is None:
            storage = self._read_storage()
        doc: dict[str, Any] = {
            "connections": {name: _token_doc(token_set) for name, token_set in tokens.items()}
        }
        if storage:
            doc["storage"] = {name: {"secret": secret} for name, secret in storage.items()}
        atomic_write_text(self.path, tomli_w.dumps(doc), mode=SECRETS_MODE)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, SECRETS_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


class ConnectionTokens:
    """The tokens of one connection: ``load`` and ``save``, as the API client expects."""

    def __init__(self, store: SecretsStore, connection: str) -> None:
        self._store = store
        self.connection = connection

    def __repr__(self) -> str:
        return f"ConnectionTokens(connection={self.connection!r})"

    def load(self) -> TokenSet | None:
        """The stored tokens, read fresh (another process may have rotated them)."""
        return self._store.tokens(self.connection)

    def save(self, tokens: TokenSet) -> None:
        """Persist new or rotated tokens before they are used."""
        self._store.save_tokens(self.connection, tokens)

    def forget(self) -> None:
        """Drop tokens the server refused for good (the connection is signed out)."""
        self._store.delete(self.connection)

    def refresh_lock(self) -> RefreshLock:
        """Held around a token refresh, so two processes never spend one refresh token."""
        return RefreshLock(
            self._store.path.with_name(f".{self._store.path.name}.{self.connection}.refresh.lock")
        )


class RefreshLock:
    """An ``flock`` on a small file; the kernel drops it if the holder dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, *, blocking: bool) -> bool:
        """Take the lock; without blocking, False when another process holds it."""
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, SECRETS_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Let the next process in."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _token_set(table: TomlSection) -> TokenSet:
    table.check_keys(_TOKEN_KEYS)
    expires_at = table.timestamp("expires_at")
    if expires_at is None:
        raise table.error("expires_at", "missing", "sign in again: cc-tui connection login NAME")
    if expires_at.tzinfo is None:
        raise ConfigError(
            "expires_at has no time zone",
            path=table.path,
            key=".".join((*table.key_path, "expires_at")),
            fix="sign in again: cc-tui connection login NAME",
        )
    return TokenSet(
        access_token=table.required_string("access_token"),
        refresh_token=table.string("refresh_token") or None,
        expires_at=expires_at,
        scope=table.string("scope", default="") or "",
        token_type=table.string("token_type", default="Bearer") or "Bearer",
    )


def _token_doc(tokens: TokenSet) -> dict[str, str | datetime]:
    doc: dict[str, str | datetime] = {
        "access_token": tokens.access_token,
        "expires_at": tokens.expires_at,
        "scope": tokens.scope,
        "token_type": tokens.token_type,
    }
    if tokens.refresh_token:
        doc["refresh_token"] = tokens.refresh_token
    return doc
