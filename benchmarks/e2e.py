"""(b) A 1,000,000-contact run against the emulator beside the rate-limit floor, on a direct
network and on a jittery one, and (c) the same job done naively (csv module, one request at a
time) in the same session.

The emulator runs in its own process (as Constant Contact would), with fast processing and no
faults. The floor is ceil(requests / 4) seconds: Constant Contact takes 4 requests a second,
counted when they arrive. The jittery network is the realistic case of docs/api-rules.md §2:
each request is counted 0-80 ms late (arrival jitter) and answered 20-150 ms late (latency),
drawn from a seeded generator. For every run the emulator reports what it saw: throttled
answers and the most requests that arrived within any one second.

Every measured run, the baseline's too, starts from a freshly reset account: the emulator is
Python and gets slower as re-imports churn its million stored contacts (measured: 7.2 s, then
7.9, 8.2 and 9.1 s for the same run repeated), which would measure the emulator, not the client.
"""

from __future__ import annotations

import asyncio
import csv
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from cc_tui.cli.demo.data import write_demo_segment
from cc_tui.constant_contact.client import connection_key
from cc_tui.constant_contact.limiter import DEFAULT_WINDOW, MAX_MARGIN, limiter_for
from cc_tui.engine.exports import build_export
from cc_tui.engine.run_options import RunOptions
from cc_tui.engine.runner import ExportRunner
from cc_tui.engine.services import Services
from cc_tui.paths import AppPaths

__all__ = [
    "DIRECT",
    "JITTERY",
    "NETWORKS",
    "CaseResult",
    "E2EResult",
    "Network",
    "RunFigures",
    "measure_end_to_end",
]

LIST_NAME = "Newsletter subscribers"
EMAIL = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}$")
NAIVE_BATCH = 40_000
NAIVE_MAX_BYTES = 4_000_000
RATE_LIMIT = 4  # requests per second, as Constant Contact counts them
NETWORK_SEED = 8  # the emulator's seed: the jitter draws are the same in every session
WINDOW_CLEAR = DEFAULT_WINDOW + MAX_MARGIN  # seconds after which no earlier request counts


@dataclass(frozen=True)
class Network:
    """How the emulator's simulated network treats requests in one case."""

    label: str
    arrival_jitter: float = 0.0
    """Each request is counted a random 0..this many seconds late."""
    latency: tuple[float, float] = (0.0, 0.0)
    """Each answer waits a random low..high seconds."""

    def options(self) -> list[str]:
        """The ``cc-tui emulator`` options that make it."""
        low, high = self.latency
        return ["--arrival-jitter", str(self.arrival_jitter), "--latency", f"{low}-{high}"]


DIRECT = Network("no jitter")
JITTERY = Network("arrival 0-80 ms, latency 20-150 ms", 0.08, (0.02, 0.15))
NETWORKS = (DIRECT, JITTERY)


@dataclass(frozen=True)
class RunFigures:
    """One measured run, as the client and the emulator saw it."""

    seconds: float
    requests: int
    """API requests the client sent, retries included."""
    throttled: int
    """429 ``throttled`` answers the emulator gave."""
    max_per_second: int
    """The most requests that arrived at the emulator within any one second."""
    tightest_span: float | None
    """The shortest time in which 5 requests arrived (over 1 s: the limit held)."""
    check_seconds: float = 0.0
    """The check after the run (list counts and a sample of e-mails, issue 12), which every
    real run makes once its contacts are confirmed; not in ``seconds``."""
    check_requests: int = 0
    """The check's requests (not in ``requests``)."""

    @property
    def floor(self) -> int:
        """ceil(requests / 4) seconds: the rate limit's floor."""
        return math.ceil(self.requests / RATE_LIMIT)

    @property
    def ratio(self) -> float:
        """Seconds over the floor."""
        return self.seconds / self.floor


@dataclass(frozen=True)
class CaseResult:
    """Every run on one network, and what the client's rate limiter measured."""

    network: Network
    runs: tuple[RunFigures, ...]
    wire_delays: tuple[float, ...]
    """Seconds from each request's booked slot to its first byte on the wire."""
    held_at_wire: int
    """Requests the limiter held at the wire (the request 4 before them had left late)."""
    longest_hold: float
    """The longest of those holds, in seconds."""
    load: tuple[float, float]
    """The machine's 1-minute load average before and after the runs (2 cores, shared)."""
    widest_margin: float
    """The widest margin the limiter booked with (stated, widened or measured)."""

    @property
    def median(self) -> RunFigures:
        """The median run by time (two cores make single runs vary by about 15%)."""
        return sorted(self.runs, key=lambda run: run.seconds)[len(self.runs) // 2]


@dataclass(frozen=True)
class E2EResult:
    """What the end-to-end measurement found."""

    contacts: int
    cases: tuple[CaseResult, ...]
    naive_seconds: float | None
    naive_requests: int | None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_emulator(port: int, network: Network = DIRECT) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cc_tui", "emulator", "--port", str(port), "--auto-approve",
         "--device-poll-interval", "0.05", "--processing-rate", "5000000",
         "--activity-start-delay", "0.05", "--daily-quota", "100000",
         "--seed", str(NETWORK_SEED), *network.options()],
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


def _server_stats(port: int) -> dict[str, Any]:
    response = httpx.get(f"http://127.0.0.1:{port}/__emulator/stats", timeout=30)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


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
    contacts: int = 1_000_000,
    *,
    naive: bool = True,
    repeats: int = 3,
    networks: tuple[Network, ...] = NETWORKS,
) -> E2EResult:
    """Generate a segment of exactly ``contacts`` valid, distinct contacts and send it
    ``repeats`` times over each network; then, on the first network, the naive baseline."""
    cases: list[CaseResult] = []
    naive_result: tuple[float, int] | None = None
    with tempfile.TemporaryDirectory(prefix="cc-tui-bench-") as work:
        segment = Path(work) / "segments" / "contacts.csv"
        write_demo_segment(
            segment, contacts, seed=7, invalid_share=0.0, duplicate_share=0.0, missing_share=0.0
        )
        for number, network in enumerate(networks):
            with_naive = naive and number == 0
            case, baseline = _measure_case(
                Path(work) / f"home-{number}",
                segment,
                contacts,
                network,
                repeats=repeats,
                naive=with_naive,
            )
            cases.append(case)
            naive_result = baseline or naive_result
    return E2EResult(
        contacts,
        tuple(cases),
        naive_result[0] if naive_result else None,
        naive_result[1] if naive_result else None,
    )


def _measure_case(
    home: Path, segment: Path, contacts: int, network: Network, *, repeats: int, naive: bool
) -> tuple[CaseResult, tuple[float, int] | None]:
    port = _free_port()
    emulator = _start_emulator(port, network)
    try:
        services, list_id = _setup(home, port, segment)
        limiter = limiter_for(connection_key(services.connections.get("bench")))
        load_before = os.getloadavg()[0]
        held_before, delays_before = limiter.held_at_wire, len(limiter.wire_delays)
        limiter.longest_hold = limiter.widest_margin = 0.0
        runs = tuple(_measured_run(services, port, contacts) for _ in range(repeats))
        # A fresh limiter (a new port is a new key), far from the few thousand delays it keeps.
        delays = tuple(limiter.wire_delays)[delays_before:]
        held = limiter.held_at_wire - held_before
        load = (load_before, os.getloadavg()[0])
        case = CaseResult(
            network, runs, delays, held, limiter.longest_hold, load, limiter.widest_margin
        )
        baseline = None
        if naive:
            tokens = services.secrets.tokens("bench")
            assert tokens is not None
            _reset(port)
            baseline = _naive(segment, f"http://127.0.0.1:{port}/v3", tokens.access_token, list_id)
        services.close()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    return case, baseline


def _measured_run(services: Services, port: int, contacts: int) -> RunFigures:
    _reset(port)
    # Start with the rate-limit window clear, as a fresh `cc-tui run` process does: the
    # process-wide limiter still counts the previous run's last requests.
    time.sleep(WINDOW_CLEAR)
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    record = asyncio.run(ExportRunner(services).run("bench", RunOptions()))
    total = time.perf_counter() - started
    # The run ends when its last contact is confirmed (``finished_at``); the check of the
    # lists follows it and is timed apart, as a person sees it ("Checking the lists...").
    assert record.finished_at is not None
    seconds = min(total, (record.finished_at - started_at).total_seconds())
    if record.confirmed != contacts:
        raise RuntimeError(f"run ended {record.status}: {record.error}")
    stats = _server_stats(port)
    return RunFigures(
        seconds,
        record.requests,
        stats["throttled"],
        stats["max_requests_in_one_second"],
        stats["tightest_span_per_application"].get("bench"),
        total - seconds,
        record.verification.requests if record.verification else 0,
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
