"""A segment rewritten while a run reads it stops the run (exit 2): pass 2 never builds contacts
from rows that pass 1 did not check."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from cc_tui.cli.entry import main
from cc_tui.engine import execution
from cc_tui.engine.batching import Batch
from cc_tui.engine.building import Builder
from cc_tui.engine.email_check import check_emails
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.models.run import RunStatus
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.timing import FAST

ROWS = 300
BATCH_CONTACTS = 50  # several batches, so the file can change between two of them


def people(n: int, domain: str) -> str:
    return "email,first_name\n" + "".join(f"person{i}@{domain},Ana{i}\n" for i in range(n))


def test_a_segment_rewritten_after_its_e_mails_were_checked_stops_the_run(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    segment = workspace.write("people.csv", people(ROWS, "example.com"))
    workspace.add_export()

    def pass_one_then_a_new_file(*args: object, **kwargs: object) -> object:
        checked = check_emails(*args, **kwargs)  # type: ignore[arg-type]
        # The same rows and size, other people: only the files' fingerprint tells.
        segment.write_text(people(ROWS, "example.org"), encoding="utf-8")
        return checked

    monkeypatch.setattr(execution, "check_emails", pass_one_then_a_new_file)
    home = str(workspace.services.paths.config_dir)
    assert main(["--home", home, "run", "promo"]) == 2
    said = " ".join((capsys.readouterr().err).split())
    assert "Segment 'people'" in said and "changed while its e-mails were checked" in said
    assert "--restart" in said
    assert not any(member.endswith("@example.org") for member in workspace.members())
    record = RunHistory(workspace.services.history).runs(export="promo", limit=1)[0]
    assert record.status is RunStatus.FAILED


def test_a_segment_rewritten_while_its_contacts_are_read_stops_the_run(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    segment = workspace.write("people.csv", people(ROWS, "example.com"))
    workspace.add_export()
    real_batches = Builder.batches

    def rewritten_after_the_first(self: Builder, *args: object) -> Iterator[Batch]:
        for seq, batch in enumerate(real_batches(self, *args), start=1):  # type: ignore[arg-type]
            yield batch
            if seq == 1:
                segment.write_text(people(ROWS, "example.org"), encoding="utf-8")

    monkeypatch.setattr(Builder, "batches", rewritten_after_the_first)
    options = RunOptions(max_batch_contacts=BATCH_CONTACTS, timing=FAST)
    record = asyncio.run(ExportRunner(workspace.services).run("promo", options))

    assert record.status is RunStatus.FAILED, record.error
    assert record.error is not None and "changed while its contacts were read" in record.error
    stored = RunHistory(workspace.services.history).get(record.run_id)
    assert stored is not None and stored.status is RunStatus.FAILED  # not left "running"
