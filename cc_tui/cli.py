"""Command line: builds config, stores and services, then runs the command or the App."""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cc-tui`` console script."""
    return 0
