"""The strings the authorization server hands out: user codes and JWT-shaped access tokens."""

from __future__ import annotations

import base64
import json
import secrets

__all__ = ["jwt_like_token", "new_user_code", "normalize_user_code"]

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels or look-alikes: no words, no 0/O
USER_CODE_LENGTH = 8
SIGNATURE_BYTES = 256  # RS256-sized signature, so tokens are about as long as CC's
ISSUER = "https://emulator.invalid/oauth2/default"


def normalize_user_code(text: str) -> str:
    """``"bcdf ghjk"`` and ``"BCDFGHJK"`` both become ``"BCDF-GHJK"``."""
    letters = "".join(char for char in text.upper() if char.isalnum())
    half = len(letters) // 2
    return f"{letters[:half]}-{letters[half:]}" if letters else ""


def new_user_code() -> str:
    """A random ``ABCD-EFGH`` code a person can read aloud and type."""
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return normalize_user_code(letters)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_like_token(client_id: str, scopes: tuple[str, ...], now: float, lifetime: float) -> str:
    """An opaque token shaped like CC's JWTs (header.payload.signature, ~1,000 characters)."""
    header = {"kid": "emulator", "alg": "RS256"}
    payload = {
        "ver": 1,
        "jti": "AT." + secrets.token_urlsafe(32),
        "iss": ISSUER,
        "aud": "https://api.cc.email/v3",
        "iat": int(now),
        "exp": int(now + lifetime),
        "cid": client_id,
        "uid": "00u1riverside0utfitters",
        "scp": list(scopes),
        "sub": "owner@riverside-outfitters.example",
        "platform_user_id": "5c0e7a3d-91b2-4c6e-8f10-riverside",
    }
    parts = (json.dumps(header).encode(), json.dumps(payload).encode())
    return ".".join([*(_b64(part) for part in parts), _b64(secrets.token_bytes(SIGNATURE_BYTES))])
