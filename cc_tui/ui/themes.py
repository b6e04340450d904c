"""Themes: TOML files (a Textual theme's colours plus the app's own variables) to Theme objects.

Shipped themes live in the package (``cc_tui/_themes`` in a wheel, ``themes/`` in a checkout);
users add their own in the config folder's ``themes/``. A broken file is reported by name and
skipped; the house theme, defined here in code, is always there to fall back on.

Every theme the app offers keeps its status words readable: :func:`readable_theme` checks the
colours that status words use against the backgrounds they sit on (WCAG AA, 4.5:1) and moves a
failing colour toward the foreground just far enough to pass. Themes whose colours are terminal
palette entries (Textual's ``ansi-*``) cannot be measured and are not offered.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from cc_tui.run_words import noun

__all__ = [
    "APP_VARIABLES",
    "HOUSE_THEME",
    "MIN_STATUS_CONTRAST",
    "STATUS_BACKGROUNDS",
    "STATUS_VARIABLES",
    "contrast_ratio",
    "load_themes",
    "offered_themes",
    "readable_theme",
    "resolved_variables",
    "shipped_themes_dir",
    "theme_from_toml",
]

# The app's own theme variables, with their defaults (any theme may override them).
APP_VARIABLES = {"run-ok": "#22C55E", "run-failed": "#F87171", "rejected": "#F59E0B"}
# Theme variables that colour status words (succeeded, refused, rejected, interrupted, running,
# batch states) and the backgrounds those words are drawn on.
STATUS_VARIABLES = ("run-ok", "run-failed", "rejected", "warning", "accent")
STATUS_BACKGROUNDS = ("background", "surface", "panel")
MIN_STATUS_CONTRAST = 4.5  # WCAG 2.x AA for normal text
_BLEND_STEP = 0.05  # how far each try moves a failing colour toward black or white
_COLOUR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "warning",
    "error",
    "success",
)
_OTHER_KEYS = ("name", "dark", "luminosity_spread", "text_alpha", "variables")

HOUSE_THEME = Theme(
    name="cc-dark",
    primary="#3B82F6",
    secondary="#14B8A6",
    accent="#F59E0B",
    foreground="#E5E7EB",
    background="#0F172A",
    surface="#1E293B",
    panel="#243047",
    warning="#F59E0B",
    error="#F87171",
    success="#22C55E",
    dark=True,
    variables=dict(APP_VARIABLES),
)


def shipped_themes_dir() -> Path:
    """Where the themes that come with cc-tui are (wheel first, then the source checkout)."""
    packaged = Path(str(resources.files("cc_tui"))) / "_themes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "themes"


def theme_from_toml(path: Path) -> Theme:
    """Read one theme file; ValueError (with the file and key) when it is not a valid theme."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    unknown = set(data) - set(_COLOUR_KEYS) - set(_OTHER_KEYS)
    if unknown:
        keys = noun(len(unknown), "key")
        raise ValueError(f"{path.name}: unknown {keys} {', '.join(sorted(unknown))}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{path.name}: 'name' must be a non-empty string")
    if "primary" not in data:
        raise ValueError(f"{path.name}: 'primary' colour is required")
    colours = {key: _colour(path, key, data[key]) for key in _COLOUR_KEYS if key in data}
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ValueError(f"{path.name}: [variables] must map names to strings")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError(f"{path.name}: 'dark' must be true or false")
    extra: dict[str, Any] = {k: data[k] for k in ("luminosity_spread", "text_alpha") if k in data}
    fields: dict[str, Any] = {**colours, **extra}
    return Theme(name=name.strip(), dark=dark, variables={**APP_VARIABLES, **variables}, **fields)


def _colour(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{path.name}: '{key}' must be a colour string like \"#3B82F6\"")
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ValueError(f"{path.name}: '{key}' = {value!r} is not a colour") from exc
    return value


def load_themes(folders: Iterable[Path]) -> tuple[list[Theme], list[str]]:
    """Every valid theme in ``folders`` (later folders override earlier names), and the
    problems of the files that were skipped."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = theme_from_toml(path)
            except ValueError as exc:
                problems.append(f"{folder}/{exc}")
                continue
            themes[theme.name] = theme
    return list(themes.values()), problems


def contrast_ratio(first: Color, second: Color) -> float:
    """WCAG 2.x contrast ratio of two opaque colours (1.0 to 21.0)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: Color) -> float:
    """WCAG relative luminance (sRGB channels linearised)."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.r) + 0.7152 * linear(colour.g) + 0.0722 * linear(colour.b)


def resolved_variables(theme: Theme) -> dict[str, str]:
    """The CSS variables the app gets from ``theme`` (as ``App.get_css_variables`` builds them)."""
    return {**APP_VARIABLES, **theme.to_color_system().generate(), **theme.variables}


def _status_contrast(colour: Color, backgrounds: Iterable[Color]) -> float:
    return min(contrast_ratio(colour, background) for background in backgrounds)


def readable_theme(theme: Theme) -> Theme | None:
    """``theme`` with every status colour at 4.5:1 or more on its backgrounds, or None when
    its colours cannot be measured (terminal palette colours such as ``ansi_red``)."""
    try:
        variables = resolved_variables(theme)
        backgrounds = [Color.parse(variables[name]) for name in STATUS_BACKGROUNDS]
        statuses = {name: Color.parse(variables[name]) for name in STATUS_VARIABLES}
    except (ColorParseError, KeyError, ValueError):
        return None
    if any(colour.ansi is not None for colour in [*backgrounds, *statuses.values()]):
        return None
    # Away from the backgrounds: toward white on a dark theme, black on a light one.
    target = Color(255, 255, 255) if theme.dark else Color(0, 0, 0)
    fixed: dict[str, str] = {}
    for name, colour in statuses.items():
        amount = 0.0
        while _status_contrast(colour.blend(target, amount), backgrounds) < MIN_STATUS_CONTRAST:
            if amount >= 1:
                return None  # not even black or white passes: the backgrounds are mid-grey
            amount = min(1.0, amount + _BLEND_STEP)
        if amount:
            fixed[name] = colour.blend(target, amount).hex
    if not fixed:
        return theme
    return replace(theme, variables={**theme.variables, **fixed})


def offered_themes(themes: Mapping[str, Theme]) -> tuple[list[Theme], list[str]]:
    """The readable version of each theme, and the names of those that cannot be offered."""
    offered: list[Theme] = []
    dropped: list[str] = []
    for name, theme in themes.items():
        readable = readable_theme(theme)
        if readable is None:
            dropped.append(name)
        else:
            offered.append(readable)
    return offered, dropped
