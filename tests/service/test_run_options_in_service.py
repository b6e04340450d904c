"""What a client's run intent changes of the options a service runs exports with."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cc_tui.engine.run_options import RunOptions
from cc_tui.paths import AppPaths
from cc_tui.service.identity import own_peer
from cc_tui.service.locate import service_files
from cc_tui.service.protocol import RunStart
from cc_tui.service.server import ServiceServer
from tests.timing import FAST

DEADLINE = 90.0  # what `cc-tui run --activity-deadline 90s` asks for


def test_an_activity_deadline_from_the_client_keeps_the_service_s_other_timing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `cc-tui run` always sends its --activity-deadline (2 h by default): it must change that
    # one clock, never reset the lost-import search and polls the service was given.
    paths = AppPaths.resolve(tmp_path / "home")
    base = RunOptions(max_batch_contacts=150, timing=FAST)
    server = ServiceServer(paths, service_files(paths), schedule=False, run_options=base)
    started: list[RunOptions] = []

    def start(export: str, options: RunOptions, user: str, **_: object) -> None:
        started.append(options)

    monkeypatch.setattr(server.supervisor, "start", start)
    server._start(RunStart(export="promo", activity_deadline=DEADLINE), own_peer())
    [options] = started
    assert options.timing == replace(FAST, activity_deadline=DEADLINE)
    assert options.max_batch_contacts == base.max_batch_contacts
