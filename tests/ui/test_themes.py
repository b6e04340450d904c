"""Themes: shipped files load, user files are added, broken files are named and skipped."""

from __future__ import annotations

from pathlib import Path

from cc_tui.ui.themes import APP_VARIABLES, load_themes, shipped_themes_dir
from tests.ui.conftest import UiHome, workers_done


def test_shipped_themes_load_with_the_app_variables() -> None:
    themes, problems = load_themes([shipped_themes_dir()])
    assert problems == []
    names = {theme.name for theme in themes}
    assert {"cc-dark", "cc-light", "cc-high-contrast"} <= names
    for theme in themes:
        assert set(APP_VARIABLES) <= set(theme.variables)


def test_broken_files_are_reported_by_name_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text('name = "mine"\nprimary = "#112233"\n')
    (tmp_path / "bad-colour.toml").write_text('name = "x"\nprimary = "not a colour"\n')
    (tmp_path / "bad-toml.toml").write_text('name = "y\n')
    (tmp_path / "unknown.toml").write_text('name = "z"\nprimary = "#112233"\nsparkle = 1\n')
    themes, problems = load_themes([tmp_path])
    assert [theme.name for theme in themes] == ["mine"]
    assert len(problems) == 3
    assert any("bad-colour.toml" in p and "not a colour" in p for p in problems)
    assert any("bad-toml.toml" in p for p in problems)
    assert any("unknown.toml" in p and "sparkle" in p for p in problems)


async def test_user_theme_is_registered_and_chosen_from_config(ui_home: UiHome) -> None:
    from dataclasses import replace

    themes = ui_home.services.paths.themes_dir
    themes.mkdir(parents=True, exist_ok=True)
    (themes / "ocean.toml").write_text(
        'name = "ocean"\nprimary = "#0077be"\ndark = true\n[variables]\nrun-ok = "#00ff88"\n'
    )
    (themes / "broken.toml").write_text("name = ")
    ui_home.services.config.update(lambda c: replace(c, theme="ocean"))
    app = ui_home.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "ocean"
        assert app.theme_variables["run-ok"].lower() == "#00ff88"
        assert any("broken.toml" in n.message for n in app._notifications)


async def test_every_offered_theme_shows_status_words_at_wcag_aa(ui_home: UiHome) -> None:
    from textual.color import Color
    from textual.theme import BUILTIN_THEMES

    from cc_tui.ui.themes import (
        MIN_STATUS_CONTRAST,
        STATUS_BACKGROUNDS,
        STATUS_VARIABLES,
        contrast_ratio,
    )

    themes = ui_home.services.paths.themes_dir
    themes.mkdir(parents=True, exist_ok=True)
    # A user theme whose status colours nearly vanish on its background gets readable ones.
    (themes / "faint.toml").write_text(
        'name = "faint"\nprimary = "#777777"\ndark = false\nbackground = "#FAFAFA"\n'
        'warning = "#FFE4A0"\naccent = "#FFD0D0"\n[variables]\nrun-ok = "#C8F0C8"\n'
    )
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        offered = sorted(app.available_themes)
        shipped = {"cc-dark", "cc-light", "cc-high-contrast", "faint"}
        measurable = {n for n in BUILTIN_THEMES if not n.startswith("ansi")}
        assert shipped | measurable == set(offered)
        for name in offered:
            app.theme = name
            await pilot.pause()
            variables = app.theme_variables
            for status in STATUS_VARIABLES:
                for background in STATUS_BACKGROUNDS:
                    ratio = contrast_ratio(
                        Color.parse(variables[status]), Color.parse(variables[background])
                    )
                    assert ratio >= MIN_STATUS_CONTRAST, (name, status, background, ratio)


def test_shipped_themes_pass_as_written() -> None:
    from cc_tui.ui.themes import HOUSE_THEME, readable_theme

    themes, _ = load_themes([shipped_themes_dir()])
    for theme in [HOUSE_THEME, *themes]:
        assert readable_theme(theme) is theme, theme.name  # no colour needed moving


def test_contrast_ratio_matches_wcag_examples() -> None:
    from textual.color import Color

    from cc_tui.ui.themes import contrast_ratio

    assert round(contrast_ratio(Color(0, 0, 0), Color(255, 255, 255)), 1) == 21.0
    assert round(contrast_ratio(Color.parse("#777777"), Color(255, 255, 255)), 2) == 4.48
    assert contrast_ratio(Color.parse("#123456"), Color.parse("#123456")) == 1.0


async def test_status_cells_take_the_new_themes_colours(ui_home: UiHome) -> None:
    from rich.style import Style
    from rich.text import Text

    from cc_tui.ui.messages import RunRequested
    from cc_tui.ui.widgets.export_list import ExportList

    ui_home.add_export()
    app = ui_home.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(RunRequested("weekly"))
        await pilot.pause()
        await workers_done(app)
        await pilot.pause()
        exports = app.screen.query_one(ExportList)
        for name in ("cc-light", "textual-light", "cc-dark"):
            app.theme = name
            await pilot.pause()
            await pilot.pause()
            cell = exports.get_row("weekly")[-1]
            assert isinstance(cell, Text) and cell.plain.endswith("succeeded")
            wanted = Style.parse(app.theme_variables["run-ok"]).color
            assert Style.parse(str(cell.style)).color == wanted, name
