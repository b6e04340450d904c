"""A local Constant Contact V3 API emulator (auth server and API) for demos and tests.

Import :mod:`cc_tui.emulator.server` for :class:`EmulatorServer` and
:mod:`cc_tui.emulator.command` for the ``cc-tui emulator`` command; this package module stays
empty so that importing it costs nothing.
"""

from __future__ import annotations

__all__: list[str] = []
