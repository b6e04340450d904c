"""Benchmarks of cc-tui (``make bench``); they print figures and are never part of the tests."""
