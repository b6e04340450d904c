"""The reading side of config.toml: its text parsed and validated into an :class:`AppConfig`.

Every error names the file, the key, the line and the fix (:mod:`cc_tui.store.toml_reader`);
unknown keys are refused. :func:`validate_name` is the rule for the names of connections,
exports and segments wherever a face takes one.
"""

from __future__ import annotations

import re
from pathlib import Path

from cc_tui.errors import ConfigError, InputError
from cc_tui.models.api_rules import MAX_LISTS_PER_EXPORT, is_attribute_field, is_uuid
from cc_tui.models.config import (
    DEFAULT_MAX_UNCOMPRESSED_GB,
    DEFAULT_QUIET_SECONDS,
    MAX_QUIET_SECONDS,
    SEGMENT_FORMATS,
    AppConfig,
    Export,
    FieldMapping,
    MissedPolicy,
    Roles,
    SegmentSource,
)
from cc_tui.models.connection import (
    DEFAULT_API_BASE_URL,
    DEFAULT_AUTH_BASE_URL,
    Connection,
    Consent,
    UsableBy,
    url_has_credentials,
    url_is_secure_enough,
    url_without_credentials,
)
from cc_tui.models.storage import StorageAuth, StorageConnection
from cc_tui.remote_paths import is_remote_location, remote_path
from cc_tui.safe_text import visible
from cc_tui.schedules import schedule_problem
from cc_tui.store.notify_config import NOTIFY_KEY, read_notify
from cc_tui.store.toml_reader import TomlSection, parse_toml

__all__ = [
    "CONFIG_SCHEMA_VERSION",
    "REFUSED_NAME_SHOWN",
    "load_config",
    "validate_config_text",
    "validate_name",
]

CONFIG_SCHEMA_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
REFUSED_NAME_SHOWN = 80
"""The most characters of a refused name its error shows (a name may be at most 64)."""

_TOP_KEYS = {
    "schema_version",
    "segments_dirs",
    "theme",
    "roles",
    "segments",
    "connections",
    "exports",
    "keymap",
    "max_uncompressed_gb",
    "bell",
    "storage",
    NOTIFY_KEY,
}
_CONNECTION_KEYS = {
    "display_name",
    "client_id",
    "usable_by",
    "consent",
    "api_base_url",
    "auth_base_url",
    "max_contacts_per_run",
}
_EXPORT_KEYS = {
    "connection",
    "list_ids",
    "segments",
    "schedule",
    "enabled",
    "mapping",
    "on_refresh",
    "quiet_seconds",
    "missed",
    "attributes",
    NOTIFY_KEY,
}
_MAPPING_KEYS = {"email", "first_name", "last_name"}
_SEGMENT_KEYS = {
    "path",
    "format",
    "encoding",
    "delimiter",
    "quote",
    "header",
    "columns",
    "entity",
    "snapshot",
}


def _shown_name(name: str) -> str:
    """A refused name as an error quotes it: on one line (a pasted line break or tab shown as
    ␊ or ␉, so the error does not look like two messages), cut after REFUSED_NAME_SHOWN
    characters (a whole pasted file would fill the terminal)."""
    return visible(name, limit=REFUSED_NAME_SHOWN)


def validate_name(kind: str, name: str) -> str:
    """Names of connections, exports and segments: letters, digits, ``_ . -``; at most 64."""
    if not _NAME.match(name):
        raise ConfigError(
            f"{kind} name '{_shown_name(name)}' is not allowed",
            fix="use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit",
        )
    return name


def load_config(path: Path) -> AppConfig:
    """Read and validate config.toml; a missing file is an empty configuration."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if path.is_symlink():
            # Kept elsewhere (a dotfiles folder not mounted now): not "no configuration yet",
            # whose first save would put a file of its own where the link is.
            raise ConfigError(
                f"is a link to {path.readlink()}, which does not exist",
                path=path,
                fix="make the file it points to reachable again, or remove the link",
            ) from None
        return AppConfig()
    except UnicodeDecodeError as exc:
        raise ConfigError("is not UTF-8 text", path=path, fix="save it as UTF-8") from exc
    except IsADirectoryError:
        raise ConfigError(
            "is a folder, not a file", path=path, fix="move the folder away"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot be read: {exc.strerror}", path=path, fix="check the file's permissions"
        ) from exc
    return validate_config_text(path, text)


def validate_config_text(path: Path, text: str) -> AppConfig:
    """The configuration ``text`` (the content of ``path``) holds; ConfigError if invalid."""
    return _validate(TomlSection(path, parse_toml(path, text), text=text))


def _validate(root: TomlSection) -> AppConfig:
    root.check_keys(_TOP_KEYS)
    version = root.integer("schema_version", default=CONFIG_SCHEMA_VERSION, low=1, high=10**6)
    if version != CONFIG_SCHEMA_VERSION:
        raise root.error(
            "schema_version",
            f"version {version} is not supported",
            "this file was written by a newer cc-tui; upgrade cc-tui",
        )
    roles = root.table("roles")
    roles.check_keys({"admins", "contributors"})
    keymap = root.table("keymap")
    connections = {
        name: _connection(name, table) for name, table in root.table("connections").tables()
    }
    config = AppConfig(
        schema_version=CONFIG_SCHEMA_VERSION,
        segments_dirs=tuple(
            _location(root, "segments_dirs", p) for p in root.strings("segments_dirs")
        ),
        theme=root.string("theme", default="cc-dark") or "cc-dark",
        roles=Roles(admins=roles.strings("admins"), contributors=roles.strings("contributors")),
        segments={name: _segment(name, table) for name, table in root.table("segments").tables()},
        connections=connections,
        exports={
            name: _export(name, table, connections)
            for name, table in root.table("exports").tables()
        },
        keymap={key: keymap.required_string(key) for key in keymap.data},
        max_uncompressed_gb=root.integer(
            "max_uncompressed_gb", default=DEFAULT_MAX_UNCOMPRESSED_GB, low=1, high=100_000
        )
        or DEFAULT_MAX_UNCOMPRESSED_GB,
        bell=root.boolean("bell", default=True),
        storage={name: _storage(name, table) for name, table in root.table("storage").tables()},
        notify=read_notify(root),
    )
    return config


def _checked_name(table: TomlSection, kind: str, name: str) -> None:
    if not _NAME.match(name):
        raise table.error(
            None,
            f"{kind} name '{_shown_name(name)}' is not allowed",
            "use letters, digits, '_', '.' or '-' (at most 64)",
        )


def _url(table: TomlSection, key: str, default: str) -> str:
    url = table.string(key, default=default) or default
    if url_has_credentials(url):
        raise table.error(
            key,
            f"'{url_without_credentials(url)}' has a user name or password in it",
            "remove the 'user:password@' part (cc-tui signs in with OAuth2)",
        )
    if not url_is_secure_enough(url):
        raise table.error(
            key, f"'{url}' is not allowed", "use https:// (plain http:// only for a loopback host)"
        )
    return url.rstrip("/")


def _connection(name: str, table: TomlSection) -> Connection:
    _checked_name(table, "connection", name)
    table.check_keys(_CONNECTION_KEYS)
    usable_by = table.string("usable_by", default=UsableBy.ADMINS.value)
    if usable_by not in {item.value for item in UsableBy}:
        raise table.error(
            "usable_by", f"'{usable_by}' is not a choice", 'use "admins" or "contributors"'
        )
    consent = None
    if "consent" in table.data:
        consent_table = table.table("consent")
        consent_table.check_keys({"accepted_at", "accepted_by"})
        accepted_at = consent_table.timestamp("accepted_at")
        if accepted_at is None:
            raise consent_table.error(
                "accepted_at", "missing", "accept the privacy statement again (connection login)"
            )
        consent = Consent(
            accepted_at=accepted_at, accepted_by=consent_table.required_string("accepted_by")
        )
    return Connection(
        name=name,
        display_name=table.string("display_name", default=name) or name,
        client_id=table.required_string("client_id"),
        usable_by=UsableBy(usable_by),
        consent=consent,
        api_base_url=_url(table, "api_base_url", DEFAULT_API_BASE_URL),
        auth_base_url=_url(table, "auth_base_url", DEFAULT_AUTH_BASE_URL),
        max_contacts_per_run=table.integer(
            "max_contacts_per_run", default=None, low=1, high=1_000_000
        ),
    )


def _segment(name: str, table: TomlSection) -> SegmentSource:
    _checked_name(table, "segment", name)
    table.check_keys(_SEGMENT_KEYS)
    fmt = table.string("format")
    if fmt is not None and fmt not in SEGMENT_FORMATS:
        raise table.error(
            "format",
            f"'{fmt}' is not a known format",
            f"use one of {', '.join(SEGMENT_FORMATS)}, or leave it out",
        )
    delimiter = table.string("delimiter")
    if delimiter is not None and len(delimiter) != 1:
        raise table.error("delimiter", "must be one character", 'e.g. delimiter = ";"')
    quote = table.string("quote")
    if quote is not None and len(quote) > 1:
        raise table.error("quote", "must be one character, or empty for none", 'e.g. quote = "\'"')
    encoding = table.string("encoding")
    if encoding is not None:
        _check_encoding(table, encoding)
    header = table.boolean("header", default=True) if "header" in table.data else None
    columns = table.strings("columns") if "columns" in table.data else None
    if columns is not None:
        _check_columns(table, columns)
    return SegmentSource(
        name=name,
        path=_location(table, "path", table.required_string("path")),
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        quote=quote,
        header=header,
        columns=columns,
        entity=table.string("entity"),
        snapshot=table.string("snapshot"),
    )


def _check_columns(table: TomlSection, columns: tuple[str, ...]) -> None:
    if not columns or any(not name.strip() for name in columns):
        raise table.error("columns", "must name every column", 'e.g. columns = ["Email", "Name"]')
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        problem = f"names {', '.join(repeated)} more than once"
        raise table.error("columns", problem, "give each column its own name")


def _check_encoding(table: TomlSection, encoding: str) -> None:
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise table.error(
            "encoding",
            f"'{encoding}' is not a known text encoding",
            'use e.g. "utf-8", "latin-1" or "cp1252"',
        ) from None


def _export(name: str, table: TomlSection, connections: dict[str, Connection]) -> Export:
    _checked_name(table, "export", name)
    table.check_keys(_EXPORT_KEYS)
    connection = table.string("connection") or None
    if connection is not None and connection not in connections:
        known = ", ".join(sorted(connections)) or "none yet"
        raise table.error(
            "connection", f"no connection named '{connection}'", f"use one of: {known}"
        )
    list_ids = table.strings("list_ids", required=True)
    if not 1 <= len(list_ids) <= MAX_LISTS_PER_EXPORT:
        raise table.error(
            "list_ids",
            f"has {len(list_ids)} lists",
            f"give 1 to {MAX_LISTS_PER_EXPORT} Constant Contact list IDs",
        )
    for list_id in list_ids:
        if not is_uuid(list_id):
            raise table.error(
                "list_ids",
                f"'{list_id}' is not a list ID",
                "copy the UUID from the list's URL in Constant Contact "
                "(8-4-4-4-12 hexadecimal digits)",
            )
    segments = table.strings("segments", required=True)
    if not segments:
        raise table.error("segments", "is empty", 'name at least one segment: ["vip"]')
    schedule = table.string("schedule")
    problem = schedule_problem(schedule) if schedule is not None else None
    if problem:
        raise table.error("schedule", problem, "give a valid UTC cron schedule, or remove it")
    return Export(
        name=name,
        connection=connection,
        list_ids=list_ids,
        segments=segments,
        mapping=_mapping(table),
        schedule=schedule,
        enabled=table.boolean("enabled", default=True),
        notify=read_notify(table),
        on_refresh=table.boolean("on_refresh", default=False),
        quiet_seconds=table.integer(
            "quiet_seconds", default=DEFAULT_QUIET_SECONDS, low=0, high=MAX_QUIET_SECONDS
        )
        or 0,
        missed=_missed_policy(table),
    )


def _missed_policy(table: TomlSection) -> MissedPolicy:
    value = table.string("missed") or MissedPolicy.RUN_ONCE.value
    try:
        return MissedPolicy(value)
    except ValueError:
        choices = " or ".join(f'"{policy.value}"' for policy in MissedPolicy)
        raise table.error(
            "missed",
            f"'{value}' is not a policy for missed schedule times",
            f"use {choices} (run once when the service is back, or wait for the next time)",
        ) from None


def _mapping(table: TomlSection) -> FieldMapping:
    mapping = table.table("mapping", required=True)
    mapping.check_keys(_MAPPING_KEYS)
    attributes = table.table("attributes")
    for field_name in attributes.data:
        if not is_attribute_field(field_name):
            raise attributes.error(
                field_name,
                "is not a Constant Contact contact field",
                "use a field such as job_title, company_name, phone, city, "
                'or a custom field as "cf:<name>"',
            )
    return FieldMapping(
        email=mapping.required_string("email"),
        first_name=mapping.string("first_name") or None,
        last_name=mapping.string("last_name") or None,
        attributes={key: attributes.required_string(key) for key in attributes.data},
    )


# --- remote segments: locations and storage connections -------------------------------------

_STORAGE_KEYS = {"account", "auth", "endpoint"}
_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")


def _location(table: TomlSection, key: str, text: str) -> Path:
    """A local path (``~`` expanded) or a remote location (``az://``, ``abfss://``, ``https://``)."""
    if not is_remote_location(text):
        return Path(text).expanduser()
    try:
        return remote_path(text)
    except InputError as exc:
        raise table.error(
            key,
            str(exc).split(". Fix:")[0],
            "write the location as a URL like az://<container>/<path>",
        ) from exc


def _storage(name: str, table: TomlSection) -> StorageConnection:
    _checked_name(table, "storage connection", name)
    table.check_keys(_STORAGE_KEYS)
    account = table.required_string("account")
    if not _ACCOUNT_NAME.match(account):
        raise table.error(
            "account",
            f"'{account}' is not a storage account name",
            "use the account's name: 3 to 24 lower-case letters and digits",
        )
    auth = table.string("auth", default=StorageAuth.ENVIRONMENT.value)
    if auth not in {item.value for item in StorageAuth}:
        raise table.error(
            "auth",
            f"'{auth}' is not a choice",
            f"use one of {', '.join(item.value for item in StorageAuth)}",
        )
    endpoint = table.string("endpoint")
    if endpoint is not None:
        endpoint = _endpoint(table, endpoint)
    return StorageConnection(name, account, StorageAuth(auth), endpoint)


def _endpoint(table: TomlSection, endpoint: str) -> str:
    """The endpoint as stored (no trailing slash); https, or http to loopback, no user name."""
    if url_has_credentials(endpoint):
        raise table.error(
            "endpoint",
            f"'{url_without_credentials(endpoint)}' has a user name or password in it",
            "remove the 'user:password@' part",
        )
    if not url_is_secure_enough(endpoint):
        raise table.error(
            "endpoint",
            f"'{endpoint}' is not allowed",
            "use https:// (plain http:// only for a loopback host, e.g. Azurite)",
        )
    return endpoint.rstrip("/")
