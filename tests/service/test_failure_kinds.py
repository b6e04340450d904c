"""A refusal's kind travels with it: the service names it, the clients read it back.

Through a real service on a Unix socket (started on a thread of the test's process by the
first call), the command line's sync client and the app's asyncio client each get a
:class:`RemoteError` whose kind is the engine error's, never guessed from its words.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from cc_tui.models.config import Export, Roles
from cc_tui.paths import AppPaths
from cc_tui.service import client
from cc_tui.service.async_client import ServiceLink
from cc_tui.service.client import RemoteError
from cc_tui.service.home_client import HomeClient
from cc_tui.service.locate import service_files
from cc_tui.service.protocol import (
    Call,
    ConnectionAdd,
    ConnectionRemove,
    ContactLists,
    ExportShow,
    FailureKind,
    SegmentShow,
)
from cc_tui.service.segment_views import SegmentShown
from tests.engine.conftest import Workspace

EXIT_USAGE = 2


def refused(paths: AppPaths, call: Call, result: type[object] = object) -> RemoteError:
    """The refusal of ``call`` as the command line's client reads it."""
    with pytest.raises(RemoteError) as raised:
        client.call(paths, service_files(paths), call, result)
    return raised.value


def test_the_service_names_the_kind_of_each_refusal(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = workspace.services.paths
    emulator = workspace.emulator

    missing = refused(paths, ExportShow(name="nowhere"), Export)
    assert (missing.kind, missing.exit_code) == (FailureKind.NOT_FOUND, EXIT_USAGE)
    assert "No export named 'nowhere'" in str(missing)

    taken = refused(paths, ConnectionAdd(name="conn", client_id="x", accept_privacy=True))
    assert (taken.kind, taken.exit_code) == (FailureKind.CONFLICT, EXIT_USAGE)

    unreadable = refused(paths, SegmentShow(name="ghost"), SegmentShown)
    assert (unreadable.kind, unreadable.exit_code) == (FailureKind.INPUT, EXIT_USAGE)

    workspace.services.connections.add(
        "fresh", client_id="fresh-app", accept_privacy=True,
        api_base_url=emulator.api_base_url, auth_base_url=emulator.auth_base_url,
    )  # fmt: skip
    signed_out = refused(paths, ContactLists(connection="fresh"))
    assert signed_out.kind is FailureKind.NEVER_SIGNED_IN and signed_out.kind.needs_sign_in

    config = workspace.services.config
    config.update(lambda c: replace(c, roles=Roles(admins=("alice",), contributors=("bob",))))
    monkeypatch.setattr("cc_tui.service.identity.user_name", lambda uid: "bob")
    denied = refused(paths, ConnectionRemove(name="conn"))
    assert (denied.kind, denied.exit_code) == (FailureKind.ACCESS_DENIED, EXIT_USAGE)
    assert "conn" in config.load().connections


def test_the_app_s_client_reads_the_same_kind(workspace: Workspace) -> None:
    paths = workspace.services.paths
    home = HomeClient(ServiceLink(paths, service_files(paths)))
    with pytest.raises(RemoteError) as raised:
        asyncio.run(home.export("nowhere"))
    assert raised.value.kind is FailureKind.NOT_FOUND
