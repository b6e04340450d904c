"""``cc-tui connection login`` on a terminal: the URL and the code always show in 80 columns;
a QR code only when a phone can open the address and the whole code fits."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from cc_tui.cli.output import Output
from cc_tui.cli.sign_in_display import SignInDisplay
from cc_tui.constant_contact.auth import DeviceAuthorization

CODE = "ABCD-EFGH"
VALID_FOR = timedelta(minutes=10)
QR_BLOCKS = ("█", "▀", "▄")


class Terminal(Output):
    """An Output whose person sits at a terminal of a given size."""

    def __init__(self, width: int, height: int) -> None:
        self.stream = io.StringIO()
        super().__init__(io.StringIO(), self.stream)
        self.errors.size = (width, height)

    @property
    def interactive(self) -> bool:
        return True


def _authorization(base: str) -> DeviceAuthorization:
    return DeviceAuthorization(
        device_code="device-secret",
        user_code=CODE,
        verification_uri=f"{base}/activate",
        verification_uri_complete=f"{base}/activate?user_code={CODE}",
        expires_at=datetime.now(UTC) + VALID_FOR,
        interval=1.0,
    )


def _shown(width: int, height: int, base: str) -> str:
    terminal = Terminal(width, height)
    display = SignInDisplay(terminal)
    display.show_code(_authorization(base))
    display.stop()
    return terminal.stream.getvalue()


@pytest.mark.parametrize(
    ("width", "height", "base", "qr"),
    [
        (80, 24, "http://127.0.0.1:8911", False),  # loopback: no phone can open it
        (200, 60, "http://127.0.0.1:8911", False),
        (80, 24, "https://login.constantcontact.example", False),  # would not fit
        (200, 60, "https://login.constantcontact.example", True),
    ],
)
def test_url_and_code_always_show_qr_only_when_useful(
    width: int, height: int, base: str, qr: bool
) -> None:
    text = _shown(width, height, base)
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines)
    assert f"{base}/activate" in text
    assert any(CODE in line for line in lines)
    assert any(block in text for block in QR_BLOCKS) is qr
