"""The ``cc-tui`` command line (ARCHITECTURE.md section 5 is its contract)."""

from cc_tui.cli.entry import main

__all__ = ["main"]
