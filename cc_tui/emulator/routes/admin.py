"""Test-only endpoints under ``/__emulator/`` (no auth: the emulator only listens on loopback)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cc_tui.emulator.problems import ApiProblem
from cc_tui.emulator.routes.common import emulator_of, read_json_object
from cc_tui.emulator.settings import EmulatorSettings

__all__ = ["ADMIN_PREFIX", "ROUTES", "settings_json"]

ADMIN_PREFIX = "/__emulator"


def settings_json(settings: EmulatorSettings) -> dict[str, Any]:
    """The settings as JSON (paths as strings)."""
    body: dict[str, Any] = {}
    for name in settings.__dataclass_fields__:
        value = getattr(settings, name)
        body[name] = str(value) if value is not None and name == "state_file" else value
    return body


async def _decide(request: Request, approve: bool) -> JSONResponse:
    body = await read_json_object(request)
    user_code = str(body.get("user_code", ""))
    if not emulator_of(request).oauth.decide(user_code, approve):
        raise ApiProblem.not_found(f"No pending device code {user_code!r}")
    return JSONResponse({"user_code": user_code, "approved": approve})


async def approve(request: Request) -> JSONResponse:
    """Approve a user code as a person on the verification page would."""
    return await _decide(request, approve=True)


async def deny(request: Request) -> JSONResponse:
    """Deny a user code."""
    return await _decide(request, approve=False)


async def members(request: Request) -> JSONResponse:
    """Sorted e-mails of a list's members."""
    state = emulator_of(request).state
    found = await run_in_threadpool(state.list_members, request.path_params["list_id"])
    return JSONResponse({"members": sorted(found)})


async def drop_members(request: Request) -> JSONResponse:
    """Take members off a list: ``{"emails": [...]}`` or ``{"count": N}`` (the first N), so a
    test can make a list lose contacts a run confirmed."""
    body = await read_json_object(request)
    emails, count = body.get("emails"), body.get("count")
    if emails is not None and (
        not isinstance(emails, list) or not all(isinstance(e, str) for e in emails)
    ):
        raise ApiProblem.bad_request("emails: expected an array of strings")
    if emails is None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
        raise ApiProblem.bad_request('give "emails": [...] or "count": N (a whole number >= 0)')
    list_id = request.path_params["list_id"]
    state = emulator_of(request).state
    if list_id not in state.lists:
        raise ApiProblem.not_found(f"No list {list_id!r}")
    dropped = await run_in_threadpool(state.drop_members, list_id, emails, count)
    return JSONResponse({"dropped": dropped})


async def stats(request: Request) -> JSONResponse:
    """Request statistics."""
    return JSONResponse(await run_in_threadpool(emulator_of(request).stats_snapshot))


async def reset(request: Request) -> JSONResponse:
    """Back to the seeded state; statistics cleared."""
    await run_in_threadpool(emulator_of(request).reset)
    return JSONResponse({"reset": True})


async def seed_contacts(request: Request) -> JSONResponse:
    """Create contacts directly: ``{"contacts": [{"email", "permission_to_send", "list_ids"}]}``."""
    body = await read_json_object(request)
    entries = body.get("contacts")
    if not isinstance(entries, list) or not all(isinstance(item, dict) for item in entries):
        raise ApiProblem.bad_request("contacts: expected an array of objects")
    count = await run_in_threadpool(emulator_of(request).state.seed_contacts, entries)
    return JSONResponse({"contacts": count})


async def change_settings(request: Request) -> JSONResponse:
    """Change fault rates, latency, lifetimes... at run time (``{field: value}``)."""
    body = await read_json_object(request)
    try:
        updated = await run_in_threadpool(emulator_of(request).update_settings, body)
    except ValueError as exc:
        raise ApiProblem.bad_request(str(exc)) from None
    return JSONResponse(settings_json(updated))


async def get_settings(request: Request) -> JSONResponse:
    """The current settings."""
    return JSONResponse(settings_json(emulator_of(request).settings))


async def save(request: Request) -> JSONResponse:
    """Write the state file now."""
    path = await run_in_threadpool(emulator_of(request).save)
    if path is None:
        raise ApiProblem.bad_request("no state file configured (start with --state PATH)")
    return JSONResponse({"saved": str(path)})


ROUTES = [
    Route(ADMIN_PREFIX + "/device/approve", approve, methods=["POST"]),
    Route(ADMIN_PREFIX + "/device/deny", deny, methods=["POST"]),
    Route(ADMIN_PREFIX + "/lists/{list_id}/members", members, methods=["GET"]),
    Route(ADMIN_PREFIX + "/lists/{list_id}/drop", drop_members, methods=["POST"]),
    Route(ADMIN_PREFIX + "/stats", stats, methods=["GET"]),
    Route(ADMIN_PREFIX + "/reset", reset, methods=["POST"]),
    Route(ADMIN_PREFIX + "/contacts", seed_contacts, methods=["POST"]),
    Route(ADMIN_PREFIX + "/settings", change_settings, methods=["POST"]),
    Route(ADMIN_PREFIX + "/settings", get_settings, methods=["GET"]),
    Route(ADMIN_PREFIX + "/save", save, methods=["POST"]),
]
