"""``/v3/contacts``, ``/v3/activities`` and ``/v3/activities/contacts_json_import``."""

from __future__ import annotations

import logging
from typing import Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cc_tui.emulator.contact_view import INCLUDE_VALUES
from cc_tui.emulator.contacts import ACTIVE_PERMISSIONS, PERMISSIONS
from cc_tui.emulator.faults import DROP_AFTER_CREATE, NO_ANSWER, drop_connection
from cc_tui.emulator.paging import (
    PAGING_PARAMETERS,
    check_parameters,
    next_link,
    parse_bool,
    parse_choice,
    parse_choices,
    parse_limit,
    read_query,
    require_uuid,
)
from cc_tui.emulator.problems import ApiProblem, error_array
from cc_tui.emulator.routes.common import emulator_of, is_json
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
# The `state` filter of GET /activities takes the values its text lists (not `initialized`).
ACTIVITY_STATE_FILTERS = frozenset({"processing", "completed", "cancelled", "failed", "timed_out"})
SMS_STATUSES = frozenset({"all", "explicit", "unsubscribed", "pending_confirmation", "not_set"})
# The query parameters the swagger lists for each operation (anything else: 400).
CONTACTS_PARAMETERS = PAGING_PARAMETERS | {
    "status",
    "email",
    "lists",
    "segment_id",
    "tags",
    "updated_after",
    "updated_before",
    "created_after",
    "created_before",
    "optout_after",
    "optout_before",
    "include",
    "sms_status",
    "include_count",
}
ACTIVITIES_PARAMETERS = PAGING_PARAMETERS | {"state"}
SERVER_ERROR_KEY = "server.error"
SERVER_ERROR_MESSAGE = "There was a problem with our internal service."


def _contact_query(filters: dict[str, str]) -> ContactQuery:
    statuses = parse_choices(filters, "status", frozenset(STATUS_FILTERS)) or frozenset({"all"})
    list_ids = None
    if "lists" in filters:
        list_ids = [part.strip() for part in filters["lists"].split(",") if part.strip()]
        if not list_ids or len(list_ids) > MAX_LIST_FILTER:
            raise ApiProblem.bad_request(f"lists: 1 to {MAX_LIST_FILTER} list ids")
        list_ids = [require_uuid(list_id, "lists") for list_id in list_ids]
    email = filters.get("email")
    # "a specific email address" (SPEC-text): one address, never empty, never a list.
    if email is not None and (not email.strip() or "," in email or "@" not in email):
        raise ApiProblem.bad_request("email must be one email address")
    include = parse_choices(filters, "include", INCLUDE_VALUES) or frozenset()
    parse_choices(filters, "sms_status", SMS_STATUSES)  # checked; no contact has SMS permission
    return ContactQuery(
        email=email,
        list_ids=list_ids,
        permissions=_permissions(statuses),
        include=include,
        include_count=parse_bool(filters, "include_count"),
    )


def _permissions(statuses: frozenset[str]) -> frozenset[int] | None:
    """The permission codes of the ``status`` values (any of them); None: every contact."""
    found: set[int] = set()
    for status in statuses:
        codes = STATUS_FILTERS[status]
        if codes is None:
            return None
        found |= codes
    return frozenset(found)


async def get_contacts(request: Request) -> JSONResponse:
    """``GET /contacts`` with email, lists, status, include, count and cursor paging."""
    check_parameters(request.query_params, CONTACTS_PARAMETERS)
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


async def post_json_import(request: Request) -> Response:
    """``POST /activities/contacts_json_import``: 201 with the new activity.

    Faults after the activity was created: the connection may be dropped (a drop fault whose
    coin said "after"), or the answer may be an ambiguous 500, or a 202 with an empty body.
    """
    if not is_json(request):
        raise ApiProblem(415, "unsupported.media.type", "Content-Type must be application/json")
    body = await request.body()
    emulator = emulator_of(request)
    activity = await run_in_threadpool(emulator.submit_import, body)
    # Apply due contacts after answering, so this answer does not wait for older imports.
    advance = BackgroundTask(emulator.state.advance)
    count_drop = request.scope.get("state", {}).get(DROP_AFTER_CREATE)
    if count_drop is not None:
        emulator.stats.fault("drop_after_create")
        logger.debug("fault: activity %s created, dropping the connection", activity["activity_id"])
        if await drop_connection(request.receive, count_drop, body_read=True):
            return NO_ANSWER
    if emulator.faults.happens(emulator.settings.ambiguous_rate):
        emulator.stats.fault("ambiguous")
        logger.debug("fault: activity %s created, answering 500", activity["activity_id"])
        response = error_array(500, SERVER_ERROR_KEY, SERVER_ERROR_MESSAGE)
        response.background = advance
        return response
    if emulator.faults.happens(emulator.settings.empty_answer_rate):
        emulator.stats.fault("empty_answer")
        logger.debug("fault: activity %s created, answering 202 empty", activity["activity_id"])
        return Response(status_code=202, background=advance)
    return JSONResponse(activity, status_code=201, background=advance)


async def get_activity(request: Request) -> JSONResponse:
    """``GET /activities/{activity_id}``."""
    activity_id = require_uuid(request.path_params["activity_id"], "activity_id")
    check_parameters(request.query_params, frozenset())
    state = emulator_of(request).state
    found = await run_in_threadpool(state.get_activity, activity_id)
    if found is None:
        raise ApiProblem(404, "activities.api.not_found", f"No activity with id {activity_id}")
    return JSONResponse(found)


async def get_activities(request: Request) -> JSONResponse:
    """``GET /activities``: newest first, optional ``state`` filter, cursor paging.

    A new activity appears here ``activity_list_lag`` seconds after its creation.
    """
    check_parameters(request.query_params, ACTIVITIES_PARAMETERS)
    limit = parse_limit(request.query_params, *ACTIVITY_LIMIT)
    filters, offset = read_query(request.query_params, "activities")
    wanted = parse_choice(filters, "state", ACTIVITY_STATE_FILTERS, None)
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
