"""The nouns of cc-tui as frozen dataclasses: what config.toml and the stores hold.

Nothing here does I/O; the stores build these objects and every layer above reads them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "CONTACT_CAP_PER_RUN",
    "DEFAULT_API_BASE_URL",
    "DEFAULT_AUTH_BASE_URL",
    "DEFAULT_SCOPES",
    "AppConfig",
    "Connection",
    "Consent",
    "Export",
    "FieldMapping",
    "Role",
    "Roles",
    "SegmentSource",
    "TokenSet",
    "UsableBy",
    "is_loopback_host",
    "mask_secret",
    "url_is_secure_enough",
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


class Role(StrEnum):
    """What an OS user may do, from ``[roles]`` in config.toml."""

    ADMIN = "admin"
    CONTRIBUTOR = "contributor"


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


def url_is_secure_enough(url: str) -> bool:
    """https anywhere; plain http only to a loopback host (the emulator)."""
    parts = urlsplit(url)
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
class FieldMapping:
    """Which segment column feeds which Constant Contact field.

    ``attributes`` maps a Constant Contact field (``job_title``, ``cf:loyalty_tier``...) to a
    segment column, in the order the user gave them.
    """

    email: str
    first_name: str | None = None
    last_name: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def columns(self) -> dict[str, str]:
        """Every mapped Constant Contact field name -> segment column, e-mail first."""
        mapped = {"email": self.email}
        if self.first_name:
            mapped["first_name"] = self.first_name
        if self.last_name:
            mapped["last_name"] = self.last_name
        mapped.update(self.attributes)
        return mapped


@dataclass(frozen=True, slots=True)
class Export:
    """Segments sent to Constant Contact lists through a connection; saving never runs it."""

    name: str
    connection: str
    list_ids: tuple[str, ...]
    segments: tuple[str, ...]
    mapping: FieldMapping
    schedule: str | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class SegmentSource:
    """A segment named in ``[segments.NAME]`` (others are discovered in ``segments_dirs``)."""

    name: str
    path: Path
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True, slots=True)
class Roles:
    """OS user names per role; both empty means a single-user box where everyone is admin."""

    admins: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()

    def role_of(self, user: str) -> Role | None:
        """The role of an OS user, or None when the user has none."""
        if not self.admins and not self.contributors:
            return Role.ADMIN
        if user in self.admins:
            return Role.ADMIN
        if user in self.contributors:
            return Role.CONTRIBUTOR
        return None


@dataclass(frozen=True, slots=True)
class AppConfig:
    """Everything in config.toml, validated."""

    schema_version: int = 1
    segments_dirs: tuple[Path, ...] = ()
    theme: str = "cc-dark"
    roles: Roles = field(default_factory=Roles)
    segments: Mapping[str, SegmentSource] = field(default_factory=dict)
    connections: Mapping[str, Connection] = field(default_factory=dict)
    exports: Mapping[str, Export] = field(default_factory=dict)
    keymap: Mapping[str, str] = field(default_factory=dict)

    def exports_using(self, connection: str) -> list[str]:
        """Names of the exports that send through ``connection``."""
        return sorted(name for name, exp in self.exports.items() if exp.connection == connection)


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
