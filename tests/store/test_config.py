from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cc_tui.errors import ConfigError
from cc_tui.models.config import Export, FieldMapping, MissedPolicy
from cc_tui.models.connection import Connection, Consent, UsableBy
from cc_tui.store.config import ConfigStore, with_connection, with_export
from cc_tui.store.config_reader import load_config

LIST_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"

GOOD = f"""\
schema_version = 1
segments_dirs = ["~/segments"]
theme = "cc-dark"

[roles]
admins = ["alice"]
contributors = ["bob"]

[segments.vip]
path = "/data/exports/vip.parquet"

[connections.marketing]
display_name = "Marketing account"
client_id = "abc123"
usable_by = "contributors"
consent = {{ accepted_at = 2026-11-29T15:00:00Z, accepted_by = "alice" }}
api_base_url = "http://127.0.0.1:8911/v3"

[exports.spring-promo]
connection = "marketing"
list_ids = ["{LIST_ID}"]
segments = ["vip", "new-subscribers"]
schedule = "0 6 * * *"
mapping = {{ email = "EmailAddress", first_name = "FirstName", last_name = "LastName" }}
attributes = {{ job_title = "Title", "cf:loyalty_tier" = "Tier" }}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    config = load_config(tmp_path / "config.toml")
    assert config.connections == {} and config.exports == {}


def test_sketch_from_architecture_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    conn = config.connections["marketing"]
    assert conn.usable_by is UsableBy.CONTRIBUTORS
    assert conn.consent == Consent(datetime(2026, 11, 29, 15, tzinfo=UTC), "alice")
    assert conn.api_base_url == "http://127.0.0.1:8911/v3"
    export = config.exports["spring-promo"]
    assert export.list_ids == (LIST_ID,)
    assert export.mapping.columns() == {
        "email": "EmailAddress",
        "first_name": "FirstName",
        "last_name": "LastName",
        "job_title": "Title",
        "cf:loyalty_tier": "Tier",
    }
    assert config.roles.role_of("bob") == "contributor"
    assert config.roles.role_of("mallory") is None


def test_round_trip_through_the_store(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    store = ConfigStore(path)
    before = store.load()
    store.update(lambda c: c)
    assert store.load() == before


@pytest.mark.parametrize(
    ("old", "new", "key", "line", "fix"),
    [
        (
            'client_id = "abc123"',
            'clientid = "abc123"',
            "connections.marketing.clientid",
            14,
            "rename it to 'client_id'",
        ),
        ('theme = "cc-dark"', "theme = 3", "theme", 3, 'theme = "'),
        (
            'usable_by = "contributors"',
            'usable_by = "all"',
            "connections.marketing.usable_by",
            15,
            '"admins" or "contributors"',
        ),
        (
            f'list_ids = ["{LIST_ID}"]',
            'list_ids = ["not-a-uuid"]',
            "exports.spring-promo.list_ids",
            21,
            "UUID",
        ),
        (
            'connection = "marketing"',
            'connection = "sales"',
            "exports.spring-promo.connection",
            20,
            "marketing",
        ),
        (
            'api_base_url = "http://127.0.0.1:8911/v3"',
            'api_base_url = "http://example.com/v3"',
            "connections.marketing.api_base_url",
            17,
            "https://",
        ),
        (
            'schedule = "0 6 * * *"',
            'schedule = "daily"',
            "exports.spring-promo.schedule",
            23,
            "valid UTC cron",
        ),
        (
            'job_title = "Title"',
            'jobtitle = "Title"',
            "exports.spring-promo.attributes.jobtitle",
            25,
            "cf:<name>",
        ),
    ],
)
def test_wrong_values_name_file_key_line_and_fix(
    tmp_path: Path, old: str, new: str, key: str, line: int, fix: str
) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert (error.path, error.key, error.line) == (path, key, line)
    assert error.fix is not None and fix in error.fix
    assert str(path) in str(error) and key in str(error) and f"line {line}" in str(error)


@pytest.mark.parametrize(
    ("new", "key", "fix"),
    [
        ('on_refresh = "yes"', "on_refresh", "on_refresh = true"),
        ("quiet_seconds = -5", "quiet_seconds", "from 0 to 86400"),
        ('missed = "catch-up"', "missed", '"run-once" or "skip"'),
    ],
)
def test_refresh_trigger_keys_are_checked(tmp_path: Path, new: str, key: str, fix: str) -> None:
    path = write(tmp_path, GOOD.replace('schedule = "0 6 * * *"', new))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == f"exports.spring-promo.{key}"
    assert caught.value.fix is not None and fix in caught.value.fix


def test_refresh_trigger_keys_round_trip(tmp_path: Path) -> None:
    text = GOOD.replace(
        'schedule = "0 6 * * *"', 'on_refresh = true\nquiet_seconds = 5\nmissed = "skip"'
    )
    store = ConfigStore(write(tmp_path, text))
    export = store.load().exports["spring-promo"]
    assert (export.schedule, export.on_refresh, export.quiet_seconds) == (None, True, 5)
    assert export.missed is MissedPolicy.SKIP
    store.update(lambda c: c)  # written back by config_to_toml
    assert store.load().exports["spring-promo"] == export
    plain = replace(export, on_refresh=False, quiet_seconds=60, missed=MissedPolicy.RUN_ONCE)
    store.update(lambda c: with_export(c, plain))
    assert "quiet_seconds" not in store.path.read_text()  # defaults are left out


def test_corrupt_file_gives_line_and_is_never_overwritten(tmp_path: Path) -> None:
    broken = GOOD.replace('segments = ["vip", "new-subscribers"]', 'segments = ["vip"')
    path = write(tmp_path, broken)
    store = ConfigStore(path)
    with pytest.raises(ConfigError) as caught:
        store.update(lambda c: c)
    assert "not valid TOML" in str(caught.value)
    assert caught.value.line is not None
    assert path.read_text() == broken


def test_update_adds_connection_and_export(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config.toml")
    conn = Connection(name="sales", display_name="Sales", client_id="cid")
    export = Export(
        name="weekly",
        connection="sales",
        list_ids=(LIST_ID,),
        segments=("all",),
        mapping=FieldMapping(email="email", attributes={"cf:tier": "tier"}),
    )
    store.update(lambda c: with_export(with_connection(c, conn), export))
    loaded = store.load()
    assert loaded.connections["sales"] == conn
    assert loaded.exports["weekly"] == export
    renamed = replace(conn, display_name="Sales team")
    store.update(lambda c: with_connection(c, renamed))
    assert store.load().connections["sales"].display_name == "Sales team"


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "schema_version = 2\n")
    with pytest.raises(ConfigError, match="newer cc-tui"):
        load_config(path)


def test_segment_reading_options_round_trip(tmp_path: Path) -> None:
    text = GOOD.replace(
        'path = "/data/exports/vip.parquet"\n',
        'path = "/data/ci/model.json"\nformat = "cdm"\nentity = "Contacts"\n'
        'snapshot = "2026/11/29/0600"\n\n[segments.raw]\npath = "/data/raw.csv"\n'
        'header = false\ncolumns = ["Email", "Name"]\nquote = ""\ndelimiter = ";"\n',
    )
    path = write(tmp_path, text)
    config = load_config(path)
    raw = config.segments["raw"]
    assert (raw.header, raw.columns, raw.quote, raw.delimiter) == (
        False,
        ("Email", "Name"),
        "",
        ";",
    )
    vip = config.segments["vip"]
    assert (vip.format, vip.entity, vip.snapshot) == ("cdm", "Contacts", "2026/11/29/0600")
    store = ConfigStore(tmp_path / "copy.toml")
    store.update(lambda _: config)
    assert store.load().segments == config.segments


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('columns = ["Email", "Email"]', "more than once"),
        ("columns = []", "must name every column"),
        ('quote = "ab"', "one character"),
        ('header = "no"', "true or false"),
    ],
)
def test_bad_segment_options_are_named(tmp_path: Path, line: str, problem: str) -> None:
    text = GOOD.replace('path = "/data/exports/vip.parquet"\n', f'path = "/x.csv"\n{line}\n')
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert problem in str(caught.value)
    assert caught.value.key is not None and caught.value.key.startswith("segments.vip.")


def test_the_decompression_cap_is_a_config_key(tmp_path: Path) -> None:
    path = write(tmp_path, "schema_version = 1\nmax_uncompressed_gb = 50\n")
    config = load_config(path)
    assert (config.max_uncompressed_gb, config.max_uncompressed_bytes) == (50, 50 * 1024**3)
    store = ConfigStore(tmp_path / "copy.toml")
    store.update(lambda _: config)
    assert store.load().max_uncompressed_gb == 50
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "schema_version = 1\nmax_uncompressed_gb = 0\n"))
    assert caught.value.key == "max_uncompressed_gb"


def test_a_config_link_to_nothing_is_refused_not_read_as_empty(tmp_path: Path) -> None:
    # config.toml kept elsewhere (a dotfiles folder not mounted now): read as "no config", the
    # next save would replace the link with a file of its own, and the real one would be lost.
    path = tmp_path / "config.toml"
    target = tmp_path / "dotfiles" / "cc-tui.toml"
    path.symlink_to(target)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"{path}: is a link to {target}, which does not exist" in message
    assert "Fix: " in message
    store = ConfigStore(path)
    with pytest.raises(ConfigError):
        store.update(lambda config: config)
    assert path.is_symlink() and not target.exists()


def test_a_folder_named_config_toml_says_so(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.mkdir()
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert f"{path}: is a folder, not a file" in str(caught.value)
    assert "permissions" not in str(caught.value)
