"""QR codes: only for addresses a phone can open, and only when the whole code fits."""

from __future__ import annotations

import pytest

from cc_tui.qr import qr_fits, qr_text, reachable_from_a_phone


@pytest.mark.parametrize(
    ("url", "reachable"),
    [
        ("http://127.0.0.1:54321/activate?user_code=ABCD-EFGH", False),
        ("http://localhost:8911/activate", False),
        ("http://[::1]:8911/activate", False),
        ("http://app.localhost/activate", False),
        ("https://login.constantcontact.com/activate?user_code=ABCD-EFGH", True),
        ("http://192.168.1.20:8911/activate", True),
    ],
)
def test_loopback_addresses_get_no_qr_code(url: str, reachable: bool) -> None:
    assert reachable_from_a_phone(url) is reachable


def test_a_qr_code_fits_only_whole() -> None:
    qr = qr_text("https://login.constantcontact.com/activate?user_code=ABCD-EFGH")
    lines = qr.splitlines()
    width, height = max(map(len, lines)), len(lines)
    assert qr_fits(qr, width=width, height=height)
    assert not qr_fits(qr, width=width - 1, height=height)
    assert not qr_fits(qr, width=width, height=height - 1)
    # At 80x24 the code takes more lines than a terminal can spare beside the sign-in text.
    assert height > 24 - 12
