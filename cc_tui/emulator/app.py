"""The Starlette app of the Constant Contact V3 emulator: auth server and API on one port.

Written from the API contract (``constant-contact-api.md``), never from cc-tui's client.

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
  (401s are not counted); the quota is checked before the rate; throttled and over-quota
  requests take no slot. 403 (missing scope) comes after the limits, so it takes a slot. No
  ``Retry-After`` or ``X-RateLimit-*`` headers.
* Faults apply only to /v3, after the token and limit checks: drop, then 503, then latency;
  "ambiguous" 500s apply to imports only, after the activity was created.
* Cursors encode the query and offset (base64url JSON); a request with a cursor takes its
  filters from the cursor and only ``limit`` from the URL. The last page has no ``_links``.
* Unknown query parameters are ignored; unsupported filters (``segment_id``, ``tags``,
  ``updated_after``...) too. Contact ``status=active`` means permission implicit or explicit;
  ``include_membership_count=active`` counts those members only.
* ``lists`` filter of ``GET /contacts``: malformed ids give 400, unknown ids match nothing.
* Imports: the body is validated strictly against ``ContactsJsonImport``/``JsonImportContact``
  (unknown keys anywhere give 400, ``cf:<name>`` must name an existing custom field); ``null``
  values are allowed and, like empty strings, never blank a stored value. Deleted or unknown
  list ids give 400 at POST time. Error keys: ``contacts.api.validation.error`` (400),
  ``contacts.api.not_found`` / ``activities.api.not_found`` (404), ``contacts.api.conflict``
  (409), ``unsupported.media.type`` (415), ``server.error`` (500), ``service.unavailable``
  (503), ``activities.api.queue.limit`` (429, array shape).
* Only the contacts of the first ``max_contacts_per_import`` are looked at; the rest (and those
  cut by the byte limit) are neither validated nor imported. ``items_total_count`` counts the
  contacts kept.
* Activities of the account run one after another: ``initialized`` for at least
  ``activity_start_delay`` and until the one before finishes, then ``processing`` at
  ``processing_rate`` contacts per second. A failed activity stops part-way; ``error_count`` is
  the number of contacts never processed. Activities are kept 10 days.
* Per-contact outcomes: invalid e-mail, no e-mail and no sms_number, half or impossible
  birthday, malformed anniversary are *correctable* (counted, not imported). Duplicates in one
  import: the last occurrence wins and is counted once. ``person_count`` counts contacts
  created or updated (unsubscribed ones included); unsubscribed contacts stay off the lists
  and count in ``cannot_add_to_list_count``.
* ``activity_errors`` has one string per correctable contact,
  ``"Row <1-based index in import_data>: <reason>: <email>"``, and one for a failure,
  ``"Activity failed after <n> of <total> items: internal error while importing"``.
* ``POST /contact_custom_fields`` accepts any type string up to 20 characters; more than 100
  fields is a 400. ``POST /contact_lists`` with a name in use (not deleted) is a 409.
* Every /v3 request, even to an unknown path, first needs a valid token (401), then passes the
  limits; unknown paths then get 404 in the array shape.
* Contacts keep the e-mail as sent; lookups and upserts use the lower-cased address. A contact
  with only an ``sms_number`` is keyed by that number and has no ``email_address``.
* ``POST /__emulator/reset`` restores the seeded data, statistics, limits and fault sequence;
  tokens survive it. ``POST /__emulator/settings`` with ``seed`` restarts the fault sequence.
* The state file holds lists, custom fields, contacts, activities (unfinished ones with their
  remaining contacts) and tokens, not device codes.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from cc_tui.emulator import device_page, routes_admin, routes_contacts, routes_lists, routes_oauth
from cc_tui.emulator.gate import API_PREFIX, ApiGate
from cc_tui.emulator.problems import NOT_FOUND_KEY, ApiProblem, error_array
from cc_tui.emulator.runtime import Emulator
from cc_tui.emulator.settings import EmulatorSettings

__all__ = ["create_app"]


async def _index(request: Request) -> JSONResponse:
    root = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "service": "Constant Contact V3 emulator",
            "api_base_url": root + API_PREFIX,
            "auth_base_url": root + routes_oauth.AUTH_PREFIX,
            "verification_uri": root + routes_oauth.VERIFICATION_PATH,
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
    api_routes: list[BaseRoute] = [*routes_lists.ROUTES, *routes_contacts.ROUTES]
    routes: list[BaseRoute] = [
        Route("/", _index, methods=["GET"]),
        *routes_oauth.ROUTES,
        *device_page.ROUTES,
        *routes_admin.ROUTES,
        *api_routes,
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(ApiGate, emulator=emulator, routes=api_routes)],
        exception_handlers={ApiProblem: _problem, HTTPException: _http_error},
    )
    app.state.emulator = emulator
    return app
