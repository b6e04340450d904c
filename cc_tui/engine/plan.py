"""Before a run: what it will cost, and whether today's API quota holds it (``cc-tui plan``).

A plan says how many rows the export reads, how many contacts it is expected to send, in how
many batches, how many API requests that takes and how long at 4 requests a second, and how
many requests this Constant Contact application (its API key: every connection with the same
client ID) already spent today, UTC, counted from cc-tui's own history across all exports. When
the run would not fit in today's 10,000-request quota, it says so and when it would.

Where the figures come from (:attr:`ExportPlan.basis`):

- ``last run``: the export's last real run read the same inputs (segments unchanged, same
  mapping, lists and cap): its rows, contacts, batches and requests per batch are the plan's;
- ``counted``: a cheap pass read the e-mail column only (cc-tui's pass 1) and classified
  every row: the contacts are exact; batches are at least one per 40,000 (the 4 MB limit cuts
  more when contacts carry many fields; the last run's bytes per contact are used when known);
- ``rows``: no pass (``count=False``, the check before ``cc-tui run``): every row is taken for a
  contact (an upper bound), or the last run's share of rows that were sent.

Requests: the account check before the run (one page of lists, one of custom fields when a
``cf:`` field is mapped), one import per batch, polls (the last run's rate, else about
:data:`POLLS_PER_BATCH` per batch), and the checks after the run
(:func:`~cc_tui.engine.verify.verify_requests`). Requests spent today: the ``requests`` of
every real run that started or was at work today (a run at work across midnight is counted
whole: the stricter reading), the list counts taken before them, and their checks. Requests
made by other programs with the same API key cannot be seen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cc_tui.engine.batching import MAX_BATCH_BYTES, MAX_CONTACTS_PER_BATCH
from cc_tui.engine.connections import ConnectionService
from cc_tui.engine.email_check import RowClass, check_emails
from cc_tui.engine.resolution import ResolvedRun, changed_inputs, resolve_run
from cc_tui.engine.segments.reading import count_rows
from cc_tui.engine.verify import DEFAULT_SAMPLE, verify_requests
from cc_tui.errors import CcTuiError, QuotaSpillError
from cc_tui.models.config import AppConfig
from cc_tui.models.run import RunRecord
from cc_tui.store.run_history import RunHistory
from cc_tui.store.verifications import VerificationStore
from cc_tui.units import duration_text

if TYPE_CHECKING:
    from cc_tui.engine.services import Services

__all__ = [
    "ALLOW_QUOTA_SPILL",
    "DAILY_QUOTA",
    "POLLS_PER_BATCH",
    "REQUESTS_PER_SECOND",
    "ExportPlan",
    "PlanRequests",
    "plan_export",
    "plan_rows",
    "quota_sentence",
    "refuse_over_quota",
    "requests_spent",
]

DAILY_QUOTA = 10_000
"""Requests per application per UTC day (DOC rate_limits)."""
REQUESTS_PER_SECOND = 4
"""Requests per application per second (DOC rate_limits)."""
POLLS_PER_BATCH = 2
"""Activity polls per import when no earlier run says better (assumed: a young import is
polled a few seconds after its upload and is usually final by the second poll)."""
_BASIS_LAST_RUN = "last run"
_BASIS_COUNTED = "counted"
_BASIS_ROWS = "rows"
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PlanRequests:
    """The API requests a run is expected to make, by purpose."""

    account_check: int
    imports: int
    polls: int
    verify: int

    @property
    def total(self) -> int:
        """Every request of the run."""
        return self.account_check + self.imports + self.polls + self.verify

    def to_json(self) -> dict[str, int]:
        """The requests as JSON (with the total)."""
        return {
            "account_check": self.account_check,
            "imports": self.imports,
            "polls": self.polls,
            "verify": self.verify,
            "total": self.total,
        }


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """The forecast of one run of an export against today's quota."""

    export: str
    basis: str
    rows: int
    contacts: int
    batches: int
    requests: PlanRequests
    spent_today: int
    at: datetime
    resumes: str | None = None
    """The interrupted run this one would resume (then only what is left is counted)."""
    notes: tuple[str, ...] = field(default=())

    @property
    def seconds(self) -> float:
        """Time the requests take at 4 a second (the API's floor; reading data adds to it)."""
        return self.requests.total / REQUESTS_PER_SECOND

    @property
    def left_today(self) -> int:
        """Requests of today's quota not spent yet."""
        return max(0, DAILY_QUOTA - self.spent_today)

    @property
    def fits(self) -> bool:
        """Whether the run fits in what is left of today's quota."""
        return self.requests.total <= self.left_today

    @property
    def quota_resets_at(self) -> datetime:
        """The next 00:00 UTC."""
        day = self.at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return day + _DAY

    @property
    def days_needed(self) -> int:
        """UTC days the run spans if it starts now (1: it fits today)."""
        if self.fits:
            return 1
        beyond = self.requests.total - self.left_today
        return 1 + math.ceil(beyond / DAILY_QUOTA)

    def to_json(self) -> dict[str, Any]:
        """The JSON ``cc-tui plan --json`` prints."""
        return {
            "export": self.export,
            "basis": self.basis,
            "rows": self.rows,
            "contacts": self.contacts,
            "batches": self.batches,
            "requests": self.requests.to_json(),
            "seconds": round(self.seconds, 1),
            "requests_per_second": REQUESTS_PER_SECOND,
            "daily_quota": DAILY_QUOTA,
            "spent_today": self.spent_today,
            "left_today": self.left_today,
            "fits_today": self.fits,
            "quota_resets_at": self.quota_resets_at.isoformat(),
            "days_needed": self.days_needed,
            "resumes": self.resumes,
            "notes": list(self.notes),
        }


def quota_sentence(plan: ExportPlan) -> str:
    """Whether the run fits today's quota and, when not, when it would (every face)."""
    need, left = plan.requests.total, plan.left_today
    head = (
        f"About {need:,} requests; {plan.spent_today:,} of {DAILY_QUOTA:,} spent today (UTC), "
        f"{left:,} left"
    )
    if plan.fits:
        return f"{head}: it fits today's quota."
    wait = duration_text((plan.quota_resets_at - plan.at).total_seconds())
    resets = f"{plan.quota_resets_at:%Y-%m-%d} 00:00 UTC (in {wait})"
    if need <= DAILY_QUOTA:
        return (
            f"{head}: it does NOT fit today's quota. Started now it stops, resumable, at the "
            f"quota and goes on after {resets}; it would fit whole if started after then."
        )
    return (
        f"{head}: it does NOT fit today's quota, nor any one day's: it needs "
        f"{plan.days_needed} UTC days, stopping resumable at the quota each day (the quota "
        f"resets {resets})."
    )


def plan_export(
    config: AppConfig,
    export_name: str,
    connections: ConnectionService,
    history: RunHistory,
    verifications: VerificationStore,
    *,
    count: bool = True,
    at: datetime | None = None,
) -> ExportPlan:
    """Plan one run of ``export_name`` (reads segments: call it off the UI thread).

    ``count``: when the last run's inputs differ, classify every row's e-mail (a cheap pass)
    rather than take every row for a contact.
    """
    at = at or datetime.now(UTC)
    export = config.exports.get(export_name)
    detached = export is not None and export.connection is None
    resolved = resolve_run(config, export_name, connections, dry_run=detached)
    last = history.last_real_runs().get(export_name)
    same = last is not None and _same_inputs(history.inputs(last.run_id), resolved.inputs)
    notes: list[str] = []
    if last is not None and same and last.batches_complete:
        basis, rows, contacts, batches = _BASIS_LAST_RUN, last.rows_read, last.sent, last.batches
    else:
        rows = sum(count_rows(segment) for segment in resolved.segments)
        if count:
            basis, contacts = _BASIS_COUNTED, _count_contacts(resolved)
        else:
            basis, contacts = _BASIS_ROWS, _share(rows, last)
        batches = _batches(contacts, last)
    resumes = history.resumable(export_name)
    imports = batches
    if resumes is not None:
        done = {b.seq for b in history.batches(resumes.run_id).values() if b.posted_at}
        imports = max(0, batches - len(done))
        notes.append(f"resumes run {resumes.run_id}: {len(done)} batch(es) already posted")
    requests = PlanRequests(
        account_check=1 + (1 if any(f.is_custom for f in resolved.fields) else 0),
        imports=imports,
        polls=_polls(imports, last),
        verify=verify_requests(len(resolved.export.list_ids), min(DEFAULT_SAMPLE, contacts))
        if contacts
        else 0,
    )
    client_id = _client_id(config, resolved)
    spent = requests_spent(verifications, config, client_id, resolved.export.connection, at=at)
    return ExportPlan(
        export=export_name,
        basis=basis,
        rows=rows,
        contacts=contacts,
        batches=batches,
        requests=requests,
        spent_today=spent,
        at=at,
        resumes=resumes.run_id if resumes else None,
        notes=tuple(notes),
    )


def _same_inputs(before: dict[str, Any], now: object) -> bool:
    if not isinstance(now, dict):
        return False
    # The account's custom fields are fingerprinted only when a run asked the account; a plan
    # does not, so they are left out of the comparison.
    strip = {"custom_fields"}
    return not changed_inputs(
        {k: v for k, v in before.items() if k not in strip},
        {k: v for k, v in now.items() if k not in strip},
    )


def _count_contacts(resolved: ResolvedRun) -> int:
    classification = check_emails(
        resolved.segments, resolved.export.mapping.email, cap=resolved.cap
    )
    return classification.counts()[RowClass.SENT]


def _share(rows: int, last: RunRecord | None) -> int:
    """Every row, or the last run's share of rows that became contacts."""
    if last is None or not last.rows_read:
        return rows
    return math.ceil(rows * last.sent / last.rows_read)


def _batches(contacts: int, last: RunRecord | None) -> int:
    by_count = math.ceil(contacts / MAX_CONTACTS_PER_BATCH)
    if last is None or not last.posted or not last.bytes_sent:
        return by_count
    per_contact = last.bytes_sent / last.posted
    return max(by_count, math.ceil(contacts * per_contact / MAX_BATCH_BYTES))


def _polls(imports: int, last: RunRecord | None) -> int:
    if last is not None and last.batches and last.requests > last.batches:
        per_batch = (last.requests - last.batches) / last.batches
        return math.ceil(imports * per_batch)
    return imports * POLLS_PER_BATCH


def _client_id(config: AppConfig, resolved: ResolvedRun) -> str | None:
    if resolved.connection is not None:
        return resolved.connection.client_id
    return None


def requests_spent(
    verifications: VerificationStore,
    config: AppConfig,
    client_id: str | None,
    connection: str | None,
    *,
    at: datetime | None = None,
) -> int:
    """Requests this application spent today (UTC), from the history of every export."""
    at = at or datetime.now(UTC)
    midnight = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    names = _connections_of(config, client_id, connection)
    return sum(
        spent.run + spent.checks
        for spent in verifications.spent_since(midnight)
        if spent.connection in names
    )


def _connections_of(config: AppConfig, client_id: str | None, connection: str | None) -> set[str]:
    """Connections sharing the application (API key) of ``client_id``, and ``connection``."""
    names: Iterable[str] = (
        name for name, conn in config.connections.items() if conn.client_id == client_id
    )
    found = set(names) if client_id else set()
    if connection:
        found.add(connection)
    return found


def plan_rows(plan: ExportPlan) -> list[tuple[str, str]]:
    """The plan as ``key  value`` lines (the CLI and the app's export details)."""

    requests = plan.requests
    basis = {
        "last run": "as the last run, which read the same inputs",
        "counted": "e-mails counted now",
        "rows": "every row (at most)",
    }.get(plan.basis, plan.basis)
    lines = [
        ("export", plan.export),
        ("rows", f"{plan.rows:,}"),
        ("contacts", f"{plan.contacts:,} expected ({basis})"),
        (
            "batches",
            f"{plan.batches:,}" if plan.basis == _BASIS_LAST_RUN else f"{plan.batches:,} at least",
        ),
        (
            "requests",
            f"{requests.total:,}: {requests.imports:,} import(s), about {requests.polls:,} polls, "
            f"{requests.account_check} to check the account, at most {requests.verify:,} to "
            "verify",
        ),
        ("time", f"at least {duration_text(plan.seconds)} at {REQUESTS_PER_SECOND} requests/s"),
        ("quota", quota_sentence(plan)),
    ]
    lines += [("note", note) for note in plan.notes]
    return lines


ALLOW_QUOTA_SPILL = "--allow-quota-spill"
"""The option of ``cc-tui run`` that starts a run today's quota cannot hold."""


def refuse_over_quota(services: Services, name: str) -> None:
    """Before a real run of ``name``: UsageError (exit 2) when it would not fit today's quota.

    The plan here reads no e-mail (every row counts as a contact unless the last run read the
    same inputs): an upper bound, cheap enough before every run. A plan that cannot be made
    (an unknown export, a missing segment) is left to the run, which reports it in its order.
    """
    try:
        plan = plan_export(
            services.config.load(),
            name,
            services.connections,
            RunHistory(services.history),
            VerificationStore(services.history),
            count=False,
        )
    except CcTuiError:
        return
    if not plan.fits:
        raise QuotaSpillError(
            f"{quota_sentence(plan)} To run it anyway (it stops resumable at the quota and "
            f"goes on with `cc-tui run {name}` the next UTC day): cc-tui run {name} "
            f"{ALLOW_QUOTA_SPILL}. `cc-tui plan {name}` shows the whole plan.",
            sentence=quota_sentence(plan),
        )
