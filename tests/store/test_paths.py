from __future__ import annotations

from pathlib import Path

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
