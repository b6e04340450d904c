"""Input that cannot hurt: nothing hides, nothing hangs, nothing is guessed, nothing grows."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
import pytest

from cc_tui.engine.email_check import RowClass, check_emails
from cc_tui.engine.segments import copies as segment_copies
from cc_tui.engine.segments.copies import default_cache_dir
from cc_tui.engine.segments.discovery import find_segments
from cc_tui.engine.segments.file_bytes import HEAD_MAX_BYTES
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.reading import count_rows, preview, scan_segment
from cc_tui.errors import InputError
from cc_tui.models.config import AppConfig, SegmentSource
from tests.engine.conftest import read_segment

# A test that would hang without the fix fails after this many seconds instead.
HANG_LIMIT_S = 60
MB = 1024 * 1024


pytestmark = pytest.mark.usefixtures("private_home")


def _finishes(action: Callable[[], Any], fifo: Path) -> Any:
    """Run ``action`` in a thread; fail (and unblock it) if it is still running after a while."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(action()), daemon=True)
    thread.start()
    thread.join(HANG_LIMIT_S)
    if thread.is_alive():
        # Something opened the FIFO and waits for a writer: give it one so the thread ends.
        with open(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK), "wb"):  # noqa: PTH123
            pass
        pytest.fail(f"still running after {HANG_LIMIT_S} s: a FIFO was opened")
    return result[0]


# --- FIFOs, sockets, links, patterns --------------------------------------------------------


def test_fifo_among_segments_neither_hangs_nor_hides_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "segments"
    folder.mkdir()
    (folder / "people.csv").write_text("email\na@example.com\n")
    fifo = folder / "pipe.csv"
    os.mkfifo(fifo)
    os.mkfifo(folder / "other")
    config = AppConfig(
        segments_dirs=(folder,), segments={"piped": SegmentSource("piped", fifo, format="csv")}
    )

    def listing() -> tuple[Any, dict[str, int]]:
        found = find_segments(config)
        return found, {name: count_rows(s) for name, s in found.segments.items()}

    found, counts = _finishes(listing, fifo)

    assert counts == {"people": 1}
    assert (
        "is a FIFO (named pipe), not a file or folder: cc-tui reads segments only"
        in found.problems["piped"]
    )
    assert "FIFO" in found.problems["other"]


def test_segment_replaced_by_a_fifo_is_refused_unopened(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("email\na@example.com\n")
    segment = inspect_path(path, name="people")
    path.unlink()
    os.mkfifo(path)

    def read() -> str:
        with pytest.raises(InputError) as caught:
            read_segment(segment)
        return str(caught.value)

    assert "FIFO" in _finishes(read, path)


def test_symlink_loop_in_a_parquet_folder_reads_each_part_once(tmp_path: Path) -> None:
    folder = tmp_path / "loop.parquet"
    folder.mkdir()
    pl.DataFrame({"email": ["a@x.co", "b@x.co"]}).write_parquet(folder / "part-0.parquet")
    (folder / "again").symlink_to(folder)  # a loop: again/again/again/...
    (folder / "part-9.parquet").symlink_to(folder / "part-0.parquet")  # the same file twice

    segment = find_segments(AppConfig(segments_dirs=(tmp_path,))).segments["loop"]

    assert read_segment(segment).height == count_rows(segment) == 2
    assert any("already read" in note for note in segment.notes)


def test_symlink_loop_as_a_segment_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))

    assert "loops back on itself" in found.problems["a"]


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_file_names_are_literal_never_patterns(tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "odd [names]"
    folder.mkdir()
    frames = {
        "vip*": pl.DataFrame({"email": ["star@example.com"]}),
        "vip-2024": pl.DataFrame({"email": ["y2024@example.com"]}),
        "a[1]": pl.DataFrame({"email": ["bracket@example.com"]}),
    }
    for stem, frame in frames.items():
        path = folder / f"{stem}.{fmt}"
        writers: dict[str, Callable[[Path], object]] = {
            "csv": frame.write_csv,
            "ndjson": frame.write_ndjson,
            "parquet": frame.write_parquet,
        }
        writers[fmt](path)

    found = find_segments(AppConfig(segments_dirs=(folder,)))

    read = {s.path.name: read_segment(s)["email"].to_list() for s in found.segments.values()}
    assert read == {f"{stem}.{fmt}": frame["email"].to_list() for stem, frame in frames.items()}
    assert all(count_rows(s) == 1 for s in found.segments.values())


def test_configured_segment_whose_file_is_gone_is_missing(tmp_path: Path) -> None:
    config = AppConfig(segments={"gone": SegmentSource("gone", tmp_path / "gone.csv")})

    found = find_segments(config)

    assert found.segments == {}
    assert "gone.csv does not exist" in found.problems["gone"]


def test_unknown_files_are_reported_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# notes")
    (tmp_path / "array.json").write_text('[{"email": "a@b.co"}]')
    (tmp_path / "_SUCCESS").touch()

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))

    assert any("notes.md" in w and "not a segment file" in w for w in found.warnings)
    assert any("array.json" in w and "not one object per line" in w for w in found.warnings)
    assert not any("_SUCCESS" in w for w in found.warnings)


# --- line endings and odd values ------------------------------------------------------------


def test_classic_mac_line_endings_are_read_row_for_row(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"email,name\ra@x.co,A\rb@x.co,B\rc@x.co,C\rd@x.co,D\r")

    segment = inspect_path(path, name="mac")

    assert segment.line_end == "\r"
    assert read_segment(segment)["email"].to_list() == ["a@x.co", "b@x.co", "c@x.co", "d@x.co"]
    assert count_rows(segment) == 4
    assert preview(segment, 2)["name"].to_list() == ["A", "B"]


def test_mixed_line_endings_are_refused_not_swallowed(tmp_path: Path) -> None:
    (tmp_path / "mixed.csv").write_bytes(b"email,name\r\na@x.co,A\r\nb@x.co,B\rc@x.co,C\r\n")
    (tmp_path / "quoted.csv").write_bytes(b'email,note\r\na@x.co,"one\rtwo"\r\nb@x.co,x\r\n')

    found = find_segments(AppConfig(segments_dirs=(tmp_path,)))

    assert "mixes line endings" in found.problems["mixed"]
    assert read_segment(found.segments["quoted"])["note"].to_list() == ["one\rtwo", "x"]


def test_a_bare_cr_deep_in_a_file_is_found_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    body = b"".join(b"p%d@x.co,N\r\n" % i for i in range(20_000))  # far past the sniffed head
    path.write_bytes(b"email,name\r\n" + body + b"late@x.co,L\rlost@x.co,M\r\n")
    segment = inspect_path(path, name="long")

    with pytest.raises(InputError, match=r"line 20,002 ends with a bare carriage return"):
        read_segment(segment)


def test_non_text_email_values_are_invalid_emails_not_errors(tmp_path: Path) -> None:
    path = tmp_path / "odd.ndjson"
    lines = [
        {"email": "a@x.co", "n": 1},
        {"email": ["b@x.co"], "n": []},
        {"email": {"address": "c@x.co"}, "n": {}},
        {"email": 5, "n": True},
        {"email": None, "n": None},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    segment = inspect_path(path, name="odd")

    classes = check_emails([segment], "email", cap=10).classes.to_list()

    assert classes == [
        RowClass.SENT,
        RowClass.INVALID_EMAIL,
        RowClass.INVALID_EMAIL,
        RowClass.INVALID_EMAIL,
        RowClass.MISSING_EMAIL,
    ]
    assert read_segment(segment)["n"].to_list() == ["1", None, None, "true", None]


# --- compressed input: caps, disk, cache ----------------------------------------------------


def _bomb(path: Path, uncompressed: int) -> None:
    line = b"bomb@example.com,Bomb\n"
    block = line * (MB // len(line))
    with gzip.open(path, "wb", compresslevel=9) as stream:
        stream.write(b"email,name\n")
        for _ in range(uncompressed // len(block) + 1):
            stream.write(block)


# The peak is this process's own (VmHWM of its memory map): ru_maxrss would also count the
# pytest worker it was forked from, which Linux carries across exec (hundreds of MB by then).
_BOMB_SCRIPT = """
import json, sys
from pathlib import Path
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.reading import count_rows
from cc_tui.errors import InputError
segment = inspect_path(Path(sys.argv[1]), name="bomb", max_uncompressed_bytes=int(sys.argv[2]))
try:
    count_rows(segment)
    message = None
except InputError as exc:
    message = str(exc)
status = Path("/proc/self/status").read_text()
peak_kb = int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1])
print(json.dumps({"message": message, "peak_mb": peak_kb / 1024}))
"""


def test_gzip_bomb_is_refused_at_the_cap_with_flat_memory(
    tmp_path: Path, private_home: Path
) -> None:
    path = tmp_path / "bomb.csv.gz"
    _bomb(path, 50 * MB)
    assert path.stat().st_size < MB  # 50 MB of text in a small file

    out = subprocess.run(
        [sys.executable, "-c", _BOMB_SCRIPT, str(path), str(10 * MB)],
        capture_output=True,
        text=True,
        check=True,
        timeout=HANG_LIMIT_S,
        env={**os.environ, "CC_TUI_HOME": str(private_home)},
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])

    assert "decompresses to more than 10.0 MiB" in result["message"]
    assert "decompression bomb" in result["message"]
    assert result["peak_mb"] < 400
    cache = private_home / "cache" / "segments"
    assert not cache.exists() or list(cache.iterdir()) == []  # no partial copy left behind


def test_a_bomb_of_one_line_repeated_is_refused_by_its_expansion_long_before_the_cap(
    tmp_path: Path, private_home: Path
) -> None:
    # Zeros are refused at once (no text holds NUL); a line repeated passes every look at the
    # start of the file, and expands thousands of times.
    path = tmp_path / "repeated.csv.gz"
    line = b"a@b.co,x\n"
    block = line * (MB // len(line))
    with gzip.open(path, "wb", compresslevel=1) as stream:
        stream.write(b"email,name\n")
        for _ in range(200):  # 200 MB; the test's cap is far above the point it stops
            stream.write(block)
    segment = inspect_path(path, name="repeated", declared="csv.gz")

    with pytest.raises(InputError, match=r"expands more than 200 times.*decompression bomb"):
        count_rows(segment)
    assert list((private_home / "cache" / "segments").iterdir()) == []


def test_copy_stops_before_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(b"email\na@x.co\n"))
    segment = inspect_path(path, name="people")

    class Usage(NamedTuple):
        total: int
        used: int
        free: int

    monkeypatch.setattr(shutil, "disk_usage", lambda _: Usage(100 * 1024**3, 0, 200 * MB))

    with pytest.raises(InputError, match=r"too little free disk for the uncompressed copy"):
        scan_segment(segment)
    assert list(default_cache_dir().iterdir()) == []


_COPY_SCRIPT = """
import sys
from pathlib import Path
from cc_tui.engine.segments.inspection import inspect_path
from cc_tui.engine.segments.reading import prepare_segment
print(prepare_segment(inspect_path(Path(sys.argv[1]), name="p")).source)
"""


def test_copies_are_removed_when_their_process_ends(tmp_path: Path, private_home: Path) -> None:
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(b"email\na@x.co\n"))

    out = subprocess.run(
        [sys.executable, "-c", _COPY_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=HANG_LIMIT_S,
        env={**os.environ, "CC_TUI_HOME": str(private_home)},
    )
    copy = Path(out.stdout.strip())

    assert copy.is_relative_to(private_home / "cache")
    assert not copy.exists()


def test_copies_of_dead_processes_are_removed_at_start(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    cache = default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    left = cache / f"0123456789abcdef-fedcba9876543210.{int(dead.stdout)}.csv"
    left.write_text("email\nleft@x.co\n")
    mine = cache / f"0123456789abcdef-0000000000000000.{os.getpid()}.csv"
    mine.write_text("email\n")
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(b"email\na@x.co\n"))
    segment_copies._COPIES.swept.clear()

    assert read_segment(inspect_path(path, name="p")).height == 1
    assert not left.exists() and mine.exists()


def test_a_text_segment_of_nul_bytes_is_refused_whatever_its_name(tmp_path: Path) -> None:
    # The classic bomb: gigabytes of zeros, gzipped, named .csv.gz. Its first bytes say it.
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(b"\x00" * 1_000_000))
    with pytest.raises(InputError, match=r"is not CSV text: it holds NUL characters"):
        inspect_path(path, name="people")


def test_text_with_no_line_break_in_its_first_64_mib_is_refused_early(tmp_path: Path) -> None:
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(b"a" * (HEAD_MAX_BYTES + 1)))
    segment = inspect_path(path, name="people")
    with pytest.raises(InputError, match=r"has no line break in its first 64 MiB"):
        preview(segment)
