"""The nouns of cc-tui as frozen dataclasses: what config.toml and the stores hold.

Nothing here does I/O; the stores build these objects and every layer above reads them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from cc_tui.paths import RunPaths

__all__ = [
    "ATTRIBUTE_FIELDS",
    "CONTACT_CAP_PER_RUN",
    "CUSTOM_FIELD_MAX_LENGTH",
    "CUSTOM_FIELD_PREFIX",
    "DEFAULT_API_BASE_URL",
    "DEFAULT_AUTH_BASE_URL",
    "DEFAULT_MAX_UNCOMPRESSED_GB",
    "DEFAULT_NOTIFY_TIMEOUT_S",
    "DEFAULT_SCOPES",
    "EMAIL_MAX_LENGTH",
    "FIELD_CHANGED_PREFIX",
    "FIELD_DROPPED_PREFIX",
    "HOME_COUNTRY_FIELD",
    "MAX_CUSTOM_FIELDS_PER_CONTACT",
    "MAX_LISTS_PER_EXPORT",
    "MAX_NOTIFY_TIMEOUT_S",
    "NAME_FIELDS",
    "POSTED_WEIGHT",
    "REJECT_REASONS",
    "SEGMENT_FORMATS",
    "AppConfig",
    "BatchRecord",
    "BatchState",
    "Connection",
    "ConnectionStatus",
    "Consent",
    "Export",
    "FieldMapping",
    "FieldReason",
    "ListCheck",
    "NotifySettings",
    "NotifyWhen",
    "Phase",
    "RejectReason",
    "Role",
    "Roles",
    "RunEvent",
    "RunFigures",
    "RunProgress",
    "RunRecord",
    "RunStatus",
    "SegmentSource",
    "TokenSet",
    "UsableBy",
    "Verification",
    "VerifyState",
    "is_attribute_field",
    "is_loopback_host",
    "is_uuid",
    "mask_secret",
    "url_has_credentials",
    "url_is_secure_enough",
    "url_without_credentials",
]

DEFAULT_API_BASE_URL = "https://api.cc.email/v3"
DEFAULT_AUTH_BASE_URL = "https://authz.constantcontact.com/oauth2/default/v1"
# contact_data: lists, contacts, custom fields, imports, activities; account_read: account
# summary (organisation name); offline_access: without it no refresh token is issued.
DEFAULT_SCOPES = ("contact_data", "account_read", "offline_access")
# The product's hard ceiling per export run; a connection's contract may lower it.
CONTACT_CAP_PER_RUN = 1_000_000
CUSTOM_FIELD_PREFIX = "cf:"
MAX_CUSTOM_FIELDS_PER_CONTACT = 25
CUSTOM_FIELD_MAX_LENGTH = 255
EMAIL_MAX_LENGTH = 50
MAX_LISTS_PER_EXPORT = 50  # list_ids of one JSON import: 1 to 50
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
HOME_COUNTRY_FIELD = "home country"
# The most a compressed segment may decompress to (config.toml: max_uncompressed_gb). Sized
# for the largest segment a user plausibly has (10M profiles with many columns are a few GB);
# a decompression bomb is refused long before, by its expansion ratio.
DEFAULT_MAX_UNCOMPRESSED_GB = 20
# The formats a [segments.NAME] entry may declare; without one cc-tui recognises the file.
SEGMENT_FORMATS = ("csv", "tsv", "csv.gz", "tsv.gz", "parquet", "ndjson", "cdm", "delta")

# Contact fields of a JSON import besides email/first_name/last_name, with their maximum length
# (None: not a free-text field), as the swagger's JsonImportContact defines them: every one of
# its fields can be mapped.
ATTRIBUTE_FIELDS: dict[str, int | None] = {
    "job_title": 50,
    "company_name": 50,
    "birthday_month": None,
    "birthday_day": None,
    "anniversary": None,
    "phone": 50,
    "home_phone": 50,
    "work_phone": 50,
    "mobile_phone": 50,
    "other_phone": 50,
    **{
        f"{prefix}{part}": (255 if part.startswith("street") else 50)
        for prefix in ("", "home_", "work_", "other_")
        for part in ("street", "street2", "city", "state", "zip", "country")
        if f"{prefix}{part}" != "home_country"
    },
    # The swagger spells this one with a space, beside work_country and other_country; it may be
    # a typo there, but it is the only spelling the contract documents, so it is the one sent
    # (docs/api-rules.md section 3). A mapping names it as written: "home country".
    HOME_COUNTRY_FIELD: 50,
    # SMS: the US number (sent as 1231231234) and the date its owner consented.
    "sms_number": 16,
    "sms_consent_date": 16,
}
NAME_FIELDS = {"first_name": 50, "last_name": 50}


def is_uuid(text: str) -> bool:
    """True for an 8-4-4-4-12 hexadecimal id, the form of every Constant Contact id."""
    return isinstance(text, str) and _UUID.fullmatch(text) is not None


def is_attribute_field(name: str) -> bool:
    """True for a Constant Contact contact field or a custom field ``cf:<name>``."""
    if name.startswith(CUSTOM_FIELD_PREFIX):
        return len(name) > len(CUSTOM_FIELD_PREFIX)
    return name in ATTRIBUTE_FIELDS


class UsableBy(StrEnum):
    """Who may run exports through a connection (only administrators ever change it)."""

    ADMINS = "admins"
    CONTRIBUTORS = "contributors"


class Role(StrEnum):
    """What an OS user may do, from ``[roles]`` in config.toml."""

    ADMIN = "admin"
    CONTRIBUTOR = "contributor"


def mask_secret(secret: str | None) -> str:
    """Show that a secret exists without showing it: ``'••••3f9a'`` (last four characters)."""
    if not secret:
        return "(none)"
    if len(secret) <= 12:
        return "••••"
    return "••••" + secret[-4:]


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and any loopback IP (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_has_credentials(url: str) -> bool:
    """True when ``url`` carries a ``user:password@`` (or ``user@``) part."""
    return "@" in urlsplit(url).netloc


def url_without_credentials(url: str) -> str:
    """``url`` with any ``user:password@`` part cut out: what a message may show."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def url_is_secure_enough(url: str) -> bool:
    """https anywhere; plain http only to a loopback host (the emulator); never a password.

    A ``user:password@`` part is refused: cc-tui signs in with OAuth2 tokens, and a password
    in a URL would sit in config.toml and show in messages and logs.
    """
    parts = urlsplit(url)
    if url_has_credentials(url):
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and is_loopback_host(parts.hostname or "")


@dataclass(frozen=True, slots=True)
class Consent:
    """The recorded acceptance of the data-privacy statement: who, and when (UTC)."""

    accepted_at: datetime
    accepted_by: str


@dataclass(frozen=True, slots=True)
class Connection:
    """A Constant Contact account reached through one registered application (client ID)."""

    name: str
    display_name: str
    client_id: str
    usable_by: UsableBy = UsableBy.ADMINS
    consent: Consent | None = None
    api_base_url: str = DEFAULT_API_BASE_URL
    auth_base_url: str = DEFAULT_AUTH_BASE_URL
    # A lower per-run contact ceiling from the account's contract; None = the product cap.
    max_contacts_per_run: int | None = None

    @property
    def contact_cap(self) -> int:
        """Contacts one run may send through this connection."""
        if self.max_contacts_per_run is None:
            return CONTACT_CAP_PER_RUN
        return min(self.max_contacts_per_run, CONTACT_CAP_PER_RUN)


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """Which segment column feeds which Constant Contact field.

    ``attributes`` maps a Constant Contact field (``job_title``, ``cf:loyalty_tier``...) to a
    segment column, in the order the user gave them.
    """

    email: str
    first_name: str | None = None
    last_name: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def columns(self) -> dict[str, str]:
        """Every mapped Constant Contact field name -> segment column, e-mail first."""
        mapped = {"email": self.email}
        if self.first_name:
            mapped["first_name"] = self.first_name
        if self.last_name:
            mapped["last_name"] = self.last_name
        mapped.update(self.attributes)
        return mapped


@dataclass(frozen=True, slots=True)
class Export:
    """Segments sent to Constant Contact lists through a connection; saving never runs it."""

    name: str
    connection: str | None  # None once its connection was removed ("detached")
    list_ids: tuple[str, ...]
    segments: tuple[str, ...]
    mapping: FieldMapping
    schedule: str | None = None
    enabled: bool = True
    notify: NotifySettings | None = None
    """``[exports.NAME.notify]``: replaces the global ``[notify]`` for this export's runs."""


@dataclass(frozen=True, slots=True)
class SegmentSource:
    """A segment named in ``[segments.NAME]`` (others are discovered in ``segments_dirs``).

    Every option but ``path`` may be left out (None): cc-tui then recognises it from the file.
    """

    name: str
    path: Path
    format: str | None = None
    """One of ``SEGMENT_FORMATS``: csv, tsv, csv.gz, tsv.gz, parquet, ndjson, cdm, delta."""
    encoding: str | None = None
    """Text encoding of CSV/TSV/NDJSON (``utf-8``, ``cp1252``...)."""
    delimiter: str | None = None
    """One character between CSV fields."""
    quote: str | None = None
    """One character around quoted CSV fields; ``""`` turns quoting off."""
    header: bool | None = None
    """Whether the first CSV line names the columns (None: files yes, Spark part folders no)."""
    columns: tuple[str, ...] | None = None
    """Column names of a headerless CSV, in file order."""
    entity: str | None = None
    """The entity of a CDM folder (``model.json`` or manifest) that this segment reads."""
    snapshot: str | None = None
    """A CDM folder's dated snapshot (``2026/11/29/0600``) to read instead of the newest."""


@dataclass(frozen=True, slots=True)
class Roles:
    """OS user names per role; both empty means a single-user box where everyone is admin."""

    admins: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()

    def role_of(self, user: str) -> Role | None:
        """The role of an OS user, or None when the user has none."""
        if not self.admins and not self.contributors:
            return Role.ADMIN
        if user in self.admins:
            return Role.ADMIN
        if user in self.contributors:
            return Role.CONTRIBUTOR
        return None


@dataclass(frozen=True, slots=True)
class AppConfig:
    """Everything in config.toml, validated."""

    schema_version: int = 1
    segments_dirs: tuple[Path, ...] = ()
    theme: str = "cc-dark"
    roles: Roles = field(default_factory=Roles)
    segments: Mapping[str, SegmentSource] = field(default_factory=dict)
    connections: Mapping[str, Connection] = field(default_factory=dict)
    exports: Mapping[str, Export] = field(default_factory=dict)
    keymap: Mapping[str, str] = field(default_factory=dict)
    max_uncompressed_gb: int = DEFAULT_MAX_UNCOMPRESSED_GB
    """The most any compressed segment may decompress to, in GiB (a cap on disk and time)."""
    bell: bool = True
    """Ring the terminal bell when a run started in the app ends."""
    notify: NotifySettings | None = None
    """``[notify]``: who hears of every export's runs (an export's own table replaces it)."""

    @property
    def max_uncompressed_bytes(self) -> int:
        """:attr:`max_uncompressed_gb` in bytes."""
        return self.max_uncompressed_gb * 1024**3

    def exports_using(self, connection: str) -> list[str]:
        """Names of the exports that send through ``connection``."""
        return sorted(name for name, exp in self.exports.items() if exp.connection == connection)


@dataclass(frozen=True, slots=True)
class TokenSet:
    """OAuth tokens of one connection. ``repr`` and ``str`` never show them."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scope: str = ""
    token_type: str = "Bearer"

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token={mask_secret(self.access_token)!r}, "
            f"refresh_token={mask_secret(self.refresh_token)!r}, "
            f"expires_at={self.expires_at.isoformat()!r}, scope={self.scope!r})"
        )

    __str__ = __repr__

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        """True if the access token expires in less than ``seconds`` from ``now``."""
        now = now or datetime.now(UTC)
        return (self.expires_at - now).total_seconds() < seconds


class RunStatus(StrEnum):
    """Where a run stands. ``running`` is only ever seen while its process lives."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"  # every contact confirmed (unsubscribed ones included)
    PARTIAL = "partial"  # finished, but Constant Contact refused some contacts
    FAILED = "failed"  # stopped by an error that a resume would not fix
    INTERRUPTED = "interrupted"  # stopped part-way; `cc-tui run NAME` resumes it

    @property
    def is_final(self) -> bool:
        """True once nothing more will happen to the run (it cannot be resumed)."""
        return self in {RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.FAILED}


class BatchState(StrEnum):
    """Checkpointed life of one batch: ``pending → uploading → posted → confirmed | failed``.

    ``uploading`` is written, with the send time, *before* the import request goes out, so a
    batch whose answer was lost (killed during the upload, an ambiguous 5xx, a dropped
    connection, a timeout) is known to be in doubt. It is never sent again blindly: its import
    is first looked for among the account's recent activities and claimed if found; only when
    it is not there is the batch sent again.
    """

    PENDING = "pending"
    """Built, and certainly not (or no longer) at Constant Contact: the next step sends it."""
    UPLOADING = "uploading"
    """Its import request went out at ``sent_at`` and no answer is recorded: in doubt."""
    POSTED = "posted"
    """Its import activity is known (answered, or claimed among recent activities)."""
    CONFIRMED = "confirmed"
    """An activity of it completed; its counters are the batch's accounting."""
    FAILED = "failed"
    """Its activities ended failed, cancelled or timed out as often as a batch may try."""


class RejectReason(StrEnum):
    """Why an input row was not sent: the ``reason`` column of rejected.csv.

    The values are the names users already have in rejected.csv, the JSON summary's
    ``rejected`` keys and the history's columns.
    """

    MISSING_EMAIL = "missing_email"
    """No e-mail after trimming."""
    INVALID_EMAIL = "invalid_email"
    """Not an address Constant Contact accepts (syntax, or longer than EMAIL_MAX_LENGTH)."""
    DUPLICATE_EMAIL = "duplicate_email"
    """The same normalised e-mail came earlier in the run, in any of its segments."""
    OVER_CAP = "over_cap"
    """A new contact past the run's contact cap."""
    REFUSED = "refused_by_constant_contact"
    """Sent, and Constant Contact counted it as an error (counted as ``refused``, not here)."""


# The reasons pass 1 gives a row from its e-mail alone, in the order every face lists them:
# the keys of RunRecord.rejected and of the summary's ``rejected``, the history's columns.
REJECT_REASONS = (
    RejectReason.MISSING_EMAIL,
    RejectReason.INVALID_EMAIL,
    RejectReason.DUPLICATE_EMAIL,
    RejectReason.OVER_CAP,
)
# Reasons of RunRecord.fields and field_problems.csv start with one of these: a changed value is
# still sent, a dropped one is left out of its contact (which is still sent).
FIELD_CHANGED_PREFIX = "changed_"
FIELD_DROPPED_PREFIX = "dropped_"


class FieldReason(StrEnum):
    """Why an optional field of a contact was changed or left out (docs/api-rules.md §3).

    The values are stable: they are the keys of the summary's ``fields`` object, of the run
    history and of the ``reason`` column of field_problems.csv. One reason per value: a drop
    wins over a change, and a control-character change over a format change.
    """

    CHANGED_CONTROL_CHARACTERS = "changed_control_characters"
    """Line breaks and tabs (the Unicode line and paragraph separators too) became single
    spaces; other control characters (C0, DEL, C1) were removed."""
    CHANGED_DATE_FORMAT = "changed_date_format"
    """An ISO date-time (``1995-05-11T00:00:00``, ``1995-05-11 00:00:00.000000000``) was sent
    as its date, ``1995-05-11``. Dates in a documented format are sent as ``YYYY-MM-DD`` too,
    without being counted: Constant Contact would read the same date from either."""
    CHANGED_SMS_NUMBER_FORMAT = "changed_sms_number_format"
    """A North American number in another form (``(508) 123-1235``, ``+1 508 123 1235``) was
    sent as ``5081231235``."""
    DROPPED_CONTROL_CHARACTERS = "dropped_control_characters"
    """Nothing but control characters and spaces."""
    DROPPED_TOO_LONG = "dropped_too_long"
    """Longer than the field's maximum, counted in characters or UTF-16 units (an emoji is
    two), whichever is more. Values are never cut short."""
    DROPPED_INVALID_DATE = "dropped_invalid_date"
    """Not a real calendar date from 1900 to 2099 in a recognised format."""
    DROPPED_INVALID_BIRTHDAY = "dropped_invalid_birthday"
    """Month or day not a whole number in range, or not a real day of that month (29 February
    is allowed). Both parts are left out."""
    DROPPED_INCOMPLETE_BIRTHDAY = "dropped_incomplete_birthday"
    """A birthday month without a day, or a day without a month."""
    DROPPED_INVALID_PHONE = "dropped_invalid_phone"
    """Not a North American number (international numbers are not supported)."""
    DROPPED_INVALID_NUMBER = "dropped_invalid_number"
    """A number or currency custom field: not a plain decimal, negative where the field does
    not allow it, or more decimals than the field keeps."""
    DROPPED_INVALID_CHOICE = "dropped_invalid_choice"
    """A select custom field: not one of the field's choices."""

    @property
    def is_drop(self) -> bool:
        """True when the value was left out of its contact."""
        return self.value.startswith(FIELD_DROPPED_PREFIX)


# How far a contact counts towards a run's progress once its batch is posted (Constant Contact
# holds it); reaching a final state (confirmed, refused, unsubscribed) counts the rest. Posting
# is most of a run's wall time with the emulator and a real account alike (4 requests a second),
# so the bar, the rate and the ETA move while contacts go out instead of waiting for the
# activities to finish.
POSTED_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class RunFigures:
    """The accounted figures of a run at one moment: what every face shows, from one place.

    ``rows_read = sent + sum(rejected)`` (``sent``: the contacts to send, valid rows) and
    ``sent = confirmed + failed + unsubscribed + pending``, where ``pending`` splits into
    contacts ``awaiting`` confirmation (their batch is posted) and contacts ``not_posted`` yet.
    ``failed`` is what the faces call **refused** (the JSON says ``refused``, and ``failed`` too
    for older scripts). ``sent`` is None while pass 1 has not counted the rows yet.
    """

    dry_run: bool
    rows_read: int | None
    sent: int | None
    rejected: Mapping[str, int]
    posted: int
    confirmed: int
    failed: int
    unsubscribed: int

    @property
    def final(self) -> int:
        """Contacts that reached a final state: confirmed, refused or unsubscribed."""
        return self.confirmed + self.failed + self.unsubscribed

    @property
    def pending(self) -> int:
        """Contacts to send that are not final yet (awaiting confirmation or not posted)."""
        return max(0, (self.sent or 0) - self.final)

    @property
    def awaiting(self) -> int:
        """Contacts posted to Constant Contact whose activity has not ended yet."""
        return max(0, self.posted - self.final)

    @property
    def not_posted(self) -> int:
        """Contacts to send whose batch has not reached Constant Contact (yet): the pending
        ones that are not awaiting confirmation."""
        return max(0, self.pending - self.awaiting)

    @property
    def rejected_total(self) -> int:
        """Input rows not sent, every reason."""
        return sum(int(self.rejected.get(reason, 0)) for reason in REJECT_REASONS)

    @property
    def fraction(self) -> float:
        """0..1 of the work on the contacts to send: posting counts :data:`POSTED_WEIGHT` of a
        contact, reaching a final state the rest."""
        if not self.sent:
            return 0.0
        done = POSTED_WEIGHT * self.posted + (1 - POSTED_WEIGHT) * self.final
        return min(1.0, done / self.sent)

    def problems(self) -> list[str]:
        """The identities that do not hold (empty when the figures are consistent)."""
        found = []
        counted = self.sent is not None and self.rows_read is not None
        if counted and self.rows_read != (self.sent or 0) + self.rejected_total:
            found.append(
                f"rows_read {self.rows_read} != sent {self.sent} + rejected {self.rejected_total}"
            )
        if self.sent is not None:
            if self.sent != self.final + self.pending:
                found.append(f"sent {self.sent} < final {self.final}")
            if self.posted > self.sent:
                found.append(f"posted {self.posted} > sent {self.sent}")
            if self.posted - self.final > self.pending:
                found.append(f"awaiting {self.posted - self.final} > pending {self.pending}")
        if self.final > self.posted:
            found.append(f"final {self.final} > posted {self.posted}")
        return found


def _reason_total(fields: Mapping[str, Mapping[str, int]], prefix: str) -> int:
    return sum(
        count
        for reasons in fields.values()
        for reason, count in reasons.items()
        if reason.startswith(prefix)
    )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of an export, as the history keeps it and ``--json`` prints it.

    Accounting, always (:class:`RunFigures`): ``rows_read = sent + sum(rejected)`` and
    ``sent = confirmed + failed + unsubscribed + pending``, where ``pending`` (contacts not
    final yet: ``posted`` ones awaiting confirmation, and those not posted yet) is zero once a
    run has finished; a dry run sends nothing, so for it every contact to send stays pending.

    Time: ``started_at`` is the first attempt's start and ``finished_at`` the last attempt's
    end; ``active_s`` sums the attempts that ended (None for runs recorded before cc-tui kept
    it), and ``attempt_started_at`` is when the latest attempt began.
    """

    run_id: str
    export: str
    connection: str | None
    status: RunStatus
    dry_run: bool
    os_user: str
    started_at: datetime
    finished_at: datetime | None = None
    attempts: int = 1
    rows_read: int = 0
    sent: int = 0
    confirmed: int = 0
    failed: int = 0
    unsubscribed: int = 0
    # Every reason, zeros included: a run that stopped before pass 1 ended reads back the same.
    rejected: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(REJECT_REASONS, 0))
    fields: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Optional fields changed or left out, per field and :class:`FieldReason`:
    ``{"anniversary": {"dropped_invalid_date": 809}}``. They never change a row's class."""
    truncated: int = 0
    """Values cut short by cc-tui versions before fields were checked; new runs never cut a
    value (an over-long one is dropped and counted in ``fields``), so this stays 0."""
    batches: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    bytes_sent: int = 0
    error: str | None = None
    rejected_rows_file: str | None = None
    unseen: bool = False
    """Finished in the app while its summary was not on screen; cleared once it is shown."""
    posted: int = 0
    """Contacts whose batch reached Constant Contact (posted, confirmed or failed batches)."""
    batches_complete: bool = False
    """True once pass 2 cut every batch: ``batches`` is then the real total, else so far."""
    active_s: float | None = None
    """Seconds the attempts that ended were at work (None: recorded before it was kept)."""
    attempt_started_at: datetime | None = None
    """When the latest attempt began."""
    updated_at: datetime | None = field(default=None, compare=False)
    """When the history last wrote the record (a killed attempt worked until about then);
    bookkeeping of the store, not part of the run's account."""
    verification: Verification | None = None
    """The last check that the confirmed contacts are on the lists (None: never checked)."""

    @property
    def figures(self) -> RunFigures:
        """The accounted figures (the one source every face shows)."""
        return RunFigures(
            dry_run=self.dry_run,
            rows_read=self.rows_read,
            sent=self.sent,
            rejected=self.rejected,
            posted=self.posted,
            confirmed=self.confirmed,
            failed=self.failed,
            unsubscribed=self.unsubscribed,
        )

    @property
    def pending(self) -> int:
        """Contacts to send that are not confirmed, refused or unsubscribed (yet)."""
        return self.sent - self.confirmed - self.failed - self.unsubscribed

    @property
    def refused(self) -> int:
        """Contacts Constant Contact refused (the code's older word: ``failed``)."""
        return self.failed

    @property
    def span_s(self) -> float:
        """Seconds from the first attempt's start to the last one's end (to now while it
        runs), the gaps between attempts included."""
        end = self.finished_at or datetime.now(UTC)
        return max(0.0, (end - self.started_at).total_seconds())

    @property
    def duration_s(self) -> float:
        """Seconds the run was at work, over every attempt (to now while an attempt runs);
        the span for runs recorded before active time was kept."""
        if self.active_s is None:
            return self.span_s
        current = 0.0
        if self.finished_at is None and self.attempt_started_at is not None:
            current = (datetime.now(UTC) - self.attempt_started_at).total_seconds()
        return max(0.0, self.active_s + current)

    @property
    def field_problems_file(self) -> str | None:
        """This run's ``field_problems.csv`` (beside the rejected rows), if it has a folder."""
        if not self.rejected_rows_file:
            return None
        return str(RunPaths.beside(self.rejected_rows_file).field_problems)

    @property
    def would_send_file(self) -> str | None:
        """A dry run's ``would_send.jsonl`` (beside the rejected rows), if it has a folder."""
        if not self.rejected_rows_file:
            return None
        return str(RunPaths.beside(self.rejected_rows_file).would_send)

    @property
    def fields_changed(self) -> int:
        """Values sent in a changed form (``changed_*`` reasons), over every field."""
        return _reason_total(self.fields, FIELD_CHANGED_PREFIX)

    @property
    def fields_dropped(self) -> int:
        """Values left out of their contact (``dropped_*`` reasons), over every field."""
        return _reason_total(self.fields, FIELD_DROPPED_PREFIX)

    def to_json(self) -> dict[str, object]:
        """The JSON summary (README.md, "JSON summary"): the record's figures, plus ``refused``,
        ``posted``, ``pending``, ``fields`` (sorted by field, then reason), ``field_problems_file``,
        ``attempts``, ``span_s``, ``batches_complete`` and the legacy ``truncated`` (kept so
        scripts that read it keep working; 0 for every run that checks fields).

        ``failed`` repeats ``refused`` for scripts written before the faces' word became the
        JSON's (README, "JSON summary"): kept until cc-tui 2.0. ``duration_s`` is the active
        time over every attempt; ``span_s`` includes the gaps between attempts.
        """
        return {
            "run_id": self.run_id,
            "export": self.export,
            "status": self.status.value,
            "dry_run": self.dry_run,
            "rows_read": self.rows_read,
            "sent": self.sent,
            "confirmed": self.confirmed,
            "refused": self.failed,
            "failed": self.failed,
            "unsubscribed": self.unsubscribed,
            "pending": self.pending,
            "posted": self.posted,
            "rejected": {reason: int(self.rejected.get(reason, 0)) for reason in REJECT_REASONS},
            "fields": {
                name: dict(sorted(reasons.items())) for name, reasons in sorted(self.fields.items())
            },
            "truncated": self.truncated,
            "batches": self.batches,
            "batches_complete": self.batches_complete,
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "rejected_rows_file": self.rejected_rows_file,
            "field_problems_file": self.field_problems_file,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_s": round(self.duration_s, 3),
            "span_s": round(self.span_s, 3),
            "attempts": self.attempts,
            "error": self.error,
            "verification": self.verification.to_json() if self.verification else None,
        }


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """The checkpoint of one batch of a run."""

    run_id: str
    seq: int
    state: BatchState
    contacts: int
    bytes: int
    digest: str
    attempts: int = 0
    """Import activities of this batch waited on (answered or claimed); a process killed
    during an upload uses none: its activity is claimed, or the batch is sent as if new."""
    activity_id: str | None = None
    """The activity the batch waits on, or was accounted from."""
    activity_state: str | None = None
    confirmed: int = 0
    failed: int = 0
    unsubscribed: int = 0
    errors: tuple[str, ...] = ()
    """Constant Contact's ``activity_errors`` texts of the accounted activity, as sent (they
    have no documented format: kept for people, never parsed for counts)."""
    posted_at: datetime | None = None
    finished_at: datetime | None = None
    sent_at: datetime | None = None
    """When the latest import request of the batch went out (written before it did)."""
    uploads: int = 0
    """Import requests sent for this batch, lost ones included."""
    activity_ids: tuple[str, ...] = ()
    """Every activity known to hold this batch, oldest first (failed ones included)."""


class Phase(StrEnum):
    """The stages of a run, in order."""

    PLANNING = "planning"
    CLASSIFYING = "checking e-mails"
    SENDING = "sending"
    CONFIRMING = "confirming"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class RunEvent:
    """One line of the run's story ("batch 3 confirmed: 39,987 added, 13 refused")."""

    at: datetime
    message: str
    level: str = "info"  # info | warning | error
    milestone: bool = False
    """A line that says where the whole run stands (it resumes, it ended): faces keep it in
    view, where other lines scroll away."""


@dataclass(frozen=True, slots=True)
class RunProgress:
    """Everything an observer may show about a run at one moment."""

    run_id: str
    export: str
    dry_run: bool
    phase: Phase
    rows_total: int | None = None  # every input row (known after the e-mail check)
    rows_read: int = 0  # rows through preparation so far
    contacts_total: int | None = None  # contacts to send (known after the e-mail check)
    rejected: Mapping[str, int] = field(default_factory=dict)
    fields_changed: int = 0  # values sent in a changed form so far (see RunRecord.fields)
    fields_dropped: int = 0  # values left out of their contact so far
    batches_total: int | None = None  # set once pass 2 cut every batch (None: not yet known)
    batches_cut: int = 0  # batches cut so far (the head start's included)
    batches_posted: int = 0
    batches_done: int = 0
    in_flight: int = 0  # batches posted and not final yet
    contacts_posted: int = 0
    confirmed: int = 0
    failed: int = 0
    unsubscribed: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    bytes_sent: int = 0
    elapsed: float = 0.0  # seconds of this attempt
    throughput: float = 0.0  # contacts per second, recent (posting and confirming, weighted)
    eta: float | None = None  # seconds left, once there is a throughput
    attempt: int = 1  # 2 and more: a resumed run
    earlier_active: float = 0.0  # seconds earlier attempts of the run were at work

    @property
    def figures(self) -> RunFigures:
        """The accounted figures so far (``sent`` None until pass 1 counted the rows)."""
        return RunFigures(
            dry_run=self.dry_run,
            rows_read=self.rows_total,
            sent=self.contacts_total,
            rejected=self.rejected,
            posted=self.contacts_posted,
            confirmed=self.confirmed,
            failed=self.failed,
            unsubscribed=self.unsubscribed,
        )

    @property
    def done_fraction(self) -> float:
        """0..1 of the work on the contacts to send (see :attr:`RunFigures.fraction`)."""
        if not self.contacts_total:
            return 1.0 if self.phase is Phase.FINISHED else 0.0
        if self.phase is Phase.FINISHED and self.dry_run:
            return 1.0
        if self.dry_run:  # a preview's work is building the batches: nothing is posted
            return min(1.0, self.rows_read / self.rows_total) if self.rows_total else 0.0
        return self.figures.fraction


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """A connection and whether it holds tokens (never the tokens themselves)."""

    connection: Connection
    signed_in: bool
    token_expires_at: datetime | None
    scope: str


# -- Plan, verify, notify (issue 12): new nouns kept together for the models split -------------


class NotifyWhen(StrEnum):
    """Which runs a notifier hears of."""

    FINISH = "finish"
    """Runs that finished: every contact final (``succeeded`` or ``partial``)."""
    FAILURE = "failure"
    """Runs that did not: ``failed`` or ``interrupted``."""
    BOTH = "both"

    def covers(self, status: RunStatus) -> bool:
        """Whether a run that ended as ``status`` is one to tell about."""
        finished = status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL)
        return self is NotifyWhen.BOTH or (self is NotifyWhen.FINISH) == finished


DEFAULT_NOTIFY_TIMEOUT_S = 30
"""Seconds a notify command or webhook may take before it is given up on."""
MAX_NOTIFY_TIMEOUT_S = 600


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """A ``[notify]`` table: a command and/or a webhook told of a run's end.

    ``command`` is an argv list (no shell) that gets the run's JSON summary on standard input;
    ``webhook`` gets it as a POST (``webhook_text``: Slack/Teams' ``{"text": "..."}`` instead).
    """

    on: NotifyWhen = NotifyWhen.BOTH
    command: tuple[str, ...] = ()
    webhook: str | None = None
    webhook_text: bool = False
    timeout_s: int = DEFAULT_NOTIFY_TIMEOUT_S

    @property
    def empty(self) -> bool:
        """Nothing to call."""
        return not self.command and not self.webhook


class VerifyState(StrEnum):
    """What checking a run's lists found."""

    VERIFIED = "verified"
    """Every sampled contact is on the lists and the membership moved as the run says."""
    UNVERIFIED = "unverified"
    """A mismatch: see the details."""
    NOT_CHECKED = "not_checked"
    """The check could not be made (no confirmed contacts, or Constant Contact did not answer)."""


@dataclass(frozen=True, slots=True)
class ListCheck:
    """One target list's membership count before the run and when checked."""

    list_id: str
    before: int | None
    after: int | None

    @property
    def change(self) -> int | None:
        """Members gained (negative: lost), when both counts are known."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class Verification:
    """A run checked against its lists: membership counts and a sample of confirmed e-mails.

    ``sample_on_lists`` of ``sample_checked`` e-mails were on every target list;
    ``sample_unsubscribed`` were kept off them because the person unsubscribed (correct);
    ``sample_missing`` were not there. ``expected_max`` is the most the membership can have
    grown by (the contacts confirmed).
    """

    state: VerifyState
    checked_at: datetime
    lists: tuple[ListCheck, ...] = ()
    sample_checked: int = 0
    sample_on_lists: int = 0
    sample_unsubscribed: int = 0
    sample_missing: int = 0
    expected_max: int = 0
    requests: int = 0
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """JSON of the check (history column, ``--json`` summaries, notifications)."""
        return {
            "state": self.state.value,
            "checked_at": self.checked_at.isoformat(),
            "lists": [
                {"list_id": c.list_id, "before": c.before, "after": c.after, "change": c.change}
                for c in self.lists
            ],
            "sample": {
                "checked": self.sample_checked,
                "on_lists": self.sample_on_lists,
                "unsubscribed": self.sample_unsubscribed,
                "missing": self.sample_missing,
            },
            "expected_max": self.expected_max,
            "requests": self.requests,
            "problems": list(self.problems),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Verification:
        """Read :meth:`to_json` back (the history column)."""
        sample = data.get("sample")
        counts = sample if isinstance(sample, Mapping) else {}
        lists = data.get("lists")
        raw_lists = lists if isinstance(lists, list) else []
        problems = data.get("problems")
        return cls(
            state=VerifyState(str(data.get("state", VerifyState.NOT_CHECKED.value))),
            checked_at=datetime.fromisoformat(str(data["checked_at"])),
            lists=tuple(
                ListCheck(str(item["list_id"]), item.get("before"), item.get("after"))
                for item in raw_lists
                if isinstance(item, Mapping)
            ),
            sample_checked=int(counts.get("checked", 0)),
            sample_on_lists=int(counts.get("on_lists", 0)),
            sample_unsubscribed=int(counts.get("unsubscribed", 0)),
            sample_missing=int(counts.get("missing", 0)),
            expected_max=_int_of(data.get("expected_max")),
            requests=_int_of(data.get("requests")),
            problems=tuple(str(p) for p in problems) if isinstance(problems, list) else (),
        )


def _int_of(value: object) -> int:
    return value if isinstance(value, int) else 0
