"""The writing side of config.toml: the TOML document for a configuration, defaults left out.

:class:`~cc_tui.store.config.ConfigStore` serialises this with tomli-w, validates the text it is
about to write and writes it atomically.
"""

from __future__ import annotations

from typing import Any

from cc_tui.models.config import (
    DEFAULT_MAX_UNCOMPRESSED_GB,
    DEFAULT_QUIET_SECONDS,
    AppConfig,
    Export,
    MissedPolicy,
    SegmentSource,
)
from cc_tui.models.connection import DEFAULT_API_BASE_URL, DEFAULT_AUTH_BASE_URL, Connection
from cc_tui.models.storage import StorageConnection
from cc_tui.store.notify_config import NOTIFY_KEY, notify_doc

__all__ = ["config_to_toml"]


def config_to_toml(config: AppConfig) -> dict[str, Any]:
    """The TOML document for ``config``; defaults are left out to keep the file short."""
    doc: dict[str, Any] = {"schema_version": config.schema_version}
    if config.segments_dirs:
        doc["segments_dirs"] = [str(path) for path in config.segments_dirs]
    doc["theme"] = config.theme
    if config.roles.admins or config.roles.contributors:
        doc["roles"] = {
            "admins": list(config.roles.admins),
            "contributors": list(config.roles.contributors),
        }
    if config.keymap:
        doc["keymap"] = dict(config.keymap)
    if config.max_uncompressed_gb != DEFAULT_MAX_UNCOMPRESSED_GB:
        doc["max_uncompressed_gb"] = config.max_uncompressed_gb
    if not config.bell:  # the default (ring) is not written
        doc["bell"] = False
    if config.notify is not None:
        doc[NOTIFY_KEY] = notify_doc(config.notify)
    if config.segments:
        doc["segments"] = {name: _segment_doc(seg) for name, seg in config.segments.items()}
    if config.connections:
        doc["connections"] = {
            name: _connection_doc(conn) for name, conn in config.connections.items()
        }
    if config.exports:
        doc["exports"] = {name: _export_doc(exp) for name, exp in config.exports.items()}
    if config.storage:
        doc["storage"] = {name: _storage_doc(item) for name, item in config.storage.items()}
    return doc


def _storage_doc(storage: StorageConnection) -> dict[str, Any]:
    doc: dict[str, Any] = {"account": storage.account, "auth": storage.auth.value}
    if storage.endpoint is not None:
        doc["endpoint"] = storage.endpoint
    return doc


def _segment_doc(segment: SegmentSource) -> dict[str, Any]:
    doc: dict[str, Any] = {"path": str(segment.path)}
    for key in ("format", "encoding", "delimiter", "quote", "header", "entity", "snapshot"):
        value = getattr(segment, key)
        if value is not None:
            doc[key] = value
    if segment.columns is not None:
        doc["columns"] = list(segment.columns)
    return doc


def _connection_doc(conn: Connection) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "display_name": conn.display_name,
        "client_id": conn.client_id,
        "usable_by": conn.usable_by.value,
    }
    if conn.api_base_url != DEFAULT_API_BASE_URL:
        doc["api_base_url"] = conn.api_base_url
    if conn.auth_base_url != DEFAULT_AUTH_BASE_URL:
        doc["auth_base_url"] = conn.auth_base_url
    if conn.max_contacts_per_run is not None:
        doc["max_contacts_per_run"] = conn.max_contacts_per_run
    if conn.consent is not None:
        doc["consent"] = {
            "accepted_at": conn.consent.accepted_at,
            "accepted_by": conn.consent.accepted_by,
        }
    return doc


def _export_doc(export: Export) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "connection": export.connection or "",
        "list_ids": list(export.list_ids),
        "segments": list(export.segments),
        "enabled": export.enabled,
    }
    if export.schedule:
        doc["schedule"] = export.schedule
    if export.on_refresh:
        doc["on_refresh"] = True
    if export.quiet_seconds != DEFAULT_QUIET_SECONDS:
        doc["quiet_seconds"] = export.quiet_seconds
    if export.missed is not MissedPolicy.RUN_ONCE:
        doc["missed"] = export.missed.value
    mapping = {"email": export.mapping.email}
    if export.mapping.first_name:
        mapping["first_name"] = export.mapping.first_name
    if export.mapping.last_name:
        mapping["last_name"] = export.mapping.last_name
    doc["mapping"] = mapping
    if export.mapping.attributes:
        doc["attributes"] = dict(export.mapping.attributes)
    if export.notify is not None:
        doc[NOTIFY_KEY] = notify_doc(export.notify)
    return doc
