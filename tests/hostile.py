"""Hostile strings every face must show literally, never as markup or terminal control."""

from __future__ import annotations

__all__ = ["C1_CONTROLS", "HOSTILE", "HOSTILE_NAMES", "assert_harmless"]

CLEAR_SCREEN = "\x1b[2J"
OSC_TITLE = "\x1b]0;title\x07"
OSC8_LINK = "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"
MARKUP_LINK = "[link=https://evil]x[/link]"
CLOSE_ALL = "[/]"
OPEN_BOLD = "[bold"
UNBALANCED = "]][[x]"
C1_CSI = "\x9b31m"
CARRIAGE_RETURN = "before\rafter"
BIDI_OVERRIDE = "\u202eabc"

HOSTILE = (
    CLEAR_SCREEN,
    OSC_TITLE,
    OSC8_LINK,
    MARKUP_LINK,
    CLOSE_ALL,
    OPEN_BOLD,
    UNBALANCED,
    C1_CSI,
    CARRIAGE_RETURN,
    BIDI_OVERRIDE,
)
"""Escape sequences, OSC 0/8, Rich/Textual markup, unbalanced brackets, C1, CR, bidi."""

HOSTILE_NAMES = {
    "clear": CLEAR_SCREEN,
    "title": OSC_TITLE,
    "link": OSC8_LINK,
    "markup": MARKUP_LINK,
    "close": CLOSE_ALL,
    "bold": OPEN_BOLD,
    "brackets": UNBALANCED,
    "c1": C1_CSI,
    "cr": CARRIAGE_RETURN,
    "bidi": BIDI_OVERRIDE,
}
"""The hostile strings by a short name (for ids and file names)."""

C1_CONTROLS = frozenset(chr(code) for code in range(0x80, 0xA0))
_FORBIDDEN = frozenset({"\x1b", "\x07", "\r", "\u202e"}) | C1_CONTROLS
# What a hostile string looks like once made visible (cc_tui.safe_text.visible).
SHOWN_LITERALLY = (MARKUP_LINK, CLOSE_ALL, OPEN_BOLD, UNBALANCED)
SHOWN_AS = ("␛[2J", "␛]0;title␇", "␛]8;;http://evil␛\\link", "<U+009B>31m", "<U+202E>abc")


def assert_harmless(output: str, *, expect: tuple[str, ...] = ()) -> None:
    """No ESC, BEL, CR, C1 or bidi override in ``output``; each of ``expect`` is in it."""
    found = sorted({repr(char) for char in output if char in _FORBIDDEN})
    assert not found, f"raw control characters in the output: {', '.join(found)}"
    for text in expect:
        assert text in output, f"{text!r} is not shown literally in:\n{output}"
