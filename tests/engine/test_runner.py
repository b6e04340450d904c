"""Export runs end to end against the emulator on a real loopback socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import polars as pl
import pytest

from cc_tui.engine.progress import RunProgress
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.errors import InputError, ResumeRefusedError, RunAlreadyActiveError
from cc_tui.models.batch import BatchState
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.run_history import RunHistory
from tests.engine.conftest import Workspace
from tests.timing import FAST


def people_csv(n: int, *, start: int = 0) -> str:
    lines = ["email,first_name,last_name,title"]
    lines += [f"Person{i}@Example.com ,Ana{i},Lopez,Buyer" for i in range(start, start + n)]
    return "\n".join(lines) + "\n"


def options(**changes: object) -> RunOptions:
    base: dict[str, object] = {"max_batch_contacts": 40, "timing": FAST}
    return RunOptions(**{**base, **changes})  # type: ignore[arg-type]


def run(
    ws: Workspace,
    name: str = "promo",
    opts: RunOptions | None = None,
    on_progress: Callable[[RunProgress], None] | None = None,
) -> RunRecord:
    runner = ExportRunner(ws.services)
    return asyncio.run(runner.run(name, opts or options(), on_progress=on_progress))


def assert_accounted(record: RunRecord) -> None:
    assert record.rows_read == record.sent + sum(record.rejected.values())
    assert record.sent == record.confirmed + record.failed + record.unsubscribed + record.pending


def test_clean_run_confirms_every_valid_contact_once(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(150))
    workspace.add_export(first_name="first_name", last_name="last_name", job_title="title")
    snapshots: list[RunProgress] = []
    record = run(workspace, on_progress=snapshots.append)

    assert record.status is RunStatus.SUCCEEDED
    assert (record.rows_read, record.sent, record.confirmed, record.pending) == (150, 150, 150, 0)
    assert record.batches == 4  # 40 + 40 + 40 + 30
    assert_accounted(record)
    assert workspace.members() == {f"person{i}@example.com" for i in range(150)}
    assert snapshots[-1].confirmed == 150 and snapshots[-1].contacts_total == 150
    assert RunHistory(workspace.services.history).get(record.run_id) == record
    batches = RunHistory(workspace.services.history).batches(record.run_id)
    assert {b.state for b in batches.values()} == {BatchState.CONFIRMED}
    assert record.requests >= 5  # 4 imports and at least one activities poll


def test_rejected_rows_are_classified_once_and_written_with_reasons(
    workspace: Workspace,
) -> None:
    workspace.write("people.csv", (
        "email,first_name\n"
        "a@x.com,A\n"
        ",NoEmail\n"
        "not-an-email,Bad\n"
        "A@X.com ,Dup\n"
        "b@x.com,B\n"
    ))  # fmt: skip
    workspace.write("more.csv", "email,first_name\nb@x.com,DupAcross\nc@x.com,C\nd@x.com,D\n")
    workspace.add_export(segments=("people", "more"), first_name="first_name")
    record = run(workspace, opts=options(cap=3))

    assert record.rejected == {"missing_email": 1, "invalid_email": 1, "duplicate_email": 2,
                               "over_cap": 1}  # fmt: skip
    assert (record.rows_read, record.sent, record.confirmed) == (8, 3, 3)
    assert_accounted(record)
    assert workspace.members() == {"a@x.com", "b@x.com", "c@x.com"}
    assert record.rejected_rows_file is not None
    rejected = pl.read_csv(record.rejected_rows_file, infer_schema=False)
    assert rejected.select("segment", "row", "reason", "first_name").rows() == [
        ("people", "2", "missing_email", "NoEmail"),
        ("people", "3", "invalid_email", "Bad"),
        ("people", "4", "duplicate_email", "Dup"),
        ("more", "1", "duplicate_email", "DupAcross"),
        ("more", "3", "over_cap", "D"),
    ]


def test_unsubscribed_contacts_stay_off_the_list(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(20))
    httpx.post(f"{workspace.emulator.url}/__emulator/contacts", json={"contacts": [
        {"email": "person3@example.com", "permission_to_send": "unsubscribed", "list_ids": []},
    ]}).raise_for_status()  # fmt: skip
    workspace.add_export()
    record = run(workspace)
    assert (record.confirmed, record.unsubscribed, record.failed) == (19, 1, 0)
    assert record.status is RunStatus.SUCCEEDED
    assert "person3@example.com" not in workspace.members()


def test_dry_run_sends_nothing(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(90))
    workspace.add_export()
    before = workspace.emulator.stats()
    record = run(workspace, opts=options(dry_run=True))
    assert record.dry_run and record.status is RunStatus.SUCCEEDED
    assert (record.sent, record.pending, record.confirmed, record.batches) == (90, 90, 0, 3)
    assert_accounted(record)
    assert workspace.emulator.stats()["imports"] == before["imports"]
    assert workspace.members() == set()
    requests = Path(record.rejected_rows_file or "").with_name("would_send.jsonl")
    bodies = [json.loads(line) for line in requests.read_text().splitlines()]
    assert [len(body["import_data"]) for body in bodies] == [40, 40, 10]
    assert all(body["list_ids"] == [workspace.list_id] for body in bodies)


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 0.3, "seed": 7},
        {"ambiguous_rate": 0.5, "seed": 3},
        {"drop_rate": 0.3, "seed": 11},
        {"token_lifetime": 1.0},
    ],
    ids=["errors", "ambiguous", "dropped", "short-tokens"],
)
def test_faults_still_end_with_exactly_the_expected_members(
    make_workspace: Callable[..., Workspace], faults: dict[str, object]
) -> None:
    ws = make_workspace(**faults)
    ws.write("people.csv", people_csv(200))
    ws.add_export()
    record = run(ws, opts=options(max_batch_contacts=25))
    for _ in range(3):  # a call that failed five times interrupts the run: resume it
        if record.status is not RunStatus.INTERRUPTED:
            break
        record = run(ws, opts=options(max_batch_contacts=25))
    assert record.status is RunStatus.SUCCEEDED, record.error
    assert record.confirmed == 200
    assert ws.members() == {f"person{i}@example.com" for i in range(200)}


def test_cancelled_run_is_resumable_and_resends_no_posted_batch(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(400))
    workspace.add_export()
    history = RunHistory(workspace.services.history)
    sent = (BatchState.POSTED, BatchState.CONFIRMED)

    async def cancel_after_two_batches() -> RunRecord:
        runner = ExportRunner(workspace.services)
        task = asyncio.create_task(runner.run("promo", options(workers=1)))
        while True:
            await asyncio.sleep(0.02)
            runs = history.runs(export="promo")
            if runs and sum(b.state in sent for b in history.batches(runs[0].run_id).values()) >= 2:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return history.runs(export="promo")[0]

    interrupted = asyncio.run(cancel_after_two_batches())
    assert interrupted.status is RunStatus.INTERRUPTED
    sent_before = {seq: b for seq, b in history.batches(interrupted.run_id).items()
                   if b.state in sent}  # fmt: skip
    assert len(sent_before) >= 2
    resumed = run(workspace)
    assert resumed.run_id == interrupted.run_id and resumed.attempts == 2
    assert resumed.status is RunStatus.SUCCEEDED and resumed.confirmed == 400
    after = history.batches(resumed.run_id)
    for seq, batch in sent_before.items():  # polled on resume, never posted again
        assert after[seq].activity_id == batch.activity_id
        assert after[seq].attempts == batch.attempts
    assert workspace.members() == {f"person{i}@example.com" for i in range(400)}


def test_changed_input_refuses_resume_until_restart(workspace: Workspace) -> None:
    path = workspace.write("people.csv", people_csv(100))
    workspace.add_export()
    record = run(workspace, opts=options(cap=0))  # nothing is sent; mark it interrupted
    RunHistory(workspace.services.history).update(replace(record, status=RunStatus.INTERRUPTED))
    path.write_text(people_csv(101))
    with pytest.raises(ResumeRefusedError, match="--restart"):
        run(workspace)
    restarted = run(workspace, opts=options(restart=True))
    assert restarted.run_id != record.run_id and restarted.confirmed == 101
    old = RunHistory(workspace.services.history).get(record.run_id)
    assert old is not None and old.status is RunStatus.FAILED and "restarted" in (old.error or "")


def test_a_second_run_of_the_same_export_is_refused(workspace: Workspace) -> None:
    from cc_tui.engine.locks import ExportLock

    workspace.write("people.csv", people_csv(5))
    workspace.add_export()
    with (
        ExportLock(workspace.services.paths.locks_dir, "promo"),
        pytest.raises(RunAlreadyActiveError, match="already running"),
    ):
        run(workspace)


def test_header_only_segment_makes_a_clean_zero_row_run(workspace: Workspace) -> None:
    workspace.write("people.csv", "email,first_name\n")
    workspace.add_export()
    record = run(workspace)
    assert record.status is RunStatus.SUCCEEDED
    assert (record.rows_read, record.sent, record.batches, record.requests) == (0, 0, 0, 0)


def test_empty_segment_file_gives_a_clear_error(workspace: Workspace) -> None:
    workspace.write("people.csv", "email\na@x.com\n")
    workspace.add_export()
    workspace.write("people.csv", "")
    with pytest.raises(InputError, match=r"people.*no column 'email'"):
        run(workspace)


def test_missing_mapped_column_names_the_segment(workspace: Workspace) -> None:
    workspace.write("people.csv", people_csv(3))
    workspace.add_export(first_name="first_name")
    workspace.write("people.csv", "email,given_name\na@x.com,A\n")
    with pytest.raises(InputError, match=r"'first_name'.*its columns are: email, given_name"):
        run(workspace)


def test_contacts_constant_contact_refuses_are_kept_with_its_reason(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Constant Contact may refuse what cc-tui's own checks let through (its rules are not all
    # documented). cc-tui drops malformed anniversaries itself, so to see a refusal the test
    # lets them through as plain text; Constant Contact refuses the contact (a correctable
    # error), so the contact is refused and the run is partial.
    monkeypatch.setattr("cc_tui.engine.mapping._DATE_FIELDS", frozenset())
    workspace.write(
        "people.csv",
        "email,anniv\nok@example.com,2020-05-17\nbad@example.com,31/31/2020\nfine@example.com,\n",
    )
    workspace.add_export(anniversary="anniv")
    record = run(workspace)
    assert record.status is RunStatus.PARTIAL
    assert (record.sent, record.confirmed, record.failed) == (3, 2, 1)
    assert_accounted(record)
    assert workspace.members() == {"ok@example.com", "fine@example.com"}
    # Constant Contact's error text is kept for people, whatever its form (the emulator varies
    # it on purpose); a row is listed as refused only when the text names its e-mail.
    batches = RunHistory(workspace.services.history).batches(record.run_id).values()
    [text] = [error for batch in batches for error in batch.errors]
    rejected = pl.read_csv(Path(record.rejected_rows_file or ""), infer_schema=False)
    refused = rejected.filter(pl.col("reason") == "refused_by_constant_contact")
    named = [("people", "2", "bad@example.com", "31/31/2020")] if "bad@example" in text else []
    assert refused.select("segment", "row", "email", "anniv").rows() == named
    assert refused["detail"].to_list() == [text] * len(named)


def test_polls_wait_until_the_uploads_no_longer_need_the_slots(workspace: Workspace) -> None:
    """A poll during the uploads would push every later import back by one rate-limit slot."""
    workspace.write("people.csv", people_csv(400))
    workspace.add_export()
    calls: list[str] = []

    class Recording(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            calls.append(f"{request.method} {request.url.path}")
            return await super().handle_async_request(request)

    runner = ExportRunner(workspace.services, transport=Recording())
    record = asyncio.run(runner.run("promo", options()))  # FAST: polls every 0.05 s if free
    assert record.status is RunStatus.SUCCEEDED and record.batches == 10
    imports = [i for i, call in enumerate(calls) if call.endswith("/contacts_json_import")]
    polls = [i for i, call in enumerate(calls) if call.endswith("/activities")]
    assert len(imports) == 10 and polls
    assert min(polls) > max(imports)
