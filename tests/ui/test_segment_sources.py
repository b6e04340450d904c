"""The export form's segments: nothing hidden, and a segment added by its path (keyboard only)."""

from __future__ import annotations

import os
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from cc_tui.models.config import SegmentSource
from cc_tui.store.config import with_segment
from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.path_suggester import complete_path
from cc_tui.ui.screens.export_form.screen import ExportFormScreen
from cc_tui.ui.screens.segment_path import SegmentPathModal
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.segment_picker import SegmentPicker
from tests.engine.segment_builders import CUSTOMER_ATTRIBUTES, customer_insights_folder
from tests.ui.conftest import UiHome, workers_done

SMALL = (80, 24)
LEADS = "Email,First\nlee@example.com,Lee\nkim@example.com,Kim\n"


async def _settle(app: CcTuiApp, pilot: Pilot[int]) -> None:
    for _ in range(3):
        await workers_done(app)
        await pilot.pause()


async def _form(app: CcTuiApp, pilot: Pilot[int]) -> ExportFormScreen:
    await app.push_screen(ExportFormScreen())
    await _settle(app, pilot)
    assert isinstance(app.screen, ExportFormScreen)
    return app.screen


def _text(widget: Static) -> str:
    return str(widget.render())


async def test_broken_segments_are_listed_with_their_problem(ui_home: UiHome) -> None:
    config = ui_home.services.config
    gone = ui_home.segments.parent / "gone.csv"
    broken = ui_home.segments.parent / "broken.dat"
    broken.write_bytes(b"\x00\x01\x02\x03 binary")
    config.update(lambda c: with_segment(with_segment(c, SegmentSource("gone", gone)),
                                         SegmentSource("broken", broken)))  # fmt: skip
    (ui_home.segments / "notes.json").write_text('{\n  "a": 1\n}\n')
    app = ui_home.app()
    async with app.run_test(size=SMALL) as pilot:
        form = await _form(app, pilot)
        picker = form.query_one(SegmentPicker)
        choices = picker.choices
        assert (choices["gone"].state, choices["broken"].state) == ("missing", "unreadable")
        assert choices["people"].rows == 123
        skipped = _text(picker.query_one("#segment-skipped", Static))
        assert "Skipped 1 file" in skipped and "notes.json" in skipped
        picker.focus_options()  # "broken" is first: its whole problem shows under the list
        await pilot.pause()
        detail = _text(picker.query_one("#segment-detail", Static))
        assert "broken is unreadable" in detail and "Fix:" in detail
        await pilot.press("down", "space")  # choose "gone"
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        problem = picker.query_one(FieldProblem).text
        assert "gone: missing" in problem and "does not exist" in problem
        assert isinstance(app.screen, ExportFormScreen)  # not saved


async def test_add_a_segment_by_its_path_with_the_keyboard(ui_home: UiHome) -> None:
    leads = ui_home.segments.parent / "leads.csv"
    leads.write_text(LEADS)
    notified: list[str] = []
    app = ui_home.app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        form = await _form(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, SegmentPathModal)
        assert app.focused is modal.query_one("#segment-path", Input)
        await pilot.press(*str(leads), "enter")
        await _settle(app, pilot)
        assert modal.query_one("#segment-name", Input).value == "leads"
        table = modal.query_one(DataTable)
        assert [str(column.label) for column in table.columns.values()] == ["Email", "First"]
        assert table.row_count == 2
        assert "csv" in _text(modal.query_one("#segment-summary", Static))
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert app.screen is form
        notified = [n.message for n in app._notifications]
        assert any("Added segment leads" in message for message in notified)
        assert form.query_one(SegmentPicker).chosen == ("leads",)
    assert ui_home.services.config.load().segments["leads"] == SegmentSource("leads", leads)


async def test_the_path_check_says_how_a_segment_is_read(ui_home: UiHome) -> None:
    import polars as pl
    from deltalake import write_deltalake

    table = ui_home.segments.parent / "customers"
    for batch in ({"Email": ["ann@example.com"]}, {"Email": ["bo@example.com"]}):
        write_deltalake(str(table), pl.DataFrame(batch), mode="append")
    app = ui_home.app()
    async with app.run_test(size=SMALL) as pilot:
        await _form(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press(*str(table), "enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, SegmentPathModal)
        summary = " ".join(_text(app.screen.query_one("#segment-summary", Static)).split())
        assert "Delta table version 1 " in summary  # the version a run would read
        assert "delta" in summary and "1 column;" in summary


async def test_a_path_that_is_a_segment_already_is_chosen_not_added(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=SMALL) as pilot:
        form = await _form(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.press(*str(ui_home.segments / "people.csv"), "enter")
        await _settle(app, pilot)
        assert "already the segment people" in _text(app.screen.query_one("#segment-summary"))  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert form.query_one(SegmentPicker).chosen == ("people",)
    assert ui_home.services.config.load().segments == {}


async def test_a_segment_already_says_the_columns_typed_are_not_used(ui_home: UiHome) -> None:
    """Column names typed for a path that is a segment already would be lost: it says so."""
    app = ui_home.app()
    async with app.run_test(size=SMALL) as pilot:
        await _form(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, SegmentPathModal)
        app.screen.query_one("#segment-columns", Input).value = "a,b,c"
        await pilot.press(*str(ui_home.segments / "people.csv"), "enter")
        await _settle(app, pilot)
        summary = " ".join(_text(app.screen.query_one("#segment-summary", Static)).split())
        assert "already the segment people (read with its own header and column names" in summary


async def test_what_cannot_be_a_segment_is_explained_and_nothing_is_written(
    ui_home: UiHome,
) -> None:
    fifo = ui_home.segments.parent / "pipe.csv"
    os.mkfifo(fifo)
    app = ui_home.app()
    async with app.run_test(size=SMALL) as pilot:
        await _form(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.press(*str(fifo), "enter")
        await _settle(app, pilot)
        modal = app.screen
        assert "FIFO" in modal.query_one("#segment-problem", FieldProblem).text
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert app.screen is modal and "FIFO" in modal.query_one(FieldProblem).text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ExportFormScreen)
    assert ui_home.services.config.load().segments == {}


async def test_an_entity_of_a_cdm_folder_is_chosen_and_added_at_80x24(ui_home: UiHome) -> None:
    root = ui_home.segments.parent / "ci-export"
    export = customer_insights_folder(root)
    model = root / "model.json"
    ui_home.services.sources.add(SegmentSource("ci", model, entity="Customer"))
    app = ui_home.app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        form = await _form(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, SegmentPathModal)
        entity = modal.query_one("#segment-entity", Select)
        entity_row = modal.query_one("#segment-entity-row")
        assert not entity_row.display  # only a CDM folder of several entities shows it
        await pilot.press(*str(model), "enter")
        await _settle(app, pilot)
        # Both entities are offered, the one already a segment marked; nothing is read yet.
        assert entity_row.display and app.focused is entity
        labels = [str(option.prompt) for option in entity.query_one("SelectOverlay").options]
        assert labels[1:] == ["Customer (segment ci)", "VipSegment"]
        assert "2 CDM entities" in _text(modal.query_one("#segment-summary", Static))
        assert modal.query_one(DataTable).row_count == 0
        assert modal.query_one("#segment-name", Input).value == ""
        await pilot.press("ctrl+s")  # no entity chosen yet: said, and nothing happens
        await _settle(app, pilot)
        assert "Choose the entity" in modal.query_one(FieldProblem).text
        assert app.screen is modal
        await pilot.press("enter", "down", "enter")  # Customer: it is the segment ci
        await _settle(app, pilot)
        assert entity.value == "Customer"
        assert "entity Customer is already the segment ci" in _text(
            modal.query_one("#segment-summary", Static)
        )
        await pilot.press("enter", "down", "enter")  # VipSegment: read and previewed
        await _settle(app, pilot)
        assert entity.value == "VipSegment"
        assert modal.query_one("#segment-name", Input).value == "ci-export-VipSegment"
        table = modal.query_one(DataTable)
        columns = [str(column.label) for column in table.columns.values()]
        assert columns == [name for name, _ in CUSTOMER_ATTRIBUTES]
        assert table.row_count == len(export.vip_rows)
        assert "VipSegment · cdm" in _text(modal.query_one("#segment-summary", Static))
        # The whole dialog fits the 80x24 screen, above the footer.
        dialog = modal.query_one("Vertical")
        assert dialog.region.y >= 0 and dialog.region.bottom <= SMALL[1] - 1
        assert table.region.bottom <= dialog.region.bottom
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert app.screen is form
        assert form.query_one(SegmentPicker).chosen == ("ci-export-VipSegment",)
        notified = [n.message for n in app._notifications]
        assert any(f"entity VipSegment of {model}" in message for message in notified)
    segments = ui_home.services.config.load().segments
    assert segments["ci-export-VipSegment"] == SegmentSource(
        "ci-export-VipSegment", model, entity="VipSegment"
    )
    assert segments["ci"].entity == "Customer"


def test_paths_complete_from_the_file_system(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "people.csv").write_text(LEADS)
    (tmp_path / ".hidden.csv").write_text(LEADS)
    (tmp_path / "pe\x1b]0;x\x07.csv").write_text(LEADS)
    base = f"{tmp_path}{os.sep}"
    assert complete_path(f"{base}ex") == f"{base}exports{os.sep}"
    assert complete_path(f"{base}pe") == f"{base}people.csv"  # never the name with ESC
    assert complete_path(f"{base}.h") == f"{base}.hidden.csv"
    assert complete_path(base) == f"{base}exports{os.sep}"  # hidden entries only when asked
    assert complete_path(f"{base}people.csv") is None  # complete already
    assert complete_path(f"{base}nothing") is None
    assert complete_path("") is None


async def test_a_headerless_file_is_told_to_name_its_columns_here(ui_home: UiHome) -> None:
    """Read as 'no header line' with no names yet: the modal says to name the columns in its
    Columns box, not with columns = [...] in config.toml (the CLI's advice)."""
    headerless = ui_home.segments.parent / "plain.csv"
    headerless.write_text("ann@example.com,Ann\nbo@example.com,Bo\n")
    app = ui_home.app()
    async with app.run_test(size=SMALL) as pilot:
        await _form(app, pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, SegmentPathModal)
        modal.query_one("#segment-path", Input).value = str(headerless)
        modal.query_one("#segment-header", Select).value = "no"
        await _settle(app, pilot)
        summary = " ".join(_text(modal.query_one("#segment-summary", Static)).split())
        assert "its 2 columns are named column_1 to column_2; name them in Columns above" in summary
        assert "[segments." not in summary
