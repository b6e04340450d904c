"""The service reads a file for a client only if that client could read it itself."""

from __future__ import annotations

import os
import shutil
import struct
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


# POSIX access ACLs, written as the kernel stores them (what `setfacl` does; it is not installed
# here): the check must follow them as the kernel does, so a file the bits open but an ACL
# closes is refused, and one the bits close but an ACL opens is allowed.
_ACL_TAGS = {"u::": 0x01, "u:": 0x02, "g::": 0x04, "g:": 0x08, "m::": 0x10, "o::": 0x20}
_UNDEFINED_ID = 0xFFFFFFFF


def with_acl(path: Path, text: str) -> Path:
    """Give ``path`` the access ACL ``text``, in setfacl's short form with numeric ids
    (``u::rw-,u:54321:---,g::r--,m::r--,o::r--``)."""
    entries = []
    for item in text.split(","):
        head, perm = item.rsplit(":", 1)
        tag, _, ident = head.partition(":")
        key = f"{tag}::" if not ident else f"{tag}:"
        bits = sum(bit for bit, char in zip((4, 2, 1), perm, strict=True) if char != "-")
        entries.append((_ACL_TAGS[key], bits, int(ident) if ident else _UNDEFINED_ID))
    body = b"".join(struct.pack("<HHI", *entry) for entry in sorted(entries))  # kernel order
    os.setxattr(path, "system.posix_acl_access", struct.pack("<I", 2) + body)
    return path


def kernel_lets_peer_open(path: Path) -> bool:
    """Whether the kernel lets PEER's uid and gid open ``path`` (a forked child tries)."""
    child = os.fork()
    if child == 0:  # pragma: no cover - the child answers through its exit status only
        code = 1
        try:
            os.setgroups([])
            os.setgid(OTHER_GID)
            os.setuid(OTHER_UID)
            with path.open("rb"):
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) == 0


OTHERS_READ = 0o644
OWNER_ONLY = 0o600
ACL_CASES: dict[str, tuple[bool, int, str]] = {
    # case: (the kernel lets the peer open it, the file's mode, its ACL)
    "a named user denied what others get": (
        False,
        OTHERS_READ,
        f"u::rw-,u:{OTHER_UID}:---,g::r--,m::r--,o::r--",
    ),
    "a named user let into a private file": (
        True,
        OWNER_ONLY,
        f"u::rw-,u:{OTHER_UID}:r--,g::---,m::r--,o::---",
    ),
    "a named user let in but masked": (
        False,
        OWNER_ONLY,
        f"u::rw-,u:{OTHER_UID}:r--,g::---,m::---,o::---",
    ),
    "a named group let in": (True, OWNER_ONLY, f"u::rw-,g::---,g:{OTHER_GID}:r--,m::r--,o::---"),
    "a named group denied, others allowed": (
        False,
        OTHERS_READ,
        f"u::rw-,g::r--,g:{OTHER_GID}:---,m::r--,o::r--",
    ),
    "someone else named, others allowed": (
        True,
        OTHERS_READ,
        f"u::rw-,u:{OTHER_UID + 1}:---,g::r--,m::r--,o::r--",
    ),
}


@pytest.mark.parametrize("case", sorted(ACL_CASES))
def test_an_access_acl_is_followed_as_the_kernel_follows_it(open_folder: Path, case: str) -> None:
    expected, mode, acl = ACL_CASES[case]
    path = with_acl(made(open_folder / "a.csv", mode), acl)
    assert kernel_lets_peer_open(path) is expected  # the kernel's verdict, the oracle
    assert (unreadable_reason(PEER, path, ()) is None) is expected


def test_a_folder_whose_acl_closes_it_to_the_peer_is_refused(open_folder: Path) -> None:
    closed = open_folder / "closed"
    closed.mkdir(mode=0o755)
    with_acl(closed, f"u::rwx,u:{OTHER_UID}:---,g::r-x,m::r-x,o::r-x")
    path = made(closed / "b.csv", 0o644)
    reason = unreadable_reason(PEER, path, ())
    assert reason is not None and "cannot reach" in reason
    assert not kernel_lets_peer_open(path)


# A folder segment is read file by file: a CDM partition or a Spark part inside a folder the peer
# may read can be a link to a file they may not (the home's secrets.toml, shown as rows by a
# preview), or a file someone else closed. Each file the folder holds is checked.


def _cdm_folder(folder: Path, partition: str) -> Path:
    folder.mkdir(mode=0o755)
    (folder / "model.json").write_text(
        '{"name": "m", "entities": [{"$type": "LocalEntity", "name": "C", "attributes": '
        f'[{{"name": "email"}}], "partitions": [{{"location": "C/{partition}"}}]}}]}}'
    )
    (folder / "C").mkdir(mode=0o755)
    return folder


def test_a_link_inside_a_folder_to_the_home_is_refused(open_folder: Path) -> None:
    home = open_folder / "home"
    home.mkdir(mode=0o755)
    secrets = made(home / "secrets.toml", 0o644)
    cdm = _cdm_folder(open_folder / "export", "part.csv")
    (cdm / "C" / "part.csv").symlink_to(secrets)

    for named in (cdm, cdm / "model.json"):
        reason = unreadable_reason(PEER, named, (home,))
        assert reason is not None and "home" in reason and "part.csv" in reason


def test_a_file_inside_a_folder_closed_to_the_peer_is_refused(open_folder: Path) -> None:
    spark = open_folder / "out"
    spark.mkdir(mode=0o755)
    made(spark / "part-00000-a.c000.csv", 0o644)
    made(spark / "part-00001-b.c000.csv", 0o600)  # someone else's, shut
    elsewhere = open_folder / "closed"
    elsewhere.mkdir(mode=0o700)
    (spark / "part-00002-c.c000.csv").symlink_to(made(elsewhere / "x.csv", 0o644))

    reason = unreadable_reason(PEER, spark, ())

    assert reason is not None and "part-00001-b.c000.csv" in reason
    (spark / "part-00001-b.c000.csv").chmod(0o644)
    reason = unreadable_reason(PEER, spark, ())
    assert reason is not None and "part-00002-c.c000.csv" in reason and "closed" in reason


def test_a_folder_whose_files_and_links_the_peer_can_read_is_allowed(open_folder: Path) -> None:
    cdm = _cdm_folder(open_folder / "export", "part.csv")
    made(cdm / "C" / "real.csv", 0o644)
    (cdm / "C" / "part.csv").symlink_to(cdm / "C" / "real.csv")
    (cdm / "C" / "loop").symlink_to(cdm / "C")  # a link loop ends, it does not spin

    assert unreadable_reason(PEER, cdm, ()) is None
    assert unreadable_reason(PEER, cdm / "model.json", ()) is None
