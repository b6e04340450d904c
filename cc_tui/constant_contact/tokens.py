"""Keeping a connection's access token fresh: load, refresh (single-flight), save.

With rotating refresh tokens a refresh token works once: two refreshes racing with the same
token leave one of them with ``invalid_grant``, and the server may then revoke the whole token
family, signing the connection out. So every refresh of a connection in this process runs
under one :class:`RefreshGate` (a ``threading.Lock``, safe across threads and event loops), and
re-reads the token store first: whoever waited finds the new tokens there and does not refresh.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Protocol, runtime_checkable

from cc_tui.constant_contact.oauth import utc_now
from cc_tui.errors import SignInRequiredError
from cc_tui.models.connection import TokenSet

__all__ = [
    "DEFAULT_REFRESH_MARGIN",
    "ProcessLock",
    "RefreshGate",
    "SharedTokenStore",
    "TokenKeeper",
    "TokenStore",
    "refresh_gate_for",
]

DEFAULT_REFRESH_MARGIN = 60.0  # refresh when the access token has less than this many seconds
# How often a caller waiting for another's refresh checks the gate; refreshes take ~100 ms.
_GATE_POLL_INTERVAL = 0.01

Refresher = Callable[[str], Awaitable[TokenSet]]
Clock = Callable[[], datetime]


class TokenStore(Protocol):
    """Where a connection's tokens live (the secrets store implements it)."""

    def load(self) -> TokenSet | None:
        """The saved tokens, read fresh, or None when the connection never signed in."""

    def save(self, tokens: TokenSet) -> None:
        """Persist new or rotated tokens; called before the new access token is used."""

    def forget(self) -> None:
        """Drop tokens the server refused for good (a dead refresh token): the connection is
        then shown signed out, as it is."""


class ProcessLock(Protocol):
    """A lock shared with other processes (the secrets store's ``flock``)."""

    def acquire(self, *, blocking: bool) -> bool:
        """Take the lock; without blocking, False when another process holds it."""

    def release(self) -> None:
        """Let the next process in."""


@runtime_checkable
class SharedTokenStore(TokenStore, Protocol):
    """A token store other processes use too: refreshes must also be serialised across them."""

    def refresh_lock(self) -> ProcessLock:
        """The lock to hold around a refresh of this connection."""


@asynccontextmanager
async def _held_across_processes(store: TokenStore) -> AsyncIterator[None]:
    if not isinstance(store, SharedTokenStore):
        yield
        return
    lock = store.refresh_lock()
    # Polling keeps the event loop free while another process (the scheduler, another
    # window) finishes its refresh; it then saved the new tokens, which we re-read.
    while not lock.acquire(blocking=False):  # noqa: ASYNC110
        await asyncio.sleep(_GATE_POLL_INTERVAL * 5)
    try:
        yield
    finally:
        lock.release()


class RefreshGate:
    """A process-wide mutex for one connection's refreshes that any event loop can await."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Hold the gate; waiting never blocks the event loop (no loop-bound lock)."""
        # Polling, not an asyncio.Event: an Event belongs to one loop, the gate spans them all.
        while not self._lock.acquire(blocking=False):  # noqa: ASYNC110
            await asyncio.sleep(_GATE_POLL_INTERVAL)
        try:
            yield
        finally:
            self._lock.release()


_gates: dict[str, RefreshGate] = {}
_gates_lock = threading.Lock()


def refresh_gate_for(key: str) -> RefreshGate:
    """The process-wide refresh gate of a connection (same key as its rate limiter)."""
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = RefreshGate()
        return gate


class TokenKeeper:
    """Hands out a usable access token for one connection, refreshing it when needed."""

    def __init__(
        self,
        connection: str,
        store: TokenStore,
        refresher: Refresher,
        *,
        gate: RefreshGate,
        margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Clock = utc_now,
        on_refresh: Callable[[], None] | None = None,
    ) -> None:
        self.connection = connection
        self._on_refresh = on_refresh
        self._store = store
        self._refresher = refresher
        self._gate = gate
        self.margin = margin
        self._clock = clock
        self._tokens: TokenSet | None = None
        self.refreshes = 0
        """How many refreshes this keeper made (not counting ones another caller made)."""

    def __repr__(self) -> str:
        return f"TokenKeeper(connection={self.connection!r}, refreshes={self.refreshes})"

    def _load(self) -> TokenSet:
        tokens = self._store.load()
        if tokens is None:
            raise SignInRequiredError.never_signed_in(self.connection)
        return tokens

    async def current(self) -> TokenSet:
        """Tokens whose access token is valid for at least ``margin`` more seconds."""
        if self._tokens is None:
            self._tokens = self._load()
        tokens = self._tokens
        if tokens.expires_within(self.margin, self._clock()):
            tokens = await self._refresh(tokens)
        return tokens

    async def replace(self, rejected: TokenSet) -> TokenSet:
        """New tokens after the API refused ``rejected`` with 401 (unless already replaced)."""
        return await self._refresh(rejected)

    async def _refresh(self, stale: TokenSet) -> TokenSet:
        async with self._gate.hold(), _held_across_processes(self._store):
            latest = self._load()
            if latest.access_token != stale.access_token and not latest.expires_within(
                self.margin, self._clock()
            ):
                # Another caller refreshed while we waited at the gate.
                self._tokens = latest
                return latest
            refresh_token = latest.refresh_token
            if not refresh_token:
                raise SignInRequiredError(
                    self.connection, "the access token expired and there is no refresh token"
                )
            job = asyncio.ensure_future(self._refresh_and_save(refresh_token))
            try:
                return await asyncio.shield(job)
            except asyncio.CancelledError:
                # Let a refresh in flight finish and be saved: abandoned, it could leave the
                # server holding a rotated token we never stored, signing the connection out.
                await asyncio.wait({job})
                if not job.cancelled():
                    job.exception()  # mark it retrieved: the caller is gone, nobody else will
                raise

    async def _refresh_and_save(self, refresh_token: str) -> TokenSet:
        try:
            fresh = await self._refresher(refresh_token)
        except SignInRequiredError:
            # The latest refresh token, read under the cross-process lock, is dead (invalid_grant):
            # no caller can use these tokens again, and kept they would show "signed in".
            self._store.forget()
            self._tokens = None
            raise
        self._store.save(fresh)
        self._tokens = fresh
        self.refreshes += 1
        if self._on_refresh is not None:
            self._on_refresh()
        return fresh
