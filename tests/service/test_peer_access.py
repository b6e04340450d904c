"""The service reads a file for a client only if that client could read it itself."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cc_tui.service.identity import Peer
from cc_tui.service.peer_access import unreadable_reason

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="sets file owners: needs root")

OTHER_UID = 54_321  # a uid that owns nothing here
OTHER_GID = 54_321
PEER = Peer(uid=OTHER_UID, gid=OTHER_GID, pid=1, user="uid:54321")


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder every user reaches (pytest's own tmp folders are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="cct-peer-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def made(path: Path, mode: int, *, uid: int = 0, gid: int = 0) -> Path:
    path.write_text("email\nx@example.com\n", encoding="utf-8")
    path.chmod(mode)
    os.chown(path, uid, gid)
    return path


def test_a_file_the_peer_can_read_is_allowed(open_folder: Path) -> None:
    assert unreadable_reason(PEER, made(open_folder / "a.csv", 0o644), ()) is None
    theirs = made(open_folder / "b.csv", 0o600, uid=OTHER_UID)
    assert unreadable_reason(PEER, theirs, ()) is None
    group = made(open_folder / "c.csv", 0o640, gid=OTHER_GID)
    assert unreadable_reason(PEER, group, ()) is None


def test_a_file_closed_to_the_peer_is_refused(open_folder: Path) -> None:
    reason = unreadable_reason(PEER, made(open_folder / "a.csv", 0o600), ())
    assert reason is not None and "cannot read" in reason
    closed = open_folder / "closed"
    closed.mkdir(mode=0o700)
    reason = unreadable_reason(PEER, made(closed / "b.csv", 0o644), ())
    assert reason is not None and "cannot reach" in reason and str(closed) in reason


def test_nothing_in_the_home_even_through_a_link(open_folder: Path) -> None:
    home = open_folder / "home"
    home.mkdir(mode=0o755)
    secrets = made(home / "secrets.toml", 0o644)
    link = open_folder / "innocent.csv"
    link.symlink_to(secrets)
    for path in (secrets, link):
        reason = unreadable_reason(PEER, path, (home,))
        assert reason is not None and "home" in reason


def test_remote_locations_are_not_local_files() -> None:
    assert unreadable_reason(PEER, Path("az://container/people.csv"), ()) is None
