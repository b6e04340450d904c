"""When a run ends: tell a command and/or a webhook (``[notify]`` in config.toml).

The command is an argv list run without a shell, with the run's JSON summary (the object
``cc-tui run --json`` prints) on standard input; the webhook gets that summary as a JSON POST,
or, with ``webhook_text``, Slack/Teams' ``{"text": "..."}`` (one line in words). Each has a
timeout. A notifier that fails (cannot start, exits non-zero, times out, answers an HTTP error
or cannot be reached) is reported and logged, never raised: it never changes the run's result.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import httpx

from cc_tui.models.config import AppConfig
from cc_tui.models.notify import NotifySettings
from cc_tui.models.run import RunRecord
from cc_tui.run_words import closing_sentence
from cc_tui.safe_text import visible
from cc_tui.verify_words import verify_sentence

__all__ = ["notify_run", "notify_settings", "notify_text"]

log = logging.getLogger("cc_tui.engine.runner")
_HTTP_ERROR = 400  # a webhook answer from here up is a failure
_SHOWN_OUTPUT = 200  # characters of a failing command's standard error kept in the message


def notify_settings(config: AppConfig, export: str) -> NotifySettings | None:
    """Who hears of ``export``'s runs: its own ``notify`` table, else the global one."""
    found = config.exports.get(export)
    if found is not None and found.notify is not None:
        return found.notify
    return config.notify


def notify_text(record: RunRecord) -> str:
    """The one line a chat webhook shows."""
    text = f"cc-tui: export {record.export}, run {record.run_id}: {closing_sentence(record)}"
    if record.verification is not None:
        text += f" Check: {verify_sentence(record.verification)}"
    return text


async def notify_run(
    settings: NotifySettings | None,
    record: RunRecord,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[str]:
    """Tell ``settings``' command and webhook about ``record`` if its status is one they want.

    Returns what went wrong, in words (empty: every notifier was told, or none wanted it).
    """
    if settings is None or settings.empty or record.dry_run:
        return []
    if not settings.on.covers(record.status):
        return []
    summary = json.dumps(record.to_json()).encode()
    problems = []
    if settings.command:
        problem = await _run_command(settings, summary)
        if problem:
            problems.append(problem)
    if settings.webhook:
        problem = await _post(settings, record, summary, transport)
        if problem:
            problems.append(problem)
    for problem in problems:
        log.warning("run %s: %s", record.run_id, problem)
    return problems


async def _run_command(settings: NotifySettings, summary: bytes) -> str | None:
    program = settings.command[0]
    try:
        process = await asyncio.create_subprocess_exec(
            *settings.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        return f"notify command {program!r} could not start: {exc.strerror or exc}"
    try:
        _, errors = await asyncio.wait_for(process.communicate(summary), settings.timeout_s)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return f"notify command {program!r} did not finish within {settings.timeout_s} s"
    if process.returncode:
        said = visible(errors.decode(errors="replace").strip(), limit=_SHOWN_OUTPUT)
        return f"notify command {program!r} exited {process.returncode}" + (
            f": {said}" if said else ""
        )
    return None


async def _post(
    settings: NotifySettings,
    record: RunRecord,
    summary: bytes,
    transport: httpx.AsyncBaseTransport | None,
) -> str | None:
    assert settings.webhook is not None  # checked by the caller
    body = json.dumps({"text": notify_text(record)}).encode() if settings.webhook_text else summary
    try:
        async with httpx.AsyncClient(timeout=settings.timeout_s, transport=transport) as client:
            answer = await client.post(
                settings.webhook, content=body, headers={"Content-Type": "application/json"}
            )
    except httpx.HTTPError as exc:
        return f"notify webhook could not be reached: {type(exc).__name__}: {exc}"
    if answer.status_code >= _HTTP_ERROR:
        return f"notify webhook answered HTTP {answer.status_code}"
    return None
