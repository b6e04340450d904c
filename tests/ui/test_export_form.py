"""ExportFormScreen: create and edit exports, live checks beside the fields, saving never runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from cc_tui.models.config import FieldMapping
from cc_tui.service.client import RemoteError
from cc_tui.service.protocol import FailureKind
from cc_tui.store.config import with_export
from cc_tui.ui.app import CcTuiApp
from cc_tui.ui.messages import ConfigChanged
from cc_tui.ui.screens.confirm import ConfirmModal
from cc_tui.ui.screens.export_form.checks import (
    FormContext,
    FormValues,
    error_key,
    form_problems,
    guess_columns,
)
from cc_tui.ui.screens.export_form.screen import ExportFormScreen
from cc_tui.ui.widgets.attribute_row import AttributeRow
from cc_tui.ui.widgets.column_select import ColumnSelect
from cc_tui.ui.widgets.field_problem import FieldProblem
from cc_tui.ui.widgets.list_picker import ListPicker
from cc_tui.ui.widgets.mapping_editor import MappingEditor, MappingValues
from cc_tui.ui.widgets.schedule_field import ScheduleField
from cc_tui.ui.widgets.segment_picker import SegmentPicker
from cc_tui.ui.widgets.toggles import MarkedSelectionList
from tests.ui.conftest import UiHome, focused, workers_done

NEWSLETTER = "4cffb0de-3266-51df-a872-3dae3e41c372"  # the emulator's "Newsletter subscribers"


async def _settle(app: CcTuiApp, pilot: Pilot[int]) -> None:
    """Let workers finish and their results land (twice: results start further workers)."""
    for _ in range(2):
        await workers_done(app)
        await pilot.pause()


async def _open(
    app: CcTuiApp, pilot: Pilot[int], export: str | None = None
) -> tuple[ExportFormScreen, list[str | None]]:
    results: list[str | None] = []
    await app.push_screen(ExportFormScreen(export), results.append)
    await _settle(app, pilot)
    assert isinstance(app.screen, ExportFormScreen)
    return app.screen, results


def _problem(form: ExportFormScreen, selector: str) -> str:
    return form.query_one(selector, FieldProblem).text


def _row_problem(row: AttributeRow) -> str:
    return row.query_one(FieldProblem).text


async def _attribute(
    app: CcTuiApp, pilot: Pilot[int], field: str, column: str, custom: str = ""
) -> AttributeRow:
    """Add a row with ctrl+n and fill it in."""
    await pilot.press("ctrl+n")
    await pilot.pause()
    row = list(app.screen.query(AttributeRow))[-1]
    assert app.focused is row.query_one(".field", Select)
    row.query_one(".field", Select).value = field
    await pilot.pause()
    if custom:
        assert focused(app) is row.query_one(".custom-name", Input)
        await pilot.press(*custom)
    row.query_one(ColumnSelect).value = column
    await _settle(app, pilot)
    return row


async def test_create_export_with_mapping_saves_and_does_not_run(ui_home: UiHome) -> None:
    seen: list[object] = []
    app = ui_home.app()
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        form, results = await _open(app, pilot)
        titles = {command.title for command in form.palette_commands()}
        assert {"export: Save", "export: Add field", "export: Reload lists"} <= titles
        assert app.focused is form.query_one("#name", Input)
        await pilot.press(*"spring", "tab")
        assert form.query_one("#connection", Select).value == "marketing"  # the only usable one
        await pilot.press("tab", *"News", "enter")  # type to filter, enter takes the only match
        assert form.query_one(ListPicker).chosen == (NEWSLETTER,)
        form.query_one(SegmentPicker).focus_options()
        await pilot.press("space")
        await _settle(app, pilot)
        assert form.query_one(SegmentPicker).chosen == ("people",)
        # The columns are read (in a thread) and e-mail / names are guessed from their names.
        editor = form.query_one(MappingEditor)
        assert (editor.values.email, editor.values.first_name) == ("email", "first_name")
        form.query_one("#map-last_name", ColumnSelect).value = "last_name"
        assert "Person0@Example.com" in str(form.query_one("#samples-email", Static).render())
        await _attribute(app, pilot, "city", "city")
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert results == ["spring"]
        assert any(isinstance(message, ConfigChanged) for message in seen)
        assert app.runs.get("spring") is None
    export = ui_home.services.config.load().exports["spring"]
    assert export.connection == "marketing"
    assert export.list_ids == (NEWSLETTER,)
    assert export.segments == ("people",)
    assert export.mapping == FieldMapping("email", "first_name", "last_name", {"city": "city"})
    assert export.schedule is None
    assert ui_home.emulator.stats()["imports"] == 0


async def test_edit_export_changes_the_mapping(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        form, results = await _open(app, pilot, "weekly")
        assert form.query_one("#name", Input).disabled
        assert app.focused is form.query_one("#connection", Select)
        assert form.query_one(ListPicker).chosen == (ui_home.list_id,)
        assert form.query_one(SegmentPicker).chosen == ("people",)
        editor = form.query_one(MappingEditor)
        assert [(r.field, r.column) for r in editor.values.attributes] == [("city", "city")]
        form.query_one("#map-first_name", ColumnSelect).value = Select.NULL
        await _attribute(app, pilot, "__custom__", "city", custom="loyalty_tier")
        form.query_one(ScheduleField).focus_input()
        await pilot.press(*"0 6 * *")
        assert "five fields" in _problem(form, "#schedule-problem")
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert results == []
        assert focused(app) is form.query_one("#schedule-input", Input)
        await pilot.press("space", "*")
        assert _problem(form, "#schedule-problem") == ""
        assert "At 06:00 every day (UTC)" in str(form.query_one("#schedule-hint", Static).render())
        await pilot.press("tab", "space")  # also when its data is refreshed
        assert form.query_one(ScheduleField).on_refresh
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert results == ["weekly"]
    export = ui_home.services.config.load().exports["weekly"]
    assert export.mapping == FieldMapping(
        "email", None, "last_name", {"city": "city", "cf:loyalty_tier": "city"}
    )
    assert export.schedule == "0 6 * * *"
    assert export.on_refresh and export.runs_when() == "0 6 * * * + on refresh"


async def test_malformed_list_id_is_refused_inline_and_focused(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        form, results = await _open(app, pilot)
        await pilot.press(*"spring", "tab", "tab", *"12345-not-an-id", "enter")
        await _settle(app, pilot)
        picker = form.query_one(ListPicker)
        assert "is not a list ID" in _problem(form, "#list-problem")
        assert app.focused is picker.query_one("#list-filter", Input)
        assert picker.chosen == ()
        form.query_one("#name", Input).focus()
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert results == []
        assert app.focused is picker.query_one("#list-filter", Input)
        # A well-formed id the account does not have is refused too.
        picker.query_one("#list-filter", Input).value = "00000000-0000-0000-0000-000000000000"
        await pilot.press("enter")
        await _settle(app, pilot)
        assert "no list with ID 00000000" in _problem(form, "#list-problem")
    assert "spring" not in ui_home.services.config.load().exports


async def test_column_missing_from_one_of_two_segments(ui_home: UiHome) -> None:
    (ui_home.segments / "other.csv").write_text("EmailAddress,Tier\nx@example.com,gold\n")
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        form, results = await _open(app, pilot)
        await pilot.press(*"twice", "tab", "tab", *"News", "enter")
        segments = form.query_one(SegmentPicker)
        segments.focus_options()
        await pilot.press("space", "down", "space")  # other, then people: other wins
        await _settle(app, pilot)
        assert segments.chosen == ("other", "people")
        form.query_one(MappingEditor).choose("email", "email")
        await _settle(app, pilot)
        assert "Segment 'other' has no column 'email'" in _problem(form, "#problem-email")
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert results == []
        assert app.focused is form.query_one("#map-email", ColumnSelect)
        # Leaving out the segment without the column takes its problem away at once.
        segments.focus_options()
        await pilot.press("up", "space")
        await _settle(app, pilot)
        assert form.query_one(SegmentPicker).chosen == ("people",)  # read anew (mypy narrows)
        assert _problem(form, "#problem-email") == ""
    assert "twice" not in ui_home.services.config.load().exports


async def test_custom_fields_unknown_or_more_than_25_are_refused(ui_home: UiHome) -> None:
    # A hand-edited config.toml: cf:nope is unknown to the account, and 26 custom fields.
    attributes = {"cf:nope": "city"} | {f"cf:field_{n}": "city" for n in range(2, 27)}
    ui_home.add_export()
    weekly = ui_home.services.config.load().exports["weekly"]
    many = replace(weekly, name="many", mapping=replace(weekly.mapping, attributes=attributes))
    ui_home.services.config.update(lambda config: with_export(config, many))
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        form, results = await _open(app, pilot, "many")
        rows = list(form.query(AttributeRow))
        assert "no custom field cf:nope" in _row_problem(rows[0])
        assert "loyalty_tier" in _row_problem(rows[0])  # it names the fields the account has
        assert "at most 25 per contact" in _row_problem(rows[-1])
        assert "at most 25" not in _row_problem(rows[-2])
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert results == []
        assert app.focused is rows[0].query_one(".custom-name", Input)
    assert ui_home.services.config.load().exports["many"].mapping.attributes == attributes


async def test_escape_asks_before_discarding_changes(ui_home: UiHome) -> None:
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        _, results = await _open(app, pilot)
        await pilot.press(*"draft", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert isinstance(app.screen, ExportFormScreen)
        await pilot.press("escape", "y")
        await pilot.pause()
        assert results == [None]
        _, results = await _open(app, pilot)
        await pilot.press(*"draft", *["backspace"] * 5, "escape")  # back as it was: no question
        await pilot.pause()
        assert results == [None]
    assert "draft" not in ui_home.services.config.load().exports


async def test_connection_not_signed_in_says_how_to_sign_in(
    make_ui_home: Callable[..., UiHome],
) -> None:
    home = make_ui_home(signed_in=False)
    app = home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        form, _ = await _open(app, pilot)
        status = str(form.query_one("#list-status", Static).render())
        assert "sign in first: open connection marketing in Connections and press ^l" in status


async def test_layout_at_80x24_and_160x50(ui_home: UiHome) -> None:
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        form, _ = await _open(app, pilot, "weekly")
        assert form.has_class("-narrow")
        for widget in (form.query_one("#connection"), form.query_one(ListPicker)):
            assert widget.region.right <= 80
        form.query_one("#map-email", ColumnSelect).focus()
        await pilot.pause()
        email = form.query_one("#map-email", ColumnSelect)
        assert 0 < email.region.y < 23 and email.region.right <= 80  # scrolled into view
        await pilot.resize_terminal(160, 50)
        await pilot.pause()
        assert form.has_class("-wide")
        assert form.query_one(MappingEditor).region.x > form.query_one(ListPicker).region.right


def test_guesses_email_and_name_columns_from_their_names() -> None:
    columns = ["CustomerId", "E-Mail", "FirstName", "Surname", "city"]
    assert guess_columns(columns) == {
        "email": "E-Mail",
        "first_name": "FirstName",
        "last_name": "Surname",
    }
    assert guess_columns(["id", "city"]) == {}


def test_required_fields_are_asked_for_only_when_saving() -> None:
    empty = FormValues("", None, (), (), MappingValues(None, None, None, ()), "")
    context = FormContext(editing=False, lists=frozenset({NEWSLETTER}))
    assert form_problems(empty, context, saving=False) == {}
    assert list(form_problems(empty, context, saving=True)) == [
        "name", "connection", "lists", "segments", "email",
    ]  # fmt: skip
    gone = replace(empty, list_ids=("00000000-0000-0000-0000-000000000000",), segments=("x",))
    found = form_problems(gone, replace(context, segments_found=frozenset()), saving=False)
    assert "The account has no list with ID 00000000" in found["lists"]
    assert "not found: x" in found["segments"]


def test_a_refused_save_is_placed_by_its_kind_before_its_words() -> None:
    taken = RemoteError("A segment named 'vip' already exists.", 2, FailureKind.CONFLICT)
    assert error_key(taken) == "name"  # its words name a segment; its kind says the name
    denied = RemoteError("Only administrators may change exports.", 2, FailureKind.ACCESS_DENIED)
    assert error_key(denied) == "connection"
    unknown = RemoteError("something about a schedule", 1)  # unexpected: not placed by words
    assert error_key(unknown) == "form"
    usage = RemoteError("Schedule: every day needs a time.", 2, FailureKind.USAGE)
    assert error_key(usage) == "schedule"


async def test_every_list_shows_whole_at_80x24(ui_home: UiHome) -> None:
    """At 80x24 every list of the account is in view with its id whole (the ids are copied):
    the option that wraps, the one chosen, and the last one, none cut by the scrollbar."""
    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        form, _ = await _open(app, pilot, "weekly")
        options = form.query_one(ListPicker).query_one(MarkedSelectionList)
        # As tall as its lines, the wrapped one's two counted: nothing below a scrollbar.
        assert options.size.height == options.virtual_size.height
        assert not options.show_vertical_scrollbar
        lines = [options.render_line(y).text for y in range(options.size.height)]
        shown = " ".join(" ".join(lines).split())
        for index in range(options.option_count):
            list_id = options.get_option_at_index(index).value
            assert list_id in shown, list_id
