"""Remote locations and storage connections in config.toml and secrets.toml."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cc_tui.errors import ConfigError, InputError
from cc_tui.models.config import SegmentSource
from cc_tui.models.connection import TokenSet
from cc_tui.models.storage import StorageAuth, StorageConnection
from cc_tui.remote_paths import RemotePath, is_remote_location, remote_path
from cc_tui.store.config import ConfigStore, with_segment, with_storage
from cc_tui.store.config_reader import load_config
from cc_tui.store.secrets import SecretsStore

CI_URL = "https://contosoci.dfs.core.windows.net/customerinsights/exports/ci-daily/model.json"


@pytest.mark.parametrize(
    ("text", "account", "container", "key"),
    [
        ("az://segments/drop/vip.csv", None, "segments", "drop/vip.csv"),
        (
            "abfss://cidata@contosoci.dfs.core.windows.net/a/b.parquet",
            "contosoci",
            "cidata",
            "a/b.parquet",
        ),
        ("abfs://cidata@contosoci.dfs.core.windows.net/", "contosoci", "cidata", ""),
        (CI_URL, "contosoci", "customerinsights", "exports/ci-daily/model.json"),
        (
            "https://contosoci.blob.core.chinacloudapi.cn/cidata/x.csv",
            "contosoci",
            "cidata",
            "x.csv",
        ),
    ],
)
def test_locations_name_account_container_and_key(
    text: str, account: str | None, container: str, key: str
) -> None:
    path = remote_path(text)

    assert (path.location.account, path.location.container, path.location.key) == (
        account, container, key,
    )  # fmt: skip
    assert str(path) == text.rstrip("/") and os.fspath(path) == str(path)
    assert path.is_absolute() and path.absolute() is path and path.resolve() is path
    assert remote_path(Path(text)) == path  # pathlib folds "//": the location survives it


def test_path_arithmetic_stays_in_the_location() -> None:
    folder = remote_path("az://segments/drop")

    child = folder / "vip.csv"

    assert isinstance(child, RemotePath) and str(child) == "az://segments/drop/vip.csv"
    assert child.parent == folder and child.name == "vip.csv" and child.suffix == ".csv"
    assert child.relative_to(folder).as_posix() == "vip.csv"
    assert is_remote_location(str(child)) and not is_remote_location("/data/vip.csv")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("https://contosoci.blob.core.windows.net/ci/x.csv?sv=2024&sig=SECRET", "query"),
        ("az://Bad_Container/x.csv", "container name"),
        ("abfss://ci@example.com/x.csv", "<container>@<account>"),
        ("https://example.com/ci/x.csv", "not an Azure Storage address"),
        ("https://user:SECRET@contosoci.blob.core.windows.net/cidata/x.csv", "user name or pas"),
        ("az://segments/../etc/passwd", "'..'"),
    ],
)
def test_bad_locations_are_refused_without_echoing_secrets(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem) as caught:
        remote_path(text)

    assert "SECRET" not in str(caught.value)


def test_remote_locations_and_storage_round_trip_in_config(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config.toml")
    connection = StorageConnection(
        "ci", "contosoci", StorageAuth.SAS_TOKEN, "http://127.0.0.1:10000/contosoci"
    )
    store.update(
        lambda c: with_segment(
            with_storage(c, connection),
            SegmentSource(name="vip", path=remote_path(CI_URL), entity="VipSegment"),
        )
    )
    store.update(lambda c: replace(c, segments_dirs=(remote_path("az://segments/drop"),)))

    loaded = load_config(tmp_path / "config.toml")

    assert loaded.storage == {"ci": connection}
    assert loaded.segments["vip"].path == remote_path(CI_URL)
    assert isinstance(loaded.segments["vip"].path, RemotePath)
    assert loaded.segments_dirs == (remote_path("az://segments/drop"),)
    assert CI_URL in (tmp_path / "config.toml").read_text()


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('account = "Contoso_CI"', "not a storage account name"),
        ('account = "contosoci"\nauth = "password"', "not a choice"),
        ('account = "contosoci"\nendpoint = "http://storage.example.com"', "not allowed"),
        ('account = "contosoci"\nsecret = "x"', "secret"),
    ],
)
def test_a_bad_storage_table_names_the_key(tmp_path: Path, table: str, problem: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[storage.ci]\n{table}\n")

    with pytest.raises(ConfigError, match=problem):
        load_config(path)


def test_storage_secrets_live_beside_tokens(tmp_path: Path) -> None:
    secrets = SecretsStore(tmp_path / "secrets.toml")
    token = TokenSet("access-0123456789", "refresh", datetime(2027, 1, 1, tzinfo=UTC), "s")
    secrets.save_tokens("conn", token)

    secrets.save_storage_secret("ci", "account-key-value")
    secrets.delete_storage_secret("other")

    assert secrets.tokens("conn") == token
    assert secrets.storage_secret("ci") == "account-key-value"
    assert stat.S_IMODE((tmp_path / "secrets.toml").stat().st_mode) == 0o600
    secrets.delete("conn")
    assert secrets.storage_secret("ci") == "account-key-value"
    secrets.delete_storage_secret("ci")
    assert secrets.storage_secret("ci") is None and "account-key" not in repr(secrets)
