"""Parse an import body the way Constant Contact treats oversized ones.

Bytes past the import size limit are silently dropped: only contacts whose JSON lies wholly
inside the first ``max_bytes`` bytes are imported. The whole body is still parsed, so keys that
come after ``import_data`` (``list_ids``) are honoured.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["ParsedImport", "parse_import_body"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
ParsedImport = tuple[Any, int | None]


def parse_import_body(body: bytes, max_bytes: int) -> ParsedImport:
    """``(document, kept)``: kept is how many ``import_data`` items fit, or None if all do.

    Raises ``ValueError`` (``json.JSONDecodeError`` or ``UnicodeDecodeError``) for a body that
    is not JSON.
    """
    if len(body) <= max_bytes:
        return json.loads(body), None
    text = body.decode("utf-8")
    # Offsets below are in characters; count the characters wholly inside the byte limit.
    limit = len(body[:max_bytes].decode("utf-8", errors="ignore"))
    return _scan_object(text, limit)


def _skip(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def _scan_object(text: str, limit: int) -> ParsedImport:
    index = _skip(text, 0)
    if text[index : index + 1] != "{":
        return json.loads(text), None
    doc: dict[str, Any] = {}
    kept: int | None = None
    index = _skip(text, index + 1)
    if text[index : index + 1] == "}":
        return _finish(text, index + 1, doc, kept)
    while True:
        if text[index : index + 1] != '"':
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", text, index
            )
        key, index = _DECODER.raw_decode(text, index)
        index = _skip(text, index)
        if text[index : index + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", text, index)
        index = _skip(text, index + 1)
        if key == "import_data" and text[index : index + 1] == "[":
            doc[key], index, kept = _scan_array(text, index, limit)
        else:
            doc[key], index = _DECODER.raw_decode(text, index)
        index = _skip(text, index)
        separator = text[index : index + 1]
        if separator == "}":
            return _finish(text, index + 1, doc, kept)
        if separator != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        index = _skip(text, index + 1)


def _scan_array(text: str, index: int, limit: int) -> tuple[list[Any], int, int]:
    items: list[Any] = []
    kept = 0
    index = _skip(text, index + 1)
    if text[index : index + 1] == "]":
        return items, index + 1, kept
    while True:
        item, index = _DECODER.raw_decode(text, index)
        items.append(item)
        if index <= limit:
            kept = len(items)
        index = _skip(text, index)
        separator = text[index : index + 1]
        if separator == "]":
            return items, index + 1, kept
        if separator != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        index = _skip(text, index + 1)


def _finish(text: str, index: int, doc: dict[str, Any], kept: int | None) -> ParsedImport:
    if _skip(text, index) != len(text):
        raise json.JSONDecodeError("Extra data", text, index)
    return doc, kept
