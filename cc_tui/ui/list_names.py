"""The names of an account's contact lists, for the export details.

An export keeps only its lists' ids; their names are the account's, so the service asks
Constant Contact (the same call that fills the export form's list picker) and a worker waits
for the answer, never the event loop. What came back is kept per connection until the home
screen comes back from a form or a sign-in (:meth:`ListNameBook.forget`); when the names could
not be had, why is kept instead, and the details show the ids alone with that reason: never a
name the account did not give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cc_tui.errors import CcTuiError
from cc_tui.service.failure_kinds import kind_of

if TYPE_CHECKING:
    from cc_tui.service.home_client import HomeClient

__all__ = ["NAMES_NOT_ASKED", "ListNameBook", "ListNames", "fetch_list_names"]

NAMES_NOT_ASKED = "the account could not be asked"
"""Why names are not known when the worker asking for them failed or was stopped."""


@dataclass(frozen=True, slots=True)
class ListNames:
    """What a connection's account calls its lists, by id; or why that is not known."""

    names: Mapping[str, str] = field(default_factory=dict)
    unknown: str = ""
    """Why the names are not known ("": they are, and an id missing from them is no list of
    the account's)."""

    def name_of(self, list_id: str) -> str | None:
        """The account's name for ``list_id`` (None: not known, or no such list)."""
        return self.names.get(list_id.lower())


async def fetch_list_names(client: HomeClient, connection: str) -> ListNames:
    """The names of ``connection``'s account's lists, or why they could not be had."""
    try:
        lists = await client.contact_lists(connection)
    except CcTuiError as exc:
        if kind_of(exc).needs_sign_in:
            return ListNames(unknown=f"{connection} is not signed in")
        return ListNames(unknown=NAMES_NOT_ASKED)
    return ListNames({item.list_id.lower(): item.name for item in lists})


class ListNameBook:
    """List names fetched so far, per connection (the home screen's workers fill it)."""

    def __init__(self) -> None:
        self._names: dict[str, ListNames] = {}
        self._asking: set[str] = set()

    def get(self, connection: str) -> ListNames | None:
        """What is known of ``connection``'s lists; None: not asked yet, or being asked."""
        return self._names.get(connection)

    def asking(self, connection: str) -> bool:
        """Mark ``connection`` as being asked; False when it already is (ask once)."""
        if connection in self._asking:
            return False
        self._asking.add(connection)
        return True

    def put(self, connection: str, names: ListNames) -> None:
        """Keep what a worker got."""
        self._asking.discard(connection)
        self._names[connection] = names

    def forget(self) -> None:
        """Ask again when next shown (lists or sign-ins may have changed meanwhile)."""
        self._names.clear()
