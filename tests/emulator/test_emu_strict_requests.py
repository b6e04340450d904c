"""The emulator refuses the laxer requests a strict server would (docs/api-rules.md §1, §6).

Undocumented or repeated query parameters, filters beside a cursor, an Authorization scheme
not spelt ``Bearer``, an Accept header that excludes JSON, a ``GET /contacts`` ``email`` that is
not one address, and token requests that are not form posts. Over a real loopback socket.
"""

from __future__ import annotations

import httpx
import pytest

from cc_tui.emulator.server import EmulatorServer
from tests.emulator.emu_helpers import DEVICE_GRANT, HTTP, authorize, sign_in

VALIDATION = "contacts.api.validation.error"


def _refused_400(response: httpx.Response, words: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body, list)  # APIErrorSchema: an array
    assert body[0]["error_key"] == VALIDATION
    assert words in body[0]["error_message"]


@pytest.mark.parametrize(
    ("path", "query", "words"),
    [
        ("/contact_lists", "page=2", "page is not a supported query parameter"),
        ("/contact_lists", "limit=5&limit=6", "limit may be given only once"),
        ("/contact_custom_fields", "include_count=true", "include_count is not a supported"),
        ("/contacts", "sort=email", "sort is not a supported"),
        ("/contacts", "status=all&status=active", "status may be given only once"),
        ("/activities", "offset=10", "offset is not a supported"),
        ("/activities/04fe9a97-a579-43c5-bb1a-58ed29bf0a6a", "limit=1", "limit is not a"),
        ("/account/summary", "verbose=1", "verbose is not a supported"),
        ("/account/summary", "extra_fields=logo", "extra_fields does not have a valid value"),
        ("/contacts", "email=", "email must be one email address"),
        ("/contacts", "email=a@example.com,b@example.com", "email must be one email address"),
        ("/contacts", "email=nobody", "email must be one email address"),
    ],
)
def test_undocumented_or_malformed_parameters_are_refused(
    api: httpx.Client, path: str, query: str, words: str
) -> None:
    _refused_400(api.get(f"{path}?{query}"), words)


def test_documented_parameters_still_pass(api: httpx.Client) -> None:
    assert api.get("/account/summary?extra_fields=physical_address,company_logo").is_success
    assert api.get("/contacts?email=someone@example.com&include=list_memberships").is_success
    assert api.get("/contacts?updated_after=2024-01-01T00:00:00Z").is_success


def test_a_cursor_request_carries_only_cursor_and_limit(api: httpx.Client) -> None:
    first = api.get("/contact_lists", params={"limit": 1, "include_count": "true"})
    assert first.status_code == 200, first.text
    href = first.json()["_links"]["next"]["href"].removeprefix("/v3")
    assert api.get(href).status_code == 200  # followed as sent
    _refused_400(api.get(href + "&include_count=true"), "cannot be combined with cursor")


@pytest.mark.parametrize(
    "authorization",
    ["bearer {token}", "BEARER {token}", "Bearer  {token}", "Bearer{token}", "Token {token}"],
)
def test_only_the_documented_bearer_scheme_is_taken(
    fast_emulator: EmulatorServer, authorization: str
) -> None:
    token = sign_in(fast_emulator)["access_token"]
    response = HTTP.get(
        fast_emulator.api_base_url + "/account/summary",
        headers={"Authorization": authorization.format(token=token)},
    )
    assert response.status_code == 401
    assert response.json() == {"error_key": "unauthorized", "error_message": "Unauthorized"}


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("application/json", 200),
        ("application/json; charset=utf-8", 200),
        ("*/*", 200),
        ("text/html, application/*;q=0.5", 200),
        ("text/html", 406),
        ("application/xml", 406),
        ("application/json;q=0", 406),
        ("text/csv, */*;q=0", 406),
    ],
)
def test_an_accept_header_that_excludes_json_gets_406(
    api: httpx.Client, accept: str, status: int
) -> None:
    response = api.get("/account/summary", headers={"Accept": accept})
    assert response.status_code == status, response.text
    if status == 406:
        assert response.json()[0]["error_key"] == "not.acceptable"


def test_the_token_endpoint_takes_form_posts_only(fast_emulator: EmulatorServer) -> None:
    started = authorize(fast_emulator)
    fast_emulator.approve(started["user_code"])
    token_url = fast_emulator.auth_base_url + "/token"
    form = {"client_id": "test-app", "device_code": started["device_code"]}
    as_json = HTTP.post(token_url, json={**form, "grant_type": DEVICE_GRANT})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    in_query = HTTP.post(token_url, params={**form, "grant_type": DEVICE_GRANT})
    assert in_query.status_code == 400
    assert in_query.json()["error"] == "invalid_request"
    # Neither refusal used the code up: the form post still gets the tokens.
    as_form = HTTP.post(token_url, data={**form, "grant_type": DEVICE_GRANT})
    assert as_form.status_code == 200, as_form.text
    assert as_form.json()["token_type"] == "Bearer"


def test_device_authorize_takes_a_form_or_the_query(fast_emulator: EmulatorServer) -> None:
    url = fast_emulator.auth_base_url + "/device/authorize"
    params = {"client_id": "test-app", "scope": "contact_data"}
    assert HTTP.post(url, params=params).status_code == 200
    assert HTTP.post(url, data=params).status_code == 200
    refused = HTTP.post(url, json=params)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
