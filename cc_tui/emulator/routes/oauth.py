"""The authorization server under ``/oauth2/default/v1``: device authorize and token."""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cc_tui.emulator.oauth import OAuthError
from cc_tui.emulator.routes.common import emulator_of

__all__ = ["AUTH_PREFIX", "ROUTES", "VERIFICATION_PATH"]

logger = logging.getLogger(__name__)

AUTH_PREFIX = "/oauth2/default/v1"
VERIFICATION_PATH = "/activate"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


def _form_problem(request: Request, *, body_required: bool) -> OAuthError | None:
    """``invalid_request`` unless the parameters come as an HTML form (RFC 6749 3.2, assumed).

    ``/token`` takes its parameters only as a form body (the strict reading: a token in a query
    string ends up in access logs); ``/device/authorize`` may also take them in the query
    (contract section 1), but a body it has must be a form.
    """
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    has_body = int(request.headers.get("content-length", "0") or 0) > 0
    if media_type == FORM_MEDIA_TYPE:
        return None
    if has_body or body_required:
        return OAuthError("invalid_request", f"Content-Type must be {FORM_MEDIA_TYPE}.")
    return None


async def _params(request: Request) -> dict[str, str]:
    """Query parameters, then form-body parameters (the body wins); Basic auth gives client_id."""
    params = dict(request.query_params)
    body = (await request.body()).decode("utf-8", errors="replace")
    params.update(parse_qsl(body, keep_blank_values=True))
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and "client_id" not in params:
        try:
            decoded = base64.b64decode(value.strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        params["client_id"] = decoded.partition(":")[0]
    return params


def _oauth_error(error: OAuthError) -> JSONResponse:
    body = {"error": error.code, "error_description": error.description}
    # invalid_client is 401 in RFC 6749 terms, but the contract only documents 400 answers.
    return JSONResponse(body, status_code=400, headers=_NO_STORE)


async def device_authorize(request: Request) -> JSONResponse:
    """``POST /device/authorize`` (client_id, scope)."""
    emulator = emulator_of(request)
    params = await _params(request)
    emulator.stats.event("device_authorizations")
    problem = _form_problem(request, body_required=False)
    if problem is not None:
        return _oauth_error(problem)
    verification_uri = str(request.base_url).rstrip("/") + VERIFICATION_PATH
    try:
        body = emulator.oauth.authorize_device(
            params.get("client_id", ""), params.get("scope", ""), verification_uri
        )
    except OAuthError as error:
        return _oauth_error(error)
    return JSONResponse(body, headers=_NO_STORE)


async def token(request: Request) -> JSONResponse:
    """``POST /token``: the device-code and refresh-token grants."""
    emulator = emulator_of(request)
    params = await _params(request)
    grant_type = params.get("grant_type", "")
    client_id = params.get("client_id", "")
    emulator.stats.event("token_requests")
    problem = _form_problem(request, body_required=True)
    if problem is not None:
        return _oauth_error(problem)
    if any(key in request.query_params for key in ("refresh_token", "device_code")):
        return _oauth_error(OAuthError("invalid_request", "Send tokens in the form body only."))
    try:
        if not client_id:
            raise OAuthError("invalid_client", "client_id is required.")
        if grant_type == DEVICE_GRANT:
            body = emulator.oauth.poll_device(client_id, params.get("device_code", ""))
        elif grant_type == REFRESH_GRANT:
            emulator.stats.event("refresh_requests")
            body = emulator.oauth.refresh(client_id, params.get("refresh_token", ""))
        else:
            raise OAuthError("unsupported_grant_type", f"Unsupported grant type {grant_type!r}.")
    except OAuthError as error:
        logger.debug("token request refused: %s", error.code)
        return _oauth_error(error)
    return JSONResponse(body, headers=_NO_STORE)


ROUTES = [
    Route(AUTH_PREFIX + "/device/authorize", device_authorize, methods=["POST"]),
    Route(AUTH_PREFIX + "/token", token, methods=["POST"]),
]
