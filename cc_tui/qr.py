"""QR codes drawn with half-block characters, for the device-flow URL in a terminal."""

from __future__ import annotations

import io

import qrcode

__all__ = ["qr_text"]


def qr_text(data: str) -> str:
    """A QR code of ``data`` that a phone can scan from the terminal (two rows per line)."""
    code = qrcode.QRCode(border=1)
    code.add_data(data)
    buffer = io.StringIO()
    code.print_ascii(out=buffer, invert=True)
    return buffer.getvalue().rstrip("\n")
