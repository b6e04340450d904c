"""(d) How long the app's event loop is blocked while a big run goes (headless app).

A probe task on the app's loop sleeps 10 ms at a time and records how late it wakes; the
worst delay is what typing or navigation would feel. Target: under 100 ms. The app is a client
of the home's service, which runs on a thread of the same process, as under ``cc-tui demo``
(the harder case: the run's preparation shares the process with the app's loop); the emulator
runs in its own process, as Constant Contact would.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.e2e import _free_port, _setup, _start_emulator
from cc_tui.cli.demo.data import write_demo_segment
from cc_tui.service.async_client import ServiceLink
from cc_tui.service.home_client import HomeClient
from cc_tui.service.locate import service_files
from cc_tui.service.server import ServiceServer, ServiceThread
from cc_tui.ui.app import CcTuiApp, open_home
from cc_tui.ui.messages import RunRequested

__all__ = ["LagResult", "measure_lag"]

TICK = 0.01


@dataclass(frozen=True)
class LagResult:
    """Worst and 99th-percentile wake-up delay of a 10 ms probe, over the whole run."""

    worst_ms: float
    p99_ms: float
    seconds: float
    confirmed: int


async def _probe(delays: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(TICK)
        delays.append(loop.time() - before - TICK)


async def _run_in_app(app: CcTuiApp) -> tuple[list[float], float, int]:
    delays: list[float] = []
    stop = asyncio.Event()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        probe = asyncio.create_task(_probe(delays, stop))
        started = time.perf_counter()
        ended = asyncio.Event()

        def look(export: str) -> None:
            # The run goes on in the service; the app has its record once it has ended.
            run = app.runs.get(export)
            if export == "bench" and run is not None and not run.running:
                ended.set()

        app.runs.changed.subscribe(app, look)
        app.post_message(RunRequested("bench"))
        await ended.wait()
        seconds = time.perf_counter() - started
        stop.set()
        await probe
        run = app.runs.get("bench")
        confirmed = run.record.confirmed if run and run.record else 0
    return delays, seconds, confirmed


def measure_lag(contacts: int = 1_000_000) -> LagResult:
    """Run ``contacts`` contacts through a headless app and measure its loop's delays."""
    port = _free_port()
    emulator = _start_emulator(port)
    try:
        with tempfile.TemporaryDirectory(prefix="cc-tui-lag-") as work:
            segment = Path(work) / "segments" / "contacts.csv"
            write_demo_segment(
                segment,
                contacts,
                seed=11,
                invalid_share=0.0,
                duplicate_share=0.0,
                missing_share=0.0,
            )
            services, _ = _setup(Path(work) / "home", port, segment)
            files = service_files(services.paths)
            service = ServiceThread(ServiceServer(services.paths, files, schedule=False)).start()
            try:
                home = open_home(HomeClient(ServiceLink(services.paths, files)))
                delays, seconds, confirmed = asyncio.run(_run_in_app(CcTuiApp(home)))
            finally:
                service.stop()
                services.close()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    ordered = sorted(delays)
    p99 = ordered[int(len(ordered) * 0.99)] if ordered else 0.0
    return LagResult(
        worst_ms=max(delays, default=0.0) * 1000,
        p99_ms=p99 * 1000,
        seconds=seconds,
        confirmed=confirmed,
    )
