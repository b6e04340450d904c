"""Outside text made safe to show: no terminal control, nothing invisible that changes meaning.

Segment values, column names, file names, config keys and API error texts reach the screen
through Rich (the command line) and Textual (the app). Neither removes ESC, so a value such
as ``"\\x1b]0;title\\x07"`` would retitle the terminal, ``"\\x1b[2J"`` would clear it and an
OSC 8 sequence would plant a hidden link. :func:`visible` turns every such character into a
visible stand-in, so the person sees that the text holds it and the terminal never acts on it:

- C0 controls and DEL become Unicode control pictures (ESC is ``␛``, BEL ``␇``, CR ``␍``...);
  a line feed is kept only in ``multiline`` text, a tab only there too.
- C1 controls (``U+0080``-``U+009F``, among them the one-byte CSI ``U+009B`` and OSC
  ``U+009D``) become ``<U+009B>``: there is no control picture for them.
- Bidirectional overrides, embeddings, isolates and marks (the "Trojan source" characters),
  the line and paragraph separators and the byte-order mark become ``<U+202E>`` and so on:
  they reorder or hide what is shown.
- Lone surrogates, which Python uses for file-name bytes that are not UTF-8, become ``\\xNN``
  (the byte), because an encoder would otherwise raise on them.

Markup is the other half: Rich and Textual read ``[bold]`` or ``[link=...]`` in a string as
styling, and an unbalanced ``[/]`` raises. Their escape functions miss some tags (Textual's
``[$variable]``) and double a trailing backslash, so cc-tui never puts outside text into a
markup string at all: the faces build ``rich.text.Text`` / ``textual.content.Content`` objects
from :func:`visible` text, which are never parsed as markup.

Base layer: standard library only.
"""

from __future__ import annotations

__all__ = [
    "CELL_CHARACTERS",
    "CONTROL_PICTURES_START",
    "REPLACEMENT",
    "SHOWN_CHARACTERS",
    "visible",
    "visible_in_place",
]

SHOWN_CHARACTERS = 10_000
"""The most characters of one outside text that are ever shown (the rest is counted): a data
value or a header line can be megabytes long (a file with no line break), and a terminal
table built from it would take minutes and gigabytes to lay out."""
CELL_CHARACTERS = 500
"""The most characters shown in one table cell."""

CONTROL_PICTURES_START = 0x2400
"""U+2400 SYMBOL FOR NULL: the control picture of C0 code ``n`` is ``U+2400 + n``."""
_DEL = 0x7F
_DEL_PICTURE = "\u2421"  # SYMBOL FOR DELETE
_C0_END = 0x20
_C1 = range(0x80, 0xA0)
_SURROGATES = range(0xD800, 0xE000)
_SURROGATE_ESCAPE_BASE = 0xDC00  # surrogateescape maps byte b to U+DC00 + b
_SURROGATE_ESCAPE_END = 0xDD00
# Characters that reorder or hide text without being controls in the C0/C1 sense.
_INVISIBLE_FORMAT = frozenset(
    {
        0x061C,  # ARABIC LETTER MARK
        0x200E,  # LEFT-TO-RIGHT MARK
        0x200F,  # RIGHT-TO-LEFT MARK
        *range(0x202A, 0x202F),  # LRE, RLE, PDF, LRO, RLO
        *range(0x2066, 0x206A),  # LRI, RLI, FSI, PDI
        0x2028,  # LINE SEPARATOR
        0x2029,  # PARAGRAPH SEPARATOR
        0xFEFF,  # BYTE ORDER MARK / ZERO WIDTH NO-BREAK SPACE
    }
)
_KEPT_IN_MULTILINE = frozenset({"\n", "\t"})
REPLACEMENT = "\ufffd"
"""U+FFFD, the stand-in of :func:`visible_in_place` for characters without a control picture."""


def _stand_in(code: int) -> str:
    if code < _C0_END:
        return chr(CONTROL_PICTURES_START + code)
    if code == _DEL:
        return _DEL_PICTURE
    if _SURROGATE_ESCAPE_BASE <= code < _SURROGATE_ESCAPE_END:
        return f"\\x{code - _SURROGATE_ESCAPE_BASE:02x}"
    return f"<U+{code:04X}>"


def _needs_stand_in(code: int) -> bool:
    return (
        code < _C0_END
        or code == _DEL
        or code in _C1
        or code in _INVISIBLE_FORMAT
        or code in _SURROGATES
    )


def visible(text: object, *, multiline: bool = False, limit: int | None = SHOWN_CHARACTERS) -> str:
    """``text`` (``str()`` of it) with every control or hiding character shown as a stand-in.

    Line feeds and tabs stay in ``multiline`` text (messages, notes); elsewhere (a table cell,
    a name, a title) they become ``␊`` and ``␉`` as well, so one value stays on one line and
    its columns line up. Text without such characters is returned unchanged. Past ``limit``
    characters the text is cut, and the cut says how many characters it left out.
    """
    string = text if isinstance(text, str) else str(text)
    if limit is not None and len(string) > limit:
        left_out = len(string) - limit
        return f"{visible(string[:limit], multiline=multiline, limit=None)}… ({left_out:,} more)"
    if string.isprintable():
        # The common case, and safe: every character replaced below is "not printable" to
        # Python (categories Cc, Cf, Cs, Zl, Zp), so printable text needs no copy.
        return string
    out = []
    for char in string:
        code = ord(char)
        if multiline and char in _KEPT_IN_MULTILINE:
            out.append(char)
        elif _needs_stand_in(code):
            out.append(_stand_in(code))
        else:
            out.append(char)
    return "".join(out)


def visible_in_place(text: str) -> str:
    """Like :func:`visible`, but one character for one: for text being edited.

    An input field's cursor counts characters, so each C0 control becomes its control picture
    and every other replaced character (C1, bidi, surrogates...) becomes ``U+FFFD``. The length
    never changes.
    """
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if not _needs_stand_in(code):
            out.append(char)
        elif code < _C0_END:
            out.append(chr(CONTROL_PICTURES_START + code))
        elif code == _DEL:
            out.append(_DEL_PICTURE)
        else:
            out.append(REPLACEMENT)
    return "".join(out)
