"""How every error ends a run that has started: failed with the fix, or resumable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cc_tui.cli.run_commands import EXIT_CODES
from cc_tui.engine.email_check import StopRequested
from cc_tui.engine.failures import run_outcome
from cc_tui.errors import (
    AccountMismatchError,
    ActivityDeadlineError,
    ApiError,
    AuthError,
    BadRequestError,
    CcTuiError,
    ConstantContactError,
    DeviceFlowError,
    InputError,
    InsecureUrlError,
    NotFoundError,
    QuotaExceededError,
    ResumeRefusedError,
    ServerError,
    SignInRequiredError,
    ThrottledError,
    TransportError,
)
from cc_tui.models.config import Export, FieldMapping
from cc_tui.models.run import RunStatus

EXPORT = Export(
    name="spring", connection="marketing", list_ids=("x",), segments=("people",),
    mapping=FieldMapping(email="email"))  # fmt: skip
IMPORT = {"method": "POST", "path": "/activities/contacts_json_import"}
MIDNIGHT = datetime(2026, 4, 2, tzinfo=UTC)

RESUMABLE: list[CcTuiError | StopRequested] = [
    QuotaExceededError(429, "quota_exceeded", "Limit Exceeded", resets_at=MIDNIGHT, **IMPORT),
    ThrottledError(429, "throttled", "Too Many Requests", **IMPORT),
    ServerError(503, "service.unavailable", "temporarily unavailable", **IMPORT),
    TransportError("Constant Contact could not be reached (ConnectError); tried again."),
    ActivityDeadlineError(
        "activity 1234 still processing past its 2 h deadline", activity_ids=("1234",)
    ),
    StopRequested(),
]
FAILED: list[tuple[CcTuiError, str]] = [
    (NotFoundError(404, "not_found", "no such list", **IMPORT), "cc-tui lists marketing"),
    (BadRequestError(400, "bad_request", "list_ids[0]: unknown", **IMPORT), "refused the request"),
    (BadRequestError(409, "conflict", "busy", **IMPORT), "cc-tui lists marketing"),
    (BadRequestError(415, "unsupported", "media type", **IMPORT), "cc-tui lists marketing"),
    (AuthError(403, "forbidden", "Forbidden", method="GET", path="/activities"), "contact_data"),
    (
        AuthError(403, "forbidden", "Forbidden", method="GET", path="/account/summary"),
        "account_read",
    ),
    (
        AuthError(401, "invalid_client", "unknown client", method="POST", path="/token"),
        "cc-tui connection login marketing",
    ),
    (
        SignInRequiredError("marketing", "the refresh token was refused"),
        "cc-tui connection login marketing",
    ),
    (SignInRequiredError.never_signed_in("marketing"), "not signed in yet"),
    (
        ApiError(302, "http_302", "Found", method="GET", path="/activities"),
        "cc-tui connection show marketing",
    ),
    (
        ConstantContactError("Constant Contact sent an activity cc-tui cannot read."),
        "cc-tui connection show marketing",
    ),
    (DeviceFlowError("access_denied", "The sign-in was denied."), "denied"),
    (InputError("people.csv: row 3 is not valid UTF-8; re-save it as UTF-8."), "UTF-8"),
    (InsecureUrlError("http://api.example.com must use https"), "https"),
    (AccountMismatchError("Export 'spring'", ["The account has no list x."], "Fix it."), "Fix"),
    (ResumeRefusedError("Batch 3 came out different; run again with --restart."), "--restart"),
]


@pytest.mark.parametrize("error", RESUMABLE, ids=lambda e: type(e).__name__)
def test_what_a_retry_can_fix_leaves_the_run_resumable(
    error: CcTuiError | StopRequested,
) -> None:
    status, text = run_outcome(error, EXPORT)
    assert status is RunStatus.INTERRUPTED and EXIT_CODES[status] == 3
    assert text.endswith("Resume with: cc-tui run spring")


def test_the_quota_says_when_it_resets() -> None:
    _, text = run_outcome(RESUMABLE[0], EXPORT)
    assert "it resets at 2026-04-02 00:00 UTC" in text


@pytest.mark.parametrize(("error", "fix"), FAILED, ids=lambda e: type(e).__name__)
def test_what_no_retry_fixes_fails_the_run_with_the_fix(error: CcTuiError, fix: str) -> None:
    status, text = run_outcome(error, EXPORT, granted_scope="account_read offline_access")
    assert status is RunStatus.FAILED and EXIT_CODES[status] == 1
    assert fix in text
    assert "Resume" not in text
    assert text.endswith("cc-tui run spring starts a new run.")


def test_a_refused_scope_says_what_the_sign_in_was_granted() -> None:
    forbidden = AuthError(403, "forbidden", "Forbidden", **IMPORT)
    _, without = run_outcome(forbidden, EXPORT, granted_scope="account_read offline_access")
    assert "needs the contact_data scope (it was granted only: account_read offline_access)" in (
        without
    )
    _, granted = run_outcome(forbidden, EXPORT, granted_scope="contact_data offline_access")
    assert "lacks the privilege" in granted
