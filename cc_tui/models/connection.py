"""A connection to a Constant Contact account: its application, who may use it, consent, the
URLs it may talk to, and the tokens of its sign-in (never shown).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

__all__ = [
    "CONTACT_CAP_PER_RUN",
    "DEFAULT_API_BASE_URL",
    "DEFAULT_AUTH_BASE_URL",
    "DEFAULT_SCOPES",
    "Connection",
    "ConnectionStatus",
    "Consent",
    "TokenSet",
    "UsableBy",
    "is_loopback_host",
    "mask_secret",
    "url_has_credentials",
    "url_is_secure_enough",
    "url_without_credentials",
]

DEFAULT_API_BASE_URL = "https://api.cc.email/v3"
DEFAULT_AUTH_BASE_URL = "https://authz.constantcontact.com/oauth2/default/v1"
# contact_data: lists, contacts, custom fields, imports, activities; account_read: account
# summary (organisation name); offline_access: without it no refresh token is issued.
DEFAULT_SCOPES = ("contact_data", "account_read", "offline_access")
# The product's hard ceiling per export run; a connection's contract may lower it.
CONTACT_CAP_PER_RUN = 1_000_000


class UsableBy(StrEnum):
    """Who may run exports through a connection (only administrators ever change it)."""

    ADMINS = "admins"
    CONTRIBUTORS = "contributors"


def mask_secret(secret: str | None) -> str:
    """Show that a secret exists without showing it: ``'••••3f9a'`` (last four characters)."""
    if not secret:
        return "(none)"
    if len(secret) <= 12:
        return "••••"
    return "••••" + secret[-4:]


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and any loopback IP (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_has_credentials(url: str) -> bool:
    """True when ``url`` carries a ``user:password@`` (or ``user@``) part."""
    return "@" in urlsplit(url).netloc


def url_without_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` part cut out: what a message may show."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def url_is_secure_enough(url: str) -> bool:
    """https anywhere; plain http only to a loopback host (the emulator); never a password.

    A ``user:password@`` part is refused: cc-tui signs in with OAuth2 tokens, and a password
    in a URL would sit in config.toml and show in messages and logs.
    """
    parts = urlsplit(url)
    if url_has_credentials(url):
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and is_loopback_host(parts.hostname or "")


@dataclass(frozen=True, slots=True)
class Consent:
    """The recorded acceptance of the data-privacy statement: who, and when (UTC)."""

    accepted_at: datetime
    accepted_by: str


@dataclass(frozen=True, slots=True)
class Connection:
    """A Constant Contact account reached through one registered application (client ID)."""

    name: str
    display_name: str
    client_id: str
    usable_by: UsableBy = UsableBy.ADMINS
    consent: Consent | None = None
    api_base_url: str = DEFAULT_API_BASE_URL
    auth_base_url: str = DEFAULT_AUTH_BASE_URL
    # A lower per-run contact ceiling from the account's contract; None = the product cap.
    max_contacts_per_run: int | None = None

    @property
    def contact_cap(self) -> int:
        """Contacts one run may send through this connection."""
        if self.max_contacts_per_run is None:
            return CONTACT_CAP_PER_RUN
        return min(self.max_contacts_per_run, CONTACT_CAP_PER_RUN)


@dataclass(frozen=True, slots=True)
class TokenSet:
    """OAuth tokens of one connection. ``repr`` and ``str`` never show them."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scope: str = ""
    token_type: str = "Bearer"

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token={mask_secret(self.access_token)!r}, "
            f"refresh_token={mask_secret(self.refresh_token)!r}, "
            f"expires_at={self.expires_at.isoformat()!r}, scope={self.scope!r})"
        )

    __str__ = __repr__

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        """True if the access token expires in less than ``seconds`` from ``now``."""
        now = now or datetime.now(UTC)
        return (self.expires_at - now).total_seconds() < seconds


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """A connection and whether it holds tokens (never the tokens themselves)."""

    connection: Connection
    signed_in: bool
    token_expires_at: datetime | None
    scope: str
