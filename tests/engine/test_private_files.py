"""Everything under the home is private: folders 0700, files 0600, a wider chosen home refused."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cc_tui.cli.entry import main
from cc_tui.engine.run_files import SPACE_RESERVE_BYTES, release_space, reserve_space
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.services import Services
from cc_tui.errors import ConfigError
from cc_tui.models.run import RunStatus
from cc_tui.paths import AppPaths
from tests.engine.conftest import Workspace
from tests.timing import FAST

WIDE_UMASK = 0o022


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def wide_umask() -> Iterator[None]:
    """The usual umask, which would make new files 0644 unless cc-tui asks for less."""
    previous = os.umask(WIDE_UMASK)
    yield
    os.umask(previous)


def test_a_new_home_and_its_folders_are_0700(tmp_path: Path, wide_umask: None) -> None:
    paths = AppPaths.resolve(tmp_path / "new" / "home")
    services = Services.open(paths)
    services.close()
    for folder in (paths.config_dir, paths.runs_dir, paths.cache_dir, paths.locks_dir):
        assert mode(folder) == 0o700, folder


def test_a_wider_chosen_home_is_refused_with_the_chmod_that_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "shared home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    assert main(["--home", str(home), "segment", "list"]) == 2
    err = capsys.readouterr().err
    assert "may be read by other users (mode 755)" in err
    assert f"chmod 700 '{home}'" in err
    assert not (home / "config.toml").exists()  # refused before anything was written
    home.chmod(0o700)
    assert main(["--home", str(home), "segment", "list"]) == 0


def test_a_wider_platform_folder_is_narrowed(tmp_path: Path) -> None:
    folders = [tmp_path / name for name in ("config", "data", "state")]
    for folder in folders:
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)
    AppPaths(*folders).ensure()
    assert [mode(folder) for folder in folders] == [0o700] * 3


def test_a_chosen_home_that_is_a_file_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "file"
    home.write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        AppPaths.resolve(home).ensure()


def test_every_file_a_run_writes_is_0600(workspace: Workspace, wide_umask: None) -> None:
    workspace.write("people.csv", "email,phone\nann@example.com,=1+1\nnot-an-email,2\n")
    workspace.add_export(phone="phone")
    runner = ExportRunner(workspace.services)
    record = asyncio.run(runner.run("promo", RunOptions(dry_run=True, timing=FAST)))
    assert record.status is RunStatus.SUCCEEDED
    paths = workspace.services.paths
    run_dir = paths.run_dir(record.run_id)
    assert mode(paths.runs_dir) == mode(run_dir) == 0o700
    files = [paths.config_file, paths.secrets_file, paths.history_db]
    files += [paths.history_db.with_name(paths.history_db.name + s) for s in ("-wal", "-shm")]
    files += [run_dir / name for name in ("rejected.csv", "field_problems.csv", "would_send.jsonl")]
    for file in files:
        assert file.exists() and mode(file) == 0o600, (file, oct(mode(file)))
    # The run's space reserve was freed before its final record was written.
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "field_problems.csv", "rejected.csv", "would_send.jsonl"]  # fmt: skip


def test_a_space_reserve_takes_real_blocks_until_released(tmp_path: Path) -> None:
    reserve = reserve_space(tmp_path / "run")
    assert reserve.stat().st_size == SPACE_RESERVE_BYTES and mode(reserve) == 0o600
    assert reserve.stat().st_blocks * 512 >= SPACE_RESERVE_BYTES  # not a sparse file
    release_space(tmp_path / "run")
    assert not reserve.exists()
    release_space(tmp_path / "run")  # nothing to free: no error


def test_files_left_wider_by_an_older_version_are_narrowed(
    workspace: Workspace, wide_umask: None
) -> None:
    paths = workspace.services.paths
    workspace.services.close()
    for file in (paths.config_file, paths.history_db):
        file.chmod(0o644)
    services = Services.open(paths)
    services.config.update(lambda config: replace(config, theme="nord"))
    services.close()
    assert mode(paths.config_file) == mode(paths.history_db) == 0o600
