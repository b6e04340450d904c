"""Fakes for sender and reconciler tests: a clock that only moves when slept on, and an
account (an httpx.MockTransport) whose imports, activity list lag and activity endings a test
scripts: 500 after creating, dropped connections, activities that fail, are cancelled, time out
or never finish."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.constant_contact.limiter import RateLimiter
from cc_tui.constant_contact.server_clock import ServerClock
from cc_tui.engine.batching import REF_EMAIL, Batch
from cc_tui.engine.progress import ProgressTracker
from cc_tui.engine.rejected import RejectedRowsWriter
from cc_tui.engine.run_options import SenderTiming
from cc_tui.engine.sending import BatchSender
from cc_tui.models.batch import BatchRecord
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.history import HistoryStore
from cc_tui.store.run_history import RunHistory
from tests.constant_contact.cc_fakes import make_client

EPOCH = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
IMPORT_PATH = "/v3/activities/contacts_json_import"
ACTIVITIES_PATH = "/v3/activities"


class FakeClock:
    """Monotonic seconds and UTC time that move only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def utc(self) -> datetime:
        return EPOCH + timedelta(seconds=self.now)

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@dataclass
class FakeActivity:
    activity_id: str
    created: float
    total: int
    ends: list[tuple[float, str]] = field(default_factory=lambda: [(1.0, "completed")])
    counters: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def state(self, now: float) -> str:
        state = "initialized"
        for after, then in self.ends:
            if now - self.created >= after:
                state = then
        return state

    def to_json(self, now: float) -> dict[str, Any]:
        created = EPOCH + timedelta(seconds=self.created)
        state = self.state(now)
        status = {"items_total_count": self.total, **self.counters}
        if state == "completed":
            status.setdefault("person_count", self.total)
        return {
            "activity_id": self.activity_id,
            "state": state,
            "created_at": created.isoformat().replace("+00:00", "Z"),
            "percent_done": 100 if state == "completed" else 0,
            "activity_errors": list(self.errors),
            "status": status,
        }


class FakeAccount:
    """Constant Contact as far as imports and activities go, scripted per import.

    ``outcomes`` says what each import POST does, in order (the last repeats): ``"201"``
    creates the activity and answers it, ``"500"`` creates it and answers 500, ``"drop"``
    creates it and drops the connection, ``"lost"`` drops the connection without creating
    anything. ``endings`` gives each new activity its ``(seconds after creation, state)``
    steps (the last repeats); ``[]`` never finishes. New activities show in ``GET
    /activities`` only ``lag`` seconds after their creation; ``GET /activities/{id}`` sees them
    after ``by_id_lag`` seconds (at once by default), and answers 404 before; with ``brief``
    the list leaves out each activity's ``status``. Each activity gets ``counters`` (beside
    ``items_total_count``) and ``errors``.
    With ``ahead`` (seconds), the account's clock is that far ahead of ours (negative: behind):
    activities' times (``created``, the lag, their endings) and ``requests`` are by it, and
    every answer carries a ``Date`` header from it.
    """

    def __init__(
        self,
        clock: FakeClock,
        *,
        outcomes: list[str] | None = None,
        endings: list[list[tuple[float, str]]] | None = None,
        lag: float = 0.0,
        counters: dict[str, int] | None = None,
        errors: list[str] | None = None,
        ahead: float | None = None,
        by_id_lag: float = 0.0,
        brief: bool = False,
    ) -> None:
        self.clock = clock
        self.ahead = ahead
        self.by_id_lag = by_id_lag
        self.brief = brief
        self.counters = counters or {}
        self.errors = errors or []
        self.outcomes = outcomes or ["201"]
        self.endings = endings if endings is not None else [[(1.0, "completed")]]
        self.lag = lag
        self.activities: list[FakeActivity] = []
        self.requests: list[tuple[float, str, str]] = []  # (time, method, path)
        self.contacts_submitted = 0
        self._posts = 0

    def add_activity(
        self, total: int, *, created: float, ends: list[tuple[float, str]] | None = None
    ) -> FakeActivity:
        activity = FakeActivity(
            str(uuid.uuid4()), created, total, ends if ends is not None else [(1.0, "completed")]
        )
        self.activities.append(activity)
        return activity

    def count(self, method: str, path: str) -> int:
        return sum(1 for _, m, p in self.requests if m == method and p == path)

    def poll_times(self) -> list[float]:
        return [t for t, m, p in self.requests if m == "GET" and p.startswith(ACTIVITIES_PATH)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self._answer(request)
        if self.ahead is not None:
            dated = EPOCH + timedelta(seconds=self.clock.now + self.ahead)  # cut to the second
            response.headers["Date"] = format_datetime(dated.replace(microsecond=0), usegmt=True)
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        now = self.clock.now + (self.ahead or 0.0)  # by the account's clock
        path = request.url.path
        self.requests.append((now, request.method, path))
        if request.method == "POST" and path == IMPORT_PATH:
            return self._import(request, now)
        if request.method == "GET" and path == ACTIVITIES_PATH:
            return self._listing(request, now)
        if request.method == "GET" and path.startswith(ACTIVITIES_PATH + "/"):
            found = [
                a
                for a in self.activities
                if a.activity_id == path.rsplit("/", 1)[1] and now - a.created >= self.by_id_lag
            ]
            if not found:
                return httpx.Response(404, json=[{"error_key": "not_found"}])
            return httpx.Response(200, json=found[0].to_json(now))
        return httpx.Response(404, json=[{"error_key": "not_found"}])

    def _import(self, request: httpx.Request, now: float) -> httpx.Response:
        outcome = self.outcomes[min(self._posts, len(self.outcomes) - 1)]
        ends = self.endings[min(self._posts, len(self.endings) - 1)]
        self._posts += 1
        if outcome == "lost":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        total = len(json.loads(request.content)["import_data"])
        self.contacts_submitted += total
        activity = self.add_activity(total, created=now, ends=list(ends))
        activity.counters, activity.errors = dict(self.counters), list(self.errors)
        if outcome == "drop":
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if outcome == "500":
            return httpx.Response(
                500, json=[{"error_key": "server_error", "error_message": "internal"}]
            )
        return httpx.Response(201, json=activity.to_json(now))

    def _listing(self, request: httpx.Request, now: float) -> httpx.Response:
        limit = int(request.url.params.get("limit", "50"))
        offset = int(request.url.params.get("offset", "0"))
        visible = [a for a in reversed(self.activities) if now - a.created >= self.lag]
        page = visible[offset : offset + limit]
        items = [a.to_json(now) for a in page]
        if self.brief:  # the swagger requires no property of a listed activity
            items = [{k: v for k, v in item.items() if k != "status"} for item in items]
        body: dict[str, Any] = {"activities": items}
        if offset + limit < len(visible):
            href = f"/v3/activities?limit={limit}&offset={offset + limit}"
            body["_links"] = {"next": {"href": href}}
        return httpx.Response(200, json=body)

    def client(self, transport: httpx.AsyncBaseTransport | None = None) -> ConstantContactClient:
        # No pacing: the limiter would wait in real time, and the test clock is fake.
        limiter = RateLimiter(max_requests=1_000_000, min_gap=0.0)
        return make_client(
            transport or httpx.MockTransport(self),
            limiter=limiter,
            server_clock=ServerClock(self.clock.utc),
        )


def make_batch(seq: int, contacts: int, *, start: int = 0) -> Batch:
    emails = [f"p{start + i}@example.com" for i in range(contacts)]
    body = json.dumps({"import_data": [{"email": e} for e in emails], "list_ids": ["x"]})
    refs = pl.DataFrame(
        {
            "segment": [0] * contacts,
            "row": list(range(start + 1, start + contacts + 1)),
            REF_EMAIL: emails,
        },
        schema={"segment": pl.Int64, "row": pl.Int64, REF_EMAIL: pl.String},
    )
    return Batch(seq=seq, body=body.encode(), contacts=contacts, refs=refs)


@dataclass
class SenderRig:
    """A sender over a fake account and clock, with a real history in a temp folder."""

    clock: FakeClock
    account: FakeAccount
    history: RunHistory
    tracker: ProgressTracker
    rejected_path: Path
    run_id: str
    transport: httpx.AsyncBaseTransport | None = None

    def sender(
        self,
        timing: SenderTiming,
        checkpoints: dict[int, BatchRecord] | None = None,
        *,
        workers: int = 2,
    ) -> BatchSender:
        return BatchSender(
            self.account.client(self.transport),
            self.history,
            self.run_id,
            tracker=self.tracker,
            rejected=RejectedRowsWriter(self.rejected_path, []),
            segment_names=["people"],
            checkpoints=checkpoints if checkpoints is not None else {},
            workers=workers,
            timing=timing,
            clock=self.clock.monotonic,
            sleep=self.clock.sleep,
            now=self.clock.utc,
        )

    async def send(
        self,
        batches: list[Batch],
        timing: SenderTiming,
        checkpoints: dict[int, BatchRecord] | None = None,
    ) -> None:
        queue: asyncio.Queue[Batch | None] = asyncio.Queue()
        for batch in batches:
            queue.put_nowait(batch)
        queue.put_nowait(None)
        sender = self.sender(timing, checkpoints)
        await sender.run(queue)


def new_run(history: RunHistory, run_id: str = "run-1", export: str = "promo") -> str:
    history.create(
        RunRecord(
            run_id=run_id,
            export=export,
            connection="conn",
            status=RunStatus.RUNNING,
            dry_run=False,
            os_user="tester",
            started_at=EPOCH,
        ),
        inputs={},
        plan={},
    )
    return run_id


def make_rig(tmp_path: Path, account_factory: Callable[[FakeClock], FakeAccount]) -> SenderRig:
    clock = FakeClock()
    history = RunHistory(HistoryStore(tmp_path / "history.sqlite3"))
    run_id = new_run(history)
    return SenderRig(
        clock,
        account_factory(clock),
        history,
        ProgressTracker(run_id, "promo", dry_run=False, clock=clock.monotonic),
        tmp_path / "rejected.csv",
        run_id,
    )


def rig_with(tmp_path: Path, **account: object) -> SenderRig:
    return make_rig(tmp_path, lambda clock: FakeAccount(clock, **account))  # type: ignore[arg-type]


def refused_rows(rig: SenderRig) -> pl.DataFrame:
    return pl.read_csv(rig.rejected_path, infer_schema=False)
