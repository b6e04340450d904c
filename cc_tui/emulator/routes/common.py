"""Helpers every route module uses: the emulator of a request and JSON request bodies."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from cc_tui.emulator.problems import ApiProblem
from cc_tui.emulator.runtime import Emulator

__all__ = ["JSON_MEDIA_TYPE", "emulator_of", "is_json", "read_json_object"]

JSON_MEDIA_TYPE = "application/json"


def emulator_of(request: Request) -> Emulator:
    """The emulator serving this request."""
    emulator: Emulator = request.app.state.emulator
    return emulator


def is_json(request: Request) -> bool:
    """True when the Content-Type is ``application/json`` (parameters such as charset allowed)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == JSON_MEDIA_TYPE


async def read_json_object(request: Request) -> dict[str, Any]:
    """A small JSON object body: 415 if not JSON, 400 if malformed or not an object."""
    if not is_json(request):
        raise ApiProblem(415, "unsupported.media.type", "Content-Type must be application/json")
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise ApiProblem.bad_request("body: not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiProblem.bad_request("body: expected a JSON object")
    return body
