"""The Constant Contact V3 API: async client, OAuth device flow, rate limiter, schemas.

Nothing here imports the emulator or the engine; the emulator is only ever a URL.
"""

from __future__ import annotations

from cc_tui.constant_contact.auth import (
    DeviceAuthorization,
    DeviceFlow,
    DeviceFlowStatus,
    refresh_tokens,
)
from cc_tui.constant_contact.client import ConstantContactClient, connection_key
from cc_tui.constant_contact.limiter import RateLimiter, limiter_for
from cc_tui.constant_contact.retry import ClientStats, RetryPolicy
from cc_tui.constant_contact.schemas import (
    AccountSummary,
    Activity,
    ActivityStatus,
    Contact,
    ContactList,
    CustomField,
    is_uuid,
)
from cc_tui.constant_contact.tokens import TokenStore

__all__ = [
    "AccountSummary",
    "Activity",
    "ActivityStatus",
    "ClientStats",
    "ConstantContactClient",
    "Contact",
    "ContactList",
    "CustomField",
    "DeviceAuthorization",
    "DeviceFlow",
    "DeviceFlowStatus",
    "RateLimiter",
    "RetryPolicy",
    "TokenStore",
    "connection_key",
    "is_uuid",
    "limiter_for",
    "refresh_tokens",
]
