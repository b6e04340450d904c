"""QR codes drawn with half-block characters, for the device-flow URL in a terminal.

A QR code is only worth its room when a phone can open the address (not a loopback one such
as the emulator's) and the whole code fits on screen: a cut code scans as nothing and pushes
the user code, which the person needs, off a 24-line terminal. Callers ask :func:`qr_fits`.
"""

from __future__ import annotations

import io
import ipaddress
from urllib.parse import urlsplit

import qrcode

__all__ = ["qr_fits", "qr_text", "reachable_from_a_phone"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def qr_text(data: str) -> str:
    """A QR code of ``data`` that a phone can scan from the terminal (two rows per line)."""
    code = qrcode.QRCode(border=1)
    code.add_data(data)
    buffer = io.StringIO()
    code.print_ascii(out=buffer, invert=True)
    return buffer.getvalue().rstrip("\n")


def reachable_from_a_phone(url: str) -> bool:
    """False for addresses only this machine can open (loopback names and IPs)."""
    host = (urlsplit(url).hostname or "").lower()
    if not host or host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: assume it is reachable
        return True


def qr_fits(qr: str, *, width: int, height: int) -> bool:
    """True when every line of ``qr`` fits in ``width`` columns and ``height`` lines."""
    lines = qr.splitlines()
    return len(lines) <= height and max((len(line) for line in lines), default=0) <= width
