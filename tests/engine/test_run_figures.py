"""Every face shows the same accounted figures, at every moment of a run.

A run is watched against the emulator on a real loopback socket while it sends, when it
finishes, when it is interrupted and when it resumes. At each moment the identities hold
(``rows_read = sent + rejected``, ``sent = confirmed + refused + unsubscribed + pending``,
``pending = awaiting confirmation + not posted yet``) on the live snapshot, the record, the
history (store and ``cc-tui history --json``), the JSON summary, the CLI summary and history
lines, the app's summary and live view, and the rejected-rows file.
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest
from rich.console import RenderableType
from textual.content import Content

from cc_tui.cli.entry import main
from cc_tui.cli.history_commands import history_lines, print_history
from cc_tui.cli.output import Output
from cc_tui.cli.run_display import live_lines, print_summary
from cc_tui.engine.progress import ProgressTracker, RunEvent, RunProgress
from cc_tui.engine.resolution import changed_inputs
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import Phase
from cc_tui.run_words import contacts_sentence, rows_sentence
from cc_tui.store.run_history import RunHistory
from cc_tui.ui.widgets.run_summary import summary_content
from cc_tui.ui.widgets.run_view import _batches_line, _counts_lines
from tests.engine.conftest import Workspace
from tests.timing import FAST

NARROW = 80  # columns every CLI face must fit
ROWS = 400
BATCH = 40  # contacts per batch: ten batches for the run
EXIT_CTRL_C = 130  # cc-tui's exit code after Ctrl-C
REJECTED = 3  # the segment's bad rows: one missing, one invalid, one duplicate e-mail


def segment(n: int) -> str:
    lines = ["email,first_name"]
    lines += [f"person{i}@example.com,Ana{i}" for i in range(n)]
    lines += [",NoMail", "not-an-email,Bad", "person0@example.com,Again"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def slow_workspace(make_workspace) -> Workspace:  # type: ignore[no-untyped-def]
    """Activities wait before they process, so contacts are posted well before they are
    confirmed (as with a real account, where imports take minutes)."""
    ws: Workspace = make_workspace(activity_start_delay=0.6, processing_rate=2_000.0)
    ws.write("people.csv", segment(ROWS))
    ws.add_export(first_name="first_name")
    return ws


def options(**changes: object) -> RunOptions:
    base: dict[str, object] = {"max_batch_contacts": BATCH, "timing": FAST, "workers": 1}
    return RunOptions(**{**base, **changes})  # type: ignore[arg-type]


def flat(text: str) -> str:
    """Text with its line breaks and indentation folded away (the CLI wraps at 80)."""
    return " ".join(text.split())


def rendered(renderables: Sequence[RenderableType], width: int = NARROW) -> str:
    stdout = io.StringIO()
    out = Output(stdout=stdout, stderr=io.StringIO())
    out.console.width = width
    for item in renderables:
        out.print(item, soft_wrap=False)
    return stdout.getvalue()


def count(data: dict[str, object], key: str) -> int:
    """The figure ``key`` of a run's JSON summary."""
    value = data[key]
    assert isinstance(value, int), (key, value)
    return value


def cli_summary(record: RunRecord) -> str:
    stdout = io.StringIO()
    out = Output(stdout=stdout, stderr=io.StringIO())
    out.console.width = NARROW
    print_summary(out, record)
    return stdout.getvalue()


def assert_fits(text: str, width: int = NARROW) -> None:
    """Every line fits, but a file path: it stays whole on its line, for copy and paste."""
    for line in text.splitlines():
        label, _, path = line.partition(": /")
        if path and " " not in path:
            assert len(label) < width, line
            continue
        assert len(line.rstrip()) <= width, line


def assert_snapshot_consistent(snapshot: RunProgress) -> None:
    """A live snapshot: identities, and its faces (CLI live lines, app live view) agree."""
    figures = snapshot.figures
    assert figures.problems() == [], figures.problems()
    live = rendered(live_lines(snapshot, NARROW))
    assert_fits(live)
    view = Content.from_markup(_counts_lines(snapshot)).plain
    if figures.sent is not None:
        sentence = contacts_sentence(figures)
        assert flat(sentence) in flat(live)
        assert sentence in view
        assert rows_sentence(figures, reasons=False) in view
    assert "ETA" in live or snapshot.eta is None


def assert_record_consistent(
    record: RunRecord, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The record and every face that shows it after the fact."""
    figures = record.figures
    assert figures.problems() == [], figures.problems()
    sentence = contacts_sentence(figures)
    rows = rows_sentence(figures, reasons=False)
    data = record.to_json()
    assert data["refused"] == data["failed"] == record.failed
    assert count(data, "sent") == (
        count(data, "confirmed")
        + count(data, "refused")
        + count(data, "unsubscribed")
        + count(data, "pending")
    )
    rejected = data["rejected"]
    assert isinstance(rejected, dict)
    assert count(data, "rows_read") == count(data, "sent") + sum(rejected.values())
    assert data["posted"] == record.posted
    summary = cli_summary(record)
    assert_fits(summary)
    assert flat(sentence) in flat(summary) and flat(rows) in flat(summary)
    app = summary_content(record).plain
    assert sentence in app and rows in app
    narrow_history = rendered(history_lines(record))
    assert_fits(narrow_history)
    assert flat(sentence) in flat(narrow_history)
    capsys.readouterr()
    assert main(["--home", str(home), "history", "--json"]) == 0
    listed = {run["run_id"]: run for run in json.loads(capsys.readouterr().out)}
    assert listed[record.run_id] == {**data, "duration_s": listed[record.run_id]["duration_s"],
                                     "span_s": listed[record.run_id]["span_s"]}  # fmt: skip


def rejected_file(record: RunRecord) -> pl.DataFrame:
    assert record.rejected_rows_file is not None
    return pl.read_csv(record.rejected_rows_file, infer_schema=False)


def test_figures_move_while_sending_and_every_face_agrees_at_the_end(
    slow_workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = slow_workspace
    snapshots: list[RunProgress] = []
    record = asyncio.run(
        ExportRunner(ws.services).run("promo", options(), on_progress=snapshots.append)
    )
    assert record.status is RunStatus.SUCCEEDED
    assert (record.rows_read, record.sent, record.posted) == (ROWS + REJECTED, ROWS, ROWS)
    assert (record.batches, record.batches_complete) == (ROWS // BATCH, True)
    for snapshot in snapshots:
        assert_snapshot_consistent(snapshot)
        # The batch total is the real cut, never more posted than cut.
        cut = snapshot.batches_total or snapshot.batches_cut
        assert snapshot.batches_posted <= cut
        if snapshot.batches_total is not None:
            assert snapshot.batches_total == ROWS // BATCH
    # While contacts went out and none was confirmed yet, the bar, the rate and the ETA moved.
    sending = [s for s in snapshots if s.contacts_posted and s.figures.final == 0]
    assert sending, "no snapshot caught contacts posted before any was confirmed"
    assert any(s.done_fraction > 0 and s.throughput > 0 and s.eta is not None for s in sending)
    assert any("so far" in _batches_line(s) for s in snapshots if s.batches_total is None)
    # The rate never leaps at the end: it is the pace of the whole short run.
    fractions = [s.done_fraction for s in snapshots]
    assert fractions == sorted(fractions)
    peak_while_sending = max(s.throughput for s in sending)
    assert snapshots[-1].throughput <= 3 * peak_while_sending
    # The last snapshot is the record.
    last = snapshots[-1]
    assert last.phase is Phase.FINISHED and last.figures == record.figures
    assert RunHistory(ws.services.history).get(record.run_id) == record
    assert_record_consistent(record, ws.services.paths.config_dir, capsys)
    reasons = rejected_file(record)["reason"].value_counts()
    assert dict(reasons.iter_rows()) == {
        "missing_email": 1, "invalid_email": 1, "duplicate_email": 1
    }  # fmt: skip
    assert record.active_s is not None and record.duration_s <= record.span_s + 1e-6


def test_interrupted_then_resumed_run_agrees_on_every_face(
    slow_workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = slow_workspace
    history = RunHistory(ws.services.history)
    snapshots: list[RunProgress] = []

    async def interrupt_after_three_posted() -> RunRecord:
        runner = ExportRunner(ws.services)
        three_posted = asyncio.Event()

        def seen(snapshot: RunProgress) -> None:
            snapshots.append(snapshot)
            if snapshot.batches_posted >= 3:
                three_posted.set()

        task = asyncio.create_task(runner.run("promo", options(), on_progress=seen))
        await asyncio.wait_for(three_posted.wait(), timeout=60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return history.runs(export="promo")[0]

    interrupted = asyncio.run(interrupt_after_three_posted())
    assert interrupted.status is RunStatus.INTERRUPTED
    figures = interrupted.figures
    assert 0 < interrupted.posted < ROWS and figures.not_posted > 0
    assert figures.pending == figures.awaiting + figures.not_posted
    for snapshot in snapshots:
        assert_snapshot_consistent(snapshot)
    # The live figures at the end are the record's: no "pending everything" after posting.
    assert snapshots[-1].figures == interrupted.figures
    assert_record_consistent(interrupted, ws.services.paths.config_dir, capsys)
    assert "not posted yet" in contacts_sentence(figures)
    assert "again to resume" in flat(cli_summary(interrupted))
    # The rejected-rows file holds at most what the run counted, never more.
    assert rejected_file(interrupted).height <= figures.rejected_total + interrupted.failed

    resumed_snapshots: list[RunProgress] = []
    events: list[RunEvent] = []
    resumed = asyncio.run(
        ExportRunner(ws.services).run(
            "promo", options(), on_progress=resumed_snapshots.append, on_event=events.append
        )
    )
    assert resumed.run_id == interrupted.run_id and resumed.attempts == 2
    assert resumed.status is RunStatus.SUCCEEDED
    resuming = [e for e in events if e.message.startswith("Resuming run")]
    assert len(resuming) == 1 and resuming[0].milestone
    assert f"{interrupted.run_id} (attempt 2)" in resuming[0].message
    # The resumed attempt starts from what the first one left: nothing counted twice.
    first = resumed_snapshots[0]
    assert first.attempt == 2
    assert first.contacts_posted >= interrupted.posted
    assert first.confirmed >= interrupted.confirmed
    for snapshot in resumed_snapshots:
        assert_snapshot_consistent(snapshot)
        assert snapshot.contacts_posted <= ROWS and snapshot.figures.final <= ROWS
    assert resumed_snapshots[-1].figures == resumed.figures
    assert (resumed.confirmed, resumed.posted, resumed.pending) == (ROWS, ROWS, 0)
    assert_record_consistent(resumed, ws.services.paths.config_dir, capsys)
    # Active time is the two attempts' work; the span also holds the gap between them.
    assert resumed.active_s is not None and resumed.duration_s < resumed.span_s
    assert "active in 2 attempts" in summary_content(resumed).plain
    assert ws.members() == {f"person{i}@example.com" for i in range(ROWS)}


def test_preview_is_a_preview_on_every_face(
    slow_workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = slow_workspace
    real = asyncio.run(ExportRunner(ws.services).run("promo", options()))
    events: list[RunEvent] = []
    preview = asyncio.run(
        ExportRunner(ws.services).run("promo", options(dry_run=True), on_event=events.append)
    )
    assert preview.dry_run and preview.posted == 0 and preview.pending == ROWS
    closing = events[-1].message
    assert closing.startswith("Preview finished:") and "nothing was sent" in closing
    assert "Run succeeded" not in closing and "would be sent" in closing
    assert_record_consistent(preview, ws.services.paths.config_dir, capsys)
    # The export's last run is still the real one.
    assert RunHistory(ws.services.history).last_real_runs()["promo"].run_id == real.run_id
    assert "preview" in flat(rendered(history_lines(preview)))


def test_cli_history_fits_80_columns_whole(slow_workspace: Workspace) -> None:
    ws = slow_workspace
    record = asyncio.run(ExportRunner(ws.services).run("promo", options()))
    runs = [record]
    stdout = io.StringIO()
    out = Output(stdout=stdout, stderr=io.StringIO())
    out.console.width = NARROW
    print_history(out, runs)
    text = stdout.getvalue()
    assert_fits(text)
    assert "…" not in text  # no cell is cut
    assert record.run_id in text and f"{record.confirmed:,}" in text
    wide = io.StringIO()
    out = Output(stdout=wide, stderr=io.StringIO())
    out.console.width = 200
    print_history(out, runs)
    assert "┃ run" in wide.getvalue() and "…" not in wide.getvalue()  # a table when it fits


def test_a_run_with_custom_fields_may_resume() -> None:
    """The recorded fingerprint went through JSON (its tuples are lists): not a change."""
    now = {"custom_fields": {"cf:tier": {"choices": ("gold", "silver"), "type": "string"}}}
    recorded = json.loads(json.dumps(now))
    assert changed_inputs(recorded, now) == []
    other = {"custom_fields": {"cf:tier": {"choices": ("gold",), "type": "string"}}}
    assert changed_inputs(recorded, other) != []


def test_cli_ctrl_c_says_where_the_run_stands_and_the_same_command_resumes(
    slow_workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = slow_workspace
    home = str(ws.services.paths.config_dir)
    history = RunHistory(ws.services.history)

    def interrupt_once_posted() -> None:
        for _ in range(1000):
            runs = history.runs(export="promo")
            batches = history.batches(runs[0].run_id) if runs else {}
            if any(b.state.value == "posted" for b in batches.values()):
                signal.raise_signal(signal.SIGINT)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=interrupt_once_posted, daemon=True)
    watcher.start()
    assert main(["--home", home, "run", "promo"]) == EXIT_CTRL_C
    watcher.join()
    err = flat(capsys.readouterr().err)
    [interrupted] = history.runs(export="promo")
    assert interrupted.status is RunStatus.INTERRUPTED
    stand = flat(
        f"Stopped (Ctrl-C): run {interrupted.run_id} of promo is interrupted after attempt 1: "
    )
    assert stand in err
    assert f"Run `cc-tui --home {home} run promo` again to resume it" in err
    assert flat(f"{interrupted.confirmed:,} of {ROWS:,} confirmed") in err

    assert main(["--home", home, "run", "promo"]) == 0
    out = capsys.readouterr()
    assert f"Resuming run {interrupted.run_id} (attempt 2): " in flat(out.err)
    [resumed] = history.runs(export="promo")
    assert (resumed.run_id, resumed.attempts, resumed.confirmed) == (interrupted.run_id, 2, ROWS)
    assert flat(contacts_sentence(resumed.figures)) in flat(out.out)


def test_rate_counts_this_attempt_s_work_only() -> None:
    """A resumed run's checkpoints are its starting point: learning the total (pass 1) or
    finding earlier imports adds no pace; posting does, half a contact each."""
    clock = [100.0]
    tracker = ProgressTracker("r1", "promo", dry_run=False, clock=lambda: clock[0])
    tracker.update(attempt=2, contacts_posted=400, confirmed=300)  # from the checkpoints
    assert tracker.snapshot().throughput == 0.0
    clock[0] += 1.0
    tracker.update(contacts_total=1_000, phase=Phase.SENDING)  # pass 1 counted the contacts
    tracker.add(contacts_posted=100)  # an earlier attempt's import, found again
    tracker.rebase_rate()
    assert tracker.snapshot().throughput == 0.0 and tracker.snapshot().eta is None
    clock[0] += 2.0
    tracker.add(contacts_posted=200)  # this attempt posts 200 contacts in 2 s
    snapshot = tracker.snapshot()
    assert snapshot.throughput == pytest.approx(50.0)  # 200 x 0.5 / 2 s
    remaining = 1_000 - (0.5 * 700 + 0.5 * 300)
    assert snapshot.eta == pytest.approx(remaining / 50.0)
    assert snapshot.done_fraction == pytest.approx(0.5)
