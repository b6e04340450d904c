"""The authorization server: device codes, access tokens and refresh-token families.

Behaves like Constant Contact's Okta server as far as the contract knows (RFC 8628 polling
errors, rotating or long-lived refresh tokens). Any client_id is a registered application.
Thread-safe: one lock guards everything.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from cc_tui.emulator.formats import json_number
from cc_tui.emulator.oauth_codes import jwt_like_token, new_user_code, normalize_user_code
from cc_tui.emulator.settings import EmulatorSettings, RefreshTokenMode

__all__ = [
    "KNOWN_SCOPES",
    "AccessGrant",
    "DeviceCode",
    "OAuthError",
    "OAuthServer",
]

KNOWN_SCOPES = frozenset(
    {"contact_data", "campaign_data", "account_read", "account_update", "billing_data"}
    | {"offline_access"}
)
SLOW_DOWN_STEP = 5.0  # RFC 8628: each slow_down adds 5 seconds to the interval
REFRESH_IDLE_LIFETIME = 180 * 86_400  # CC: refresh tokens die after 180 days unused


class OAuthError(Exception):
    """An RFC 6749 error answer: ``{"error": code, "error_description": description}``."""

    def __init__(self, code: str, description: str) -> None:
        self.code = code
        self.description = description
        super().__init__(f"{code}: {description}")


@dataclass(slots=True)
class DeviceCode:
    """One device authorization and where it stands."""

    device_code: str
    user_code: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    interval: float
    status: str = "pending"  # pending, approved, denied, consumed
    last_poll: float | None = None


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """What an access token allows, for whom, until when."""

    client_id: str
    scopes: frozenset[str]
    expires_at: float


@dataclass(slots=True)
class _Family:
    client_id: str
    scopes: tuple[str, ...]
    current: str
    last_used: float
    revoked: bool = False


class OAuthServer:
    """Device flow, token and refresh grants; settings are read at each call."""

    def __init__(
        self, settings: Callable[[], EmulatorSettings], clock: Callable[[], float] = time.time
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._devices: dict[str, DeviceCode] = {}
        self._user_codes: dict[str, str] = {}
        self._access: dict[str, AccessGrant] = {}
        self._families: dict[str, _Family] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> family id

    # -- device flow --------------------------------------------------------------------

    def authorize_device(self, client_id: str, scope: str, verification_uri: str) -> dict[str, Any]:
        """``POST /device/authorize``."""
        scopes = _parse_scopes(client_id, scope)
        settings = self._settings()
        with self._lock:
            user_code = self._new_user_code()
            device = DeviceCode(
                device_code=secrets.token_urlsafe(32),
                user_code=user_code,
                client_id=client_id,
                scopes=scopes,
                expires_at=self._clock() + settings.device_code_lifetime,
                interval=settings.device_poll_interval,
                status="approved" if settings.auto_approve else "pending",
            )
            self._devices[device.device_code] = device
            self._user_codes[user_code] = device.device_code
        return {
            "device_code": device.device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": f"{verification_uri}?user_code={user_code}",
            "expires_in": json_number(settings.device_code_lifetime),
            "interval": json_number(settings.device_poll_interval),
        }

    def _new_user_code(self) -> str:
        while True:
            code = new_user_code()
            if code not in self._user_codes:
                return code

    def find_user_code(self, user_code: str) -> DeviceCode | None:
        """The pending, unexpired device authorization of a user code, or None."""
        with self._lock:
            device = self._device_by_user_code(user_code)
            if device is None or device.status != "pending":
                return None
            return device if device.expires_at > self._clock() else None

    def pending_user_codes(self) -> list[str]:
        """User codes waiting for a person's decision, oldest first."""
        now = self._clock()
        with self._lock:
            return [
                device.user_code
                for device in self._devices.values()
                if device.status == "pending" and device.expires_at > now
            ]

    def decide(self, user_code: str, approve: bool) -> bool:
        """A person approved or denied a user code; False if it is unknown or expired."""
        with self._lock:
            device = self._device_by_user_code(user_code)
            if device is None or device.status != "pending" or device.expires_at <= self._clock():
                return False
            device.status = "approved" if approve else "denied"
            return True

    def _device_by_user_code(self, user_code: str) -> DeviceCode | None:
        device_code = self._user_codes.get(normalize_user_code(user_code))
        return None if device_code is None else self._devices.get(device_code)

    def poll_device(self, client_id: str, device_code: str) -> dict[str, Any]:
        """``POST /token`` with the device-code grant: tokens, or an :class:`OAuthError`."""
        settings = self._settings()
        with self._lock:
            device = self._devices.get(device_code)
            if device is None or device.client_id != client_id or device.status == "consumed":
                raise OAuthError("invalid_grant", "The device code is invalid or was already used.")
            now = self._clock()
            if now >= device.expires_at:
                raise OAuthError("expired_token", "The device code has expired.")
            if device.status == "denied":
                raise OAuthError("access_denied", "The resource owner denied the request.")
            if device.status == "approved":
                device.status = "consumed"
                return self._issue(client_id, device.scopes, None, now)
            too_soon = device.last_poll is not None and now - device.last_poll < device.interval
            device.last_poll = now
            if too_soon:
                device.interval += _slow_down_step(settings)
                raise OAuthError("slow_down", "Polling too fast; wait longer between requests.")
            raise OAuthError("authorization_pending", "The user has not yet approved the request.")

    # -- tokens -------------------------------------------------------------------------

    def refresh(self, client_id: str, refresh_token: str) -> dict[str, Any]:
        """``POST /token`` with the refresh-token grant."""
        with self._lock:
            now = self._clock()
            family_id = self._refresh.get(refresh_token)
            family = None if family_id is None else self._families.get(family_id)
            if family is None or family_id is None or family.client_id != client_id:
                raise OAuthError("invalid_grant", "The refresh token is invalid or expired.")
            if family.revoked or now - family.last_used > REFRESH_IDLE_LIFETIME:
                raise OAuthError("invalid_grant", "The refresh token is invalid or expired.")
            if refresh_token != family.current:
                # Reuse of a rotated-out token: assume it leaked and revoke the whole family.
                family.revoked = True
                raise OAuthError("invalid_grant", "The refresh token is invalid or expired.")
            return self._issue(client_id, family.scopes, family_id, now)

    def _issue(
        self, client_id: str, scopes: tuple[str, ...], family_id: str | None, now: float
    ) -> dict[str, Any]:
        settings = self._settings()
        access_token = jwt_like_token(client_id, scopes, now, settings.token_lifetime)
        self._access[access_token] = AccessGrant(
            client_id, frozenset(scopes), now + settings.token_lifetime
        )
        body: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": json_number(settings.token_lifetime),
            "scope": " ".join(scopes),
        }
        if "offline_access" in scopes:
            body["refresh_token"] = self._next_refresh(client_id, scopes, family_id, now, settings)
        return body

    def _next_refresh(
        self,
        client_id: str,
        scopes: tuple[str, ...],
        family_id: str | None,
        now: float,
        settings: EmulatorSettings,
    ) -> str:
        family = None if family_id is None else self._families.get(family_id)
        if family is None:
            family_id = secrets.token_hex(8)
            token = secrets.token_urlsafe(32)
            self._families[family_id] = _Family(client_id, scopes, token, now)
            self._refresh[token] = family_id
            return token
        family.last_used = now
        if settings.refresh_token_mode == RefreshTokenMode.LONG_LIVED:  # may be a plain str
            return family.current
        token = secrets.token_urlsafe(32)
        family.current = token
        self._refresh[token] = str(family_id)
        return token

    def authenticate(self, access_token: str) -> AccessGrant | None:
        """The grant of a valid, unexpired access token, else None."""
        with self._lock:
            grant = self._access.get(access_token)
            if grant is None or grant.expires_at <= self._clock():
                return None
            return grant

    # -- persistence --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Tokens and refresh families, for the state file (device codes are too short-lived)."""
        with self._lock:
            now = self._clock()
            access = {
                token: {
                    "client_id": grant.client_id,
                    "scopes": sorted(grant.scopes),
                    "expires_at": grant.expires_at,
                }
                for token, grant in self._access.items()
                if grant.expires_at > now
            }
            families = {key: asdict(family) for key, family in self._families.items()}
            return {"access": access, "families": families, "refresh": dict(self._refresh)}

    def load_dict(self, data: Mapping[str, Any]) -> None:
        """Restore what :meth:`to_dict` saved."""
        with self._lock:
            self._access = {
                token: AccessGrant(
                    str(item["client_id"]), frozenset(item["scopes"]), float(item["expires_at"])
                )
                for token, item in data["access"].items()
            }
            self._families = {
                key: _Family(
                    str(item["client_id"]),
                    tuple(item["scopes"]),
                    str(item["current"]),
                    float(item["last_used"]),
                    bool(item["revoked"]),
                )
                for key, item in data["families"].items()
            }
            self._refresh = {str(token): str(family) for token, family in data["refresh"].items()}


def _parse_scopes(client_id: str, scope: str) -> tuple[str, ...]:
    if not client_id:
        raise OAuthError("invalid_client", "client_id is required.")
    scopes = tuple(dict.fromkeys(scope.replace("+", " ").split()))
    if not scopes:
        raise OAuthError("invalid_scope", "The 'scope' parameter must be provided.")
    unknown = [name for name in scopes if name not in KNOWN_SCOPES]
    if unknown:
        raise OAuthError("invalid_scope", f"Unknown scope: {' '.join(unknown)}.")
    return scopes


def _slow_down_step(settings: EmulatorSettings) -> float:
    # Fast test settings (interval under a second) grow by their own interval, not 5 s.
    if settings.device_poll_interval < 1:
        return settings.device_poll_interval
    return SLOW_DOWN_STEP
