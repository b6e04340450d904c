"""Frames and messages: typed round trips, the size limit, the version, a slow subscriber."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import Phase, RunEvent, RunProgress
from cc_tui.paths import AppPaths
from cc_tui.service.client import RemoteError, RunStream
from cc_tui.service.frames import MAX_FRAME, ProtocolError, encode, frame_length
from cc_tui.service.locate import SUN_PATH_MAX, service_files
from cc_tui.service.protocol import (
    PROTOCOL_VERSION,
    Failure,
    FailureKind,
    RunEnded,
    RunLogged,
    RunProgressed,
    RunStart,
    decode_answer,
    decode_intent,
)
from cc_tui.service.supervisor import Subscriber

NOW = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)


def body(frame: bytes) -> bytes:
    return frame[4:]


def test_the_engine_s_values_go_through_unchanged() -> None:
    record = RunRecord(
        run_id="r1", export="promo", connection="conn", status=RunStatus.PARTIAL,
        dry_run=False, os_user="bob", started_at=NOW, finished_at=NOW, rows_read=5, sent=4,
        confirmed=3, failed=1, rejected={"missing_email": 1, "invalid_email": 0,
        "duplicate_email": 0, "over_cap": 0}, fields={"phone": {"dropped_invalid": 2}},
    )  # fmt: skip
    progress = RunProgress(run_id="r1", export="promo", dry_run=False, phase=Phase.SENDING,
                           rejected={"missing_email": 1}, eta=3.5)  # fmt: skip
    event = RunEvent(at=NOW, message="batch 1 posted", milestone=True)
    for message in (
        RunEnded(record=record, exit_code=1),
        RunProgressed(progress=progress),
        RunLogged(export="promo", event=event),
    ):
        assert decode_answer(body(encode(message))) == message
    start = RunStart(export="promo", dry_run=True, activity_deadline=90.0)
    assert decode_intent(body(encode(start))) == start


def test_a_frame_over_the_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(ProtocolError, match="over the"):
        frame_length(struct.pack(">I", MAX_FRAME + 1))


def test_another_protocol_version_is_refused_with_what_to_do() -> None:
    old = encode(RunStart(export="promo", v=PROTOCOL_VERSION + 1))
    with pytest.raises(ProtocolError, match="cc-tui service stop"):
        decode_intent(body(old))


def test_a_message_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ProtocolError):
        decode_intent(b'{"type": "run.start", "export": 7}')
    with pytest.raises(ProtocolError):
        decode_intent(b'{"type": "rm -rf"}')


def test_a_frame_split_across_reads_is_put_together() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    frame = encode(RunLogged(export="promo", event=RunEvent(at=NOW, message="x" * 5000)))
    with left, right:
        stream = RunStream(right)
        left.sendall(frame[:3])
        left.sendall(frame[3:])
        left.shutdown(socket.SHUT_WR)
        answer = stream.next()
        assert isinstance(answer, RunLogged) and answer.event.message == "x" * 5000
        assert stream.next() is None


async def test_a_slow_subscriber_loses_its_oldest_messages_never_blocks() -> None:
    sub = Subscriber(limit=4)
    for n in range(10):
        sub.offer(RunLogged(export="promo", event=RunEvent(at=NOW, message=str(n))))
    kept = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]
    assert [m.event.message for m in kept if isinstance(m, RunLogged)] == ["6", "7", "8", "9"]
    assert sub.dropped == 6
    await asyncio.sleep(0)


def test_the_socket_of_a_home_is_short_private_and_stable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))  # too deep for a socket path
    paths = AppPaths.resolve(tmp_path / ("home-" + "h" * 150))
    files = service_files(paths)
    assert len(os.fsencode(files.socket)) <= SUN_PATH_MAX
    assert files.socket.parent == Path(f"/tmp/cc-tui-{os.geteuid()}")
    assert files.socket.parent.stat().st_mode & 0o777 == 0o700
    assert service_files(AppPaths.resolve(tmp_path / ("home-" + "h" * 150))) == files
    assert service_files(AppPaths.resolve(tmp_path / "other")).socket != files.socket


def test_a_named_socket_path_too_long_is_refused_with_the_fix(tmp_path: Path) -> None:
    from cc_tui.errors import ConfigError

    with pytest.raises(ConfigError, match="CC_TUI_SERVICE_SOCKET"):
        service_files(AppPaths.resolve(tmp_path), "/tmp/" + "s" * 120)


def test_a_refusal_without_a_kind_or_with_an_unknown_one_reads_as_a_plain_error() -> None:
    older = b'{"type": "error", "v": %d, "message": "no", "exit_code": 2}' % PROTOCOL_VERSION
    newer = b'{"type": "error", "v": %d, "message": "no", "exit_code": 2, "kind": "later"}' % (
        PROTOCOL_VERSION
    )
    for frame in (older, newer):
        failure = decode_answer(frame)
        assert isinstance(failure, Failure)
        assert RemoteError.of(failure).kind is FailureKind.ERROR
    named = Failure(message="no", exit_code=2, kind=FailureKind.NOT_FOUND)
    answer = decode_answer(body(encode(named)))
    assert isinstance(answer, Failure)
    assert RemoteError.of(answer).kind is FailureKind.NOT_FOUND
