"""Who sees what through the service's reading calls: segments, the audit log, plans.

The handlers get a :class:`Caller` as the service builds one for a client that is not the
service's own user (``trusted=False``) and whose kernel identity is an unprivileged uid, so
the permission bits of real files decide what they could read themselves. The commands
themselves go through a real service on a Unix socket in tests/cli (their output) and in
tests/service/test_team.py (real OS users).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cc_tui.engine.exports import build_export
from cc_tui.engine.services import Services
from cc_tui.errors import AccessDeniedError, InputError, UsageError
from cc_tui.models.config import Roles
from cc_tui.models.connection import UsableBy
from cc_tui.service.calls.caller import Caller
from cc_tui.service.calls.dispatch import HANDLERS
from cc_tui.service.identity import Peer
from cc_tui.service.protocol import (
    AuditList,
    AuditVerify,
    Call,
    ExportPlanShow,
    SegmentList,
    SegmentShow,
)
from cc_tui.service.segment_views import SegmentShown, SegmentsListed
from cc_tui.store.audit import AuditOutcome
from cc_tui.store.config import with_connection
from tests.engine.conftest import Workspace
from tests.engine.test_runner import people_csv

NOBODY = 65534  # an unprivileged uid and gid that owns none of the test's files
OPEN_FOLDER = 0o755
ADMIN, CONTRIBUTOR = "alice", "bob"


@pytest.fixture
def folders() -> Iterator[tuple[Path, Path]]:
    """A folder closed to others (0700) and one open to all (0755), outside pytest's 0700
    tmp_path so that the open one is reachable."""
    closed = Path(tempfile.mkdtemp(prefix="cct-closed-", dir="/tmp"))
    opened = Path(tempfile.mkdtemp(prefix="cct-open-", dir="/tmp"))
    opened.chmod(OPEN_FOLDER)
    try:
        yield closed, opened
    finally:
        shutil.rmtree(closed, ignore_errors=True)
        shutil.rmtree(opened, ignore_errors=True)


@pytest.fixture
def team_home(workspace: Workspace, folders: tuple[Path, Path]) -> Workspace:
    """Roles, a connection shared with contributors, and three segments: ``people`` (closed
    folder, used by the shared export ``promo``), ``secret`` (closed, unused) and ``open``."""
    closed, opened = folders
    (closed / "people.csv").write_text(people_csv(4), encoding="utf-8")
    (closed / "secret.csv").write_text(people_csv(2), encoding="utf-8")
    (opened / "open.csv").write_text(people_csv(3), encoding="utf-8")
    config = workspace.services.config
    config.update(lambda c: replace(c, segments_dirs=(closed, opened)))
    workspace.services.exports.save(
        build_export(
            "promo",
            connection="conn",
            list_ids=[workspace.list_id],
            segments=["people"],
            email="email",
        )
    )
    shared = replace(config.load().connections["conn"], usable_by=UsableBy.CONTRIBUTORS)
    config.update(
        lambda c: replace(
            with_connection(c, shared), roles=Roles(admins=(ADMIN,), contributors=(CONTRIBUTOR,))
        )
    )
    return workspace


def ask(ws: Workspace, user: str, call: Call) -> object:
    """Carry out ``call`` as the service does for ``user`` at uid NOBODY."""
    paths = ws.services.paths
    services = Services.open(paths, os_user=user)
    caller = Caller(
        peer=Peer(uid=NOBODY, gid=NOBODY, pid=1, user=user),
        services=services,
        emit=lambda _: None,
        trusted=False,
        private=(paths.config_dir, paths.data_dir, paths.state_dir),
    )
    try:
        return asyncio.run(HANDLERS[type(call)](caller, call))
    finally:
        services.close()


def refusals(ws: Workspace, action: str) -> list[tuple[str, str]]:
    return [
        (event.os_user, event.subject)
        for event in ws.services.history.events(action=action)
        if event.outcome is AuditOutcome.REFUSED
    ]


def test_a_contributor_lists_the_segments_of_their_exports_and_the_files_they_could_read(
    team_home: Workspace,
) -> None:
    listed = ask(team_home, CONTRIBUTOR, SegmentList())
    assert isinstance(listed, SegmentsListed)
    assert [(s.status.name, s.rows) for s in listed.segments] == [("open", 3), ("people", 4)]
    everything = ask(team_home, ADMIN, SegmentList())
    assert isinstance(everything, SegmentsListed)
    assert [s.status.name for s in everything.segments] == ["open", "people", "secret"]


def test_a_hidden_segment_is_unknown_to_them_and_the_refusal_audited(
    team_home: Workspace,
) -> None:
    with pytest.raises(InputError) as raised:
        ask(team_home, CONTRIBUTOR, SegmentShow(name="secret"))
    assert "secret" in str(raised.value) and "open, people" in str(raised.value)
    assert refusals(team_home, "segment.show") == [(CONTRIBUTOR, "secret")]


def test_rows_are_shown_only_from_files_they_could_read_themselves(
    team_home: Workspace,
) -> None:
    # They run promo, but people.csv is closed to them: listed, never shown.
    with pytest.raises(AccessDeniedError, match="cannot read the files of segment 'people'"):
        ask(team_home, CONTRIBUTOR, SegmentShow(name="people"))
    assert refusals(team_home, "segment.show") == [(CONTRIBUTOR, "people")]
    shown = ask(team_home, CONTRIBUTOR, SegmentShow(name="open", rows=2))
    assert isinstance(shown, SegmentShown)
    assert shown.header == ["email", "first_name", "last_name", "title"]
    assert [row["first_name"] for row in shown.preview] == ["Ana0", "Ana1"]
    assert shown.counted.rows == 3
    admin_view = ask(team_home, ADMIN, SegmentShow(name="people", rows=1))
    assert isinstance(admin_view, SegmentShown) and admin_view.counted.rows == 4


def test_only_administrators_read_the_audit_log(team_home: Workspace) -> None:
    for call, action in ((AuditList(), "audit.read"), (AuditVerify(), "audit.verify")):
        with pytest.raises(AccessDeniedError, match="Only administrators may read the audit"):
            ask(team_home, CONTRIBUTOR, call)
        assert refusals(team_home, action) == [(CONTRIBUTOR, "audit log")]
    events = ask(team_home, ADMIN, AuditList(action="audit."))
    assert isinstance(events, list)
    assert [(e.action, e.os_user) for e in events] == [
        ("audit.verify", CONTRIBUTOR),
        ("audit.read", CONTRIBUTOR),
    ]


def test_a_plan_reads_segments_only_for_those_who_could(team_home: Workspace) -> None:
    with pytest.raises(AccessDeniedError, match="reads segment 'people'"):
        ask(team_home, CONTRIBUTOR, ExportPlanShow(export="promo"))
    assert refusals(team_home, "plan") == [(CONTRIBUTOR, "promo")]
    plan = ask(team_home, ADMIN, ExportPlanShow(export="promo"))
    assert getattr(plan, "rows", None) == 4
    # An export hidden from them (its connection kept for administrators) is unknown.
    config = team_home.services.config
    private = replace(config.load().connections["conn"], usable_by=UsableBy.ADMINS)
    config.update(lambda c: with_connection(c, private))
    with pytest.raises(UsageError, match="No export named 'promo'"):
        ask(team_home, CONTRIBUTOR, ExportPlanShow(export="promo"))
    assert refusals(team_home, "plan") == [(CONTRIBUTOR, "promo"), (CONTRIBUTOR, "promo")]
