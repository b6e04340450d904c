"""Storage connections: the Azure storage accounts remote segments come from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["STORAGE_AUTH_SECRETS", "StorageAuth", "StorageConnection"]


class StorageAuth(StrEnum):
    """How cc-tui signs its requests to a storage account."""

    ACCOUNT_KEY = "account-key"
    SAS_TOKEN = "sas-token"
    CONNECTION_STRING = "connection-string"
    ENVIRONMENT = "environment"
    """Azure's standard chain: ``AZURE_*`` environment variables, workload or managed identity,
    the Azure CLI's sign-in. Nothing is stored."""


STORAGE_AUTH_SECRETS = frozenset(
    {StorageAuth.ACCOUNT_KEY, StorageAuth.SAS_TOKEN, StorageAuth.CONNECTION_STRING}
)
"""The kinds of credential that are a secret kept in secrets.toml."""


@dataclass(frozen=True, slots=True)
class StorageConnection:
    """A storage account as ``[storage.NAME]`` holds it; its secret is in secrets.toml.

    ``endpoint`` replaces ``https://<account>.blob.core.windows.net`` (a sovereign cloud, or
    Azurite at ``http://127.0.0.1:10000/devstoreaccount1``: plain http only to loopback).
    """

    name: str
    account: str
    auth: StorageAuth
    endpoint: str | None = None
