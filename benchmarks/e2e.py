"""(b) A 1,000,000-contact run against the emulator beside the rate-limit floor, and
(c) the same job done naively (csv module, one request at a time) in the same session.

The emulator runs in its own process (as Constant Contact would), with fast processing and
no faults. The floor is ceil(requests / 4) seconds: Constant Contact takes 4 requests a second.
Every measured run, the baseline's too, starts from a freshly reset account: the emulator is
Python and gets slower as re-imports churn its million stored contacts (measured: 7.2 s, then
7.9, 8.2 and 9.1 s for the same run repeated), which would measure the emulator, not the client.
"""

from __future__ import annotations

import asyncio
import csv
import json
import math
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from cc_tui.engine.demo_data import write_demo_segment
from cc_tui.engine.exports import build_export
from cc_tui.engine.runner import ExportRunner, RunOptions
from cc_tui.engine.services import Services
from cc_tui.paths import AppPaths

__all__ = ["E2EResult", "measure_end_to_end"]

LIST_NAME = "Newsletter subscribers"
EMAIL = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}$")
NAIVE_BATCH = 40_000
NAIVE_MAX_BYTES = 4_000_000


@dataclass(frozen=True)
class E2EResult:
    """What one end-to-end measurement found."""

    contacts: int
    seconds: float
    requests: int
    floor: float
    naive_seconds: float | None
    naive_requests: int | None
    runs: tuple[tuple[float, int, int], ...] = ()
    """Every measured run: seconds, requests, throttled answers."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_emulator(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cc_tui", "emulator", "--port", str(port), "--auto-approve",
         "--device-poll-interval", "0.05", "--processing-rate", "5000000",
         "--activity-start-delay", "0.05", "--daily-quota", "100000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/__emulator/stats", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the emulator did not start")


def _reset(port: int) -> None:
    """Back to the seeded account (tokens and list ids survive a reset)."""
    httpx.post(f"http://127.0.0.1:{port}/__emulator/reset", timeout=30).raise_for_status()


def _setup(home: Path, port: int, segment: Path) -> tuple[Services, str]:
    services = Services.open(AppPaths.resolve(home))
    services.config.update(lambda c: replace(c, segments_dirs=(segment.parent,)))
    root = f"http://127.0.0.1:{port}"
    services.connections.add(
        "bench",
        client_id="bench",
        accept_privacy=True,
        api_base_url=f"{root}/v3",
        auth_base_url=f"{root}/oauth2/default/v1",
    )
    asyncio.run(services.connections.sign_in("bench", on_code=lambda _: None))
    lists = asyncio.run(services.connections.contact_lists("bench"))
    list_id = next(item.list_id for item in lists if item.name == LIST_NAME)
    services.exports.save(
        build_export(
            "bench",
            connection="bench",
            list_ids=[list_id],
            segments=[segment.stem],
            email="email",
            first_name="first_name",
            last_name="last_name",
        )
    )
    return services, list_id


def measure_end_to_end(
    contacts: int = 1_000_000, *, naive: bool = True, repeats: int = 3
) -> E2EResult:
    """Generate a segment of exactly ``contacts`` valid, distinct contacts and send it
    ``repeats`` times (the median counts: two cores make single runs vary by about 15%)."""
    port = _free_port()
    emulator = _start_emulator(port)
    try:
        with tempfile.TemporaryDirectory(prefix="cc-tui-bench-") as work:
            segment = Path(work) / "segments" / "contacts.csv"
            write_demo_segment(
                segment, contacts, seed=7, invalid_share=0.0, duplicate_share=0.0, missing_share=0.0
            )
            services, list_id = _setup(Path(work) / "home", port, segment)
            timings = []
            for _ in range(repeats):
                _reset(port)
                started = time.perf_counter()
                record = asyncio.run(ExportRunner(services).run("bench", RunOptions()))
                timings.append((time.perf_counter() - started, record.requests, record.throttled))
                if record.confirmed != contacts:
                    raise RuntimeError(f"run ended {record.status}: {record.error}")
            seconds, requests, _ = sorted(timings)[len(timings) // 2]
            tokens = services.secrets.tokens("bench")
            assert tokens is not None
            _reset(port)
            naive_result = (
                _naive(segment, f"http://127.0.0.1:{port}/v3", tokens.access_token, list_id)
                if naive
                else None
            )
            services.close()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    return E2EResult(
        contacts,
        seconds,
        requests,
        math.ceil(requests / 4),
        naive_result[0] if naive_result else None,
        naive_result[1] if naive_result else None,
        tuple(timings),
    )


def _naive(segment: Path, api: str, token: str, list_id: str) -> tuple[float, int]:
    """The job as a straightforward script would do it: csv, a set, one request at a time."""
    started = time.perf_counter()
    requests = 0
    seen: set[str] = set()
    batch: list[dict[str, str]] = []
    client = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    with segment.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            email = (row["email"] or "").strip().lower()
            if not EMAIL.match(email) or email in seen:
                continue
            seen.add(email)
            contact = {"email": email}
            for field in ("first_name", "last_name"):
                if row[field]:
                    contact[field] = row[field]
            batch.append(contact)
            if len(batch) == NAIVE_BATCH:
                requests += _naive_send(client, batch, list_id)
                batch = []
    if batch:
        requests += _naive_send(client, batch, list_id)
    client.close()
    return time.perf_counter() - started, requests


def _naive_send(client: httpx.Client, batch: list[dict[str, str]], list_id: str) -> int:
    requests = 0
    body = json.dumps({"import_data": batch, "list_ids": [list_id]})
    while len(body.encode()) > NAIVE_MAX_BYTES:  # halve until it fits, as a script would
        half = len(batch) // 2
        requests += _naive_send(client, batch[:half], list_id)
        batch = batch[half:]
        body = json.dumps({"import_data": batch, "list_ids": [list_id]})
    response, sent = _naive_call(client, "POST", "/activities/contacts_json_import", body)
    requests += sent
    activity = response.json()["activity_id"]
    while True:
        time.sleep(1.0)
        response, sent = _naive_call(client, "GET", f"/activities/{activity}", None)
        requests += sent
        if response.json()["state"] in {"completed", "failed", "cancelled", "timed_out"}:
            return requests


def _naive_call(
    client: httpx.Client, method: str, path: str, body: str | None
) -> tuple[httpx.Response, int]:
    sent = 0
    while True:
        sent += 1
        response = client.request(
            method, path, content=body, headers={"Content-Type": "application/json"}
        )
        if response.status_code != 429:
            response.raise_for_status()
            return response, sent
        time.sleep(1.0)
