"""Refresh triggers, missed schedule times and paused schedules in the service's scheduler.

Time is an injected clock: a quiet period passes by moving the clock, never by sleeping.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cc_tui.engine.refresh import RefreshWatcher
from cc_tui.engine.scheduler import Scheduler
from cc_tui.engine.segments.discovery import discover_segments
from cc_tui.models.config import AppConfig, Export, FieldMapping, MissedPolicy, SegmentSource
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.store.history import HistoryStore
from cc_tui.store.schedule_state import MissedAction, ScheduleState

LIST_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"
START = datetime(2026, 11, 29, 5, 59, 30, tzinfo=UTC)
QUIET = 30  # seconds of quiet asked of a new snapshot in these tests
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)

CDM_MODEL = """{
  "name": "ci", "version": "1.0",
  "entities": [{
    "$type": "LocalEntity", "name": "People",
    "attributes": [{"name": "email", "dataType": "string"}],
    "partitions": [{"name": "p", "location": "%s"}]
  }]
}"""


def _export(name: str, segment: str, **fields: object) -> Export:
    return Export(
        name=name,
        connection="conn",
        list_ids=(LIST_ID,),
        segments=(segment,),
        mapping=FieldMapping(email="email"),
        **fields,  # type: ignore[arg-type]
    )


def _record(name: str, at: datetime) -> RunRecord:
    return RunRecord(
        run_id=f"run-{name}-{at:%H%M%S}",
        export=name,
        connection="conn",
        status=RunStatus.SUCCEEDED,
        dry_run=False,
        os_user="u",
        started_at=at,
        finished_at=at,
    )


class Harness:
    """A scheduler over a real history file, with a clock the test moves."""

    def __init__(self, tmp_path: Path, exports: list[Export], segments: dict[str, Path]) -> None:
        self.tmp_path = tmp_path
        self.now = START
        self.started: list[tuple[str, datetime]] = []
        self.lines: list[str] = []
        self.last_runs: dict[str, datetime] = {}
        self.config = AppConfig(
            exports={e.name: e for e in exports},
            segments={name: SegmentSource(name, path) for name, path in segments.items()},
        )
        self.history = HistoryStore(tmp_path / "history.sqlite3")
        self.state = ScheduleState(self.history)
        self.scheduler = self._scheduler()

    def _scheduler(self) -> Scheduler:
        watcher = RefreshWatcher(
            self.state, discover_segments, lambda: self.last_runs, report=self.lines.append
        )

        async def run_export(name: str) -> RunRecord:
            self.started.append((name, self.now))
            self.last_runs[name] = self.now
            return _record(name, self.now)

        return Scheduler(
            lambda: self.config,
            run_export,
            report=self.lines.append,
            clock=lambda: self.now,
            state=self.state,
            watcher=watcher,
        )

    def restart(self) -> None:
        """The service stops and starts again (same history file, a new scheduler)."""
        self.history.close()
        self.history = HistoryStore(self.tmp_path / "history.sqlite3")
        self.state = ScheduleState(self.history)
        self.scheduler = self._scheduler()

    async def look(self, after: float = 0.0) -> list[str]:
        """Move the clock ``after`` seconds, look once, and return the exports started."""
        self.now += timedelta(seconds=after)
        before = len(self.started)
        await self.scheduler.look(self.now)
        await self.scheduler.idle()
        return [name for name, _ in self.started[before:]]


def _touch_later(path: Path, text: str, seconds: int) -> None:
    """Write ``path`` with an mtime ``seconds`` later than its last one (file systems with
    coarse time stamps would otherwise see two quick writes as one)."""
    old = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    stamp = max(old + seconds * 1_000_000_000, path.stat().st_mtime_ns)
    os.utime(path, ns=(stamp, stamp))


async def test_a_csv_refresh_runs_once_per_snapshot_after_a_quiet_period(tmp_path: Path) -> None:
    data = tmp_path / "people.csv"
    data.write_text("email\na@x.com\n", encoding="utf-8")
    h = Harness(tmp_path, [_export("promo", "people", on_refresh=True, quiet_seconds=QUIET)],
                {"people": data})  # fmt: skip
    # Never run: the data on disk is new to it, and is run once it has been quiet.
    assert await h.look() == []
    assert await h.look(QUIET) == ["promo"]
    assert await h.look(QUIET) == []  # a re-scan of the same snapshot: nothing
    # Snapshot 2, still growing: each change restarts the quiet period.
    _touch_later(data, "email\na@x.com\nb@x.com\n", 1)
    assert await h.look(1) == []
    _touch_later(data, "email\na@x.com\nb@x.com\nc@x.com\n", 1)
    assert await h.look(QUIET - 1) == []  # changed since the last look: not quiet yet
    assert await h.look(QUIET) == ["promo"]
    assert await h.look(QUIET) == []
    # A restart never runs a snapshot again (the identity run is in history.sqlite3).
    h.restart()
    assert await h.look(QUIET) == []
    assert await h.look(QUIET) == []
    assert [name for name, _ in h.started] == ["promo", "promo"]


async def test_data_older_than_the_last_run_is_a_baseline_not_a_run(tmp_path: Path) -> None:
    data = tmp_path / "people.csv"
    data.write_text("email\na@x.com\n", encoding="utf-8")
    h = Harness(tmp_path, [_export("promo", "people", on_refresh=True, quiet_seconds=0)],
                {"people": data})  # fmt: skip
    h.last_runs["promo"] = datetime.now(UTC) + timedelta(days=1)  # run after the data was made
    assert await h.look() == []
    assert await h.look(1) == []
    assert "promo" in h.state.snapshot_runs()


async def test_a_cdm_folder_is_read_only_once_model_json_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "ci"
    snap1 = folder / "People" / "2026" / "11" / "29"
    snap1.mkdir(parents=True)
    (snap1 / "p.csv").write_text("a@x.com\n", encoding="utf-8")
    h = Harness(tmp_path, [_export("promo", "ci", on_refresh=True, quiet_seconds=QUIET)],
                {"ci": folder})  # fmt: skip
    # Partitions written, model.json not yet: the folder is never read.
    assert await h.look() == []
    assert await h.look(QUIET * 3) == []
    assert any("waiting for its data" in line or "being written" in line for line in h.lines)
    _touch_later(folder / "model.json", CDM_MODEL % "People/2026/11/29/p.csv", 0)
    assert await h.look(1) == []
    assert await h.look(QUIET) == ["promo"]
    # The next refresh: a new dated folder first (not a new snapshot yet), model.json last.
    snap2 = folder / "People" / "2026" / "11" / "30"
    snap2.mkdir(parents=True)
    (snap2 / "p.csv").write_text("a@x.com\nb@x.com\n", encoding="utf-8")
    assert await h.look(QUIET) == []
    assert await h.look(QUIET) == []
    _touch_later(folder / "model.json", CDM_MODEL % "People/2026/11/30/p.csv", 1)
    assert await h.look(1) == []
    assert await h.look(QUIET) == ["promo"]
    assert await h.look(QUIET) == []


async def test_a_spark_folder_waits_for_its_success_marker(tmp_path: Path) -> None:
    folder = tmp_path / "spark"
    folder.mkdir()
    (folder / "part-00000-abc.csv").write_text("email\na@x.com\n", encoding="utf-8")
    h = Harness(tmp_path, [_export("promo", "spark", on_refresh=True, quiet_seconds=QUIET)],
                {"spark": folder})  # fmt: skip
    assert await h.look() == []
    assert await h.look(QUIET * 3) == []  # parts but no _SUCCESS: the job is not done
    _touch_later(folder / "_SUCCESS", "", 0)
    assert await h.look(1) == []
    assert await h.look(QUIET) == ["promo"]
    # The next job: _temporary while it writes, then a new _SUCCESS.
    (folder / "_temporary").mkdir()
    (folder / "part-00001-def.csv").write_text("email\nb@x.com\n", encoding="utf-8")
    assert await h.look(QUIET) == []
    assert await h.look(QUIET) == []
    (folder / "_temporary").rmdir()
    _touch_later(folder / "_SUCCESS", "", 1)
    assert await h.look(1) == []
    assert await h.look(QUIET) == ["promo"]
    assert await h.look(QUIET) == []


async def test_a_paused_export_waits_and_runs_its_new_snapshot_once_resumed(
    tmp_path: Path,
) -> None:
    data = tmp_path / "people.csv"
    data.write_text("email\na@x.com\n", encoding="utf-8")
    exports = [
        _export("promo", "people", on_refresh=True, quiet_seconds=0),
        _export("daily", "people", schedule="0 6 * * *"),
    ]
    h = Harness(tmp_path, exports, {"people": data})
    h.state.set_paused("promo", True)
    h.state.set_paused("daily", True)
    assert await h.look() == []
    assert await h.look(60) == []  # 06:00:30: daily's time passed while paused
    assert h.state.paused() == {"promo", "daily"}
    h.state.set_paused("promo", False)
    h.state.set_paused("daily", False)
    assert await h.look(1) == ["promo"]  # daily waits for its next time: no catch-up
    h.now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert await h.look() == ["daily"]


@pytest.mark.parametrize(
    ("policy", "expected"), [(MissedPolicy.RUN_ONCE, ["daily"]), (MissedPolicy.SKIP, [])]
)
async def test_missed_schedule_times_follow_the_export_policy(
    tmp_path: Path, policy: MissedPolicy, expected: list[str]
) -> None:
    data = tmp_path / "people.csv"
    data.write_text("email\na@x.com\n", encoding="utf-8")
    h = Harness(tmp_path, [_export("daily", "people", schedule="0 6 * * *", missed=policy)],
                {"people": data})  # fmt: skip
    assert await h.look() == []  # 05:59:30: looked at, then the service goes down
    h.restart()
    h.now = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)  # down for three 06:00s
    assert await h.look() == expected  # once, not three times
    assert await h.look(60) == []
    missed = h.state.missed_runs()
    assert len(missed) == 1
    assert missed[0].missed == 3
    assert missed[0].first_missed == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    action = MissedAction.RAN_ONCE if policy is MissedPolicy.RUN_ONCE else MissedAction.SKIPPED
    assert missed[0].action is action
    assert any("missed 3 scheduled times" in line for line in h.lines)
    # A restart with nothing missed records nothing more.
    h.restart()
    assert await h.look(60) == []
    assert len(h.state.missed_runs()) == 1


async def test_a_missing_segment_waits_and_is_reported_once(tmp_path: Path) -> None:
    h = Harness(tmp_path, [_export("promo", "gone", on_refresh=True, quiet_seconds=0)], {})
    for _ in range(3):
        assert await h.look(60) == []
    waiting = [line for line in h.lines if "promo: waiting for its data" in line]
    assert len(waiting) == 1 and "gone" in waiting[0]
