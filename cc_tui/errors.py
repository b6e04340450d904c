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
    ├── ConstantContactError        anything the Constant Contact API said or did   (exit 1)
    │   ├── ApiError                an HTTP error answer, parsed from either body shape
    │   │   ├── NotFoundError       404
    │   │   ├── BadRequestError     400 / 415 / 409: the request itself is wrong
    │   │   ├── ThrottledError      429 throttled (the client retries these itself)
    │   │   ├── QuotaExceededError  429 quota_exceeded: stop until the daily reset (exit 3)
    │   │   ├── ServerError         5xx after the retries ran out
    │   │   └── AuthError           401 / 403 after a refresh
    │   ├── SignInRequiredError     no tokens, or the refresh token is dead (invalid_grant)
    │   ├── DeviceFlowError         the device sign-in was denied, expired or cancelled
    │   ├── TransportError          connection errors and timeouts after the retries
    │   ├── OutcomeUnknownError     a request that changes something got no clear answer (exit 3)
    │   └── ActivityDeadlineError   an import activity did not finish in time       (exit 3)
    └── RunError                    an export run could not go on
        ├── RunAlreadyActiveError   another process runs the same export
        ├── ResumeRefusedError      an input changed since the interrupted run began
        └── RunInterruptedError     stopped, but resumable                         (exit 3)

Messages say what happened and what to do next; they never contain tokens.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

__all__ = [
    "AccessDeniedError",
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
    "NotFoundError",
    "OutcomeUnknownError",
    "QuotaExceededError",
    "ResumeRefusedError",
    "RunAlreadyActiveError",
    "RunError",
    "RunInterruptedError",
    "SecretsPermissionError",
    "ServerError",
    "SignInRequiredError",
    "ThrottledError",
    "TransportError",
    "UsageError",
]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_RESUMABLE = 3


class CcTuiError(Exception):
    """Base of every deliberate cc-tui error; ``str()`` is meant for the person at the keyboard."""

    exit_code: int = EXIT_FAILED


class UsageError(CcTuiError):
    """The command line asked for something that cannot be done as written."""

    exit_code = EXIT_USAGE


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


class AccessDeniedError(CcTuiError):
    """The OS user's role does not allow this action."""

    exit_code = EXIT_USAGE


class InsecureUrlError(CcTuiError):
    """A base URL would send tokens or customer data over plain http to a remote host."""

    exit_code = EXIT_USAGE


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


class QuotaExceededError(ApiError):
    """429 ``quota_exceeded``: the daily request quota is spent until ``resets_at`` (00:00 UTC)."""

    exit_code = EXIT_RESUMABLE

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


class AuthError(ApiError):
    """401 or 403 that a token refresh did not cure (missing scope, deactivated app...)."""


class SignInRequiredError(ConstantContactError):
    """The connection has no usable tokens: sign in again with ``cc-tui connection login``."""

    def __init__(self, connection: str, reason: str) -> None:
        self.connection = connection
        self.reason = reason
        super().__init__(
            f"Connection '{connection}' must sign in again ({reason}). "
            f"Run: cc-tui connection login {connection}"
        )


class DeviceFlowError(ConstantContactError):
    """The device sign-in ended without tokens: ``code`` is access_denied, expired_token..."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class TransportError(ConstantContactError):
    """Connection refused or dropped, or timed out, on every retry."""


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


class RunInterruptedError(RunError):
    """The run stopped before the end but can be resumed with ``cc-tui run NAME``."""

    exit_code = EXIT_RESUMABLE
