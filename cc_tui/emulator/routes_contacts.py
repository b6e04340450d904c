"""``/v3/contacts``, ``/v3/activities`` and ``/v3/activities/contacts_json_import``."""

from __future__ import annotations

import logging
from typing import Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cc_tui.emulator.contact_view import INCLUDE_VALUES
from cc_tui.emulator.contacts import ACTIVE_PERMISSIONS, PERMISSIONS
from cc_tui.emulator.paging import (
    next_link,
    parse_bool,
    parse_choice,
    parse_limit,
    read_query,
    require_uuid,
)
from cc_tui.emulator.problems import ApiProblem, error_array
from cc_tui.emulator.routes_common import emulator_of, is_json
from cc_tui.emulator.state import ContactQuery

__all__ = ["ROUTES"]

logger = logging.getLogger(__name__)

CONTACTS_PATH = "/v3/contacts"
ACTIVITIES_PATH = "/v3/activities"
CONTACT_LIMIT = (50, 500)
ACTIVITY_LIMIT = (50, 500)
MAX_LIST_FILTER = 25
# Contact ``status`` filter -> permission codes (None: every contact not deleted).
STATUS_FILTERS: dict[str, frozenset[int] | None] = {
    "all": None,
    "active": ACTIVE_PERMISSIONS,
    "deleted": frozenset(),  # the emulator never deletes contacts
    **{
        name: frozenset({PERMISSIONS.index(name)})
        for name in ("not_set", "pending_confirmation", "temp_hold", "unsubscribed")
    },
}
ACTIVITY_STATES = frozenset(
    {"initialized", "processing", "completed", "cancelled", "failed", "timed_out"}
)
SERVER_ERROR_KEY = "server.error"
SERVER_ERROR_MESSAGE = "There was a problem with our internal service."


def _contact_query(filters: dict[str, str]) -> ContactQuery:
    status = parse_choice(filters, "status", frozenset(STATUS_FILTERS), "all") or "all"
    list_ids = None
    if "lists" in filters:
        list_ids = [part.strip() for part in filters["lists"].split(",") if part.strip()]
        if not list_ids or len(list_ids) > MAX_LIST_FILTER:
            raise ApiProblem.bad_request(f"lists: 1 to {MAX_LIST_FILTER} list ids")
        list_ids = [require_uuid(list_id, "lists") for list_id in list_ids]
    include = frozenset(part.strip() for part in filters.get("include", "").split(",") if part)
    if not include <= INCLUDE_VALUES:
        bad = ", ".join(sorted(include - INCLUDE_VALUES))
        raise ApiProblem.bad_request(f"include does not have a valid value: {bad}")
    return ContactQuery(
        email=filters.get("email"),
        list_ids=list_ids,
        permissions=STATUS_FILTERS[status],
        include=include,
        include_count=parse_bool(filters, "include_count"),
    )


async def get_contacts(request: Request) -> JSONResponse:
    """``GET /contacts`` with email, lists, status, include, count and cursor paging."""
    limit = parse_limit(request.query_params, *CONTACT_LIMIT)
    filters, offset = read_query(request.query_params, "contacts")
    query = _contact_query(filters)
    state = emulator_of(request).state
    page = await run_in_threadpool(state.find_contacts, query, offset, limit)
    body: dict[str, Any] = {"contacts": page.items}
    if page.count is not None:
        body["contacts_count"] = page.count
    if page.more:
        body["_links"] = next_link(CONTACTS_PATH, "contacts", filters, offset + limit, limit)
    return JSONResponse(body)


async def post_json_import(request: Request) -> JSONResponse:
    """``POST /activities/contacts_json_import``: 201 with the new activity."""
    if not is_json(request):
        raise ApiProblem(415, "unsupported.media.type", "Content-Type must be application/json")
    body = await request.body()
    emulator = emulator_of(request)
    activity = await run_in_threadpool(emulator.submit_import, body)
    # Apply due contacts after answering, so this answer does not wait for older imports.
    advance = BackgroundTask(emulator.state.advance)
    if emulator.faults.happens(emulator.settings.ambiguous_rate):
        emulator.stats.fault("ambiguous")
        logger.debug("fault: activity %s created, answering 500", activity["activity_id"])
        response = error_array(500, SERVER_ERROR_KEY, SERVER_ERROR_MESSAGE)
        response.background = advance
        return response
    return JSONResponse(activity, status_code=201, background=advance)


async def get_activity(request: Request) -> JSONResponse:
    """``GET /activities/{activity_id}``."""
    activity_id = require_uuid(request.path_params["activity_id"], "activity_id")
    state = emulator_of(request).state
    found = await run_in_threadpool(state.get_activity, activity_id)
    if found is None:
        raise ApiProblem(404, "activities.api.not_found", f"No activity with id {activity_id}")
    return JSONResponse(found)


async def get_activities(request: Request) -> JSONResponse:
    """``GET /activities``: newest first, optional ``state`` filter, cursor paging."""
    limit = parse_limit(request.query_params, *ACTIVITY_LIMIT)
    filters, offset = read_query(request.query_params, "activities")
    wanted = parse_choice(filters, "state", ACTIVITY_STATES, None)
    state = emulator_of(request).state
    found = await run_in_threadpool(state.find_activities, wanted)
    body: dict[str, Any] = {"activities": found[offset : offset + limit]}
    if offset + limit < len(found):
        body["_links"] = next_link(ACTIVITIES_PATH, "activities", filters, offset + limit, limit)
    return JSONResponse(body)


ROUTES = [
    Route(CONTACTS_PATH, get_contacts, methods=["GET"]),
    Route(ACTIVITIES_PATH + "/contacts_json_import", post_json_import, methods=["POST"]),
    Route(ACTIVITIES_PATH, get_activities, methods=["GET"]),
    Route(ACTIVITIES_PATH + "/{activity_id}", get_activity, methods=["GET"]),
]
