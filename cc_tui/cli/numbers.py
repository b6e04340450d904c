"""Whole-number options (``--limit N``, ``--rows N``) checked as the command line is parsed.

``type=int`` takes ``-1`` as happily as ``20``, and a negative count then means something no
one asked for: ``history --limit -1`` listed every run (SQLite's ``LIMIT -1``), ``--limit 0``
said "No runs yet." of a home full of runs, ``demo --rows -5`` failed with a traceback. Each
option says the least it takes instead, and argparse exits 2 naming the option.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["at_least", "between"]


def at_least(least: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number, ``least`` or more."""

    def whole_number(text: str) -> int:
        try:
            number = int(text.strip())
        except ValueError:
            number = None
        if number is None or number < least:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not a whole number of {least} or more: give one, like {least + 1}"
            )
        return number

    return whole_number


def between(least: int, most: int, why: str) -> Callable[[str], int]:
    """An argparse ``type``: a whole number from ``least`` to ``most``; ``why`` says what the
    upper bound is for (it ends the message of a number over it)."""
    whole_number = at_least(least)

    def bounded(text: str) -> int:
        number = whole_number(text)
        if number > most:
            raise argparse.ArgumentTypeError(f"'{text}' is over {most:,}: {why}")
        return number

    return bounded
