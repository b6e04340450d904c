"""What the account can tell about an export, asked before a run reads any segment.

A real run first checks, in this order: the connection has tokens (else "not signed in yet",
without a request); every target list exists in the account and is not deleted; every mapped
``cf:`` field exists. A problem here is one no retry fixes, so the run does not start: no run
record, no segment read, the error's own exit code (2 for the export or the sign-in, 1 for a
refused scope). The custom fields come back with their type, metadata and choices
(:class:`AccountFacts`, on
:attr:`ResolvedRun.account <cc_tui.engine.resolution.ResolvedRun.account>`) for the checks of
the values that will be sent.

Cost, against the 4 requests a second and the 10,000 a day: one page of the account's lists
(more pages only for an account with more lists than a page holds), one page of custom fields
when a ``cf:`` field is mapped, and one ``GET /contact_lists/{id}`` per target list that is
not in the listing, only on the way to an error (it tells a deleted list from an unknown id
whatever the listing's default status filter is). ``cc-tui export add`` and the export form ask
the same questions through :func:`fetch_account` and word the answers with the same functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from cc_tui.constant_contact.client import ConstantContactClient
from cc_tui.constant_contact.schemas import ContactList, CustomField
from cc_tui.engine.mapping import custom_field_problems
from cc_tui.errors import (
    AccountMismatchError,
    AuthError,
    NotFoundError,
    ScopeMissingError,
    SignInRequiredError,
)
from cc_tui.models.api_rules import CUSTOM_FIELD_PREFIX
from cc_tui.models.config import Export, FieldMapping
from cc_tui.models.connection import TokenSet
from cc_tui.store.secrets import SecretsStore

__all__ = [
    "LISTED_IN_MESSAGE",
    "AccountFacts",
    "account_problems",
    "check_account",
    "describe_lists",
    "fetch_account",
    "list_problems",
    "maps_custom_fields",
    "require_signed_in",
    "required_scope",
    "scope_refusal",
]

LISTED_IN_MESSAGE = 12
"""Lists named in a message before "and N more": enough to find the right one, not a page."""
_FORBIDDEN = 403
# Constant Contact's scopes: /account/* needs account_read, everything else cc-tui calls
# (lists, custom fields, contacts, imports, activities) needs contact_data.
_ACCOUNT_PATH = "/account"
_ACCOUNT_SCOPE = "account_read"
_CONTACT_SCOPE = "contact_data"


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """The account's lists and custom fields, as far as an export needs them.

    ``lists`` holds the account's listing plus any target list fetched by id, by lower-cased
    id; ``missing_lists`` the target ids the account answered 404 for; ``custom_fields`` every
    custom field by name (``None`` when no ``cf:`` field is mapped, so none was fetched);
    ``granted_scope`` the scopes the connection's sign-in was granted, as the token said.
    """

    lists: Mapping[str, ContactList]
    missing_lists: frozenset[str] = frozenset()
    custom_fields: Mapping[str, CustomField] | None = None
    granted_scope: str = ""

    def active_lists(self) -> list[ContactList]:
        """The lists an import may target, in the account's order."""
        return [found for found in self.lists.values() if not found.deleted]

    def custom_field(self, field: str) -> CustomField | None:
        """The account's custom field for ``cf:name`` (or ``name``), if it was fetched."""
        if self.custom_fields is None:
            return None
        return self.custom_fields.get(field.removeprefix(CUSTOM_FIELD_PREFIX))


def require_signed_in(secrets: SecretsStore, connection: str) -> TokenSet:
    """The connection's tokens; raises "not signed in yet" (exit 2) when it has none."""
    tokens = secrets.tokens(connection)
    if tokens is None:
        raise SignInRequiredError.never_signed_in(connection)
    return tokens


async def fetch_account(
    client: ConstantContactClient, list_ids: Iterable[str], *, custom_fields: bool
) -> AccountFacts:
    """Ask the account about ``list_ids`` (and its custom fields when ``custom_fields``)."""
    listing = await client.contact_lists(include_membership_count=False)
    lists = {found.list_id.lower(): found for found in listing}
    missing: set[str] = set()
    for list_id in dict.fromkeys(list_id.lower() for list_id in list_ids):
        known = lists.get(list_id)
        if known is not None:
            continue
        try:
            lists[list_id] = await client.contact_list(list_id)
        except NotFoundError:
            missing.add(list_id)
    fields = None
    if custom_fields:
        fields = {found.name: found for found in await client.custom_fields()}
    return AccountFacts(lists, frozenset(missing), fields)


def describe_lists(lists: Sequence[ContactList], limit: int = LISTED_IN_MESSAGE) -> str:
    """``Name (id), Name (id) and 3 more``, or ``none``."""
    if not lists:
        return "none"
    named = ", ".join(f"{found.name} ({found.list_id})" for found in lists[:limit])
    rest = len(lists) - limit
    return named + (f" and {rest} more" if rest > 0 else "")


def list_problems(list_ids: Iterable[str], facts: AccountFacts) -> list[str]:
    """What is wrong with ``list_ids`` for this account (empty when every list may be used)."""
    unknown: list[str] = []
    deleted: list[ContactList] = []
    for list_id in dict.fromkeys(list_ids):
        found = facts.lists.get(list_id.lower())
        if found is None:
            unknown.append(list_id)
        elif found.deleted:
            deleted.append(found)
    problems = []
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        problems.append(f"The account has no list with ID{plural} {', '.join(unknown)}.")
    for found in deleted:
        when = f" on {found.deleted_at:%Y-%m-%d}" if found.deleted_at else ""
        problems.append(f"List '{found.name}' ({found.list_id}) was deleted{when}.")
    if problems:
        problems.append(f"The account's lists: {describe_lists(facts.active_lists())}.")
    return problems


def account_problems(export: Export, facts: AccountFacts) -> list[str]:
    """Every list and custom field problem of ``export`` against the account."""
    problems = list_problems(export.list_ids, facts)
    if facts.custom_fields is not None:
        problems += custom_field_problems(export.mapping, list(facts.custom_fields))
    return problems


def maps_custom_fields(mapping: FieldMapping) -> bool:
    """True when ``mapping`` sends any ``cf:`` field (its custom fields must be fetched)."""
    return any(field.startswith(CUSTOM_FIELD_PREFIX) for field in mapping.columns())


def required_scope(path: str) -> str:
    """The OAuth scope Constant Contact wants for an API ``path``."""
    return _ACCOUNT_SCOPE if path.startswith(_ACCOUNT_PATH) else _CONTACT_SCOPE


def scope_refusal(error: AuthError, connection: str, granted: str) -> AuthError:
    """A 403 as the scope to grant (``error`` itself for anything else)."""
    if error.status != _FORBIDDEN or isinstance(error, ScopeMissingError):
        return error
    return ScopeMissingError(
        error, connection=connection, scope=required_scope(error.path), granted=granted
    )


async def check_account(
    client: ConstantContactClient, export: Export, *, granted_scope: str
) -> AccountFacts:
    """The account's facts for ``export``; raises when it cannot run against this account.

    :class:`AccountMismatchError` (exit 2) names every unknown or deleted list and unknown
    custom field with what the account has; a 403 becomes :class:`ScopeMissingError` naming
    the scope; sign-in, quota and network errors pass through unchanged.
    """
    connection = client.connection.name
    try:
        facts = await fetch_account(
            client, export.list_ids, custom_fields=maps_custom_fields(export.mapping)
        )
    except AuthError as exc:
        raise scope_refusal(exc, connection, granted_scope) from exc
    facts = replace(facts, granted_scope=granted_scope)
    problems = account_problems(export, facts)
    if problems:
        raise AccountMismatchError(
            f"Export '{export.name}' cannot run against the account of connection '{connection}'",
            problems,
            "Fix the export (cc-tui export add "
            f"{export.name} ... --replace, or edit it in the app) or the account; "
            "nothing was sent.",
        )
    return facts
