"""Every knob of the Constant Contact emulator: timings, limits and injected faults.

Defaults are those of the real service where the API contract documents them
(``../shared/constant-contact-api.md``), and demo-friendly speeds where it does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = [
    "DEFAULT_PORT",
    "EmulatorSettings",
    "RefreshTokenMode",
]

DEFAULT_PORT = 8911


class RefreshTokenMode(StrEnum):
    """Constant Contact applications either rotate refresh tokens or keep one long-lived token."""

    ROTATING = "rotating"
    LONG_LIVED = "long-lived"


@dataclass(frozen=True, slots=True)
class EmulatorSettings:
    """How one emulator instance behaves. ``port=0`` picks a free port."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT

    # OAuth2 (device flow and tokens)
    token_lifetime: float = 86_400.0  # seconds an access token lives (CC: 24 h)
    refresh_token_mode: RefreshTokenMode = RefreshTokenMode.ROTATING
    device_code_lifetime: float = 600.0  # seconds before a device code expires
    device_poll_interval: float = 5.0  # the `interval` handed to device-flow clients
    auto_approve: bool = False  # approve every device code as soon as it is issued

    # Limits of the real service
    rate_limit_per_second: int = 4  # requests per application in any one-second window
    daily_quota: int = 10_000  # requests per application per UTC day
    max_contacts_per_import: int = 40_000  # contacts past this are ignored
    # "4 megabytes (MB)": the stricter count, 4,000,000 bytes, not 4 MiB (docs/api-rules.md §3)
    max_import_bytes: int = 4_000_000  # bytes past this are silently dropped
    max_queued_activities: int = 1_000

    # Activity processing
    activity_start_delay: float = 0.2  # seconds an import stays `initialized`
    processing_rate: float = 200_000.0  # contacts per second while `processing`

    # Strict contract (docs/api-rules.md sections 3 and 4): how activities end and show
    activity_list_lag: float = 1.0  # seconds before a new activity shows in GET /activities
    # seconds before GET /activities/{id} serves a new activity (404 before): nothing promises
    # an activity is readable by id the moment its import is answered
    activity_by_id_lag: float = 0.0
    cancelled_activity_rate: float = 0.0  # share of imports whose activity ends `cancelled`
    timed_out_activity_rate: float = 0.0  # share of imports whose activity ends `timed_out`
    unfinished_activity_rate: float = 0.0  # share of imports that stay `processing` forever
    drop_after_create_share: float = 0.5  # share of dropped imports dropped after being queued
    max_activity_errors: int = 1_000  # activity_errors texts kept per activity
    # GET /activities lists each activity without `status` and `activity_errors` (the swagger
    # requires no property of a listed activity); GET /activities/{id} still has them all.
    brief_activity_list: bool = False
    # GET /activities lists oldest first (the swagger states no order; newest first is only
    # what a client may hope for)
    activities_oldest_first: bool = False

    # Faults (all drawn from one RNG seeded with `seed`, so a run can be replayed)
    seed: int | None = None
    error_rate: float = 0.0  # share of /v3 requests answered 503 before doing anything
    ambiguous_rate: float = 0.0  # share of imports answered 500 after the activity was created
    # share of imports answered 202 with an empty body after the activity was created (a
    # gateway that strips the body): a success that names no activity
    empty_answer_rate: float = 0.0
    drop_rate: float = 0.0  # share of /v3 requests whose connection is dropped, no answer
    failed_activity_rate: float = 0.0  # share of imports whose activity ends `failed`
    latency: float = 0.0  # seconds added before every /v3 answer

    # Network timing (drawn from their own RNG seeded with `seed`, so turning them on does not
    # shift the faults): the network delays requests unevenly on their way in, and answers on
    # their way out.
    arrival_jitter: float = 0.0  # each /v3 request is counted a random 0..this many s late
    latency_max: float = 0.0  # above `latency`: each answer waits a random latency..latency_max s

    # The server's clock: seconds it is ahead of this machine's (negative: behind). Activities'
    # times, tokens' lifetimes, the daily quota's day and every answer's Date header follow it.
    clock_offset: float = 0.0

    # Data
    seed_demo_data: bool = True  # seed an account with lists, contacts and custom fields
    state_file: Path | None = None  # load state from here at start, save it at stop
