"""What a screen or a widget may ask of the app (:class:`AppHost`), without importing it.

The app imports its screens to show them; a screen that imported the app back (even for a type)
would close an import circle. Screens name this protocol instead, and reach the app through
:func:`host`; ``CcTuiApp`` meets it (mypy checks that where the app is defined).

Screens reach the home only through :attr:`AppHost.client` (the cc-tui service, as this app's
OS user) and the newest :attr:`AppHost.view` it gave: the app opens no store of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.signal import Signal

    from cc_tui.next_steps import NextSteps
    from cc_tui.service.home_client import HomeClient
    from cc_tui.service.protocol import HomeView
    from cc_tui.ui.runs import RunManager

__all__ = ["AppHost", "host"]


class AppHost(Protocol):
    """The app as its screens see it: the back end, the runs, keys and navigation."""

    @property
    def client(self) -> HomeClient:
        """The home's service, as this app's OS user (the one way screens reach the back end)."""

    @property
    def view(self) -> HomeView:
        """The newest view of the home the service gave (connections, exports, runs, settings)."""

    @property
    def view_changed(self) -> Signal[HomeView]:
        """Published when a newer view arrived (screens that show it redraw)."""

    async def fetch_view(self) -> HomeView:
        """Ask the service for the home's view now (after a change), keep it and publish it."""

    def refresh_view(self) -> None:
        """Fetch the home's view in a worker; :attr:`view_changed` says when it came."""

    @property
    def emulator_url(self) -> str | None:
        """Where an emulator this process started listens (``cc-tui demo``), if any."""

    @property
    def runs(self) -> RunManager:
        """Runs started in this session."""

    @property
    def focus_export(self) -> str | None:
        """The export the app was opened on (``cc-tui demo``), if any."""

    @property
    def next_steps(self) -> NextSteps:
        """What to do next, in the app's own actions and keys (for messages shown here)."""

    def key_for(self, binding_id: str) -> str:
        """The key of ``binding_id`` as the footer shows it (config.toml's [keymap] applied)."""

    def show_run(self, export: str, *, starting: bool = False) -> None:
        """Open the run view of ``export``'s latest run (``starting``: of the run just asked
        for)."""

    def show_history(self, export: str | None = None, run_id: str | None = None) -> None:
        """Open the run history (of ``export``, or every run), ``run_id`` highlighted."""


def host(node: DOMNode) -> AppHost:
    """The app ``node`` belongs to, as an :class:`AppHost` (every cc-tui screen runs in one)."""
    return cast("AppHost", node.app)
