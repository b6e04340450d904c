"""Connections as the command line and the app use them: roles, consent, sign-in, checks.

Both faces call this service, so who may do what, and what is recorded in the audit log, is
decided in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx

from cc_tui.constant_contact.auth import DeviceAuthorization, DeviceFlow, DeviceFlowStatus
from cc_tui.constant_contact.client import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    ConstantContactClient,
    RetryPolicy,
)
from cc_tui.constant_contact.schemas import AccountSummary, ContactList
from cc_tui.errors import (
    AccessDeniedError,
    ConsentRequiredError,
    InsecureUrlError,
    NameTakenError,
    UnknownNameError,
    UsageError,
)
from cc_tui.models.config import AppConfig, Role
from cc_tui.models.connection import (
    DEFAULT_API_BASE_URL,
    DEFAULT_AUTH_BASE_URL,
    Connection,
    ConnectionStatus,
    Consent,
    UsableBy,
    url_has_credentials,
    url_is_secure_enough,
    url_without_credentials,
)
from cc_tui.store.audit import AuditOutcome
from cc_tui.store.config import ConfigStore, with_connection, without_connection
from cc_tui.store.config_reader import validate_name
from cc_tui.store.history import HistoryStore
from cc_tui.store.secrets import SecretsStore

__all__ = [
    "PRIVACY_STATEMENT",
    "ConnectionCheck",
    "ConnectionService",
    "ConnectionStatus",
]

PRIVACY_STATEMENT = (
    "Exports through this connection send customer profile data (e-mail addresses, names and "
    "the attributes you map) out of this system to Constant Contact, Inc., which stores and "
    "processes it under its own terms and privacy policy, possibly in another country. Make "
    "sure your organisation has a lawful basis and the customers' permission to send them "
    "e-mail before you export them."
)
SIGN_IN_HTTP_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """The result of reaching the account through a connection."""

    connection: Connection
    account: AccountSummary
    lists: int
    token_expires_at: datetime | None


class ConnectionService:
    """Adds, signs in, checks and removes connections on behalf of one OS user."""

    def __init__(
        self,
        config: ConfigStore,
        secrets: SecretsStore,
        history: HistoryStore,
        os_user: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._config = config
        self._secrets = secrets
        self._history = history
        self.os_user = os_user
        self._transport = transport

    # -- reading -----------------------------------------------------------------------------

    def role(self, config: AppConfig | None = None) -> Role | None:
        """This user's role (every user is admin while no roles are configured)."""
        return (config or self._config.load()).roles.role_of(self.os_user)

    def visible(self) -> list[Connection]:
        """Connections this user may see: all for admins, shared ones for contributors."""
        config = self._config.load()
        role = self.role(config)
        return [
            conn
            for _, conn in sorted(config.connections.items())
            if role is Role.ADMIN or (role is Role.CONTRIBUTOR and _shared(conn))
        ]

    def get(self, name: str) -> Connection:
        """The connection called ``name``, if this user may see it."""
        for conn in self.visible():
            if conn.name == name:
                return conn
        known = ", ".join(conn.name for conn in self.visible()) or "none yet"
        raise UnknownNameError(f"No connection named '{name}' (connections you can use: {known}).")

    def status(self, name: str) -> ConnectionStatus:
        """Whether ``name`` is signed in and until when its access token is valid."""
        conn = self.get(name)
        tokens = self._secrets.tokens(name)
        return ConnectionStatus(
            connection=conn,
            signed_in=tokens is not None,
            token_expires_at=tokens.expires_at if tokens else None,
            scope=tokens.scope if tokens else "",
        )

    # -- changing (administrators only) ------------------------------------------------------

    def add(
        self,
        name: str,
        *,
        client_id: str,
        display_name: str | None = None,
        usable_by: UsableBy = UsableBy.ADMINS,
        api_base_url: str = DEFAULT_API_BASE_URL,
        auth_base_url: str = DEFAULT_AUTH_BASE_URL,
        accept_privacy: bool = False,
    ) -> Connection:
        """Create a connection; the privacy statement must be accepted at the same time."""
        with self._history.audited(
            "connection.add",
            name,
            self.os_user,
            {"usable_by": usable_by.value, "api_base_url": _logged_url(api_base_url)},
        ) as detail:
            self._require_admin("add connections")
            validate_name("connection", name)
            if not client_id.strip():
                raise UsageError("The client ID is empty: give the API key of your application.")
            if not accept_privacy:
                raise ConsentRequiredError(
                    "A connection sends customer data to Constant Contact, so the data-privacy "
                    "statement must be accepted first: add --accept-privacy (or answer yes)."
                )
            conn = Connection(
                name=name,
                display_name=(display_name or name).strip(),
                client_id=client_id.strip(),
                usable_by=usable_by,
                consent=self._consent(),
                api_base_url=_checked_url(api_base_url, "API base URL"),
                auth_base_url=_checked_url(auth_base_url, "auth base URL"),
            )

            def add_new(config: AppConfig) -> AppConfig:
                if name in config.connections:
                    raise NameTakenError(f"A connection named '{name}' already exists.")
                return with_connection(config, conn)

            self._config.update(add_new)
            detail["api_base_url"] = conn.api_base_url
        self._history.record_event("connection.consent", name, self.os_user)
        return conn

    def edit(self, name: str, **changes: object) -> Connection:
        """Change display name, client ID, usable_by or base URLs of a connection."""
        with self._history.audited(
            "connection.edit",
            name,
            self.os_user,
            {"changed": sorted(changes)},
            refusal=lambda: self.hidden_reason(name),
        ):
            self._require_admin("edit connections")
            allowed = {"display_name", "client_id", "usable_by", "api_base_url", "auth_base_url"}
            unknown = set(changes) - allowed
            if unknown:
                raise UsageError(f"Cannot change {', '.join(sorted(unknown))} of a connection.")
            for key in ("api_base_url", "auth_base_url"):
                if key in changes:
                    changes[key] = _checked_url(str(changes[key]), key.replace("_", " "))
            updated = replace(self.get(name), **changes)  # type: ignore[arg-type]
            self._config.update(lambda config: with_connection(config, updated))
        return updated

    def accept_privacy(self, name: str) -> Connection:
        """Record that this user accepted the data-privacy statement for ``name``."""
        with self._history.audited(
            "connection.consent", name, self.os_user, refusal=lambda: self.hidden_reason(name)
        ):
            self._require_admin("accept the privacy statement")
            updated = replace(self.get(name), consent=self._consent())
            self._config.update(lambda config: with_connection(config, updated))
        return updated

    def check_removable(self, name: str) -> None:
        """Raise what :meth:`remove` would refuse whatever is asked (a face checks before it
        asks "Remove?"): an unknown connection, a user who may not remove connections.

        A refusal for the user's role is recorded in the audit log here (the person asked)."""
        try:
            self._require_admin("remove connections")
        except AccessDeniedError as exc:
            self._history.record_event(
                "connection.remove",
                name,
                self.os_user,
                {"reason": str(exc)},
                outcome=AuditOutcome.REFUSED,
            )
            raise
        self.get(name)

    def remove(self, name: str, *, detach_exports: bool = False) -> list[str]:
        """Remove ``name`` and its tokens; returns the exports that were detached.

        Refused while exports use the connection, unless ``detach_exports`` is set.
        """
        self.check_removable(name)  # records a refusal itself
        with self._history.audited("connection.remove", name, self.os_user) as detail:
            users = self._config.load().exports_using(name)
            if users and not detach_exports:
                raise UsageError(
                    f"Connection '{name}' is used by the export(s) {', '.join(users)}. Remove "
                    "them first, or detach them (--detach-exports); detached exports cannot run "
                    "until they are given another connection."
                )
            self._config.update(lambda c: without_connection(c, name, detach_exports=True))
            self._secrets.delete(name)
            detail["detached_exports"] = users
        return users

    # -- talking to Constant Contact ---------------------------------------------------------

    def client(
        self, name: str, *, retry: RetryPolicy = DEFAULT_RETRY, timeout: float = DEFAULT_TIMEOUT
    ) -> ConstantContactClient:
        """An API client for ``name`` (the caller closes it: ``async with``)."""
        conn = self.usable(name)
        return ConstantContactClient(
            conn,
            self._secrets.for_connection(name),
            transport=self._transport,
            retry=retry,
            timeout=timeout,
        )

    async def sign_in(
        self,
        name: str,
        *,
        on_code: Callable[[DeviceAuthorization], None],
        on_status: Callable[[DeviceFlowStatus], None] | None = None,
    ) -> ConnectionStatus:
        """Run the device flow for ``name`` and store its tokens.

        ``on_code`` receives the verification URL and user code to show; ``on_status`` each
        poll's state for a countdown. Cancelling the awaiting task cancels the sign-in.
        """
        with self._history.audited(
            "connection.sign_in", name, self.os_user, refusal=lambda: self.hidden_reason(name)
        ) as detail:
            self._require_admin("sign connections in")
            conn = self.get(name)
            if conn.consent is None:
                raise ConsentRequiredError(
                    f"Connection '{name}' has no recorded data-privacy consent; accept the "
                    "statement before signing in (--accept-privacy)."
                )
            async with httpx.AsyncClient(
                transport=self._transport, timeout=SIGN_IN_HTTP_TIMEOUT
            ) as http:
                flow = DeviceFlow(http, auth_base_url=conn.auth_base_url, client_id=conn.client_id)
                authorization = await flow.start()
                on_code(authorization)
                tokens = await flow.wait_for_tokens(authorization, on_status=on_status)
            self._secrets.save_tokens(name, tokens)
            detail["scope"] = tokens.scope
        return self.status(name)

    async def check(self, name: str) -> ConnectionCheck:
        """Reach the account: its summary and how many lists it has."""
        async with self.client(name) as client:
            account = await client.account_summary()
            lists = await client.contact_lists(include_membership_count=False)
        status = self.status(name)
        return ConnectionCheck(
            connection=status.connection,
            account=account,
            lists=len(lists),
            token_expires_at=status.token_expires_at,
        )

    async def contact_lists(self, name: str) -> list[ContactList]:
        """Every contact list of the account, with membership counts."""
        async with self.client(name) as client:
            return await client.contact_lists(include_membership_count=True)

    # -- helpers -------------------------------------------------------------------------------

    def usable(self, name: str) -> Connection:
        """``name``, if this user may run exports through it and its consent is recorded."""
        conn = self.get(name)
        if conn.consent is None:
            raise ConsentRequiredError.not_recorded(name)
        return conn

    def hidden_reason(self, name: str | None) -> str | None:
        """Why this user may not use the existing connection ``name`` (their role hides it),
        for the audit log; None when it is usable by them, or does not exist.

        The faces still say "no connection named ..." to such a user: only the log says why.
        """
        if name is None:
            return None
        config = self._config.load()
        conn = config.connections.get(name)
        role = self.role(config)
        if conn is None or role is Role.ADMIN or (role is Role.CONTRIBUTOR and _shared(conn)):
            return None
        if role is None:
            return f"'{self.os_user}' has no role (neither admin nor contributor)"
        return f"connection '{name}' is not shared with contributors"

    def _require_admin(self, doing: str) -> None:
        config = self._config.load()
        if self.role(config) is not Role.ADMIN:
            admins = ", ".join(config.roles.admins) or "an administrator"
            raise AccessDeniedError(
                f"Only administrators may {doing}; '{self.os_user}' is not one. Ask {admins}."
            )

    def _consent(self) -> Consent:
        return Consent(
            accepted_at=datetime.now(UTC).replace(microsecond=0), accepted_by=self.os_user
        )


def _shared(conn: Connection) -> bool:
    return conn.usable_by is UsableBy.CONTRIBUTORS


def _logged_url(url: str) -> str:
    """``url`` as the audit log keeps an attempt's: never with its ``user:password@``."""
    try:
        return url_without_credentials(url)
    except ValueError:  # not a URL at all (the check says so): keep no part of it
        return "(not a URL)"


def _checked_url(url: str, what: str) -> str:
    url = url.strip().rstrip("/")
    if url_has_credentials(url):
        raise InsecureUrlError(
            f"The {what} '{url_without_credentials(url)}' is not allowed with a user name or "
            "password in it ('user:password@'): remove that part (cc-tui signs in with OAuth2)."
        )
    if not url_is_secure_enough(url):
        raise InsecureUrlError(
            f"The {what} '{url}' is not allowed: use https:// (plain http:// is only allowed "
            "for a loopback host such as the local emulator)."
        )
    return url
