"""Reading remote segments: the file-system calls of :class:`~cc_tui.remote_paths.RemotePath`.

:class:`StorageBackend` is what a remote path's ``stat``, ``iterdir`` and ``open`` call
(installed at import): it reaches the path's account through the storage connection
:mod:`cc_tui.engine.segments.storage_accounts` finds for it, and talks to the account with
``obstore`` (object_store, the Rust crate Polars reads cloud data with): a HEAD for a blob's
size, time and ETag, a delimited listing for a folder, ranged GETs as a reader reads. The rows
themselves are read by Polars' own cloud readers: :func:`polars_sources` gives them the
``az://`` URLs and the ``storage_options`` of the account.

Faults: object_store retries 5xx (throttling 503 included), timeouts and dropped connections
with backoff (``storage_accounts.RETRY``); what is left is turned into a
:class:`StorageAccessError` (exit 2: credentials, permissions, a bad request: a retry cannot
fix it) or a :class:`StorageUnavailableError` (exit 3: the account could not be reached; a run
it stops stays resumable), each naming the account, container and path, never a traceback and
never a secret. A missing blob is a ``FileNotFoundError`` like a missing local file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import re
import stat
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import obstore
from obstore.exceptions import (
    BaseError,
    NotFoundError,
    PermissionDeniedError,
    UnauthenticatedError,
)
from obstore.store import AzureStore

from cc_tui.engine.segments.storage_accounts import (
    StorageAccessError,
    StorageUnavailableError,
    account_access,
    account_settings,
    container_store,
    describe_location,
    store_for,
)
from cc_tui.errors import CcTuiError, InputError
from cc_tui.models.storage import StorageConnection
from cc_tui.remote_paths import RemotePath, use_remote_backend

__all__ = [
    "BlobInfo",
    "StorageBackend",
    "blob_info",
    "is_remote",
    "list_container",
    "polars_sources",
    "remote_read_errors",
    "storage_failure",
]

# Readers fetch ranges that start small (a check that a blob is readable, the start of a file
# for its format: one small request) and double up to _READ_BLOCK while a stream goes on.
_FIRST_BLOCK = 64 * 1024
_READ_BLOCK = 4 * 1024 * 1024
# Stats learnt from a listing serve the stats discovery asks right after (each part file of a
# folder): no HEAD per file. Fingerprints never use them (see blob_info).
_LISTING_STAT_SECONDS = 5.0
# st_ino of remote paths: a hash, so walk_files tells files apart as it does on disk.
_INO_BITS = 62
_FILE_MODE = stat.S_IFREG | 0o400
_DIR_MODE = stat.S_IFDIR | 0o500
# Texts of object_store errors that mean "the account could not be reached" (after retries).
_UNREACHABLE = re.compile(
    r"connect|timed out|timeout|dns|reset|broken pipe|closed|error sending request|"
    r"incomplete|unexpected eof|\b5\d\d\b|server busy|throttl",
    re.IGNORECASE,
)
_DENIED = re.compile(r"\b40[13]\b|authoriz|authenticat|forbidden|signature", re.IGNORECASE)
_QUERY = re.compile(r"\?[^\s\"'<>]*")


@dataclass(frozen=True, slots=True)
class BlobInfo:
    """A blob as a HEAD sees it now: size, ETag and time (for fingerprints)."""

    size: int
    etag: str
    mtime_ns: int


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    line = line.split("; note:", 1)[0]  # Polars' hint about Azure CLI keys: not ours to give
    return _QUERY.sub("", line)  # a SAS token rides in the query: never show it


def _storage_error(path: RemotePath, exc: BaseException) -> Exception:
    """What an object_store error on ``path`` means for the person at the keyboard."""
    return _error_at(describe_location(path), exc)


def storage_failure(path: RemotePath, exc: BaseException, text: str) -> Exception:
    """What a storage failure on ``path`` means, told from ``text`` (the whole error on one
    line, without secrets: delta-rs puts the status of the request on a later line)."""
    return _error_at(describe_location(path), exc, text)


def _error_at(where: str, exc: BaseException, text: str | None = None) -> Exception:
    text = _first_line(exc) if text is None else text
    if isinstance(exc, NotFoundError | FileNotFoundError):
        return FileNotFoundError(
            errno.ENOENT, f"not found in storage ({text})", f"{where}: does not exist (missing)"
        )
    denied = isinstance(exc, PermissionDeniedError | UnauthenticatedError)
    if not denied and (
        isinstance(exc, ConnectionError | TimeoutError) or _UNREACHABLE.search(text)
    ):
        return StorageUnavailableError(
            f"{where}: the storage account could not be reached after retries ({text}). "
            "Fix: check the network and the account's status, then run again (a run resumes)"
        )
    if denied or _DENIED.search(text):
        return StorageAccessError(
            f"{where}: the storage account refused access ({text}). Fix: check the storage "
            "connection's credentials and their permissions on the container (cc-tui storage "
            "test NAME)"
        )
    return StorageAccessError(f"{where}: storage answered with an error ({text})")


@contextlib.contextmanager
def _translated(path: RemotePath) -> Iterator[None]:
    try:
        yield
    except (BaseError, OSError) as exc:
        if isinstance(exc, CcTuiError):
            raise
        raise _storage_error(path, exc) from None


def _ino(path: RemotePath) -> int:
    digest = hashlib.sha256(str(path).encode()).digest()
    return int.from_bytes(digest[:8], "big") & ((1 << _INO_BITS) - 1)


def _file_stat(path: RemotePath, size: int, mtime_ns: int) -> os.stat_result:
    seconds = mtime_ns / 1e9
    return os.stat_result(
        (_FILE_MODE, _ino(path), 0, 1, os.getuid(), os.getgid(), size)
        + (int(seconds),) * 3
        + (seconds,) * 3
        + (mtime_ns,) * 3
    )


def _dir_stat(path: RemotePath) -> os.stat_result:
    return os.stat_result(
        (_DIR_MODE, _ino(path), 0, 1, os.getuid(), os.getgid(), 0)
        + (0,) * 3
        + (0.0,) * 3
        + (0,) * 3
    )


def _meta_ns(meta: Mapping[str, Any]) -> int:
    return int(meta["last_modified"].timestamp() * 1e9)


def blob_info(path: RemotePath) -> BlobInfo:
    """The blob's size, ETag and time, asked now (never from a listing): for fingerprints."""
    store, key = store_for(path)
    with _translated(path):
        meta = obstore.head(store, key)
    return BlobInfo(int(meta["size"]), str(meta.get("e_tag") or "").strip('"'), _meta_ns(meta))


def list_container(
    connection: StorageConnection, secret: str | None, container: str, limit: int
) -> list[str]:
    """Up to ``limit`` names at the top of ``container``, reached through ``connection`` (for
    ``cc-tui storage test``): StorageAccessError / StorageUnavailableError when it cannot be."""
    store = container_store(connection, secret, container)
    try:
        listing = obstore.list_with_delimiter(store, None)
    except (BaseError, OSError) as exc:
        where = (
            f"storage connection '{connection.name}' (account '{connection.account}', "
            f"container '{container}')"
        )
        error = _error_at(where, exc)
        if isinstance(error, FileNotFoundError):
            raise StorageAccessError(
                f"{where}: the container does not exist ({_first_line(exc)}). Fix: check its "
                "name (lower-case letters, digits and hyphens)"
            ) from None
        raise error from None
    names = [f"{p.rstrip('/').rsplit('/', 1)[-1]}/" for p in listing["common_prefixes"]]
    names += [meta["path"].rsplit("/", 1)[-1] for meta in listing["objects"]]
    return sorted(names)[:limit]


class _BlobReader(io.RawIOBase):
    """A seekable reader of one blob that fetches ``_READ_BLOCK`` ranges as it is read."""

    def __init__(self, path: RemotePath, store: AzureStore, key: str, size: int) -> None:
        super().__init__()
        self.path = path
        self.store = store
        self.key = key
        self.size = size
        self.position = 0
        self.block = _FIRST_BLOCK

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.position >= self.size:
            return 0
        length = min(len(buffer), self.block, self.size - self.position)
        self.block = min(self.block * 2, _READ_BLOCK)
        with _translated(self.path):
            data = obstore.get_range(self.store, self.key, start=self.position, length=length)
        view = memoryview(data)
        count = len(view)
        buffer[:count] = view
        self.position += count
        return count


class StorageBackend:
    """File-system calls of remote paths, served by the storage account (see the module)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listed: dict[str, tuple[float, os.stat_result]] = {}

    def stat(self, path: RemotePath) -> os.stat_result:
        """The blob (a regular file), else the prefix holding blobs (a folder)."""
        with self._lock:
            cached = self._listed.get(str(path))
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        store, key = store_for(path)
        if key:
            with contextlib.suppress(FileNotFoundError), _translated(path):
                meta = obstore.head(store, key)
                # A Data Lake Gen2 folder is a 0-byte blob too: its children decide.
                if int(meta["size"]) > 0 or not self._has_children(path, store, key):
                    return _file_stat(path, int(meta["size"]), _meta_ns(meta))
        if not key or self._has_children(path, store, key):
            return _dir_stat(path)
        raise _storage_error(path, FileNotFoundError(errno.ENOENT, "no blob and no folder"))

    def _has_children(self, path: RemotePath, store: AzureStore, key: str) -> bool:
        with _translated(path):
            listing = obstore.list_with_delimiter(store, f"{key.rstrip('/')}/")
        return bool(listing["common_prefixes"] or listing["objects"])

    def list_dir(self, path: RemotePath) -> list[RemotePath]:
        """The blobs and prefixes directly under ``path``, by name."""
        store, key = store_for(path)
        prefix = f"{key.rstrip('/')}/" if key else None
        with _translated(path):
            listing = obstore.list_with_delimiter(store, prefix)
        children: dict[str, RemotePath] = {}
        for folder in listing["common_prefixes"]:
            name = folder.rstrip("/").rsplit("/", 1)[-1]
            children[name] = path / name
        expires = time.monotonic() + _LISTING_STAT_SECONDS
        with self._lock:
            for meta in listing["objects"]:
                name = str(meta["path"]).rsplit("/", 1)[-1]
                if not name or meta["path"].rstrip("/") == key.rstrip("/") or name in children:
                    continue  # the folder's own marker blob (Data Lake Gen2)
                child = path / name
                children[name] = child
                self._listed[str(child)] = (
                    expires,
                    _file_stat(child, int(meta["size"]), _meta_ns(meta)),
                )
        return [children[name] for name in sorted(children)]

    def open(self, path: RemotePath) -> BinaryIO:
        """A buffered, seekable reader of the blob (ranged GETs)."""
        store, key = store_for(path)
        with _translated(path):
            meta = obstore.head(store, key)
        raw = _BlobReader(path, store, key, int(meta["size"]))
        return io.BufferedReader(raw, buffer_size=_READ_BLOCK)


def is_remote(path: Path) -> bool:
    """True for a remote location."""
    return isinstance(path, RemotePath)


def polars_sources(files: Sequence[Path]) -> tuple[list[Any], dict[str, Any]]:
    """``files`` as Polars reads them, and the keyword arguments its cloud readers need.

    Local files are returned as they are, with no arguments. Remote ones become
    ``az://<container>/<path>`` URLs with the account's ``storage_options`` (which hold the
    secret: pass them to Polars, never print them); they must all be in one account.
    """
    remote = [path for path in files if isinstance(path, RemotePath)]
    if not remote:
        return list(files), {}
    if len(remote) != len(files):
        raise InputError(f"{files[0]}: a segment cannot mix local files and storage blobs")
    accesses = {account_access(path.location, path).account for path in remote}
    if len(accesses) > 1:
        raise InputError(
            f"{remote[0]}: the segment's files are in several storage accounts "
            f"({', '.join(sorted(accesses))}); cc-tui reads a segment from one account"
        )
    first = remote[0]
    settings = account_settings(account_access(first.location, first))
    options: dict[str, Any] = dict(settings)
    if settings.get("endpoint", "").startswith("http://"):
        options["allow_http"] = "true"
    urls = [f"az://{path.location.container}/{path.location.key}" for path in remote]
    return urls, {"storage_options": options}


@contextlib.contextmanager
def remote_read_errors(path: Path) -> Iterator[None]:
    """Turn storage failures that Polars raises while reading a remote segment into
    :class:`StorageAccessError` / :class:`StorageUnavailableError` naming the location."""
    if not isinstance(path, RemotePath):
        yield
        return
    try:
        yield
    except CcTuiError:
        raise
    except Exception as exc:
        text = _first_line(exc)
        module = type(exc).__module__.split(".")[0]
        if module not in ("polars", "obstore") and not isinstance(exc, OSError):
            raise
        if "object-store" not in str(exc).lower() and not isinstance(exc, OSError | BaseError):
            raise  # about the data, not the storage: the caller explains it
        error = _storage_error(path, exc)
        if isinstance(error, FileNotFoundError):
            raise StorageAccessError(
                f"{describe_location(path)}: a blob of the segment is gone ({text}). Fix: "
                "check that the export in storage is complete, or run again once it is"
            ) from None
        raise error from None


# Every remote path in this process is served by the storage accounts from here on.
use_remote_backend(StorageBackend())
