"""The ``cc-tui`` command line (its commands and exit codes: README.md, "Command line")."""

from cc_tui.cli.entry import main

__all__ = ["main"]
