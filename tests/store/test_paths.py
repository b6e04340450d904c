from __future__ import annotations

from pathlib import Path

import pytest

from cc_tui.errors import ConfigError
from cc_tui.paths import AppPaths


def test_home_argument_wins_over_environment(tmp_path: Path) -> None:
    paths = AppPaths.resolve(tmp_path / "a", environ={"CC_TUI_HOME": str(tmp_path / "b")})
    assert paths.config_file == (tmp_path / "a" / "config.toml").resolve()
    assert paths.history_db.parent == paths.secrets_file.parent == (tmp_path / "a").resolve()


def test_environment_moves_every_file(tmp_path: Path) -> None:
    paths = AppPaths.resolve(environ={"CC_TUI_HOME": str(tmp_path)})
    for path in (
        paths.config_file,
        paths.secrets_file,
        paths.history_db,
        paths.runs_dir,
        paths.themes_dir,
        paths.locks_dir,
    ):
        assert path.is_relative_to(tmp_path.resolve())


def test_platform_folders_without_home() -> None:
    paths = AppPaths.resolve(environ={})
    assert "cc-tui" in str(paths.config_dir)
    assert "cc-tui" in str(paths.data_dir)


def test_an_empty_home_argument_is_refused_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `cc-tui --home "$CC_HOME" ...` with the variable unset: Path("") is the current folder,
    # which became the home (history.sqlite3 and the rest written wherever the shell was).
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        AppPaths.resolve("")
    assert "--home is empty" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_shared_folder_as_home_is_not_told_to_chmod_it(tmp_path: Path) -> None:
    # --home /tmp: `chmod 700 /tmp` would break every other user of the machine.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with pytest.raises(ConfigError) as caught:
        AppPaths.resolve(shared).ensure()
    message = str(caught.value)
    assert "chmod" not in message
    assert f"mkdir -m 700 {shared / 'cc-tui'}" in message
