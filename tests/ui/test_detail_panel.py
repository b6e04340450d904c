"""DetailPanel: a run's details use the words and figures of every other face."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import Static

from cc_tui.engine.exports import build_export
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import Phase, RunProgress
from cc_tui.run_words import contacts_sentence, rows_sentence
from cc_tui.safe_text import visible
from cc_tui.ui.list_names import ListNames
from cc_tui.ui.widgets.detail_panel import DetailPanel

STARTED = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
LIST_ID = "4cffb0de-3266-51df-a872-3dae3e41c372"


class PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield DetailPanel()


def _text(app: PanelApp, width: int) -> str:
    body = app.query_one("#detail-body", Static)
    console = Console(width=width, record=True, color_system=None)
    console.print(body.content)
    return console.export_text()


async def test_a_runs_details_are_the_accounted_sentences() -> None:
    run = RunRecord(
        run_id="20261129T140000Z-weekly-bbbbbb", export="weekly", connection="marketing",
        status=RunStatus.INTERRUPTED, dry_run=False, os_user="alice", started_at=STARTED,
        finished_at=STARTED + timedelta(seconds=70), rows_read=1_000, sent=950, posted=600,
        confirmed=500, failed=10, unsubscribed=20, rejected={"missing_email": 50},
        attempts=2, active_s=40.0, attempt_started_at=STARTED + timedelta(seconds=50),
    )  # fmt: skip
    app = PanelApp()
    async with app.run_test(size=(100, 30)):
        app.query_one(DetailPanel).show_run(run)
        text = " ".join(_text(app, 200).split())
    assert contacts_sentence(run.figures) in text  # pending 420: 70 awaiting, 350 not posted
    assert "pending 420 (70 awaiting confirmation, 350 not posted yet)" in text
    assert rows_sentence(run.figures, reasons=False) in text
    assert "40 s active in 2 attempts" in text


async def test_a_list_id_is_folded_whole_never_cut() -> None:
    export = build_export("weekly", connection="marketing", list_ids=[LIST_ID],
                          segments=["people"], email="email")  # fmt: skip
    app = PanelApp()
    async with app.run_test(size=(40, 30)):
        app.query_one(DetailPanel).show_export(export, None, None)
        text = _text(app, 36)
    assert "…" not in text
    assert LIST_ID in "".join(line.strip().removeprefix("lists").strip() for line in
                              text.splitlines())  # fmt: skip


async def test_a_running_exports_line_says_its_contacts_are_final_not_unsent() -> None:
    """Every contact posted, none final yet: the line says 0 final and 50%, as the status line,
    not "0/200,000 contacts", which read as nothing sent."""
    export = build_export("weekly", connection="marketing", list_ids=[LIST_ID],
                          segments=["people"], email="email")  # fmt: skip
    live = RunProgress(
        run_id="20261129T140000Z-weekly-cccccc", export="weekly", dry_run=False,
        phase=Phase.SENDING, rows_total=200_000, contacts_total=200_000,
        contacts_posted=200_000, throughput=10_000.0,
    )  # fmt: skip
    running = RunRecord(
        run_id=live.run_id, export="weekly", connection="marketing", status=RunStatus.RUNNING,
        dry_run=False, os_user="alice", started_at=STARTED,
    )  # fmt: skip
    app = PanelApp()
    async with app.run_test(size=(100, 30)):
        app.query_one(DetailPanel).show_export(export, running, live)
        line = str(app.query_one("#detail-live", Static).content)
        body = " ".join(_text(app, 200).split())
    assert "sending 50%: 0 of 200,000 contacts final, 10,000/s" in line
    # The record's figures are those of the run's start: not shown beside the live ones.
    assert "last run running since" in body and "(its figures above)" in body
    assert "confirmed" not in body


async def test_a_list_name_is_shown_as_it_is_never_as_markup() -> None:
    export = build_export("weekly", connection="marketing", list_ids=[LIST_ID],
                          segments=["people"], email="email")  # fmt: skip
    hostile = "[link=https://evil.example]VIP[/] \x1b[2J list"
    app = PanelApp()
    async with app.run_test(size=(120, 30)):
        app.query_one(DetailPanel).show_export(
            export, None, None, lists=ListNames({LIST_ID: hostile})
        )
        text = _text(app, 200)
    assert f"[link=https://evil.example]VIP[/] {visible(chr(27))}[2J list" in text
    assert "\x1b" not in text
