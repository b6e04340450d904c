from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cc_tui.atomic import atomic_write_bytes, atomic_write_text


def test_replaces_content_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    atomic_write_text(target, "old = 1\n")
    atomic_write_text(target, "new = 2\n")
    assert target.read_text() == "new = 2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_crash_between_write_and_rename_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "config.toml"
    target.write_text("old = 1\n")

    def crash(src: object, dst: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        atomic_write_text(target, "new = 2\n")
    assert target.read_text() == "old = 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_mode_is_set_before_any_byte_is_written(tmp_path: Path) -> None:
    target = tmp_path / "secrets.toml"
    atomic_write_bytes(target, b"token = 'x'\n", mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
