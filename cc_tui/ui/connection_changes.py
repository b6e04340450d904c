"""What the connection form changes: checks before a save, the save itself, and where a
refusal belongs.

Kept apart from the screen so the screen stays about flow; the field keys are those of
:class:`~cc_tui.ui.widgets.connection_fields.ConnectionFields` ("" = the form's status line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cc_tui.errors import CcTuiError, ConfigError
from cc_tui.models.connection import Connection, url_is_secure_enough
from cc_tui.run_words import counted, noun
from cc_tui.service.failure_kinds import kind_of
from cc_tui.service.protocol import FailureKind
from cc_tui.store.config_reader import validate_name
from cc_tui.ui.widgets.connection_fields import ConnectionValues
from cc_tui.units import local_time_text

if TYPE_CHECKING:
    from cc_tui.engine.connections import ConnectionCheck
    from cc_tui.models.connection import ConnectionStatus
    from cc_tui.service.home_client import HomeClient

__all__ = [
    "CONSENT_BEFORE_SIGN_IN",
    "describe_check",
    "describe_status",
    "form_problems",
    "problem_of",
    "removal_question",
    "save_connection",
]

CONSENT_BEFORE_SIGN_IN = (
    "Accept the data-privacy statement before signing in: customer data will be sent to "
    "Constant Contact."
)
_CONSENT_TO_SAVE = (
    "Tick the box to accept the statement: a connection sends customer data to Constant "
    "Contact, so consent is required to save it."
)
_URL_NAMES = {"api_base_url": "API base URL", "auth_base_url": "auth base URL"}
_EDITABLE = ("display_name", "usable_by", "client_id", "api_base_url", "auth_base_url")
_NAME_RULE = "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"


def form_problems(
    values: ConnectionValues, *, new: bool, for_sign_in: bool = False
) -> dict[str, str]:
    """What stops the form from being saved (or signed in), by field key.

    Checked before any service call; consent is needed to save a new connection and to sign
    any connection in.
    """
    problems: dict[str, str] = {}
    if new:
        try:
            validate_name("connection", values.name)
        except ConfigError as exc:
            problems["name"] = (
                f"{exc.problem}: use {_NAME_RULE}."
                if values.name
                else f"Give the connection a name: {_NAME_RULE}."
            )
    if not values.client_id:
        problems["client_id"] = "Give the API key (client ID) of your Constant Contact application."
    if not values.privacy_accepted and (new or for_sign_in):
        problems["privacy"] = _CONSENT_TO_SAVE if new else CONSENT_BEFORE_SIGN_IN
    for key, url in _urls(values):
        if not url_is_secure_enough(url):
            what = _URL_NAMES[key]
            problems[key] = (
                f"The {what} '{url}' is not allowed: use https:// (plain http:// "
                "only for a loopback host such as the local emulator)."
            )
    return problems


async def save_connection(
    client: HomeClient, current: Connection | None, values: ConnectionValues
) -> Connection:
    """Add the connection (``current`` is None) or apply what changed; returns it as stored.

    The service does it, as this app's OS user (administrators only; refusals are audited).
    Editing passes only the fields that changed (the audit log lists them), and records
    consent when the box was ticked for a connection that had none.
    """
    from cc_tui.service.protocol import ConnectionEdit

    if current is None:
        return await client.add_connection(
            values.name,
            client_id=values.client_id,
            display_name=values.display_name or None,
            usable_by=values.usable_by,
            api_base_url=values.api_base_url,
            auth_base_url=values.auth_base_url,
            accept_privacy=values.privacy_accepted,
        )
    wanted = {key: getattr(values, key) for key in _EDITABLE}
    wanted["display_name"] = values.display_name or current.name
    changes = {key: value for key, value in wanted.items() if getattr(current, key) != value}
    conn = (
        await client.edit_connection(current.name, ConnectionEdit(name=current.name, **changes))
        if changes
        else current
    )
    if values.privacy_accepted and conn.consent is None:
        conn = await client.accept_privacy(conn.name)
    return conn


def problem_of(exc: CcTuiError, values: ConnectionValues) -> dict[str, str]:
    """Put a service's refusal of ``values`` next to the field it concerns, by its kind.

    The service names each refusal's kind (the error's class stays in the service); a kind
    no field owns goes on the status line. :func:`form_problems` has already checked what
    it can, so these are refusals only the service could make (a name taken meanwhile, say).
    """
    kind = kind_of(exc)
    key = _FIELD_OF_KIND.get(kind, "")
    if kind is FailureKind.INSECURE_URL:  # beside the URL the rule refuses, if one is
        key = next((key for key, url in _urls(values) if not url_is_secure_enough(url)), "")
    return {key: str(exc)}


_FIELD_OF_KIND = {
    FailureKind.CONSENT: "privacy",
    FailureKind.CONFLICT: "name",
}


def _urls(values: ConnectionValues) -> tuple[tuple[str, str], ...]:
    return (("api_base_url", values.api_base_url), ("auth_base_url", values.auth_base_url))


def removal_question(name: str, users: list[str]) -> tuple[str, str]:
    """The question to ask before removing ``name``, and the label of its yes button."""
    if not users:
        return f"Remove connection '{name}' and its stored sign-in?", "Remove"
    return (
        f"Connection '{name}' is used by the {noun(len(users), 'export')} {', '.join(users)}. "
        f"Detach {noun(len(users), 'it', 'them')} and "
        "remove the connection? Detached exports cannot run until they are given another "
        "connection.",
        "Detach and remove",
    )


def describe_status(status: ConnectionStatus, *, sign_in_key: str) -> str:
    """Whether the connection is signed in, and until when its access token is valid.

    ``sign_in_key`` is the form's sign-in key as the footer shows it (the hint names it).
    """
    if not status.signed_in:
        return f"Not signed in yet: press {sign_in_key} (or the Sign in button) to sign in."
    return f"Signed in; the access token is valid until {local_time_text(status.token_expires_at)}."


def describe_check(check: ConnectionCheck) -> str:
    """What reaching the account found: organisation, lists, token expiry."""
    organisation = check.account.organization_name or "(no organisation name)"
    return (
        f"Organisation: {organisation}; {counted(check.lists, 'contact list')}; access token "
        "valid until "
        f"{local_time_text(check.token_expires_at)}."
    )
