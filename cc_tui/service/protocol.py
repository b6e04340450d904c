"""What clients and the service say to each other: versioned, typed messages.

The messages travel in :mod:`~cc_tui.service.frames` (size-limited frames of JSON); msgspec
encodes and decodes the engine's own frozen dataclasses in them,
:class:`~cc_tui.models.run_progress.RunProgress`, :class:`~cc_tui.models.run_progress.RunEvent`
and :class:`~cc_tui.models.run.RunRecord`, with their types checked on the way in.

Every message carries ``type`` (its tag) and ``v`` (:data:`PROTOCOL_VERSION`). A client sends
one intent per connection: request-and-answer intents (``runs.list``, ``service.status``,
``service.stop``, ``run.cancel``) get one answer; ``run.start`` and ``run.attach`` are answered
by the run's stream (``run.progress``, ``run.event``, then ``run.finished``), during which the
client may send ``run.cancel`` on the same connection. Calls (:data:`Call`: ``connection.add``,
``connection.login``, ``history``...) are the home's commands, carried out by the service as the
asking OS user: answered by ``returned`` (the engine's result as JSON, decoded by the caller's
expected type), a sign-in streaming ``sign_in.code`` and ``sign_in.status`` first. ``error``
carries a message for a person, the exit code the command line ends with and the refusal's
:class:`FailureKind`, by which a face places it (never by its words).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TypeVar

import msgspec

from cc_tui.constant_contact.schemas import ContactList
from cc_tui.models.batch import BatchRecord
from cc_tui.models.config import Export
from cc_tui.models.connection import (
    DEFAULT_API_BASE_URL,
    DEFAULT_AUTH_BASE_URL,
    ConnectionStatus,
    UsableBy,
)
from cc_tui.models.run import RunRecord
from cc_tui.models.run_progress import RunEvent, RunProgress
from cc_tui.models.storage import StorageAuth
from cc_tui.next_steps import NextSteps
from cc_tui.service.frames import ProtocolError, decode
from cc_tui.store.schedule_state import MissedRun

__all__ = [
    "PROTOCOL_VERSION",
    "VERIFY_SAMPLE_MAX",
    "Answer",
    "AuditList",
    "AuditVerify",
    "Call",
    "ConnectionAdd",
    "ConnectionConsent",
    "ConnectionEdit",
    "ConnectionList",
    "ConnectionLogin",
    "ConnectionRemovable",
    "ConnectionRemove",
    "ConnectionShow",
    "ConnectionTest",
    "ContactLists",
    "CustomFields",
    "Done",
    "ExportAdd",
    "ExportAdded",
    "ExportList",
    "ExportPlanShow",
    "ExportRemovable",
    "ExportRemove",
    "ExportSave",
    "ExportShow",
    "Failure",
    "FailureKind",
    "FolderAdded",
    "HistoryList",
    "HomeView",
    "HomeViewAsk",
    "Intent",
    "ListFound",
    "ListLookup",
    "RejectedRowsAsk",
    "Returned",
    "RunAttach",
    "RunCancel",
    "RunDetail",
    "RunDetailAsk",
    "RunEnded",
    "RunInfo",
    "RunLogged",
    "RunProgressed",
    "RunSeen",
    "RunStart",
    "RunVerify",
    "RunsList",
    "RunsListed",
    "SchedulePause",
    "SchedulePlan",
    "ScheduleShow",
    "ScheduleView",
    "ScheduleViewAsk",
    "SegmentAdd",
    "SegmentCheck",
    "SegmentChecked",
    "SegmentList",
    "SegmentLookView",
    "SegmentPreview",
    "SegmentRemove",
    "SegmentShow",
    "SegmentsDirAdd",
    "SegmentsDirRemove",
    "ServiceState",
    "ServiceStatus",
    "ServiceStop",
    "SignInCode",
    "SignInWaiting",
    "StorageAdd",
    "StorageAddable",
    "StorageCheck",
    "StorageList",
    "StorageRemove",
    "StorageShow",
    "ThemeSet",
    "decode_answer",
    "decode_intent",
]

PROTOCOL_VERSION = 1
VERIFY_SAMPLE_MAX = 10_000  # e-mails one verify looks up: a day's quota, no more could be


class _Message(msgspec.Struct, tag_field="type", kw_only=True, frozen=True):
    v: int = PROTOCOL_VERSION


# -- runs and the service (client -> service) --------------------------------------------------


class RunStart(_Message, tag="run.start", frozen=True):
    """Run (or resume) an export; the answer is the run's stream."""

    export: str
    dry_run: bool = False
    restart: bool = False
    activity_deadline: float | None = None
    """Seconds one import activity may take (None: the sender's default)."""
    allow_quota_spill: bool = False
    """Start it even when today's API quota cannot hold it (it stops resumable at the quota)."""
    steps: NextSteps | None = None
    """The starting face's words for what to do next (None: the command line's)."""


class RunAttach(_Message, tag="run.attach", frozen=True):
    """Watch the run of ``export`` going now: its latest snapshot, recent events, then live."""

    export: str


class RunCancel(_Message, tag="run.cancel", frozen=True):
    """Stop the run of ``export`` at its next batch boundary (it stays resumable)."""

    export: str


class RunsList(_Message, tag="runs.list", frozen=True):
    """The runs going now that this client may see."""


class ServiceStatus(_Message, tag="service.status", frozen=True):
    """Who the service is and what it does."""


class ServiceStop(_Message, tag="service.stop", frozen=True):
    """Stop the service: runs stop resumable, clients are closed, the socket removed."""


# -- answers and events (service -> client) ----------------------------------------------------


class RunInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One run going in the service."""

    export: str
    dry_run: bool
    started_by: str
    """Kernel-verified OS user who asked for it (the service's own user for scheduled runs)."""
    started_at: datetime
    scheduled: bool = False
    progress: RunProgress | None = None
    """The latest snapshot (None while the run is planned: no run record yet)."""


class RunProgressed(_Message, tag="run.progress", frozen=True):
    """The latest snapshot of a run."""

    progress: RunProgress


class RunLogged(_Message, tag="run.event", frozen=True):
    """One line of a run's story."""

    export: str
    event: RunEvent


class RunEnded(_Message, tag="run.finished", frozen=True):
    """The run's final record and the exit code ``cc-tui run`` ends with."""

    record: RunRecord
    exit_code: int


class FailureKind(StrEnum):
    """What sort of refusal a :class:`Failure` is: the error's class, as the service names it.

    A face decides where a refusal goes (which field of a form, whether to offer a sign-in)
    by its kind; the words are for the person and may change.
    """

    ERROR = "error"
    """Anything else (an unexpected error), and a refusal from a service that sends no kind."""
    USAGE = "usage"
    """Asked for something that cannot be done as written."""
    NOT_FOUND = "not_found"
    """No export, connection, run... of that name (or Constant Contact answered 404)."""
    CONFLICT = "conflict"
    """The name is taken already."""
    INPUT = "input"
    """A segment file (or another input) cannot be read the way it is asked."""
    CONFIG = "config"
    """A configuration file is wrong."""
    ACCESS_DENIED = "access_denied"
    """The asker's role does not allow it."""
    CONSENT = "consent"
    """The connection has no recorded data-privacy consent."""
    INSECURE_URL = "insecure_url"
    """A URL would send tokens or data over plain http to a remote host."""
    SIGN_IN = "sign_in"
    """The connection must sign in again (its sign-in expired or was revoked)."""
    NEVER_SIGNED_IN = "never_signed_in"
    """The connection is not signed in yet (or was signed out)."""
    AUTH = "auth"
    """Constant Contact refused the sign-in (a missing scope, say)."""
    ACCOUNT_MISMATCH = "account_mismatch"
    """The export names lists or custom fields the account does not have."""
    QUOTA = "quota"
    """Today's API quota is used up."""
    QUOTA_SPILL = "quota_spill"
    """A run today's API quota cannot hold (:attr:`Failure.quota` has the plan's words)."""
    RUN_ACTIVE = "run_active"
    """The export is running already."""
    RESUME_REFUSED = "resume_refused"
    """An interrupted run cannot be resumed: its inputs changed."""
    STORAGE_FULL = "storage_full"
    """The disk holding the home is full."""
    API = "api"
    """Constant Contact could not be reached or gave an answer no retry changes."""
    PROTOCOL = "protocol"
    """A message the other side could not read."""

    @property
    def needs_sign_in(self) -> bool:
        """A person must sign the connection in (whether or not it ever was)."""
        return self in (FailureKind.SIGN_IN, FailureKind.NEVER_SIGNED_IN)

    @classmethod
    def read(cls, text: str) -> FailureKind:
        """The kind ``text`` names; :attr:`ERROR` for one this cc-tui does not know."""
        try:
            return cls(text)
        except ValueError:
            return cls.ERROR


class Failure(_Message, tag="error", frozen=True):
    """What went wrong, for a person, and the exit code that goes with it."""

    message: str
    exit_code: int
    quota: str | None = None
    """Set when a run was refused because today's API quota cannot hold it: the plan's words
    about the quota, so a face can ask whether to run it anyway (``allow_quota_spill``)."""
    kind: str = FailureKind.ERROR
    """A :class:`FailureKind`'s value; read it with :meth:`FailureKind.read`. Plain text on the
    wire so that a kind a newer service adds reads as ``error`` here instead of making the
    whole answer unreadable (a service that sends none gives ``error`` too)."""


class Done(_Message, tag="ok", frozen=True):
    """An intent was carried out (cancel asked, stop begun)."""

    message: str = ""


class Returned(_Message, tag="returned", frozen=True):
    """What a call gave: the engine's result as JSON, decoded by the caller's expected type."""

    value: msgspec.Raw


class SignInCode(_Message, tag="sign_in.code", frozen=True):
    """The URL and code a person approves a sign-in with (never the device code)."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_at: datetime
    interval: float


class SignInWaiting(_Message, tag="sign_in.status", frozen=True):
    """One poll of a sign-in's wait for approval."""

    state: str
    seconds_left: float
    interval: float


class RunsListed(_Message, tag="runs.listed", frozen=True):
    """The runs going now that the asking client may see."""

    runs: list[RunInfo]


class ServiceState(_Message, tag="service.state", frozen=True):
    """``cc-tui service status``."""

    pid: int
    user: str
    """The OS user the service runs as."""
    you: str
    """The OS user the service knows the asking client as (from the kernel)."""
    started_at: datetime
    home: str
    socket: str
    shared: bool
    clients: int
    runs: list[RunInfo]
    scheduled: dict[str, datetime]
    """Export -> its next scheduled run (of the exports the asker may see)."""
    on_refresh: dict[str, int] = msgspec.field(default_factory=dict)
    """Export run when its data is refreshed -> the quiet seconds it waits for."""


# -- calls: the home's commands, carried out by the service as the asking OS user --------------
#
# Each is answered by ``returned`` (the engine's result, msgspec-encoded) or ``error``; a
# sign-in first streams ``sign_in.code`` and ``sign_in.status``. The service builds the engine's
# services for the kernel-named peer, so the engine's role checks and audit apply to it. The
# app keeps no store open either: what its screens show and every change they make is a call.
# By subject, as cc_tui/service/calls/ handles them; a call's own answer type stands beside it.


# Connections, and what a form asks of the account through one.


class ConnectionAdd(_Message, tag="connection.add", frozen=True):
    """Add a connection (administrators); the answer is the :class:`Connection`."""

    name: str
    client_id: str
    display_name: str | None = None
    usable_by: UsableBy = UsableBy.ADMINS
    api_base_url: str = DEFAULT_API_BASE_URL
    auth_base_url: str = DEFAULT_AUTH_BASE_URL
    accept_privacy: bool = False


class ConnectionConsent(_Message, tag="connection.consent", frozen=True):
    """Record the asker's acceptance of the privacy statement; answer: the Connection."""

    name: str


class ConnectionLogin(_Message, tag="connection.login", frozen=True):
    """Sign ``name`` in by the device flow, run by the service; answer: ConnectionStatus."""

    name: str


class ConnectionEdit(_Message, tag="connection.edit", frozen=True):
    """Change fields of a connection (administrators); answer: the Connection."""

    name: str
    display_name: str | None = None
    client_id: str | None = None
    usable_by: UsableBy | None = None
    api_base_url: str | None = None
    auth_base_url: str | None = None


class ConnectionRemovable(_Message, tag="connection.removable", frozen=True):
    """Whether the asker may remove ``name`` (a refusal is audited); answer: None."""

    name: str


class ConnectionRemove(_Message, tag="connection.remove", frozen=True):
    """Remove ``name`` and its tokens; answer: the exports detached (list of names)."""

    name: str
    detach_exports: bool = False


class ConnectionList(_Message, tag="connection.list", frozen=True):
    """The connections the asker may see; answer: a list of ConnectionStatus."""


class ConnectionShow(_Message, tag="connection.show", frozen=True):
    """One connection the asker may see; answer: its ConnectionStatus (never tokens)."""

    name: str


class ConnectionTest(_Message, tag="connection.test", frozen=True):
    """Reach the account through ``name``; answer: a ConnectionCheck."""

    name: str


class ContactLists(_Message, tag="lists", frozen=True):
    """The contact lists of ``connection``'s account; answer: a list of ContactList."""

    connection: str


class CustomFields(_Message, tag="custom_fields", frozen=True):
    """The names (without ``cf:``) of ``connection``'s account's custom fields."""

    connection: str


class ListLookup(_Message, tag="list.check", frozen=True):
    """One contact list of ``connection``'s account; answer: a ListFound."""

    connection: str
    list_id: str


class ListFound(msgspec.Struct, frozen=True, kw_only=True):
    """A list looked up: the list, or why it cannot be used, or that no one could say."""

    found: ContactList | None = None
    problem: str | None = None
    """The account has no such list, or it was deleted."""
    unchecked: bool = False
    """The account could not be asked (the id may still be used)."""


# Exports.


class ExportList(_Message, tag="export.list", frozen=True):
    """The exports the asker may see; answer: a list of Export."""


class ExportShow(_Message, tag="export.show", frozen=True):
    """One export the asker may see; answer: the Export."""

    name: str


class ExportAdd(_Message, tag="export.add", frozen=True):
    """Check and save an export (segments given as paths become entries); answer: ExportAdded.

    Paths among ``segments`` are absolute: the client's working folder means nothing to the
    service, which reads them only if the asker could.
    """

    name: str
    connection: str
    list_ids: list[str]
    segments: list[str]
    email: str
    first_name: str | None = None
    last_name: str | None = None
    attributes: list[str] = msgspec.field(default_factory=list)
    """``FIELD=COLUMN`` texts, as ``--attr`` takes them."""
    schedule: str | None = None
    on_refresh: bool = False
    """Run when a segment's data is refreshed (``--on-refresh``)."""
    quiet_seconds: int | None = None
    """How long a new snapshot must hold still (None: the default)."""
    missed: str | None = None
    """``run-once`` or ``skip`` (None: the default)."""
    replace: bool = False


class ExportAdded(msgspec.Struct, frozen=True, kw_only=True):
    """An export just saved: the segment entries its paths became, and what was checked."""

    name: str
    connection: str
    added: list[tuple[str, str]]
    """Segment name and path of each entry written with it."""
    unchecked: str | None
    """Why the account could not be asked (None: it was)."""
    checked: str
    """What the account checked (``lists``, ``lists and custom fields``)."""


class ExportSave(_Message, tag="export.save", frozen=True):
    """Check and save an export as a form built it; answer: None."""

    export: Export
    replace: bool = False


class ExportPlanShow(_Message, tag="plan", frozen=True):
    """The forecast of one run of ``export`` against today's quota; answer: an ExportPlan.

    The service reads the export's segments for it, only for an asker who could read them.
    """

    export: str
    count: bool = True
    """Classify every row's e-mail when the inputs changed (False: rows only, an upper bound;
    the app's export details, which never wait for a pass over the e-mails)."""


class ExportRemovable(_Message, tag="export.removable", frozen=True):
    """Whether ``name`` is an export the asker may see; answer: None."""

    name: str


class ExportRemove(_Message, tag="export.remove", frozen=True):
    """Remove the export ``name`` (its run history stays); answer: None."""

    name: str


# Segments and segments folders.


class SegmentAdd(_Message, tag="segment.add", frozen=True):
    """Check a segment file and write ``[segments.NAME]``; answer: a SegmentPreview.

    ``path`` is absolute (the client's working folder means nothing to the service); the
    service reads it only if the asker could (:mod:`cc_tui.service.peer_access`).
    """

    name: str
    path: str
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    quote: str | None = None
    header: bool | None = None
    columns: list[str] | None = None
    entity: str | None = None
    snapshot: str | None = None
    replace: bool = False
    rows: int = 0


class SegmentPreview(msgspec.Struct, frozen=True, kw_only=True):
    """What a segment just added reads: its format, columns and first rows (as text)."""

    name: str
    path: str
    format_label: str
    delimiter: str | None
    encoding: str
    columns: list[tuple[str, str]]
    """Column name and type."""
    header: list[str]
    rows: list[list[str | None]]
    config_file: str
    """The service's config.toml, where the entry now is."""
    notes: list[str] = []
    """How it is read (a Delta version, a CDM snapshot, a header-like first line…)."""


class SegmentCheck(_Message, tag="segment.check", frozen=True):
    """What a segment entry would read, before it is added (the app's "add by path").

    ``path`` is absolute; the service reads it only if the asker could. The answer is a
    SegmentChecked: the CDM entities the path holds when there are several (and none is
    chosen), the segment that reads it already, or its format, columns and first rows.
    """

    name: str
    path: str
    header: bool | None = None
    columns: list[str] | None = None
    entity: str | None = None
    rows: int = 5


class SegmentLookView(msgspec.Struct, frozen=True, kw_only=True):
    """What an entry reads: format, columns and first rows (as text)."""

    format_label: str
    delimiter: str | None
    encoding: str
    entity: str | None
    columns: list[str]
    rows: list[list[str | None]]
    notes: list[str] = []
    """How it is read (a Delta version, a CDM snapshot, a header-like first line…)."""


class SegmentChecked(msgspec.Struct, frozen=True, kw_only=True):
    """See :class:`SegmentCheck`: exactly one of the three is set."""

    entities: list[tuple[str, str | None]] = msgspec.field(default_factory=list)
    """Entity and the segment that reads it already (None: none)."""
    known: str | None = None
    look: SegmentLookView | None = None


class SegmentList(_Message, tag="segment.list", frozen=True):
    """Every segment the asker may see, each with its row count; answer: a SegmentsListed
    (:mod:`cc_tui.service.segment_views`)."""


class SegmentShow(_Message, tag="segment.show", frozen=True):
    """One segment's columns, row count and first ``rows`` rows; answer: a SegmentShown."""

    name: str
    rows: int = 10


class SegmentsDirAdd(_Message, tag="segments_dir.add", frozen=True):
    """Read segments from the absolute ``folder``; answer: a FolderAdded."""

    folder: str


class FolderAdded(msgspec.Struct, frozen=True, kw_only=True):
    """A segments folder just added: the segments found there and the files skipped."""

    folder: str
    names: list[str]
    skipped: list[str]


class SegmentRemove(_Message, tag="segment.remove", frozen=True):
    """Delete ``[segments.NAME]``; answer: the exports that used it (list of names)."""

    name: str
    force: bool = False


class SegmentsDirRemove(_Message, tag="segments_dir.remove", frozen=True):
    """Stop reading the absolute ``folder``; answer: the exports that used its segments."""

    folder: str
    force: bool = False


# Finished runs.


class HistoryList(_Message, tag="history", frozen=True):
    """The newest runs (of ``export``), newest first; answer: a list of RunRecord."""

    export: str | None = None
    limit: int = 20


class RunDetailAsk(_Message, tag="run.detail", frozen=True):
    """One run the asker may see, with its batches; answer: a RunDetail."""

    run_id: str


class RunDetail(msgspec.Struct, frozen=True, kw_only=True):
    """A run's record, its checkpointed batches, and whether it is its export's resumable run."""

    record: RunRecord | None
    batches: list[BatchRecord]
    resumable: bool


class RunSeen(_Message, tag="run.seen", frozen=True):
    """Mark a finished run's summary as seen (``seen``) or not yet seen; answer: a bool
    (whether the mark changed)."""

    run_id: str
    seen: bool = True


class RunVerify(_Message, tag="verify", frozen=True):
    """Check a run's confirmed contacts against its lists; answer: a Verification.

    ``sample``: e-mails looked up, 0 to :data:`VERIFY_SAMPLE_MAX` (None: the engine's
    default). For those who may see the run's export and use its connection.
    """

    run_id: str
    sample: int | None = None


class RejectedRowsAsk(_Message, tag="run.rejected", frozen=True):
    """The first ``limit`` rejected rows of ``reason`` (``all``: every reason) of a run the
    asker may see, and (``counts``) how many rows each reason has; answer: a RejectedPage
    (:mod:`cc_tui.service.rejected_pages`). The file is the service's (0600)."""

    run_id: str
    reason: str = "all"
    limit: int = 500
    counts: bool = False


# Schedules.


class ScheduleShow(_Message, tag="schedule.list", frozen=True):
    """What starts exports on its own: their schedules and next runs, and the exports run when
    their data is refreshed; answer: a :class:`SchedulePlan`."""


class SchedulePlan(msgspec.Struct, frozen=True, kw_only=True):
    """``cc-tui scheduler --list``: the triggers of the exports the asker may see."""

    scheduled: list[tuple[str, str, datetime]]
    """Export, its cron schedule and its next run (UTC), soonest first."""
    on_refresh: list[tuple[str, int]]
    """Export run when its data is refreshed, and the quiet seconds it waits for, by name."""
    notes: list[str]
    """What reading the schedules had to say (a config.toml that could not be read)."""


class ScheduleViewAsk(_Message, tag="schedule.view", frozen=True):
    """The schedule screen's facts for the exports the asker may see; answer: ScheduleView."""


class ScheduleView(msgspec.Struct, frozen=True, kw_only=True):
    """Exports with their pause marks, last real runs and missed schedule times."""

    exports: list[Export]
    paused: list[str]
    last_runs: dict[str, RunRecord]
    missed: list[MissedRun]
    """Newest first."""


class SchedulePause(_Message, tag="schedule.pause", frozen=True):
    """Pause (or resume) the schedule of an export the asker may see; answer: None."""

    export: str
    paused: bool = True


# Storage connections (the Azure accounts remote segments are read from). The secret of an
# add travels only in the intent, over the kernel's socket, to the service that stores it in
# secrets.toml; it is never logged, answered, or shown.


class StorageList(_Message, tag="storage.list", frozen=True):
    """Every storage connection (nothing secret); answer: a list of StorageStatus."""


class StorageShow(_Message, tag="storage.show", frozen=True):
    """One storage connection; answer: its StorageStatus."""

    name: str


class StorageAddable(_Message, tag="storage.addable", frozen=True):
    """Whether the asker may add ``name`` (before a secret is asked for); answer: None."""

    name: str
    replace: bool = False


class StorageAdd(_Message, tag="storage.add", frozen=True):
    """Save ``[storage.NAME]`` and its secret (administrators); answer: a StorageConnection."""

    name: str
    account: str
    auth: StorageAuth = StorageAuth.ENVIRONMENT
    secret: str | None = None
    endpoint: str | None = None
    replace: bool = False


class StorageCheck(_Message, tag="storage.test", frozen=True):
    """List the top of ``container`` with the connection; answer: the engine's StorageTest."""

    name: str
    container: str


class StorageRemove(_Message, tag="storage.remove", frozen=True):
    """Delete ``[storage.NAME]`` and its secret (administrators); answer: None."""

    name: str


# The audit log.


class AuditList(_Message, tag="audit", frozen=True):
    """The newest audit entries (of ``user``, of ``action`` or an action family ending in a
    dot); answer: a list of AuditEvent. Administrators and the service's own user only."""

    user: str | None = None
    action: str | None = None
    limit: int = 50


class AuditVerify(_Message, tag="audit.verify", frozen=True):
    """Walk the audit log's hash chain; answer: an AuditVerification (administrators)."""


# The app's home view and its theme.


class HomeViewAsk(_Message, tag="app.view", frozen=True):
    """What the app's home screen lists for the asker; answer: a HomeView."""

    runs: int = 200
    """How many of the newest runs to list."""


class HomeView(msgspec.Struct, frozen=True, kw_only=True):
    """The connections, exports and runs the asker may see, and the app's settings."""

    user: str
    """The asker, as the kernel names them."""
    connections: list[ConnectionStatus]
    exports: list[Export]
    exports_using: dict[str, list[str]]
    """Connection -> the exports that use it (of the connections listed)."""
    runs: list[RunRecord]
    """Newest first."""
    last_runs: dict[str, RunRecord]
    """Export -> its last real run (a preview never stands for it)."""
    theme: str
    keymap: dict[str, str]
    bell: bool


class ThemeSet(_Message, tag="theme.set", frozen=True):
    """Remember the app's theme in config.toml (administrators); answer: None."""

    theme: str


# The unions come last: they name every intent and answer; then how a frame's body is read as
# one of them, of this protocol version.

Call = (
    ConnectionAdd
    | ConnectionConsent
    | ConnectionLogin
    | ConnectionEdit
    | ConnectionRemovable
    | ConnectionRemove
    | ConnectionList
    | ConnectionShow
    | ConnectionTest
    | ContactLists
    | CustomFields
    | ListLookup
    | ExportList
    | ExportShow
    | ExportAdd
    | ExportSave
    | ExportPlanShow
    | ExportRemovable
    | ExportRemove
    | SegmentAdd
    | SegmentCheck
    | SegmentList
    | SegmentShow
    | SegmentsDirAdd
    | SegmentRemove
    | SegmentsDirRemove
    | HistoryList
    | RunDetailAsk
    | RunSeen
    | RunVerify
    | RejectedRowsAsk
    | ScheduleShow
    | ScheduleViewAsk
    | SchedulePause
    | StorageList
    | StorageShow
    | StorageAddable
    | StorageAdd
    | StorageCheck
    | StorageRemove
    | AuditList
    | AuditVerify
    | HomeViewAsk
    | ThemeSet
)

Intent = RunStart | RunAttach | RunCancel | RunsList | ServiceStatus | ServiceStop | Call

_INTENTS = msgspec.json.Decoder(Intent)

_M = TypeVar("_M", bound=_Message)

Answer = (
    RunProgressed
    | RunLogged
    | RunEnded
    | Failure
    | Done
    | RunsListed
    | ServiceState
    | Returned
    | SignInCode
    | SignInWaiting
)

_ANSWERS = msgspec.json.Decoder(Answer)


def decode_intent(body: bytes) -> Intent:
    """An intent from a frame's body; ProtocolError if it is not one of this version."""
    return _checked(decode(_INTENTS, body))


def decode_answer(body: bytes) -> Answer:
    """An answer or event from a frame's body."""
    return _checked(decode(_ANSWERS, body))


def _checked(message: _M) -> _M:
    if message.v != PROTOCOL_VERSION:
        raise ProtocolError(
            f"The other side speaks protocol {message.v}, this cc-tui {PROTOCOL_VERSION}: "
            "restart the service with this version (cc-tui service stop; the next command "
            "starts it again)."
        )
    return message
