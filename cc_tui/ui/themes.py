"""Themes: TOML files (a Textual theme's colours plus the app's own variables) to Theme objects.

Shipped themes live in the package (``cc_tui/_themes`` in a wheel, ``themes/`` in a checkout);
users add their own in the config folder's ``themes/``. A broken file is reported by name and
skipped; the house theme, defined here in code, is always there to fall back on.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

__all__ = [
    "APP_VARIABLES",
    "HOUSE_THEME",
    "load_themes",
    "shipped_themes_dir",
    "theme_from_toml",
]

# The app's own theme variables, with their defaults (any theme may override them).
APP_VARIABLES = {"run-ok": "#22C55E", "run-failed": "#EF4444", "rejected": "#F59E0B"}
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
    error="#EF4444",
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
        raise ValueError(f"{path.name}: unknown key(s) {', '.join(sorted(unknown))}")
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
