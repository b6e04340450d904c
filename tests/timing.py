"""Sender timing for tests against the emulator: brisk polls, and searches for lost imports
sized for a server on this machine (its activities are listed after about a second and stamped
with this machine's clock)."""

from __future__ import annotations

from cc_tui.engine.run_options import SenderTiming

__all__ = ["FAST"]

FAST = SenderTiming(poll_busy=0.05, poll_idle=0.05, visibility_wait=1.5, clock_skew=0.1)
