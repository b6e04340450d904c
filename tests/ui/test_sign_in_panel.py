"""The sign-in panel shows a QR code only whole, with the URL and code still on screen, and
never for a loopback address (a phone cannot open it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from cc_tui.ui.themes import APP_VARIABLES
from cc_tui.ui.widgets.sign_in_panel import SignInPanel

CODE = "ABCD-EFGH"


@dataclass(frozen=True)
class Code:
    verification_uri: str
    verification_uri_complete: str
    user_code: str
    expires_at: datetime


class PanelApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(APP_VARIABLES)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield SignInPanel(id="panel")


@pytest.mark.parametrize(
    ("size", "base", "qr"),
    [
        ((80, 24), "https://login.constantcontact.example", False),
        ((200, 60), "https://login.constantcontact.example", True),
        ((200, 60), "http://127.0.0.1:8911", False),
    ],
)
async def test_qr_code_only_when_it_fits_and_can_be_used(
    size: tuple[int, int], base: str, qr: bool
) -> None:
    app = PanelApp()
    async with app.run_test(size=size) as pilot:
        panel = app.query_one(SignInPanel)
        panel.start()
        url = f"{base}/activate"
        panel.show_code(
            Code(url, f"{url}?user_code={CODE}", CODE, datetime.now(UTC) + timedelta(minutes=9))
        )
        await pilot.pause()
        assert panel.shows_qr is qr
        assert url in str(panel.query_one("#sign-in-url", Static).content)
        code_box = panel.query_one("#sign-in-user-code", Static)
        assert app.screen.region.contains_region(code_box.region)
