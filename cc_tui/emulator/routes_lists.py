"""``/v3/contact_lists``, ``/v3/contact_custom_fields`` and ``/v3/account/summary``."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cc_tui.emulator.paging import (
    next_link,
    parse_bool,
    parse_choice,
    parse_limit,
    read_query,
    require_uuid,
)
from cc_tui.emulator.problems import ApiProblem
from cc_tui.emulator.routes_common import emulator_of, read_json_object

__all__ = ["ROUTES"]

LISTS_PATH = "/v3/contact_lists"
FIELDS_PATH = "/v3/contact_custom_fields"
LIST_LIMIT = (50, 1000)  # default, maximum (the swagger's schema maximum)
FIELD_LIMIT = (50, 100)
MAX_LIST_NAME = 255
MAX_FIELD_LABEL = 50
MAX_FIELD_TYPE = 20
LIST_STATUSES = frozenset({"all", "active", "deleted"})
MEMBERSHIP_COUNTS = frozenset({"all", "active"})


async def get_lists(request: Request) -> JSONResponse:
    """``GET /contact_lists`` with status, name, counts and cursor paging."""
    limit = parse_limit(request.query_params, *LIST_LIMIT)
    filters, offset = read_query(request.query_params, "contact_lists")
    status = parse_choice(filters, "status", LIST_STATUSES, "active") or "active"
    membership = parse_choice(filters, "include_membership_count", MEMBERSHIP_COUNTS, None)
    include_count = parse_bool(filters, "include_count")
    state = emulator_of(request).state
    found = await run_in_threadpool(state.find_lists, status, filters.get("name"), membership)
    body: dict[str, Any] = {"lists": found[offset : offset + limit]}
    if include_count:
        body["lists_count"] = len(found)
    if offset + limit < len(found):
        body["_links"] = next_link(LISTS_PATH, "contact_lists", filters, offset + limit, limit)
    return JSONResponse(body)


async def get_list(request: Request) -> JSONResponse:
    """``GET /contact_lists/{list_id}``."""
    list_id = require_uuid(request.path_params["list_id"], "list_id")
    membership = parse_choice(
        request.query_params, "include_membership_count", MEMBERSHIP_COUNTS, None
    )
    state = emulator_of(request).state
    found = await run_in_threadpool(state.get_list, list_id, membership)
    if found is None:
        raise ApiProblem.not_found(f"No contact list with id {list_id}")
    return JSONResponse(found)


async def post_list(request: Request) -> JSONResponse:
    """``POST /contact_lists`` (``ListInput``): 201, or 409 for a name in use."""
    body = await read_json_object(request)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiProblem.bad_request("name: required, a non-empty string")
    if len(name) > MAX_LIST_NAME:
        raise ApiProblem.bad_request(f"name: longer than {MAX_LIST_NAME} characters")
    description = body.get("description", "")
    favorite = body.get("favorite", False)
    if not isinstance(description, str):
        raise ApiProblem.bad_request("description: expected string")
    if not isinstance(favorite, bool):
        raise ApiProblem.bad_request("favorite: expected boolean")
    state = emulator_of(request).state
    created = await run_in_threadpool(state.create_list, name.strip(), description, favorite)
    return JSONResponse(created, status_code=201)


async def get_fields(request: Request) -> JSONResponse:
    """``GET /contact_custom_fields`` with cursor paging."""
    limit = parse_limit(request.query_params, *FIELD_LIMIT)
    filters, offset = read_query(request.query_params, "contact_custom_fields")
    found = await run_in_threadpool(emulator_of(request).state.list_custom_fields)
    body: dict[str, Any] = {"custom_fields": found[offset : offset + limit]}
    if offset + limit < len(found):
        body["_links"] = next_link(
            FIELDS_PATH, "contact_custom_fields", filters, offset + limit, limit
        )
    return JSONResponse(body)


async def post_field(request: Request) -> JSONResponse:
    """``POST /contact_custom_fields`` (``{label, type}``): 201, or 409 for a duplicate."""
    body = await read_json_object(request)
    label, field_type = body.get("label"), body.get("type")
    if not isinstance(label, str) or not label.strip():
        raise ApiProblem.bad_request("label: required, a non-empty string")
    if len(label) > MAX_FIELD_LABEL:
        raise ApiProblem.bad_request(f"label: longer than {MAX_FIELD_LABEL} characters")
    if not isinstance(field_type, str) or not field_type:
        raise ApiProblem.bad_request("type: required, a non-empty string")
    if len(field_type) > MAX_FIELD_TYPE:
        raise ApiProblem.bad_request(f"type: longer than {MAX_FIELD_TYPE} characters")
    state = emulator_of(request).state
    created = await run_in_threadpool(state.create_custom_field, label, field_type)
    return JSONResponse(created, status_code=201)


async def get_account(request: Request) -> JSONResponse:
    """``GET /account/summary`` (needs account_read)."""
    return JSONResponse(emulator_of(request).state.account.to_json())


ROUTES = [
    Route(LISTS_PATH, get_lists, methods=["GET"]),
    Route(LISTS_PATH, post_list, methods=["POST"]),
    Route(LISTS_PATH + "/{list_id}", get_list, methods=["GET"]),
    Route(FIELDS_PATH, get_fields, methods=["GET"]),
    Route(FIELDS_PATH, post_field, methods=["POST"]),
    Route("/v3/account/summary", get_account, methods=["GET"]),
]
