"""What config.toml holds: exports and their mappings, segment entries, roles, and the whole
validated configuration (:class:`AppConfig`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cc_tui.models.connection import Connection
from cc_tui.models.notify import NotifySettings
from cc_tui.models.storage import StorageConnection

__all__ = [
    "DEFAULT_MAX_UNCOMPRESSED_GB",
    "DEFAULT_QUIET_SECONDS",
    "MAX_QUIET_SECONDS",
    "SEGMENT_FORMATS",
    "AppConfig",
    "Export",
    "FieldMapping",
    "MissedPolicy",
    "Role",
    "Roles",
    "SegmentSource",
]

# The most a compressed segment may decompress to (config.toml: max_uncompressed_gb). Sized
# for the largest segment a user plausibly has (10M profiles with many columns are a few GB);
# a decompression bomb is refused long before, by its expansion ratio.
DEFAULT_MAX_UNCOMPRESSED_GB = 20
# The formats a [segments.NAME] entry may declare; without one cc-tui recognises the file.
SEGMENT_FORMATS = ("csv", "tsv", "csv.gz", "tsv.gz", "parquet", "ndjson", "cdm", "delta")


# How long a refreshed segment must stay unchanged before an on-refresh export reads it: long
# enough for a writer's pauses between files, short enough that the run follows the refresh.
DEFAULT_QUIET_SECONDS = 60
MAX_QUIET_SECONDS = 24 * 3600  # a day: a longer wait would hide the refresh it waits for


class MissedPolicy(StrEnum):
    """What the service does about cron times it was down for (``missed`` in config.toml)."""

    RUN_ONCE = "run-once"
    """Run once when back (never once per missed time)."""
    SKIP = "skip"
    """Wait for the next time; the missed ones are recorded and shown."""


class Role(StrEnum):
    """What an OS user may do, from ``[roles]`` in config.toml."""

    ADMIN = "admin"
    CONTRIBUTOR = "contributor"


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
    connection: str | None  # None once its connection was removed ("detached")
    list_ids: tuple[str, ...]
    segments: tuple[str, ...]
    mapping: FieldMapping
    schedule: str | None = None
    enabled: bool = True
    notify: NotifySettings | None = None
    """``[exports.NAME.notify]``: replaces the global ``[notify]`` for this export's runs."""
    on_refresh: bool = False
    """Run when a segment's data is refreshed (beside ``schedule``, or instead of it)."""
    quiet_seconds: int = DEFAULT_QUIET_SECONDS
    """How long a new snapshot must stay unchanged before an on-refresh run reads it."""
    missed: MissedPolicy = MissedPolicy.RUN_ONCE
    """What to do about schedule times the service was down for."""

    def runs_when(self) -> str:
        """When it runs by itself, short: ``0 6 * * *``, ``on refresh``, both, ``on demand``."""
        parts = [self.schedule] if self.schedule else []
        if self.on_refresh:
            parts.append("on refresh")
        return " + ".join(parts) or "on demand"


@dataclass(frozen=True, slots=True)
class SegmentSource:
    """A segment named in ``[segments.NAME]`` (others are discovered in ``segments_dirs``).

    Every option but ``path`` may be left out (None): cc-tui then recognises it from the file.
    """

    name: str
    path: Path
    format: str | None = None
    """One of ``SEGMENT_FORMATS``: csv, tsv, csv.gz, tsv.gz, parquet, ndjson, cdm, delta."""
    encoding: str | None = None
    """Text encoding of CSV/TSV/NDJSON (``utf-8``, ``cp1252``...)."""
    delimiter: str | None = None
    """One character between CSV fields."""
    quote: str | None = None
    """One character around quoted CSV fields; ``""`` turns quoting off."""
    header: bool | None = None
    """Whether the first CSV line names the columns (None: files yes, Spark part folders no)."""
    columns: tuple[str, ...] | None = None
    """Column names of a headerless CSV, in file order."""
    entity: str | None = None
    """The entity of a CDM folder (``model.json`` or manifest) that this segment reads."""
    snapshot: str | None = None
    """A CDM folder's dated snapshot (``2026/11/29/0600``) to read instead of the newest."""


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
    max_uncompressed_gb: int = DEFAULT_MAX_UNCOMPRESSED_GB
    """The most any compressed segment may decompress to, in GiB (a cap on disk and time)."""
    bell: bool = True
    """Ring the terminal bell when a run started in the app ends."""
    notify: NotifySettings | None = None
    """``[notify]``: who hears of every export's runs (an export's own table replaces it)."""
    storage: Mapping[str, StorageConnection] = field(default_factory=dict)
    """Azure storage accounts that remote segments are read from (``[storage.NAME]``)."""

    @property
    def max_uncompressed_bytes(self) -> int:
        """:attr:`max_uncompressed_gb` in bytes."""
        return self.max_uncompressed_gb * 1024**3

    def exports_using(self, connection: str) -> list[str]:
        """Names of the exports that send through ``connection``."""
        return sorted(name for name, exp in self.exports.items() if exp.connection == connection)
