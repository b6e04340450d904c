"""(d), measured in this process: how long the app's event loop is blocked while a big run goes.

:mod:`benchmarks.lag` runs this in a child process of its own, started as the layout's command
starts (so the service's Polars thread count is set before anything loads Polars). A probe
task on the app's loop sleeps 10 ms at a time and records how late it wakes; the worst delay
is what typing or navigation would feel. The emulator runs in its own process, as Constant
Contact would.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.e2e import _free_port, _setup, _start_emulator
from benchmarks.lag import LagResult
from cc_tui.cli.demo.data import write_demo_segment
from cc_tui.paths import AppPaths
from cc_tui.service.async_client import ServiceLink
from cc_tui.service.home_client import HomeClient
from cc_tui.service.locate import ServiceFiles, service_files
from cc_tui.service.server import ServiceServer, ServiceThread
from cc_tui.ui.app import CcTuiApp, open_home
from cc_tui.ui.messages import RunRequested
from cc_tui.ui.screens.home import HomeScreen

__all__ = ["measure_here"]

TICK = 0.01
_OPENING_LOOK = 0.05  # seconds between looks at whether the app has opened the home
_CC_TUI = Path(sys.executable).with_name("cc-tui")


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
        # Opened as `cc-tui` opens it: on the opening thread, with what the home screen needs;
        # the opening ends once the app has frozen its start-up objects (a full collection).
        while not isinstance(app.screen, HomeScreen) or gc.get_freeze_count() == 0:
            await pilot.pause(_OPENING_LOOK)
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


def measure_here(contacts: int, service: str) -> LagResult:
    """Run ``contacts`` contacts through a headless app and measure its loop's delays;
    ``service`` is one of :data:`~benchmarks.lag.SERVICE_LAYOUTS`."""
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
            home_dir = Path(work) / "home"
            services, _ = _setup(home_dir, port, segment)
            files = service_files(services.paths)
            try:
                with _service(home_dir, services.paths, files, service):
                    client = HomeClient(ServiceLink(services.paths, files))
                    app = CcTuiApp(lambda: open_home(client))
                    delays, seconds, confirmed = asyncio.run(_run_in_app(app))
            finally:
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


@contextlib.contextmanager
def _service(home_dir: Path, paths: AppPaths, files: ServiceFiles, layout: str) -> Iterator[None]:
    """The service of the home at ``home_dir`` for the time of the block, laid out as
    ``layout`` says."""
    if layout == "thread":
        thread = ServiceThread(ServiceServer(paths, files, schedule=False)).start()
        try:
            yield
        finally:
            thread.stop()
        return
    home = ["--home", str(home_dir)]
    subprocess.run([str(_CC_TUI), *home, "service", "start"], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run([str(_CC_TUI), *home, "service", "stop"], check=False, capture_output=True)
