"""Peak memory of this process, sampled from /proc every 5 ms (RSS = anonymous + file pages)."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

__all__ = ["PeakMemory"]

_STATUS = Path("/proc/self/status")


class PeakMemory:
    """Samples RssAnon and RssFile in a daemon thread; ``peak_mb`` is the highest total seen."""

    def __init__(self, interval: float = 0.005) -> None:
        self.peak_anon_mb = 0.0
        self.peak_mb = 0.0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            text = _STATUS.read_text()
            anon = _kb(text, "RssAnon") / 1024
            total = anon + _kb(text, "RssFile") / 1024
            self.peak_anon_mb = max(self.peak_anon_mb, anon)
            self.peak_mb = max(self.peak_mb, total)
            time.sleep(self._interval)


def _kb(text: str, field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+)", text, re.MULTILINE)
    return int(match[1]) if match else 0
