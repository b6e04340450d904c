"""Outside text in the app: never markup (no MarkupError), never terminal control.

Hostile strings go in as connection names, export mapping columns, segment column names,
sample values, file paths, list names, run errors, rejected rows, API error texts and
notifications; every screen they reach is rendered and checked: no raw ESC, BEL, CR, C1 or
bidi override anywhere on screen, and the text shown literally (``[/]`` as ``[/]``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.worker import WorkerFailed

from cc_tui.errors import ApiError
from cc_tui.models.config import Export, FieldMapping, SegmentSource
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.config import with_connection, with_export, with_segment
from cc_tui.store.run_history import RunHistory
from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.screens.connection_form import ConnectionFormModal
from cc_tui.ui.screens.export_form.data import fetch_error
from cc_tui.ui.screens.export_form.screen import ExportFormScreen
from cc_tui.ui.screens.history import HistoryScreen
from cc_tui.ui.screens.segment_path import SegmentPathModal
from cc_tui.ui.widgets.column_select import ColumnSelect
from cc_tui.ui.widgets.list_picker import ListPicker
from cc_tui.ui.widgets.rejected_rows import RejectedRows
from cc_tui.ui.widgets.segment_picker import SegmentPicker
from tests.hostile import HOSTILE, HOSTILE_NAMES, assert_harmless
from tests.ui.conftest import UiHome, workers_done

ALL = " ".join(HOSTILE)
WIDE = (200, 60)  # room for the long hostile texts to be on screen


SHOWN_WITHIN = 10.0  # seconds


def screen_text(app: CcTuiApp) -> str:
    """Every character the current screen (toasts included) would send to the terminal."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def shown(app: CcTuiApp, pilot: Pilot[int], *expect: str) -> None:
    """Wait (up to ``SHOWN_WITHIN`` seconds: loaded machines draw late) until every text of
    ``expect`` is on the screen, then check the screen holds nothing harmful."""
    deadline = time.monotonic() + SHOWN_WITHIN
    while time.monotonic() < deadline:
        if all(text in _flowed(screen_text(app)) for text in expect):
            break
        await pilot.pause(0.05)
    assert_harmless(screen_text(app))
    assert_harmless(_flowed(screen_text(app)), expect=expect)


def _flowed(text: str) -> str:
    """The screen's text with every run of spaces and line breaks as one space: a long line
    wraps where its width says (a longer temporary path wraps it elsewhere)."""
    return " ".join(text.split())


async def _settle(app: CcTuiApp, pilot: Pilot[int]) -> None:
    for _ in range(3):
        await workers_done(app)
        await pilot.pause()


def _hostile_csv(path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["email", *(f"c {name} {text}" for name, text in HOSTILE_NAMES.items())])
    writer.writerow(["ann@example.com", *HOSTILE])
    writer.writerow([HOSTILE[1], *HOSTILE])  # an e-mail that is an OSC 0 title: rejected
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


async def test_home_details_and_notifications(ui_home: UiHome) -> None:
    config = ui_home.services.config
    conn = config.load().connections["marketing"]
    assert conn.consent is not None
    consent = replace(conn.consent, accepted_by="accepted_by \x1b]0;t\x07")
    hostile_conn = replace(conn, display_name=ALL, consent=consent)
    config.update(lambda c: with_connection(c, hostile_conn))
    export = Export(name="weekly", connection="marketing", list_ids=(ui_home.list_id,),
                    segments=("people",), mapping=FieldMapping(
                        email="[/]\x1b[2J", first_name="[link=https://evil]x[/link]",
                        attributes={"job_title": "\x1b]0;title\x07"}))  # fmt: skip
    config.update(lambda c: with_export(c, export))
    app = ui_home.app()
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await _settle(app, pilot)
        text = screen_text(app)
        assert_harmless(text, expect=("[/]␛[2J", "[link=https://evil]x[/link]", "␛]0;title␇"))
        await pilot.press("shift+tab")  # the connections pane: its details
        await pilot.pause()
        await shown(app, pilot, "[bold", "]][[x]", "<U+202E>abc")
        app.notify(ALL, title="\x1b]0;title\x07 [/]", severity="error")
        await pilot.pause()
        await shown(app, pilot, "␛]8;;http:", "<U+009B>31m", "[/]")
        await app.push_screen(ConnectionFormModal("marketing"))
        await _settle(app, pilot)
        # The display name in its input, who accepted the statement: from config.toml.
        await shown(app, pilot, "␛[2J ␛]0;title", "accepted_by ␛]0;t␇")


async def test_worker_errors_and_confirmations(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await _settle(app, pilot)

        def fail() -> None:
            raise ApiError(400, "bad\x1b[2J", ALL, method="GET", path="/[/]")

        worker = app.run_worker(
            fail, thread=True, exit_on_error=False, description="[/] \x1b]0;t\x07"
        )
        with contextlib.suppress(WorkerFailed):
            await worker.wait()
        await _settle(app, pilot)  # the state change reaches the app's handler, a toast shows
        # Toasts wrap long messages: short pieces are looked for.
        await shown(app, pilot, "bad␛[2J", "[/]", "[bold", "␛]0;title␇")
        await app.push_screen(ConfirmModal(f"Delete {ALL}?"))
        await pilot.pause()
        await shown(app, pilot, "[bold", "␛]0;title␇")


async def test_export_form_with_hostile_columns_values_and_paths(ui_home: UiHome) -> None:
    _hostile_csv(ui_home.segments / "hostile.csv")
    (ui_home.segments / "notes \x1b]0;title\x07 [bold.json").write_text('{\n  "a": 1\n}\n')
    gone = ui_home.segments.parent / "gone \x1b[2J [link=x].csv"
    ui_home.services.config.update(lambda c: with_segment(c, SegmentSource("gone", gone)))
    ui_home.emulator.state.create_list(f"list {ALL}", "", False)
    app = ui_home.app()
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await app.push_screen(ExportFormScreen())
        await _settle(app, pilot)
        form = app.screen
        picker = form.query_one(SegmentPicker)
        assert picker.choices["gone"].state == "missing"
        picker.focus_options()
        await pilot.pause()
        await shown(app, pilot, "gone ␛[2J", "[link=x].csv", "notes ␛]0;title␇")
        picker.choose("hostile")
        await _settle(app, pilot)
        form.query_one("#map-first_name", ColumnSelect).value = f"c close {HOSTILE_NAMES['close']}"
        form.query_one("#map-last_name", ColumnSelect).value = f"c title {HOSTILE_NAMES['title']}"
        await _settle(app, pilot)
        await shown(app, pilot, "c close [/]", "e.g. [/]", "e.g. ␛]0;title␇")
        await pilot.click("#map-first_name")  # the list of columns opens
        await pilot.pause()
        # The overlay wraps long names: short pieces are looked for.
        await shown(app, pilot, "[link=https://evil]x", "c title ␛]0;title␇")
        await pilot.press("escape")
        await pilot.pause()
        await shown(app, pilot, "list ␛[2J ␛]0;title␇", "[/] [bold")
        form.query_one(ListPicker).set_error(
            fetch_error(ApiError(500, "oops\x9b", ALL), "marketing", app.next_steps, "^r")
        )
        await pilot.pause()
        await shown(app, pilot, "oops<U+009B>", "before␍after")


async def test_segment_path_modal_with_hostile_paths_and_columns(ui_home: UiHome) -> None:
    _hostile_csv(ui_home.segments.parent / "values.csv")
    app = ui_home.app()
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await app.push_screen(SegmentPathModal())
        await pilot.pause()
        await pilot.press(*str(ui_home.segments.parent / "nothing [/] here"), "enter")
        await _settle(app, pilot)
        await shown(app, pilot, "nothing [/] here", "does not exist")
        path_input = app.screen.query_one("#segment-path")
        path_input.value = str(ui_home.segments.parent / "gone \x1b]0;title\x07.csv")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await _settle(app, pilot)
        await shown(
            app,
            pilot,
            "␛]0;title␇.csv does not exist",
        )
        path_input.value = str(ui_home.segments.parent / "values.csv")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await _settle(app, pilot)
        await shown(app, pilot, "c title ␛]0;title␇", "␛]8;;http://evil␛\\link")


async def test_history_run_error_and_rejected_rows(ui_home: UiHome) -> None:
    run_dir = ui_home.services.paths.run_dir("20261129T120000Z-weekly-aaaaaa")
    run_dir.mkdir(parents=True)
    rejected = run_dir / "rejected.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["segment", "row", "reason", *(f"c {text}" for text in HOSTILE)])
    writer.writerow(["people", "1", "invalid_email", *HOSTILE])
    rejected.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    ui_home.add_export()
    started = datetime(2026, 11, 29, 12, tzinfo=UTC)
    record = RunRecord(run_id="20261129T120000Z-weekly-aaaaaa", export="weekly",
                       connection="marketing", status=RunStatus.FAILED, dry_run=False,
                       os_user="alice", started_at=started,
                       finished_at=started + timedelta(seconds=3), rows_read=1,
                       rejected={"invalid_email": 1}, rejected_rows_file=str(rejected),
                       error=f"Constant Contact said: {ALL}")  # fmt: skip
    RunHistory(ui_home.services.history).create(record, inputs={}, plan={})
    app = ui_home.app()
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await _settle(app, pilot)
        await pilot.press("tab")  # the history pane: the run's details and error
        await pilot.pause()
        await shown(
            app,
            pilot,
            "Constant Contact said: ␛[2J",
        )
        await app.push_screen(HistoryScreen("weekly", record.run_id))
        await _settle(app, pilot)
        rows = app.screen.query_one(RejectedRows)
        assert rows.row_count == 1
        await shown(app, pilot, "c ␛]0;title␇", "␛]8;;http://evil␛\\link")
