"""The Starlette app of the Constant Contact V3 emulator: auth server and API on one port.

Written from the API contract (``constant-contact-api.md``) and the repository's strict reading
of it (``docs/api-rules.md``), never from cc-tui's client. Where the swagger's text and schema
disagree, or the contract is silent, the emulator enforces the stricter reading: it should be
the harshest server cc-tui will ever meet.

Assumed behaviours (the contract leaves these open; the emulator does this):

* Device flow: polling errors are HTTP 400 ``{"error", "error_description"}``
  (``authorization_pending``, ``slow_down``, ``expired_token``, ``access_denied``). The first
  poll is never ``slow_down``; later polls sooner than the code's interval are, and the interval
  then grows by 5 s (by the configured interval when that is under 1 s). Approved or denied
  codes answer at once, even if polled too soon. An approved code gives tokens once; after that
  (and for an unknown code or another client_id) the answer is ``invalid_grant``.
* A missing or unknown scope is ``invalid_scope``; a missing client_id is ``invalid_client``.
  Refresh keeps the scopes of the sign-in. Reusing a rotated-out refresh token revokes the whole
  family (as Okta does). Access tokens stay valid until they expire, whatever happens to the
  refresh tokens. Refresh tokens die after 180 days unused.
* The rate limit and daily quota count requests per client_id that carry a valid token
  (401s are not counted), each when it *arrives*: after ``arrival_jitter`` (a seeded random
  delay standing for the network) and before its body is read; ``latency`` (a value or a
  range) then delays the answer. The quota is checked before the rate; throttled and
  over-quota requests take no slot. The statistics report the most requests that arrived in
  any one second, and the shortest time in which one more than the limit arrived. 403
  (missing scope) comes after the limits, so it takes a slot. No ``Retry-After`` or
  ``X-RateLimit-*`` headers.
* Faults apply only to /v3, after the token and limit checks: drop, then 503, then latency.
  A dropped import is, by a second seeded coin (``drop_after_create_share``), dropped either
  before anything happens or only after its activity was created. "Ambiguous" 500s apply to
  imports only, after the activity was created. Activities can be drawn to end ``failed``,
  ``cancelled`` or ``timed_out`` part-way, or never to finish (see :mod:`.faults`).
* Query parameters (api-rules section 1): ``limit`` must be a plain whole number (ASCII digits)
  within the swagger's *text*: 1-500 for lists (the schema's 1000 is refused), contacts and
  activities, 1-100 for custom fields. Enumerated parameters take only documented values,
  comma-separated where the text says so (``status`` of lists and contacts, ``include``,
  ``sms_status``); booleans are ``true``/``false`` in lower case; the activities ``state``
  filter takes ``processing|completed|cancelled|failed|timed_out`` (not ``initialized``).
  Anything else is a 400 in the array shape. So is a parameter the swagger does not list for
  the operation, a parameter given twice, and any parameter but ``limit`` beside a ``cursor``
  (api-rules section 6). Documented but unsupported filters (``segment_id``, ``tags``,
  ``updated_after``...) are ignored; ``GET /contacts`` ``email`` must be one address (not
  empty, no comma); ``extra_fields`` of the account summary is checked; ``sms_status`` and
  ``include_sms_membership_count`` are checked, then ignored (no contact has SMS permission).
  Contact ``status=active`` means permission implicit or explicit;
  ``include_membership_count=active`` counts those members only. The account has email lists
  only: ``channel_type=sms`` finds none.
* Headers (api-rules section 6): ``Authorization: Bearer <token>`` spelt exactly so (another
  case of ``Bearer`` or two spaces: 401 in the object shape); an ``Accept`` header none of
  whose ranges admits ``application/json`` (or only with ``q=0``): 406
  ``not.acceptable`` in the array shape. ``POST /token`` takes its parameters only as an
  ``application/x-www-form-urlencoded`` body (a JSON body, or a ``refresh_token`` or
  ``device_code`` in the query: 400 ``invalid_request``); ``POST /device/authorize`` takes
  them in the query or a form body (another body: 400 ``invalid_request``).
* Cursors encode the query and offset (base64url JSON); a request with a cursor takes its
  filters from the cursor and only ``limit`` from the URL. The last page has no ``_links``.
* ``lists`` filter of ``GET /contacts``: malformed ids give 400, unknown ids match nothing.
* Imports, structure (a 400 for the whole request; api-rules section 3): only the keys of
  ``ContactsJsonImport``/``JsonImportContact``; ``import_data`` of at least one contact;
  ``list_ids`` of existing, not deleted lists; ``sms_permission_to_send`` ``explicit`` or
  ``not_set``; ``cf:<name>`` naming an existing custom field exactly (case and all), at most
  25 per contact; every value a string but the integer birthday parts; **no** ``null`` and no
  empty or all-blank string anywhere (absent means leaving the key out); every contact has an
  ``email`` or an ``sms_number``. Only the contacts kept (the first
  ``max_contacts_per_import``, wholly inside the first ``max_import_bytes``) are checked; the
  rest are neither checked nor imported, and ``items_total_count`` counts the contacts kept.
* Imports, values (that contact is refused, counted, not imported; the import goes on): see
  :mod:`.refusals` for the rules and which counter each goes to. In short, invalid or over-long
  e-mails, half or impossible birthdays (29 February is allowed) and anniversaries that are not
  real dates in a documented format are *correctable*; over-long values (characters or UTF-16
  units, the stricter), control characters, non-North-American phones, malformed
  ``sms_number``/``sms_consent_date``, and custom field values their type refuses are
  *errors*. Each refused contact counts once.
* Error keys: ``contacts.api.validation.error`` (400), ``contacts.api.not_found`` /
  ``activities.api.not_found`` (404), ``contacts.api.conflict`` (409),
  ``unsupported.media.type`` (415), ``server.error`` (500), ``service.unavailable`` (503),
  ``activities.api.queue.limit`` (429, array shape).
* Activities of the account run one after another: ``initialized`` for at least
  ``activity_start_delay`` and until the one before finishes, then ``processing`` at
  ``processing_rate`` contacts per second. An activity that ends early counts the contacts it
  never processed in ``error_count``, so a final activity always has ``items_total_count`` =
  ``person_count`` + ``correctable_count`` + ``error_count`` + duplicates folded into their
  last accepted occurrence. An activity that never finishes leaves the queue (the next ones
  still run) and stays ``processing``. Activities are kept 10 days.
* ``GET /activities`` lists activities newest first, each with ``created_at``; a new one shows
  there only ``activity_list_lag`` seconds (default 1) after its creation, and
  ``GET /activities/{id}`` finds it after ``activity_by_id_lag`` seconds (default at once;
  404 before). With ``brief_activity_list`` the listing leaves
  out ``status`` and ``activity_errors`` (the swagger requires neither there); with
  ``activities_oldest_first`` it lists the oldest first (the swagger states no order).
* Per-contact outcomes: duplicates in one import: the last accepted occurrence wins and is
  counted once. ``person_count`` counts contacts created or updated (unsubscribed ones
  included); unsubscribed contacts stay off the lists and count in
  ``cannot_add_to_list_count``.
* ``activity_errors`` has one text per refused contact (at most ``max_activity_errors``, then
  one "N more errors were not listed") and one when an activity ends early. Their format varies
  on purpose (:mod:`.error_texts`): never a contract.
* ``POST /contact_custom_fields`` takes ``label``, ``type`` (any string up to 20 characters),
  ``metadata`` (``CustomFieldMetadata`` keys) and ``choices`` (required by and only for
  ``single_select``/``multi_select``); more than 100 fields is a 400. ``GET`` shows ``type``,
  ``metadata`` when set and ``choices`` for select fields. ``POST /contact_lists`` with a name
  in use (not deleted) is a 409.
* Every /v3 request, even to an unknown path, first needs a valid token (401), then passes the
  limits; unknown paths then get 404 in the array shape.
* Contacts keep the e-mail as sent; lookups and upserts use the lower-cased address. A contact
  with only an ``sms_number`` is keyed by that number and has no ``email_address``.
* ``POST /__emulator/reset`` restores the seeded data, statistics, limits and fault sequence;
  tokens survive it. ``POST /__emulator/settings`` with ``seed`` restarts the fault sequence.
  ``GET /__emulator/stats`` counts, among others, ``contacts_submitted``,
  ``activities_created`` and ``contacts_refused`` by reason.
* The state file holds lists, custom fields, contacts, activities (unfinished ones with their
  remaining contacts and refusals) and tokens, not device codes.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from cc_tui.emulator.dates import ServerDate
from cc_tui.emulator.gate import API_PREFIX, ApiGate
from cc_tui.emulator.problems import NOT_FOUND_KEY, ApiProblem, error_array
from cc_tui.emulator.routes import admin, contacts, device_page, lists, oauth
from cc_tui.emulator.runtime import Emulator
from cc_tui.emulator.settings import EmulatorSettings

__all__ = ["create_app"]


async def _index(request: Request) -> JSONResponse:
    root = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "service": "Constant Contact V3 emulator",
            "api_base_url": root + API_PREFIX,
            "auth_base_url": root + oauth.AUTH_PREFIX,
            "verification_uri": root + oauth.VERIFICATION_PATH,
        }
    )


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(API_PREFIX):
        key = NOT_FOUND_KEY if exc.status_code == 404 else "contacts.api.request.error"
        return error_array(exc.status_code, key, str(exc.detail))
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


def create_app(settings: EmulatorSettings, emulator: Emulator | None = None) -> Starlette:
    """A ready app; its :class:`Emulator` is ``app.state.emulator``."""
    emulator = emulator or Emulator(settings)
    api_routes: list[BaseRoute] = [*lists.ROUTES, *contacts.ROUTES]
    routes: list[BaseRoute] = [
        Route("/", _index, methods=["GET"]),
        *oauth.ROUTES,
        *device_page.ROUTES,
        *admin.ROUTES,
        *api_routes,
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(ServerDate, emulator=emulator),
            Middleware(ApiGate, emulator=emulator, routes=api_routes),
        ],
        exception_handlers={ApiProblem: _problem, HTTPException: _http_error},
    )
    app.state.emulator = emulator
    return app
