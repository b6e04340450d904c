"""At 80x24 the app's tables show whole columns and its event log shows whole lines.

The home screen's lists leave out their low-priority columns when narrow (never cutting the
last one to ``la``) and show them all when wide; the run view's event log lays its lines out
again when it narrows, so no character of a logged path hides under a scrollbar; the list
picker wraps an option rather than cutting the list's id.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import RichLog, SelectionList

from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import RunEvent
from cc_tui.paths import WOULD_SEND_FILE
from cc_tui.store.run_history import RunHistory
from cc_tui.ui.messages import RunRequested
from cc_tui.ui.screens.run import RunScreen
from cc_tui.ui.themes import APP_VARIABLES
from cc_tui.ui.widgets.connection_list import ConnectionList
from cc_tui.ui.widgets.export_list import ExportList
from cc_tui.ui.widgets.list_picker import ListChoice, ListPicker
from cc_tui.ui.widgets.named_table import NamedTable
from cc_tui.ui.widgets.run_summary import RunSummary
from cc_tui.ui.widgets.run_view import RunView
from tests.ui.conftest import UiHome, settled, workers_done

NARROW = (80, 24)
WIDE = (200, 60)
LONG_SEGMENTS = ("people", "people-north", "people-south")
LIST_ID = "4cffb0de-3266-51df-a872-3dae3e41c372"
LONG_LIST_NAME = "Newsletter subscribers of the whole northern region"
LONG_PATH = (
    "/srv/cc-tui/home/runs/20261205T011043Z-newsletter-weekly-5a740c/"
    "would_send-newsletter-weekly-preview.jsonl"
)


def _cell_texts(table: NamedTable) -> list[str]:
    return [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]


def _assert_whole(table: NamedTable) -> None:
    """Every column shown is as wide as its widest text: nothing is cut."""
    for column in table.ordered_columns:
        texts = [str(column.label), *(str(c) for c in table.get_column(column.key))]
        assert column.get_render_width(table) >= max(len(t) for t in texts) + 2
    shown = sum(column.get_render_width(table) for column in table.ordered_columns)
    assert shown <= table.scrollable_content_region.width, table.shown_columns


async def test_export_list_drops_segments_first_when_narrow(ui_home: UiHome) -> None:
    for name in LONG_SEGMENTS[1:]:
        (ui_home.segments / f"{name}.csv").write_text(
            "email,first_name,last_name,city\nx@example.com,X,Y,Z\n"
        )
    ui_home.add_export("weekly-newsletter-of-the-north", segments=LONG_SEGMENTS)
    app = ui_home.app()
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        exports = app.screen.query_one(ExportList)
        assert exports.shown_columns == ["name", "connection", "schedule", "last run"]
        _assert_whole(exports)
        assert "weekly-newsletter-of-the-north" in _cell_texts(exports)
        assert "never" in _cell_texts(exports)
        await pilot.resize_terminal(*WIDE)
        await pilot.pause()
        assert exports.shown_columns == ["name", "connection", "segments", "schedule", "last run"]
        assert ", ".join(LONG_SEGMENTS) in _cell_texts(exports)
        _assert_whole(exports)
        assert exports.selected == "weekly-newsletter-of-the-north"
        await pilot.resize_terminal(*NARROW)
        await pilot.pause()
        assert "segments" not in exports.shown_columns
        _assert_whole(exports)


async def test_a_live_label_reaches_a_dropped_or_shown_column(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=NARROW) as pilot:
        # The home's views come a service call after the start: one arriving after the label
        # below would put "never" back (the test failed so on a loaded machine).
        await settled(app, pilot)
        exports = app.screen.query_one(ExportList)
        exports.show_live({"weekly": "sending 40%"})
        await pilot.pause()
        assert "sending 40%" in _cell_texts(exports)
        await pilot.resize_terminal(*WIDE)
        await pilot.pause()
        assert "sending 40%" in _cell_texts(exports), "kept across a change of columns"


async def _connection_columns(home: UiHome, size: tuple[int, int]) -> list[str]:
    app = home.app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        connections = app.screen.query_one(ConnectionList)
        for _ in ("history", "connections", "exports"):  # tab cycles the panes when narrow
            if connections.scrollable_content_region.width:
                break
            await pilot.press("tab")
            await pilot.pause()
        _assert_whole(connections)
        assert any(text.startswith("yes (token in") for text in _cell_texts(connections))
        return connections.shown_columns


async def test_connection_list_keeps_name_and_sign_in_state_when_narrow(
    ui_home: UiHome,
) -> None:
    everything = ["name", "display name", "signed in", "usable by"]
    assert await _connection_columns(ui_home, WIDE) == everything
    assert await _connection_columns(ui_home, NARROW) == everything
    ui_home.services.connections.edit(
        "marketing", display_name="Marketing account of the northern region (shared)"
    )
    # The connections pane is as wide at 200x60 (beside the exports) as alone at 80x24.
    for size in (NARROW, WIDE):
        assert await _connection_columns(ui_home, size) == ["name", "signed in"]


class _LogApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(APP_VARIABLES)

    def compose(self) -> ComposeResult:
        yield RunView(id="view")


async def test_event_log_lines_wrap_again_when_the_view_narrows() -> None:
    app = _LogApp()
    events: list[RunEvent] = []
    at = datetime(2026, 12, 5, 1, 10, tzinfo=UTC)
    async with app.run_test(size=NARROW) as pilot:
        view = app.query_one(RunView)
        for number in range(12):
            message = f"Batch {number} confirmed: 2,113 added or updated, 8 unsubscribed, 0 refused"
            events.append(RunEvent(at, message))
            if number in (2, 10):
                events.append(RunEvent(at, f"Preview written: {LONG_PATH}"))
            view.show(None, list(events), [], status="running")
            await pilot.pause()
        log = view.query_one(RichLog)
        for width in (60, 80):
            await pilot.resize_terminal(width, NARROW[1])
            await pilot.pause()
            room = log.scrollable_content_region.width
            assert all(strip.cell_length <= room for strip in log.lines), (width, room)
            shown = "".join(strip.text.rstrip() for strip in log.lines)
            assert shown.count(LONG_PATH) == 2
            assert shown.count("0 refused") == 12
            assert len(log.lines) >= len(events)


async def test_a_preview_path_in_the_event_log_is_whole_at_80x24(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=NARROW) as pilot:
        app.post_message(RunRequested("weekly", dry_run=True))
        await app.push_screen(RunScreen("weekly"))
        for _ in range(2):  # the run, then the rejected rows read once it ended
            await workers_done(app)
            await pilot.pause()
        summary = app.screen.query_one(RunSummary)
        assert summary.record is not None and summary.record.rejected_rows_file
        path = str(Path(summary.record.rejected_rows_file).with_name(WOULD_SEND_FILE))
        await pilot.pause()
        log = app.screen.query_one(RunView).query_one(RichLog)
        room = log.scrollable_content_region.width
        assert all(strip.cell_length <= room for strip in log.lines), room
        shown = "".join(strip.text.rstrip() for strip in log.lines)
        assert path in shown


class _PickerApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(APP_VARIABLES)

    def compose(self) -> ComposeResult:
        yield ListPicker(id="picker")


async def _picker_lines(size: tuple[int, int]) -> list[str]:
    app = _PickerApp()
    async with app.run_test(size=size) as pilot:
        picker = app.query_one(ListPicker)
        picker.set_lists([ListChoice(LIST_ID, LONG_LIST_NAME, 2227)])
        await pilot.pause()
        options = picker.query_one(SelectionList)
        region = Region(0, 0, options.size.width, options.size.height)
        return [strip.text.rstrip() for strip in options.render_lines(region)]


async def test_list_picker_wraps_an_option_rather_than_cutting_its_id() -> None:
    narrow = await _picker_lines(NARROW)
    assert "…" not in "".join(narrow)
    assert any(line.endswith(LIST_ID) for line in narrow), narrow
    assert any(LONG_LIST_NAME in line for line in narrow)
    wide = await _picker_lines(WIDE)
    assert any(LONG_LIST_NAME in line and line.endswith(LIST_ID) for line in wide), wide


async def test_run_history_drops_active_time_beside_the_details(ui_home: UiHome) -> None:
    """At 120x40 the history pane sits beside the details: its columns fit whole (the active
    time goes first, the details show it); alone at 80x24, every column shows."""
    ui_home.add_export("vip-export")
    started = datetime(2026, 12, 5, 12, 14, tzinfo=UTC)
    RunHistory(ui_home.services.history).create(
        RunRecord(
            run_id="20261205T121400Z-vip-export-aaaaaa", export="vip-export",
            connection="marketing", status=RunStatus.INTERRUPTED, dry_run=False,
            os_user="alice", started_at=started, finished_at=started + timedelta(seconds=11),
            confirmed=200_000, rejected={"missing_email": 90},
        ),
        inputs={}, plan={},
    )  # fmt: skip
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        history = app.screen.query_one("#history", NamedTable)
        await pilot.pause()
        assert history.row_count == 1
        assert "active" not in history.shown_columns
        _assert_whole(history)
        await pilot.resize_terminal(*NARROW)
        await pilot.pause()
        for _ in range(3):  # tab cycles the panes when narrow
            if history.scrollable_content_region.width:
                break
            await pilot.press("tab")
            await pilot.pause()
        assert history.shown_columns[-1] == "active"
        _assert_whole(history)
