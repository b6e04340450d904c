"""Which :class:`~cc_tui.service.protocol.FailureKind` an error is, on both sides of the socket.

The service names the kind of every refusal it sends (from the error's class, which stays in
the service); a face reads it back from :class:`~cc_tui.service.client.RemoteError` and places
the refusal by it, never by its words. Errors a face raises itself (no service could be
reached, say) are named the same way, so a face asks one question whichever side refused.
"""

from __future__ import annotations

from cc_tui.errors import (
    AccessDeniedError,
    AccountMismatchError,
    AuthError,
    CcTuiError,
    ConfigError,
    ConsentRequiredError,
    ConstantContactError,
    InputError,
    InsecureUrlError,
    NameTakenError,
    NotFoundError,
    QuotaExceededError,
    QuotaSpillError,
    ResumeRefusedError,
    RunAlreadyActiveError,
    SignInRequiredError,
    StorageFullError,
    UnknownNameError,
    UsageError,
)
from cc_tui.service.client import RemoteError
from cc_tui.service.frames import ProtocolError
from cc_tui.service.protocol import Failure, FailureKind

__all__ = ["failure_of", "kind_of"]

# By class; an error takes the kind of the nearest class in its MRO that is named here, so a
# subclass (NameTakenError of UsageError) is named before its base.
_KINDS: dict[type[BaseException], FailureKind] = {
    UsageError: FailureKind.USAGE,
    UnknownNameError: FailureKind.NOT_FOUND,
    NotFoundError: FailureKind.NOT_FOUND,
    NameTakenError: FailureKind.CONFLICT,
    InputError: FailureKind.INPUT,
    ConfigError: FailureKind.CONFIG,
    AccessDeniedError: FailureKind.ACCESS_DENIED,
    ConsentRequiredError: FailureKind.CONSENT,
    InsecureUrlError: FailureKind.INSECURE_URL,
    SignInRequiredError: FailureKind.SIGN_IN,
    AuthError: FailureKind.AUTH,
    AccountMismatchError: FailureKind.ACCOUNT_MISMATCH,
    QuotaExceededError: FailureKind.QUOTA,
    QuotaSpillError: FailureKind.QUOTA_SPILL,
    RunAlreadyActiveError: FailureKind.RUN_ACTIVE,
    ResumeRefusedError: FailureKind.RESUME_REFUSED,
    StorageFullError: FailureKind.STORAGE_FULL,
    ConstantContactError: FailureKind.API,
    ProtocolError: FailureKind.PROTOCOL,
}


def kind_of(exc: BaseException) -> FailureKind:
    """The kind of ``exc``: the one the service sent for a :class:`RemoteError`, else its class's
    (:attr:`FailureKind.ERROR` for an error no kind names)."""
    if isinstance(exc, RemoteError):
        return exc.kind
    if isinstance(exc, SignInRequiredError) and exc.reason == exc.NEVER_SIGNED_IN:
        return FailureKind.NEVER_SIGNED_IN
    for cls in type(exc).__mro__:
        kind = _KINDS.get(cls)
        if kind is not None:
            return kind
    return FailureKind.ERROR


def failure_of(exc: CcTuiError, *, message: str | None = None) -> Failure:
    """The ``error`` answer for ``exc``: its words (or ``message``), exit code and kind, and the
    plan's words about the quota when it is a run today's quota cannot hold."""
    return Failure(
        message=str(exc) if message is None else message,
        exit_code=exc.exit_code,
        quota=exc.sentence if isinstance(exc, QuotaSpillError) else None,
        kind=kind_of(exc),
    )
