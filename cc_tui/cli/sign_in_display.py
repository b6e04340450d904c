"""What ``cc-tui connection login`` shows while the device flow waits for approval."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from cc_tui.cli.output import Output, Visible, styled
from cc_tui.qr import qr_fits, qr_text, reachable_from_a_phone
from cc_tui.units import utc_time_text

if TYPE_CHECKING:  # the sign-in's client (httpx) is loaded by the command that signs in
    from cc_tui.constant_contact.auth import DeviceAuthorization, DeviceFlowStatus

__all__ = ["SignInDisplay"]

# Lines kept free around the QR code: the panel's border and text lines, the countdown line
# and the prompt, so the URL and the code stay on a 24-line terminal.
QR_RESERVED_LINES = 10
PANEL_CHROME_COLUMNS = 4  # a panel's two borders and their padding


class SignInDisplay:
    """URL, code, QR code and a live countdown while the device flow waits."""

    def __init__(self, out: Output) -> None:
        self._out = out
        self._authz: DeviceAuthorization | None = None
        self._state = "waiting for approval"
        self._live: Live | None = None

    def show_code(self, authz: DeviceAuthorization) -> None:
        """Show where to sign in and the code; on a terminal, a QR code and a live countdown."""
        self._authz = authz
        # The URL and the code come from the server: shown as plain, visible text.
        lines = [
            styled("Open ", (authz.verification_uri, "bold underline"), " in a browser"),
            styled("and enter the code ", (authz.user_code, "bold cyan")),
            styled("or open ", (authz.verification_uri_complete, "underline")),
        ]
        if not self._out.interactive:
            for line in lines:
                self._out.note(line.plain)
            self._out.note(
                f"Waiting for approval (the code expires at {utc_time_text(authz.expires_at)})..."
            )
            return
        parts: list[RenderableType] = [*lines]
        qr = self._qr(authz.verification_uri_complete)
        if qr:
            parts += [Text("or scan:"), Text(qr, no_wrap=True)]
        self._out.errors.print(
            Panel(Group(*parts), title="Sign in to Constant Contact", expand=False)
        )
        self._live = Live(
            Visible(self), console=self._out.errors, refresh_per_second=2, transient=True
        )
        self._live.start()

    def _qr(self, url: str) -> str:
        """The QR code of ``url`` when a phone can open it and it fits the terminal, else ""."""
        if not reachable_from_a_phone(url):
            return ""
        qr = qr_text(url)
        size = self._out.errors.size
        fits = qr_fits(
            qr,
            width=size.width - PANEL_CHROME_COLUMNS,
            height=size.height - QR_RESERVED_LINES,
        )
        return qr if fits else ""

    def update(self, status: DeviceFlowStatus) -> None:
        """Show the latest state of the device flow in the countdown line."""
        self._state = {
            "pending": "waiting for approval",
            "slow_down": "waiting (slowing down)",
            "approved": "approved",
        }.get(status.state, status.state)

    def stop(self) -> None:
        """Remove the countdown line (safe to call when it never started)."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __rich__(self) -> Text:
        if self._authz is None:
            return Text("")
        left = max(0, int((self._authz.expires_at - datetime.now(UTC)).total_seconds()))
        return Text(
            f"⏳ {self._state} — code expires in {left // 60}:{left % 60:02d} (Ctrl-C cancels)"
        )
