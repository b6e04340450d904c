"""``/v3/contact_lists``, ``/v3/contact_custom_fields`` and ``/v3/account/summary``."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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
from cc_tui.emulator.problems import ApiProblem
from cc_tui.emulator.records import NUMBER_TYPES, SELECT_TYPES
from cc_tui.emulator.routes.common import emulator_of, read_json_object
from cc_tui.emulator.rules import CONTROL_RE

__all__ = ["ROUTES"]

LISTS_PATH = "/v3/contact_lists"
FIELDS_PATH = "/v3/contact_custom_fields"
# (default, maximum): the swagger's text says 1-500 for lists although its schema says 1000;
# api-rules section 1 takes the text.
LIST_LIMIT = (50, 500)
FIELD_LIMIT = (50, 100)
MAX_LIST_NAME = 255
MAX_FIELD_LABEL = 50
MAX_FIELD_TYPE = 20
MAX_CHOICES = 100
MAX_CHOICE_LABEL = 255
MAX_DECIMAL_PLACES = 4
LIST_STATUSES = frozenset({"all", "active", "deleted"})
MEMBERSHIP_COUNTS = frozenset({"all", "active"})
CHANNEL_TYPES = frozenset({"email", "sms"})
EXTRA_FIELDS = frozenset({"physical_address", "company_logo"})
# The query parameters the swagger lists for each operation (anything else: 400).
LISTS_PARAMETERS = PAGING_PARAMETERS | {
    "include_count",
    "include_membership_count",
    "name",
    "status",
    "channel_type",
    "include_sms_membership_count",
}
LIST_PARAMETERS = frozenset({"include_membership_count"})
ACCOUNT_PARAMETERS = frozenset({"extra_fields"})
# CustomFieldMetadata: every key and its JSON type.
METADATA_TYPES: dict[str, type] = {
    "display_type": str,
    "allow_negative": bool,
    "decimal_places": int,
    "currency_code": str,
    "integer": bool,
    "display_format": str,
}


async def get_lists(request: Request) -> JSONResponse:
    """``GET /contact_lists`` with status, name, counts and cursor paging.

    ``status`` takes comma-separated values as documented. The account has email lists only,
    so ``channel_type=sms`` finds none.
    """
    check_parameters(request.query_params, LISTS_PARAMETERS)
    limit = parse_limit(request.query_params, *LIST_LIMIT)
    filters, offset = read_query(request.query_params, "contact_lists")
    statuses = parse_choices(filters, "status", LIST_STATUSES) or frozenset({"active"})
    membership = parse_choice(filters, "include_membership_count", MEMBERSHIP_COUNTS, None)
    include_count = parse_bool(filters, "include_count")
    channel = parse_choice(filters, "channel_type", CHANNEL_TYPES, "email")
    parse_bool(filters, "include_sms_membership_count")  # checked; there are no SMS members
    state = emulator_of(request).state
    found: list[dict[str, Any]] = []
    if channel == "email":
        found = await run_in_threadpool(state.find_lists, statuses, filters.get("name"), membership)
    body: dict[str, Any] = {"lists": found[offset : offset + limit]}
    if include_count:
        body["lists_count"] = len(found)
    if offset + limit < len(found):
        body["_links"] = next_link(LISTS_PATH, "contact_lists", filters, offset + limit, limit)
    return JSONResponse(body)


async def get_list(request: Request) -> JSONResponse:
    """``GET /contact_lists/{list_id}``."""
    list_id = require_uuid(request.path_params["list_id"], "list_id")
    check_parameters(request.query_params, LIST_PARAMETERS)
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
    if "description" in body and not description.strip():
        # As in imports (docs/api-rules.md section 6, assumed): "no description" is said by
        # leaving the key out, never by an empty or blank string.
        raise ApiProblem.bad_request("description: must not be empty; leave the key out")
    if not isinstance(favorite, bool):
        raise ApiProblem.bad_request("favorite: expected boolean")
    state = emulator_of(request).state
    created = await run_in_threadpool(state.create_list, name.strip(), description, favorite)
    return JSONResponse(created, status_code=201)


async def get_fields(request: Request) -> JSONResponse:
    """``GET /contact_custom_fields`` with cursor paging."""
    check_parameters(request.query_params, PAGING_PARAMETERS)
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
    """``POST /contact_custom_fields`` (``CustomFieldRequest``): 201, or 409 for a duplicate.

    Takes ``label``, ``type`` and, optionally, ``metadata`` (``CustomFieldMetadata``) and
    ``choices`` (``[{"choice_label", "display_order"}]``, required by and only for
    ``single_select``/``multi_select``).
    """
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
    metadata = _field_metadata(body.get("metadata", {}), field_type)
    choices = _field_choices(body.get("choices"), field_type)
    state = emulator_of(request).state
    created = await run_in_threadpool(
        state.create_custom_field, label, field_type, metadata, choices
    )
    return JSONResponse(created, status_code=201)


def _field_metadata(value: Any, field_type: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiProblem.bad_request("metadata: expected an object")
    for key, item in value.items():
        wanted = METADATA_TYPES.get(key)
        if wanted is None:
            raise ApiProblem.bad_request(f"metadata.{key}: unknown property")
        if type(item) is not wanted:
            raise ApiProblem.bad_request(f"metadata.{key}: expected {wanted.__name__}")
    places = value.get("decimal_places")
    if places is not None and not 0 <= places <= MAX_DECIMAL_PLACES:
        raise ApiProblem.bad_request(f"metadata.decimal_places: 0 to {MAX_DECIMAL_PLACES}")
    # "If the integer is set to false, the decimal_places must be between 1 and 4."
    if field_type in NUMBER_TYPES and value.get("integer") is False and not places:
        raise ApiProblem.bad_request(
            f"metadata.decimal_places: 1 to {MAX_DECIMAL_PLACES} when integer is false"
        )
    return dict(value)


def _field_choices(value: Any, field_type: str) -> list[str]:
    if field_type not in SELECT_TYPES:
        if value is not None:
            raise ApiProblem.bad_request("choices: only for single_select and multi_select")
        return []
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_CHOICES:
        raise ApiProblem.bad_request(f"choices: 1 to {MAX_CHOICES} choices are required")
    labels: list[str] = []
    for index, choice in enumerate(value):
        label = choice.get("choice_label") if isinstance(choice, dict) else None
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_CHOICE_LABEL:
            raise ApiProblem.bad_request(
                f"choices[{index}].choice_label: a non-empty string of at most "
                f"{MAX_CHOICE_LABEL} characters"
            )
        if CONTROL_RE.search(label) or label in labels:
            raise ApiProblem.bad_request(f"choices[{index}].choice_label: invalid or repeated")
        labels.append(label)
    return labels


async def get_account(request: Request) -> JSONResponse:
    """``GET /account/summary`` (needs account_read); ``extra_fields`` is checked, then ignored."""
    check_parameters(request.query_params, ACCOUNT_PARAMETERS)
    parse_choices(request.query_params, "extra_fields", EXTRA_FIELDS)
    return JSONResponse(emulator_of(request).state.account.to_json())


ROUTES = [
    Route(LISTS_PATH, get_lists, methods=["GET"]),
    Route(LISTS_PATH, post_list, methods=["POST"]),
    Route(LISTS_PATH + "/{list_id}", get_list, methods=["GET"]),
    Route(FIELDS_PATH, get_fields, methods=["GET"]),
    Route(FIELDS_PATH, post_field, methods=["POST"]),
    Route("/v3/account/summary", get_account, methods=["GET"]),
]
