"""Typed, line-aware access to a parsed TOML document, for precise config errors.

``tomllib`` gives values but not positions, so :class:`TomlSection` finds the line of a key by
reading the raw text (table headers and ``key =`` lines). Every error names the file, the key
path, the line where it can be found, and the fix.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from cc_tui.errors import ConfigError

__all__ = ["TomlSection", "parse_toml"]

_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_DECODE_POSITION = re.compile(r"\(at line (?P<line>\d+), column (?P<col>\d+)\)")


def parse_toml(path: Path, text: str) -> dict[str, Any]:
    """Parse TOML text, turning a syntax error into a ConfigError with its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _DECODE_POSITION.search(str(exc))
        problem = _DECODE_POSITION.sub("", str(exc)).strip()
        line = int(match["line"]) if match else None
        column = f", column {match['col']}" if match else ""
        raise ConfigError(
            f"not valid TOML: {problem}{column}",
            path=path,
            line=line,
            fix="correct the syntax there (the file was left as it is)",
        ) from exc


def _split_dotted(name: str) -> tuple[str, ...]:
    parts: list[str] = []
    for match in re.finditer(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s]+)', name):
        parts.append(next(group for group in match.groups() if group is not None))
    return tuple(parts)


def _key_pattern(key: str) -> re.Pattern[str]:
    quoted = re.escape(key)
    return re.compile(rf"""^\s*(?:{quoted}|"{quoted}"|'{quoted}')\s*[=.]""")


class _LineIndex:
    """Finds the line (1-based) where a table or a key is written."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._headers: list[tuple[int, tuple[str, ...]]] = []
        for number, line in enumerate(self._lines, start=1):
            match = _HEADER.match(line)
            if match:
                self._headers.append((number, _split_dotted(match["name"])))

    def line_of(self, path: tuple[str, ...]) -> int | None:
        # Longest table header that prefixes the path, then the key line inside that table.
        for depth in range(len(path), -1, -1):
            table, rest = path[:depth], path[depth:]
            start, end = self._table_span(table)
            if start is None:
                continue
            if not rest:
                return start or None
            pattern = _key_pattern(rest[0])
            for number in range(start + 1, end):
                if pattern.match(self._lines[number - 1]):
                    return number
            return start or None
        return None

    def _table_span(self, table: tuple[str, ...]) -> tuple[int | None, int]:
        if not table:
            first_header = self._headers[0][0] if self._headers else len(self._lines) + 1
            return 0, first_header
        for index, (number, name) in enumerate(self._headers):
            if name == table:
                end = (
                    self._headers[index + 1][0]
                    if index + 1 < len(self._headers)
                    else len(self._lines) + 1
                )
                return number, end
        return None, 0


class TomlSection:
    """One table of a TOML document, with typed getters that raise precise ConfigErrors."""

    def __init__(
        self,
        path: Path,
        data: Mapping[str, Any],
        *,
        text: str = "",
        key_path: tuple[str, ...] = (),
        _index: _LineIndex | None = None,
    ) -> None:
        self.path = path
        self.data = data
        self.key_path = key_path
        self._index = _index or _LineIndex(text)

    def error(self, key: str | None, problem: str, fix: str) -> ConfigError:
        """A ConfigError about ``key`` of this table (or the table itself when None)."""
        full = (*self.key_path, key) if key else self.key_path
        return ConfigError(
            problem,
            path=self.path,
            key=".".join(full) or None,
            line=self._index.line_of(full),
            fix=fix,
        )

    def check_keys(self, allowed: Iterable[str]) -> None:
        """Reject keys this table does not know, suggesting the closest known one."""
        known = sorted(allowed)
        for key in self.data:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                fix = f"rename it to '{close[0]}'" if close else "remove it"
                raise self.error(key, "unknown key", f"{fix}; known keys here: {', '.join(known)}")

    def table(self, key: str, *, required: bool = False) -> TomlSection:
        """A sub-table (an empty one when absent and not required)."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "missing table", f"add a [{self._dotted(key)}] table")
            value = {}
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, not {_kind(value)}", "write it as key = {…}")
        return TomlSection(self.path, value, key_path=(*self.key_path, key), _index=self._index)

    def tables(self) -> list[tuple[str, TomlSection]]:
        """Every entry of this table as (name, sub-table); each must itself be a table."""
        return [(name, self.table(name)) for name in self.data]

    def string(self, key: str, *, required: bool = False, default: str | None = None) -> str | None:
        """A string value; empty strings count as missing when required."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "missing", f'add {key} = "…"')
            return default
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, not {_kind(value)}", f'write {key} = "…"')
        if required and not value.strip():
            raise self.error(key, "must not be empty", f"give {key} a value")
        return value

    def required_string(self, key: str) -> str:
        """A string that must be present and non-empty."""
        value = self.string(key, required=True)
        assert value is not None  # string(required=True) raises instead of returning None
        return value

    def strings(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of strings."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(key, "missing", f'add {key} = ["…"]')
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(key, "must be a list of strings", f'write {key} = ["…", "…"]')
        return tuple(value)

    def boolean(self, key: str, *, default: bool) -> bool:
        """A true/false value."""
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {_kind(value)}", f"{key} = true")
        return value

    def integer(self, key: str, *, default: int | None, low: int, high: int) -> int | None:
        """An integer within [low, high]."""
        value = self.data.get(key, default)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(key, f"must be a whole number, not {_kind(value)}", f"{key} = {low}")
        if not low <= value <= high:
            raise self.error(key, f"{value} is out of range", f"use a number from {low} to {high}")
        return value

    def timestamp(self, key: str) -> datetime | None:
        """A TOML offset date-time."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise self.error(
                key, f"must be a date-time, not {_kind(value)}", f"{key} = 2026-01-31T12:00:00Z"
            )
        return value

    def _dotted(self, key: str) -> str:
        return ".".join((*self.key_path, key))


def _kind(value: object) -> str:
    names = {
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)
