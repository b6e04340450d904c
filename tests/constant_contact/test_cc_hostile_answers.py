"""Hostile but valid answers: each is handled, or refused with a clear error, never a traceback.

Unknown fields, nulls, shouted states, empty pages that still link onwards, 429 with and
without Retry-After (seconds, HTTP date, nonsense), 5xx HTML pages, token answers without a
refresh token or with ``expires_in`` as a string; and the client's own refusals of requests a
strict server would answer 400 (docs/api-rules.md sections 1, 5 and 6).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from cc_tui.constant_contact.auth import MAX_POLL_INTERVAL, DeviceFlow
from cc_tui.constant_contact.oauth import (
    DEFAULT_TOKEN_LIFETIME,
    MAX_TOKEN_LIFETIME,
    refresh_tokens,
    token_set_from_json,
)
from cc_tui.constant_contact.retry import THROTTLE_DELAY
from cc_tui.constant_contact.schemas import Activity
from cc_tui.errors import (
    ConstantContactError,
    DeviceFlowError,
    ServerError,
    SignInRequiredError,
    UsageError,
)
from tests.constant_contact.cc_e2e import signed_in_client
from tests.constant_contact.cc_fakes import (
    AUTH,
    FakeSleep,
    MemoryTokenStore,
    MockApi,
    make_client,
    reply,
)

if TYPE_CHECKING:
    from cc_tui.emulator.server import EmulatorServer

NOW = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
LIST_A = "00000000-0000-4000-8000-00000000000a"
LIST_B = "00000000-0000-4000-8000-00000000000b"
ACTIVITY_ID = "04fe9a97-a579-43c5-bb1a-58ed29bf0a6a"
SUMMARY_PATH = "/v3/account/summary"
SUMMARY = reply(200, {"organization_name": "Acme"})


def _token_answer(**fields: Any) -> dict[str, Any]:
    return {"access_token": "access-1", "token_type": "Bearer", **fields}


@pytest.mark.parametrize(
    ("expires_in", "seconds"),
    [
        ("3600", 3600.0),  # a numeric string, as some OAuth servers send it
        (" 7200 ", 7200.0),
        (1800.5, 1800.5),
        ("soon", DEFAULT_TOKEN_LIFETIME),
        (None, DEFAULT_TOKEN_LIFETIME),
        (True, DEFAULT_TOKEN_LIFETIME),
        (0, DEFAULT_TOKEN_LIFETIME),
        (-5, DEFAULT_TOKEN_LIFETIME),
        ("nan", DEFAULT_TOKEN_LIFETIME),
        (1_000_000_000_000, MAX_TOKEN_LIFETIME),  # an epoch in ms would overflow a datetime
        ("inf", MAX_TOKEN_LIFETIME),
    ],
)
def test_expires_in_in_any_form_gives_a_sane_expiry(expires_in: Any, seconds: float) -> None:
    tokens = token_set_from_json(_token_answer(expires_in=expires_in), now=NOW)
    assert tokens.expires_at == NOW + timedelta(seconds=seconds)


def test_a_token_answer_with_nulls_and_unknown_fields() -> None:
    answer = _token_answer(
        refresh_token=None, scope=None, id_token=None, expires_in="60", extra={"x": 1}
    )
    tokens = token_set_from_json(answer, now=NOW, previous_refresh_token="kept")
    assert tokens.refresh_token == "kept"
    assert tokens.scope == ""
    assert tokens.token_type == "Bearer"


@pytest.mark.parametrize("token_type", ["bearer", "BEARER", "Bearer"])
async def test_the_header_always_says_bearer_as_documented(token_type: str) -> None:
    tokens = token_set_from_json(_token_answer(token_type=token_type), now=NOW)
    api = MockApi().on("GET", SUMMARY_PATH, SUMMARY)
    await make_client(api, MemoryTokenStore(tokens)).account_summary()
    assert api.requests[0].headers["Authorization"] == "Bearer access-1"


@pytest.mark.parametrize("token_type", ["mac", "", 7])
def test_a_token_that_is_not_a_bearer_token_is_refused(token_type: Any) -> None:
    with pytest.raises(ValueError, match="token_type"):
        token_set_from_json(_token_answer(token_type=token_type), now=NOW)


async def test_a_refresh_answer_that_is_not_a_bearer_token_is_a_clear_error() -> None:
    api = MockApi().token(reply(200, _token_answer(token_type="mac")))
    async with httpx.AsyncClient(transport=api.transport()) as http:
        with pytest.raises(ServerError, match="not Bearer"):
            await refresh_tokens(http, auth_base_url=AUTH, client_id="c", refresh_token="r")


async def test_a_device_sign_in_without_refresh_token_signs_in_then_asks_again() -> None:
    """No ``offline_access`` granted: no refresh token. The sign-in works; when the access
    token runs out the connection must sign in again (a clear error, no traceback)."""
    api = MockApi()
    api.on(
        "POST",
        "/oauth2/default/v1/device/authorize",
        reply(200, {"device_code": "d", "user_code": "U", "verification_uri": "https://x"}),
    )
    api.token(reply(200, _token_answer(expires_in="1")))
    sleep = FakeSleep()
    async with httpx.AsyncClient(transport=api.transport()) as http:
        flow = DeviceFlow(http, auth_base_url=AUTH, client_id="c", sleep=sleep)
        tokens = await flow.wait_for_tokens(await flow.start())
    assert tokens.refresh_token is None
    client = make_client(MockApi(), MemoryTokenStore(tokens))
    with pytest.raises(SignInRequiredError, match="no refresh token"):
        await client.account_summary()


async def test_device_answer_values_as_strings_and_out_of_bounds() -> None:
    api = MockApi().on(
        "POST",
        "/oauth2/default/v1/device/authorize",
        reply(
            200,
            {
                "device_code": "d",
                "user_code": "U",
                "verification_uri": "https://x",
                "verification_uri_complete": None,
                "expires_in": "900",
                "interval": 86_400,
            },
        ),
    )
    async with httpx.AsyncClient(transport=api.transport()) as http:
        flow = DeviceFlow(http, auth_base_url=AUTH, client_id="c", clock=lambda: NOW)
        authz = await flow.start()
    assert authz.expires_at == NOW + timedelta(seconds=900)
    assert authz.interval == MAX_POLL_INTERVAL  # a day between polls is not believed
    assert authz.verification_uri_complete == "https://x"


async def test_a_device_answer_without_a_code_is_a_clear_error() -> None:
    api = MockApi().on(
        "POST", "/oauth2/default/v1/device/authorize", reply(200, {"device_code": None})
    )
    async with httpx.AsyncClient(transport=api.transport()) as http:
        flow = DeviceFlow(http, auth_base_url=AUTH, client_id="c")
        with pytest.raises(DeviceFlowError, match="lacks device_code, user_code"):
            await flow.start()


def _lists_page(ids: list[str], next_href: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lists": [{"list_id": i, "name": i[-1], "membership_count": None} for i in ids],
        "unknown_top_level": {"anything": [1, 2]},
    }
    if next_href is not None:
        body["_links"] = {"next": {"href": next_href}}
    return body


async def test_a_next_link_on_the_last_page_ends_at_the_empty_page() -> None:
    """A server that always links onwards (a fresh cursor each time) must not loop forever."""
    api = MockApi().on(
        "GET",
        "/v3/contact_lists",
        reply(200, _lists_page([LIST_A, LIST_B], "/v3/contact_lists?cursor=c1&limit=500")),
        reply(200, _lists_page([], "/v3/contact_lists?cursor=c2&limit=500")),
        reply(200, _lists_page([], "/v3/contact_lists?cursor=c3&limit=500")),
    )
    found = await make_client(api).contact_lists()
    assert [item.list_id for item in found] == [LIST_A, LIST_B]
    assert len(api.requests) == 2
    # The link is followed exactly as sent: nothing added to its query.
    assert dict(api.requests[1].url.params) == {"cursor": "c1", "limit": "500"}


async def test_a_fresh_cursor_serving_the_same_page_again_is_stopped() -> None:
    api = MockApi().on(
        "GET",
        "/v3/contact_lists",
        reply(200, _lists_page([LIST_A], "/v3/contact_lists?cursor=c1")),
        reply(200, _lists_page([LIST_A], "/v3/contact_lists?cursor=c2")),
        reply(200, _lists_page([LIST_A], "/v3/contact_lists?cursor=c3")),
    )
    with pytest.raises(ConstantContactError, match="repeats the same page"):
        await make_client(api).contact_lists()
    assert len(api.requests) == 2


@pytest.mark.parametrize("body", [{"lists": []}, {}, {"lists": None}, {"lists": "none"}])
async def test_no_lists_in_any_form_is_an_empty_account(body: dict[str, Any]) -> None:
    api = MockApi().on("GET", "/v3/contact_lists", reply(200, body))
    assert await make_client(api).contact_lists() == []


def test_an_activity_with_nulls_unknown_fields_and_a_shouted_state() -> None:
    activity = Activity.from_json(
        {
            "activity_id": ACTIVITY_ID,
            "state": " COMPLETED ",
            "percent_done": None,
            "activity_errors": None,
            "status": {"person_count": "3", "error_count": None, "new_counter": 9},
            "created_at": None,
            "_links": {"results": {"href": "/v3/somewhere"}},
            "brand_new_field": True,
        }
    )
    assert activity.state == "completed"
    assert activity.is_final
    assert activity.percent_done == 0
    assert activity.activity_errors == ()
    assert activity.status.person_count == 3
    assert activity.status.error_count == 0
    assert activity.created_at is None


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2026-12-05T07:00:00", NOW),  # no offset: read as UTC, never a naive time
        ("2026-12-05T07:00:00.5", NOW + timedelta(seconds=0.5)),
        ("2026-12-05T02:00:00-05:00", NOW),
        ("2026-12-05T07:00:00.123456789Z", NOW + timedelta(microseconds=123_456)),
        ("5 December", None),
    ],
)
async def test_activity_times_without_an_offset_are_utc_and_comparable(
    created_at: str, expected: datetime | None
) -> None:
    """A naive time would make the search for a lost import raise TypeError mid-run."""
    listed = {"activity_id": ACTIVITY_ID, "state": "completed", "created_at": created_at}
    api = MockApi().on("GET", "/v3/activities", reply(200, {"activities": [listed]}))
    found = await make_client(api).activities_since(NOW - timedelta(minutes=1))
    assert [a.created_at for a in found] == [expected]
    assert all(a.created_at is None or a.created_at.tzinfo is not None for a in found)


async def test_a_custom_field_without_its_name_gets_the_one_its_label_makes() -> None:
    """The swagger requires only `label` and `type`; `name` is the label with blanks made
    underscores, and it is what `cf:` keys and the preflight's check use."""
    fields = {"custom_fields": [
        {"custom_field_id": LIST_A, "label": "Favourite colour", "type": "string"},
        {"custom_field_id": LIST_B, "label": "Tier", "name": "Tier_2", "type": "string"},
    ]}  # fmt: skip
    api = MockApi().on("GET", "/v3/contact_custom_fields", reply(200, fields))
    found = await make_client(api).custom_fields()
    assert [(f.name, f.label) for f in found] == [
        ("Favourite_colour", "Favourite colour"),
        ("Tier_2", "Tier"),
    ]


def _throttled(retry_after: str | None) -> Any:
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    return reply(429, {"error_key": "throttled", "error_message": "slow"}, headers=headers)


async def test_retry_after_as_an_http_date_is_waited_out() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    api = MockApi().on("GET", SUMMARY_PATH, _throttled(when), SUMMARY)
    client = make_client(api)
    assert (await client.account_summary()).organization_name == "Acme"
    sleep = client._session._sleep
    assert isinstance(sleep, FakeSleep)
    assert len(sleep.delays) == 1
    assert 25.0 <= sleep.delays[0] <= 30.0


@pytest.mark.parametrize("retry_after", [None, "nan", "inf", "soon", "-3"])
async def test_429_without_a_usable_retry_after_waits_briefly(retry_after: str | None) -> None:
    api = MockApi().on("GET", SUMMARY_PATH, _throttled(retry_after), SUMMARY)
    client = make_client(api)
    await client.account_summary()
    sleep = client._session._sleep
    assert isinstance(sleep, FakeSleep)
    assert len(sleep.delays) == 1
    assert THROTTLE_DELAY <= sleep.delays[0] <= THROTTLE_DELAY * 1.25


async def test_a_5xx_html_page_gives_a_short_readable_server_error() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title>"
        "<style>body { color: red }</style><script>var x = '<b>';</script></head>"
        "<body><h1>502 Bad Gateway</h1><p>nginx</p>" + "<div>pad</div>" * 5000 + "</body></html>"
    )
    api = MockApi().on("GET", SUMMARY_PATH, reply(502, text=page))
    with pytest.raises(ServerError) as caught:
        await make_client(api).account_summary()
    message = caught.value.error_message
    assert message.startswith("502 Bad Gateway 502 Bad Gateway nginx")
    assert "<" not in message and "color" not in message
    assert len(message) <= 200
    assert len(api.requests) == 5  # retried up to the attempts, then the typed error


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda c: c.activities(state="initialized"), "activity state filter"),
        (lambda c: c.activities(state="Completed"), "activity state filter"),
        (lambda c: c.contacts(status="active,bogus"), "contact status"),
        (lambda c: c.contacts(email="a@example.com,b@example.com"), "one e-mail address"),
        (lambda c: c.contacts(email=" a@example.com"), "one e-mail address"),
        (lambda c: c.contacts(email="not-an-address"), "one e-mail address"),
        (lambda c: c.create_contact_list("x" * 256), "1 to 255 characters"),
        (lambda c: c.create_contact_list("   "), "1 to 255 characters"),
    ],
)
async def test_requests_a_strict_server_refuses_are_refused_locally(call: Any, match: str) -> None:
    api = MockApi()
    with pytest.raises(UsageError, match=match):
        await call(make_client(api))
    assert api.requests == []


async def test_a_refresh_with_expires_in_as_a_string() -> None:
    api = MockApi().token(reply(200, {"access_token": "a2", "expires_in": "120"}))
    async with httpx.AsyncClient(transport=api.transport()) as http:
        tokens = await refresh_tokens(
            http, auth_base_url=AUTH, client_id="c", refresh_token="r1", clock=lambda: NOW
        )
    assert tokens.expires_at == NOW + timedelta(seconds=120)
    assert tokens.refresh_token == "r1"  # none came back: the old one stays


async def test_an_old_lower_case_token_type_still_passes_the_strict_emulator(
    fast_emulator: EmulatorServer,
) -> None:
    """End to end: a token file written with ``token_type = "bearer"`` (as some servers spell
    it) must not make the client send ``bearer``, which the strict emulator refuses with 401."""
    client, store = await signed_in_client(fast_emulator)
    assert store.tokens is not None
    store.tokens = replace(store.tokens, token_type="bearer")
    async with client:
        lists = await client.contact_lists()
        recent = await client.activities(limit=1)
    assert lists  # the seeded account has lists
    assert recent == [] or recent[0].activity_id
    assert client.stats.refreshes == 0  # no 401 along the way
