"""``cc-tui emulator``: options, settings from them, and serving in the foreground."""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cc_tui.emulator.settings import DEFAULT_PORT, EmulatorSettings, RefreshTokenMode
from cc_tui.emulator.tuning import check_value
from cc_tui.models.connection import is_loopback_host

__all__ = ["add_emulator_arguments", "run_emulator", "settings_from_args"]

EXIT_OK = 0
EXIT_USAGE = 2
_DEFAULTS = EmulatorSettings()


def _checked(name: str) -> Callable[[str], Any]:
    """An argparse ``type`` that applies the runtime check of setting ``name``."""

    def convert(text: str) -> Any:
        try:
            return check_value(name, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[-1]) from None

    convert.__name__ = name
    return convert


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65_535:
        raise argparse.ArgumentTypeError("must be a port number from 0 (any free port) to 65535")
    return value


# (option, settings field, help); every option defaults to the EmulatorSettings default.
_NUMERIC_OPTIONS = (
    ("--token-lifetime", "token_lifetime", "seconds an access token lives"),
    ("--device-code-lifetime", "device_code_lifetime", "seconds before a device code expires"),
    ("--device-poll-interval", "device_poll_interval", "polling interval given to devices (s)"),
    ("--rate-limit", "rate_limit_per_second", "requests per second per application"),
    ("--daily-quota", "daily_quota", "requests per application per UTC day"),
    ("--processing-rate", "processing_rate", "contacts an import processes per second"),
    ("--activity-start-delay", "activity_start_delay", "seconds an import stays initialized"),
    # Strict contract (docs/api-rules.md sections 3 and 4)
    ("--activity-list-lag", "activity_list_lag", "seconds before GET /activities lists a new one"),
    (
        "--activity-by-id-lag",
        "activity_by_id_lag",
        "seconds before GET /activities/ID serves a new one (404 before)",
    ),
    ("--cancelled-activity-rate", "cancelled_activity_rate", "share of imports ending cancelled"),
    ("--timed-out-activity-rate", "timed_out_activity_rate", "share of imports ending timed_out"),
    (
        "--unfinished-activity-rate",
        "unfinished_activity_rate",
        "share of imports that stay processing forever",
    ),
    (
        "--drop-after-create-share",
        "drop_after_create_share",
        "share of dropped imports dropped after the activity was created",
    ),
    ("--max-activity-errors", "max_activity_errors", "activity_errors texts kept per activity"),
    ("--error-rate", "error_rate", "share of /v3 requests answered 503 (0-1)"),
    ("--ambiguous-rate", "ambiguous_rate", "share of imports answered 500 after being queued"),
    (
        "--empty-answer-rate",
        "empty_answer_rate",
        "share of imports answered 202 with an empty body after being queued",
    ),
    ("--drop-rate", "drop_rate", "share of /v3 requests whose connection is dropped (0-1)"),
    ("--failed-activity-rate", "failed_activity_rate", "share of imports that end failed"),
    (
        "--clock-offset",
        "clock_offset",
        "seconds the server's clock is ahead of this machine's (negative: behind)",
    ),
)


EPILOG = """\
how strict it is (docs/api-rules.md; the harshest server cc-tui should meet):
  query      limit within the swagger's text (lists, contacts, activities 1-500,
             custom fields 1-100), a plain whole number; enumerated parameters
             only with documented values. Otherwise 400.
  imports    400 for the whole request: null anywhere, an empty or blank string,
             a wrong JSON type, an unknown key, an unknown cf: name or more than
             25, a contact without email or sms_number, no contacts, bad list_ids
             or sms_permission_to_send. Bytes past 4 MB and contacts past 40,000
             are ignored, not refused.
  contacts   refused one by one and counted (not imported): a bad or long e-mail,
             a half or impossible birthday, an anniversary not a real date in a
             documented format (correctable_count); a value too long in
             characters or UTF-16 units, a control character, a phone that is not
             North American, a bad sms_number or sms_consent_date, a custom field
             value its type does not take (error_count).
  activities activity_errors texts vary in format (never parse them); a new
             activity shows in GET /activities only after --activity-list-lag;
             with --brief-activity-list it is listed without status counters
             and activity_errors (GET /activities/ID has them); with
             --activities-oldest-first it lists the oldest first.
  clock      every answer is dated (Date) by the server's clock, which
             --clock-offset moves off this machine's, with activities' times.

faults (seeded by --seed, so a run can be replayed):
  --error-rate               503 before the request does anything
  --drop-rate                connection closed without an answer; for imports,
                             --drop-after-create-share of those close only after
                             the activity was created
  --ambiguous-rate           an import answered 500 after its activity was created
  --empty-answer-rate        an import answered 202 with an empty body after its
                             activity was created (a success naming no activity)
  --failed-activity-rate, --cancelled-activity-rate, --timed-out-activity-rate
                             an activity stops part-way and ends in that state
  --unfinished-activity-rate an activity stops part-way and stays processing
  --latency                  seconds added before every /v3 answer

test endpoints (no auth, loopback only): /__emulator/stats, /__emulator/settings
(GET, or POST {"name": value} to change a setting while running), /__emulator/reset,
/__emulator/contacts, /__emulator/lists/ID/members, /__emulator/device/approve|deny,
/__emulator/save.
"""


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``cc-tui emulator`` (and an epilog on what it refuses and its faults)."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback address to listen on: 127.0.0.1 (default), another 127.x, localhost, "
        "or the IPv6 loopback ::1 (the printed URLs put it in brackets)",
    )
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault generator")
    parser.add_argument(
        "--refresh-token-mode",
        choices=[mode.value for mode in RefreshTokenMode],
        default=_DEFAULTS.refresh_token_mode.value,
        help="rotate refresh tokens on every use, or keep one long-lived token",
    )
    parser.add_argument(
        "--auto-approve", action="store_true", help="approve device codes as soon as issued"
    )
    for option, name, text in _NUMERIC_OPTIONS:
        default = getattr(_DEFAULTS, name)
        parser.add_argument(
            option, dest=name, type=_checked(name), default=default, help=f"{text} ({default})"
        )
    _add_network_arguments(parser)
    parser.add_argument(
        "--brief-activity-list",
        action="store_true",
        help="list activities without status counters and activity_errors",
    )
    parser.add_argument(
        "--activities-oldest-first",
        action="store_true",
        help="list activities oldest first (the swagger states no order)",
    )
    parser.add_argument(
        "--no-seed-data", action="store_true", help="start with an empty account, no demo data"
    )
    parser.add_argument(
        "--state", type=Path, default=None, metavar="PATH", help="load/save the state here"
    )


def settings_from_args(args: argparse.Namespace) -> EmulatorSettings:
    """Settings from parsed ``cc-tui emulator`` options."""
    numeric = {name: getattr(args, name) for _, name, _ in _NUMERIC_OPTIONS}
    return EmulatorSettings(
        # "[::1]" as in a URL works too: the socket wants the bare address.
        host=args.host.strip().removeprefix("[").removesuffix("]"),
        port=args.port,
        seed=args.seed,
        refresh_token_mode=RefreshTokenMode(args.refresh_token_mode),
        auto_approve=args.auto_approve,
        brief_activity_list=args.brief_activity_list,
        activities_oldest_first=args.activities_oldest_first,
        seed_demo_data=not args.no_seed_data,
        state_file=args.state,
        **numeric,
        **_network_settings(args),
    )


def run_emulator(settings: EmulatorSettings) -> int:
    """Serve until Ctrl-C: 0 then; 2 for a non-loopback host, a port in use or a bad state file."""
    # The server stack (Starlette, uvicorn, the state it persists) loads only when serving.
    from cc_tui.emulator.persistence import EmulatorStateError
    from cc_tui.emulator.server import EmulatorServer

    if not is_loopback_host(settings.host):
        return _fail(f"the emulator only listens on loopback addresses, not {settings.host!r}")
    try:
        server = EmulatorServer(settings)
        server.bind()
    except EmulatorStateError as exc:
        return _fail(str(exc))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return _fail(f"port {settings.port} is already in use; pick another with --port")
        return _fail(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}")
    _print_banner(server.url, server.api_base_url, server.auth_base_url)
    server.run_forever()
    return EXIT_OK


def _print_banner(url: str, api: str, auth: str) -> None:
    lines = [
        f"Constant Contact emulator listening on {url} (loopback only)",
        f"  API base URL:       {api}",
        f"  Auth base URL:      {auth}",
        f"  Verification page:  {url}/activate",
        f"  Test endpoints:     {url}/__emulator/stats",
        "",
        "Add a connection to it (any client ID works):",
        f"  cc-tui connection add NAME --client-id ANY --emulator {url}",
        f"  (the same as --api-base-url {api} --auth-base-url {auth})",
        "",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)


# -- network timing: --latency (a value or a range) and --arrival-jitter ---------------------

_RANGE_SEPARATOR = "-"
_LATENCY_FORMS = "must be seconds (0.05) or a range of seconds, low-high (0.02-0.15)"


def _latency(text: str) -> tuple[float, float]:
    """``0.05`` (every answer waits 0.05 s) or ``0.02-0.15`` (each waits a random 0.02..0.15 s).

    Returns ``(latency, latency_max)``; ``latency_max`` 0 means no range.
    """
    try:
        if _is_number(text):
            return check_value("latency", text), 0.0
        low_text, _, high_text = text.partition(_RANGE_SEPARATOR)
        low, high = check_value("latency", low_text), check_value("latency_max", high_text)
    except ValueError:
        raise argparse.ArgumentTypeError(_LATENCY_FORMS) from None
    if low > high:
        raise argparse.ArgumentTypeError(_LATENCY_FORMS)
    return low, high


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _add_network_arguments(parser: argparse.ArgumentParser) -> None:
    low, jitter = _DEFAULTS.latency, _DEFAULTS.arrival_jitter
    parser.add_argument(
        "--latency",
        dest="latency_range",
        type=_latency,
        default=(low, _DEFAULTS.latency_max),
        metavar="SECONDS|LOW-HIGH",
        help=f"seconds added before every /v3 answer, or a range to draw them from ({low})",
    )
    parser.add_argument(
        "--arrival-jitter",
        dest="arrival_jitter",
        type=_checked("arrival_jitter"),
        default=jitter,
        metavar="SECONDS",
        help=f"each /v3 request is counted by the rate limit a random 0..SECONDS late ({jitter})",
    )


def _network_settings(args: argparse.Namespace) -> dict[str, Any]:
    low, high = args.latency_range
    return {"latency": low, "latency_max": high, "arrival_jitter": args.arrival_jitter}


def _fail(message: str) -> int:
    print(f"cc-tui emulator: {message}", file=sys.stderr)
    return EXIT_USAGE
