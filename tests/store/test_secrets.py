from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cc_tui.errors import SecretsPermissionError
from cc_tui.models.connection import TokenSet
from cc_tui.store.secrets import SecretsStore

ACCESS = "eyJhbGciOiJSUzI1NiJ9.access-token-value-0123456789"
REFRESH = "refresh-token-value-abcdefghijklmnop"


def tokens() -> TokenSet:
    return TokenSet(
        access_token=ACCESS,
        refresh_token=REFRESH,
        expires_at=datetime(2026, 11, 30, 12, tzinfo=UTC),
        scope="contact_data offline_access",
    )


def test_file_is_created_private_and_round_trips(tmp_path: Path) -> None:
    store = SecretsStore(tmp_path / "secrets.toml")
    store.save_tokens("marketing", tokens())
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.tokens("marketing") == tokens()
    assert store.tokens("other") is None
    store.delete("marketing")
    assert store.tokens("marketing") is None


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_group_or_world_readable_file_is_refused(tmp_path: Path, mode: int) -> None:
    store = SecretsStore(tmp_path / "secrets.toml")
    store.save_tokens("marketing", tokens())
    store.path.chmod(mode)
    with pytest.raises(SecretsPermissionError) as caught:
        store.tokens("marketing")
    message = str(caught.value)
    assert str(store.path) in message
    assert f"chmod 600 {store.path}" in message
    assert ACCESS not in message and REFRESH not in message


def test_tokens_never_reach_reprs(tmp_path: Path) -> None:
    store = SecretsStore(tmp_path / "secrets.toml")
    store.save_tokens("marketing", tokens())
    for text in (repr(tokens()), str(tokens()), repr(store), repr(store.for_connection("m"))):
        assert ACCESS not in text and REFRESH not in text
    assert "••••" in repr(tokens())


def test_tokens_never_reach_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = SecretsStore(tmp_path / "secrets.toml")
    connection = store.for_connection("marketing")
    connection.save(tokens())
    logging.getLogger("cc_tui.test").info("loaded %s", connection.load())
    assert ACCESS not in caplog.text and REFRESH not in caplog.text


def test_a_broken_secrets_file_is_reported_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text(f'[connections.m]\naccess_token = "{ACCESS}\n')
    path.chmod(0o600)
    with pytest.raises(Exception) as caught:
        SecretsStore(path).tokens("m")
    assert ACCESS not in str(caught.value)
    assert str(path) in str(caught.value)


def test_refresh_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    store = SecretsStore(tmp_path / "secrets.toml")
    first = store.for_connection("marketing").refresh_lock()
    second = store.for_connection("marketing").refresh_lock()
    other = store.for_connection("sales").refresh_lock()
    assert first.acquire(blocking=False)
    assert not second.acquire(blocking=False)  # flock is per open file: same as another process
    assert other.acquire(blocking=False)
    first.release()
    assert second.acquire(blocking=False)
    second.release()
    other.release()


def test_a_connection_forgets_only_its_own_tokens(tmp_path: Path) -> None:
    store = SecretsStore(tmp_path / "secrets.toml")
    store.save_tokens("marketing", tokens())
    store.save_tokens("sales", tokens())
    store.for_connection("marketing").forget()  # its refresh token was refused for good
    assert store.tokens("marketing") is None
    assert store.tokens("sales") == tokens()
