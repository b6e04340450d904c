"""cc-tui: export customer segments to Constant Contact lists from a terminal."""

__version__ = "0.1.0"
