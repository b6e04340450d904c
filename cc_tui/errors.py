"""Every error cc-tui raises on purpose, in one tree.

::

    CcTuiError                      message for a person + exit code for the shell
    ├── UsageError                  bad command-line arguments                      (exit 2)
    ├── ConfigError                 config.toml / secrets.toml / theme problems     (exit 2)
    │   └── SecretsPermissionError  secrets.toml readable by group or others
    ├── InputError                  a segment file cannot be read as asked          (exit 2)
    ├── ConsentRequiredError        data-privacy consent missing                    (exit 2)
    ├── AccessDeniedError           this OS user may not use or change that thing   (exit 2)
    ├── InsecureUrlError            http:// to a host that is not loopback          (exit 2)
    ├── AccountMismatchError        an export names lists / custom fields the account lacks (2)
    ├── ConstantContactError        anything the Constant Contact API said or did   (exit 1)
    │   ├── ApiError                an HTTP error answer, parsed from either body shape
    │   │   ├── NotFoundError       404
    │   │   ├── BadRequestError     400 / 415 / 409: the request itself is wrong
    │   │   ├── ThrottledError      429 throttled (the client retries these itself)
    │   │   ├── QuotaExceededError  429 quota_exceeded: stop until the daily reset (exit 3)
    │   │   ├── ServerError         5xx after the retries ran out
    │   │   └── AuthError           401 / 403 after a refresh
    │   │       └── ScopeMissingError  403: the sign-in lacks a scope (or the user a privilege)
    │   ├── SignInRequiredError     never signed in, or the refresh token is dead   (exit 2)
    │   ├── DeviceFlowError         the device sign-in was denied, expired or cancelled
    │   ├── TransportError          connection errors and timeouts after the retries
    │   ├── OutcomeUnknownError     a request that changes something got no clear answer (exit 3)
    │   └── ActivityDeadlineError   an import activity did not finish in time       (exit 3)
    ├── StorageFullError            the disk is full (ENOSPC); a run stops resumable   (exit 3)
    └── RunError                    an export run could not go on
        ├── RunAlreadyActiveError   another process runs the same export
        └── ResumeRefusedError      an input changed since the interrupted run began

Messages say what happened and what to do next; they never contain tokens.

How an error ends an export run. Only an error a later retry can fix (``resumable``) leaves the
run ``interrupted`` (exit 3, "Resume with: cc-tui run NAME"); every other one ends it
``failed`` (exit 1) with the fix, and the next ``cc-tui run NAME`` starts a new run. Errors
found before the run starts (the account preflight: sign-in, lists, custom fields, scopes)
create no run at all and exit with their own code.

=========================  ===============  ===========  ====================================
error                      before the run   in the run   why
=========================  ===============  ===========  ====================================
QuotaExceededError         exit 3           interrupted  the daily quota resets at 00:00 UTC
ThrottledError             exit 1           interrupted  429s that outlasted the retries pass
ServerError                exit 1           interrupted  5xx that outlasted the retries pass
TransportError             exit 1           interrupted  the network comes back
OutcomeUnknownError        exit 3           interrupted  an import's answer was lost; the resume
                                                         reconciles it before sending again
ActivityDeadlineError      exit 3           interrupted  the activity may still finish; the
                                                         resume polls it again
StorageFullError           exit 3           interrupted  the disk is full: free space, resume
SignInRequiredError        exit 2           failed       a person must sign in (never signed
                                                         in, or refresh token dead: invalid_grant)
ScopeMissingError / 403    exit 1           failed       an administrator must grant the scope
AuthError (401 and other)  exit 1           failed       the sign-in server refuses the client
NotFoundError              exit 1           failed       the list / activity does not exist
BadRequestError            exit 1           failed       400/409/415: the same request would be
                                                         refused again
ApiError (other status)    exit 1           failed       an answer no retry changes (3xx...)
ConstantContactError       exit 1           failed       an answer cc-tui cannot read, a paging
                                                         link to another host: needs a person
DeviceFlowError            exit 1           failed       only during sign-in
AccountMismatchError       exit 2           failed       fix the export or the account
InsecureUrlError           exit 2           failed       fix the connection's URL
InputError                 exit 2           failed       fix the segment file (exit 2 too)
other CcTuiError           its exit code    failed       configuration, access, consent...
=========================  ===============  ===========  ====================================

A new error that a later retry can fix sets ``retry_can_fix = True`` (or has exit code 3);
:attr:`CcTuiError.resumable` is what a run checks.
"""

from __future__ import annotations

import errno
import os
from datetime import datetime
from pathlib import Path

__all__ = [
    "CLI_ACCEPT_PRIVACY",
    "CLI_SIGN_IN",
    "AccessDeniedError",
    "AccountMismatchError",
    "ActivityDeadlineError",
    "ApiError",
    "AuthError",
    "BadRequestError",
    "CcTuiError",
    "ConfigError",
    "ConsentRequiredError",
    "ConstantContactError",
    "DeviceFlowError",
    "InputError",
    "InsecureUrlError",
    "NameTakenError",
    "NotFoundError",
    "OutcomeUnknownError",
    "QuotaExceededError",
    "QuotaSpillError",
    "ResumeRefusedError",
    "RunAlreadyActiveError",
    "RunError",
    "ScopeMissingError",
    "SecretsPermissionError",
    "ServerError",
    "SignInRequiredError",
    "StorageFullError",
    "ThrottledError",
    "TransportError",
    "UnknownNameError",
    "UsageError",
    "is_disk_full",
]

CLI_SIGN_IN = "cc-tui connection login {connection}"
CLI_ACCEPT_PRIVACY = "cc-tui connection login {connection} --accept-privacy"
"""How the command line signs a connection in; messages name it unless a face has its own
(:class:`cc_tui.next_steps.NextSteps`)."""

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_RESUMABLE = 3


class CcTuiError(Exception):
    """Base of every deliberate cc-tui error; ``str()`` is meant for the person at the keyboard."""

    exit_code: int = EXIT_FAILED
    retry_can_fix: bool = False
    """True when the same work may succeed later unchanged (network, 5xx, quota, a stop)."""

    @property
    def resumable(self) -> bool:
        """Whether a run this error stops stays resumable (else it ends ``failed``)."""
        return self.retry_can_fix or self.exit_code == EXIT_RESUMABLE


class UsageError(CcTuiError):
    """The command line asked for something that cannot be done as written."""

    exit_code = EXIT_USAGE


class UnknownNameError(UsageError):
    """No export, connection, run... of the name asked for (that the asker may see)."""


class NameTakenError(UsageError):
    """A new export, connection, segment... would take a name that is already in use."""


class QuotaSpillError(UsageError):
    """A run that today's API quota cannot hold, asked for without allowing it to spill."""

    def __init__(self, message: str, *, sentence: str) -> None:
        super().__init__(message)
        self.sentence = sentence
        """The plan's words about the quota alone (a face asks its own question with them)."""


class ConfigError(CcTuiError):
    """A configuration file is wrong; the message names the file, the key, the line and the fix."""

    exit_code = EXIT_USAGE

    def __init__(
        self,
        problem: str,
        *,
        path: Path | None = None,
        key: str | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.key = key
        self.line = line
        self.fix = fix
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f", line {self.line}"
            where += ": "
        key = f"[{self.key}] " if self.key else ""
        text = f"{where}{key}{self.problem}"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class SecretsPermissionError(ConfigError):
    """secrets.toml can be read by someone other than its owner."""


class InputError(CcTuiError):
    """A segment file (or another input) cannot be read the way the export asks."""

    exit_code = EXIT_USAGE


class ConsentRequiredError(CcTuiError):
    """The data-privacy statement has not been accepted for this connection."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, connection: str | None = None) -> None:
        super().__init__(message)
        self.connection = connection

    @classmethod
    def not_recorded(cls, connection: str) -> ConsentRequiredError:
        """``connection`` has no recorded consent (said with the command line's fix)."""
        text = cls.not_recorded_text(connection, CLI_ACCEPT_PRIVACY.format(connection=connection))
        return cls(text, connection=connection)

    @staticmethod
    def not_recorded_text(connection: str, accept: str) -> str:
        """The message for a connection without consent, naming ``accept`` as the fix."""
        return (
            f"Connection '{connection}' has no recorded data-privacy consent; an administrator "
            f"must accept it: {accept}"
        )


class AccessDeniedError(CcTuiError):
    """The OS user's role does not allow this action."""

    exit_code = EXIT_USAGE


class InsecureUrlError(CcTuiError):
    """A base URL would send tokens or customer data over plain http to a remote host."""

    exit_code = EXIT_USAGE


class AccountMismatchError(CcTuiError):
    """The export names lists or custom fields that the Constant Contact account does not have.

    ``problems`` says each one (naming the account's lists or fields); the message adds the fix.
    """

    exit_code = EXIT_USAGE

    def __init__(self, subject: str, problems: list[str], fix: str) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{subject}: {' '.join(problems)} {fix}")


class ConstantContactError(CcTuiError):
    """Something went wrong talking to Constant Contact (or the emulator)."""


class ApiError(ConstantContactError):
    """An HTTP error answer from the API; ``error_key`` and ``error_message`` come from its body."""

    def __init__(
        self,
        status: int,
        error_key: str,
        error_message: str,
        *,
        method: str = "",
        path: str = "",
    ) -> None:
        self.status = status
        self.error_key = error_key
        self.error_message = error_message
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        return (
            f"Constant Contact answered {self.status} {self.error_key}: {self.error_message}{where}"
        )


class NotFoundError(ApiError):
    """404: the list, activity or other resource does not exist for this account."""


class BadRequestError(ApiError):
    """400, 409 or 415: the request is malformed or conflicts; retrying will not help."""


class ThrottledError(ApiError):
    """429 ``throttled``: more than the allowed requests per second."""

    retry_can_fix = True


class QuotaExceededError(ApiError):
    """429 ``quota_exceeded``: the daily request quota is spent until ``resets_at`` (00:00 UTC)."""

    exit_code = EXIT_RESUMABLE
    retry_can_fix = True

    def __init__(
        self,
        status: int,
        error_key: str,
        error_message: str,
        *,
        resets_at: datetime,
        method: str = "",
        path: str = "",
    ) -> None:
        self.resets_at = resets_at
        super().__init__(status, error_key, error_message, method=method, path=path)

    def _describe(self) -> str:
        return (
            "Constant Contact's daily request quota is used up; it resets at "
            f"{self.resets_at:%Y-%m-%d %H:%M} UTC. Resume the run after that."
        )


class ServerError(ApiError):
    """5xx answers that persisted through every retry."""

    retry_can_fix = True


class AuthError(ApiError):
    """401 or 403 that a token refresh did not cure (missing scope, deactivated app...)."""


class ScopeMissingError(AuthError):
    """403: the connection's sign-in lacks ``scope`` (or the signed-in user lacks a privilege)."""

    def __init__(self, cause: ApiError, *, connection: str, scope: str, granted: str) -> None:
        self.connection = connection
        self.scope = scope
        self.granted = granted
        super().__init__(
            cause.status, cause.error_key, cause.error_message, method=cause.method, path=cause.path
        )

    def _describe(self) -> str:
        return self.described(CLI_SIGN_IN.format(connection=self.connection))

    def described(self, sign_in: str) -> str:
        """The message, naming ``sign_in`` as the way to sign in (each face has its own)."""
        granted = (
            f"it was granted only: {self.granted}"
            if self.granted and self.scope not in self.granted.split()
            else "if it was granted, the Constant Contact user who signed in lacks the "
            "privilege (an account owner or administrator must give it)"
        )
        return (
            f"Constant Contact refused {self.method} {self.path} ({self.status} "
            f"{self.error_key}): connection '{self.connection}' needs the {self.scope} scope "
            f"({granted}). Grant it: sign in again ({sign_in}) and approve {self.scope}; the "
            "application must offer that scope."
        )


class SignInRequiredError(ConstantContactError):
    """The connection has no usable tokens: sign in (again) with ``cc-tui connection login``."""

    exit_code = EXIT_USAGE
    NEVER_SIGNED_IN = "there are no saved tokens"

    def __init__(self, connection: str, reason: str) -> None:
        self.connection = connection
        self.reason = reason
        super().__init__(self.described(CLI_SIGN_IN.format(connection=connection)))

    def described(self, sign_in: str) -> str:
        """The message, naming ``sign_in`` as the way to sign in (each face has its own)."""
        if self.reason == self.NEVER_SIGNED_IN:
            return f"Connection '{self.connection}' is not signed in yet: {sign_in}"
        return f"Connection '{self.connection}' must sign in again ({self.reason}): {sign_in}"

    @classmethod
    def never_signed_in(cls, connection: str) -> SignInRequiredError:
        """The connection has no tokens at all: it was never signed in (or was signed out)."""
        return cls(connection, cls.NEVER_SIGNED_IN)


class DeviceFlowError(ConstantContactError):
    """The device sign-in ended without tokens: ``code`` is access_denied, expired_token..."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class TransportError(ConstantContactError):
    """Connection refused or dropped, or timed out, on every retry."""

    retry_can_fix = True


class OutcomeUnknownError(ConstantContactError):
    """A request that changes something (an import) got no clear answer.

    A 5xx, a connection dropped after the request went out, or a timeout: Constant Contact may
    or may not have acted on it. Raised instead of retrying when the caller asked to decide
    itself (an import is reconciled against the account's recent activities before it is sent
    again); a run that stops on it is resumable.
    """

    exit_code = EXIT_RESUMABLE


class ActivityDeadlineError(ConstantContactError):
    """An import activity did not reach a final state before its deadline; resumable."""

    exit_code = EXIT_RESUMABLE

    def __init__(self, message: str, *, activity_ids: tuple[str, ...]) -> None:
        self.activity_ids = activity_ids
        super().__init__(message)


class RunError(CcTuiError):
    """An export run could not start or go on."""


class RunAlreadyActiveError(RunError):
    """The same export is already running (in this process or another)."""

    exit_code = EXIT_USAGE


class ResumeRefusedError(RunError):
    """An interrupted run cannot be resumed because its inputs changed."""

    exit_code = EXIT_USAGE


class StorageFullError(CcTuiError):
    """The disk (or quota) holding the home is full: nothing more could be written.

    A run it stops stays resumable: once space is freed, the resume goes on from the last
    committed checkpoint.
    """

    exit_code = EXIT_RESUMABLE
    retry_can_fix = True

    def __init__(self, path: Path | str) -> None:
        self.path = path
        super().__init__(
            f"The disk is full: cc-tui could not write {path}. Free some space on it "
            "(df -h shows how much is left), then try again."
        )


_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
# Polars re-raises a write error as OSError without errno, the code only in its text.
_DISK_FULL_TEXTS = tuple(
    text
    for code in sorted(_DISK_FULL)
    for text in (f"[Errno {code}]", f"(os error {code})", os.strerror(code))
)


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` says the disk (or the user's quota) is full."""
    if not isinstance(exc, OSError):
        return False
    return exc.errno in _DISK_FULL or (
        exc.errno is None and any(text in str(exc) for text in _DISK_FULL_TEXTS)
    )
