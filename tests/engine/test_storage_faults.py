"""A full disk mid-run stops the run resumable (exit 3) with a clear message."""

from __future__ import annotations

import asyncio
import errno
import io
import os
from pathlib import Path
from typing import IO

import pytest

from cc_tui.cli.entry import main
from cc_tui.cli.run_commands import EXIT_CODES
from cc_tui.engine import rejected
from cc_tui.engine.email_check import check_emails
from cc_tui.engine.run_files import open_private
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.models.run import RunStatus
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.timing import FAST

ROOM = 200  # bytes the "disk" takes before it is full: the header and a little more


class FullDisk(io.RawIOBase):
    """A file on a disk with ``room`` bytes left: then every write fails with ENOSPC."""

    def __init__(self, inner: IO[bytes], room: int) -> None:
        self.inner = inner
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.inner.write(data)

    def flush(self) -> None:
        self.inner.flush()

    def close(self) -> None:
        super().close()
        self.inner.close()


def people(n: int) -> str:
    # Every other row has no valid e-mail, so rejected.csv keeps growing.
    rows = [f"person{i}@example.com" if i % 2 else f"not-an-email-{i}" for i in range(n)]
    return "email,first_name\n" + "".join(f"{r},Ana{i}\n" for i, r in enumerate(rows))


def test_a_full_disk_stops_the_run_resumable_and_the_resume_finishes(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.write("people.csv", people(400))
    workspace.add_export(first_name="first_name")
    full = {"on": True}

    def open_on_a_full_disk(path: Path) -> IO[bytes]:
        handle = open_private(path)
        return FullDisk(handle, ROOM) if full["on"] else handle  # type: ignore[return-value]

    monkeypatch.setattr(rejected, "open_private", open_on_a_full_disk)
    runner = ExportRunner(workspace.services)
    options = RunOptions(max_batch_contacts=40, timing=FAST)
    record = asyncio.run(runner.run("promo", options))

    assert record.status is RunStatus.INTERRUPTED, record.error
    assert EXIT_CODES[record.status] == 3
    assert record.error is not None and "The disk is full" in record.error
    assert "rejected.csv" in record.error and "cc-tui run promo" in record.error
    stored = RunHistory(workspace.services.history).get(record.run_id)
    assert stored is not None and stored.status is RunStatus.INTERRUPTED  # not left "running"

    full["on"] = False  # space freed
    resumed = asyncio.run(runner.run("promo", options))
    assert resumed.run_id == record.run_id and resumed.status is RunStatus.SUCCEEDED
    assert workspace.members() == {f"person{i}@example.com" for i in range(1, 400, 2)}


def test_an_input_error_found_mid_run_exits_2_like_before_the_run(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cc_tui.engine import execution

    segment = workspace.write("people.csv", people(400))
    workspace.add_export(first_name="first_name")
    real_pass_one = check_emails

    def pass_one_then_the_file_goes(*args: object, **kwargs: object) -> object:
        counted = real_pass_one(*args, **kwargs)  # type: ignore[arg-type]
        segment.unlink()  # gone before pass 2 reads it again
        return counted

    monkeypatch.setattr(execution, "check_emails", pass_one_then_the_file_goes)
    home = str(workspace.services.paths.config_dir)
    assert main(["--home", home, "run", "promo"]) == 2
    captured = capsys.readouterr()
    assert "people.csv" in captured.out + captured.err
    record = RunHistory(workspace.services.history).runs(export="promo", limit=1)[0]
    assert record.status is RunStatus.FAILED

    # The same missing file found before the run: the same exit code.
    monkeypatch.setattr(execution, "check_emails", real_pass_one)
    assert main(["--home", home, "run", "promo"]) == 2


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/home/x/config.toml"),
        OSError("No space left on device (os error 28)"),
    ],
    ids=["os", "polars"],
)
def test_a_full_disk_outside_a_run_is_a_message_not_a_traceback(
    cc_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: OSError,
) -> None:
    from cc_tui.paths import AppPaths

    def full(self: AppPaths) -> None:
        raise error

    monkeypatch.setattr(AppPaths, "ensure", full)
    assert main(["segment", "list"]) == 3
    err = capsys.readouterr().err
    assert "The disk is full" in err and "Traceback" not in err
