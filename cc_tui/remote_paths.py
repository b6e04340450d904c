"""Remote segment locations: Azure Blob Storage and Data Lake Gen2 paths that act like paths.

A segment may live where Customer Insights writes it, in the customer's storage account:

- ``az://<container>/<path>`` (the account is the storage connection's, see ``cc-tui storage``);
- ``abfs[s]://<container>@<account>.dfs.core.windows.net/<path>``;
- ``https://<account>.(blob|dfs).core.windows.net/<container>/<path>`` (sovereign clouds'
  ``core.*`` suffixes too).

:func:`remote_path` turns such text into a :class:`RemotePath`, a :class:`~pathlib.Path` whose
``str()`` is the URL as written and whose file-system calls (``stat``, ``iterdir``, ``open``,
``glob``...) go to the storage account through the backend the engine installs
(:func:`use_remote_backend`; the engine's is
:mod:`cc_tui.engine.segments.remote_storage`). So config.toml,
discovery and error messages handle a remote location as they handle a local path, and never
touch the local disk for it. Path arithmetic (``/``, ``parent``, ``name``, ``relative_to``)
stays in the same location.

A URL with a query (a SAS token) or a user name is refused: credentials belong in a storage
connection (secrets.toml), never in config.toml.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import PosixPath
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlsplit

from cc_tui.errors import InputError

__all__ = [
    "REMOTE_SCHEMES",
    "RemoteBackend",
    "RemoteLocation",
    "RemotePath",
    "is_remote_location",
    "remote_path",
    "use_remote_backend",
]

REMOTE_SCHEMES = ("az", "abfs", "abfss", "https")
# Storage account names: 3 to 24 lower-case letters and digits (Azure's rule).
_ACCOUNT = r"[a-z0-9]{3,24}"
# Container names: 3 to 63 lower-case letters, digits and single hyphens (Azure's rule).
_CONTAINER = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")
# <account>.blob.core.windows.net, <account>.dfs.core.windows.net, or a sovereign cloud's
# core.* suffix (core.chinacloudapi.cn, core.usgovcloudapi.net).
_SERVICE_HOST = re.compile(rf"^(?P<account>{_ACCOUNT})\.(?:blob|dfs)\.core\.[a-z0-9.-]+$")
# A URL that went through pathlib.Path: "az://c/p" became "az:/c/p".
_FOLDED = re.compile(r"^(az|abfss?|https):/(?=[^/])", re.IGNORECASE)
_FIX = (
    "Fix: write az://<container>/<path>, abfss://<container>@<account>.dfs.core.windows.net/"
    "<path> or https://<account>.blob.core.windows.net/<container>/<path>"
)


@dataclass(frozen=True, slots=True)
class RemoteLocation:
    """Where a remote path points: the account (None: the storage connection's), the container,
    and the key (the path inside the container, ``""`` for the container itself)."""

    account: str | None
    container: str
    key: str


class RemoteBackend(Protocol):
    """What the engine provides so a :class:`RemotePath` can be looked at and read."""

    def stat(self, path: RemotePath) -> os.stat_result:
        """A stat of the blob (a regular file) or of the prefix (a folder); OSError otherwise."""
        ...

    def list_dir(self, path: RemotePath) -> list[RemotePath]:
        """The blobs and prefixes directly under ``path``."""
        ...

    def open(self, path: RemotePath) -> BinaryIO:
        """A seekable binary reader of the blob, fetching ranges as they are read."""
        ...


class _Backend:
    """The backend installed by the engine (None until then)."""

    current: RemoteBackend | None = None


def use_remote_backend(backend: RemoteBackend | None) -> None:
    """Install (or, with None, remove) the backend every :class:`RemotePath` uses."""
    _Backend.current = backend


def _backend(path: RemotePath) -> RemoteBackend:
    if _Backend.current is None:
        raise OSError(errno.ENOTSUP, "remote storage is not available in this process", str(path))
    return _Backend.current


def _url_text(text: str | os.PathLike[str]) -> str:
    """The URL text; a plain ``Path`` made of a URL (``az:/c/p``: pathlib folds ``//``) too."""
    if isinstance(text, str):
        return text
    folded = str(text)
    match = _FOLDED.match(folded)
    return f"{match.group(1)}://{folded[match.end() :]}" if match else folded


def is_remote_location(text: str | os.PathLike[str]) -> bool:
    """True for text that names a remote location (``az://``, ``abfss://``, ``https://``)."""
    if isinstance(text, RemotePath):
        return True
    scheme, sep, _ = _url_text(text).partition("://")
    return bool(sep) and scheme.lower() in REMOTE_SCHEMES


def remote_path(location: str | os.PathLike[str]) -> RemotePath:
    """The :class:`RemotePath` for a location URL; InputError saying what is wrong with it."""
    if isinstance(location, RemotePath):
        return location
    split = urlsplit(_url_text(location).strip())
    scheme = split.scheme.lower()
    # What messages show: never a password or query (they may hold a secret). In abfs[s]://
    # the part before '@' is the container, not a user.
    container_at = scheme in ("abfs", "abfss") and split.username is not None
    host_shown = f"{split.username}@{split.hostname}" if container_at else split.hostname or ""
    text = f"{scheme}://{host_shown}{split.path}"
    if scheme not in REMOTE_SCHEMES:
        raise InputError(f"{text}: is not a storage location. {_FIX}")
    if split.password is not None or (split.username is not None and not container_at):
        raise InputError(
            f"{text}: the location has a user name or password in it. Fix: leave it out and "
            "keep the secret in a storage connection (cc-tui storage add NAME --account ACCOUNT)"
        )
    if split.query or split.fragment:
        raise InputError(
            f"{text}: the location has a query (a SAS token?) "
            "after '?'. Fix: leave it out and keep the token in a storage connection "
            "(cc-tui storage add NAME --account ACCOUNT --sas-token)"
        )
    host = split.netloc
    parts = [part for part in split.path.split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise InputError(f"{text}: '.' and '..' are not allowed in a storage location")
    if scheme == "az":
        if "@" in host or not _CONTAINER.match(host):
            raise InputError(f"{text}: '{host}' is not a container name. {_FIX}")
        return RemotePath("az:", host, *parts)
    if scheme in ("abfs", "abfss"):
        container, at, service = host.partition("@")
        if not at or not _CONTAINER.match(container) or not _SERVICE_HOST.match(service.lower()):
            raise InputError(f"{text}: needs <container>@<account>.dfs.core.windows.net. {_FIX}")
        return RemotePath(f"{scheme}:", f"{container}@{service.lower()}", *parts)
    if "@" in host or not _SERVICE_HOST.match(host.lower()):
        raise InputError(
            f"{text}: is not an Azure Storage address (<account>.blob.core.windows.net or "
            f"<account>.dfs.core.windows.net). {_FIX}"
        )
    if not parts or not _CONTAINER.match(parts[0]):
        raise InputError(f"{text}: names no container after the account. {_FIX}")
    return RemotePath("https:", host.lower(), *parts)


class RemotePath(PosixPath):
    """A blob or folder in Azure Storage, spelt as its URL; see the module's docstring.

    Built by :func:`remote_path` (which checks the URL); path arithmetic keeps the class.
    """

    __slots__ = ()

    # -- what it names ---------------------------------------------------------------------

    @property
    def _scheme(self) -> str | None:
        parts = self.parts
        if parts and parts[0].endswith(":") and parts[0][:-1] in REMOTE_SCHEMES:
            return parts[0][:-1]
        return None

    @property
    def location(self) -> RemoteLocation:
        """The account (None for ``az://``), container and key this path names."""
        scheme = self._scheme
        parts = self.parts
        if scheme is None or len(parts) < 2:
            raise ValueError(f"{self}: is not a remote location")
        if scheme == "az":
            return RemoteLocation(None, parts[1], "/".join(parts[2:]))
        if scheme in ("abfs", "abfss"):
            container, _, service = parts[1].partition("@")
            return RemoteLocation(service.split(".")[0], container, "/".join(parts[2:]))
        return RemoteLocation(parts[1].split(".")[0], parts[2], "/".join(parts[3:]))

    @property
    def is_container(self) -> bool:
        """True when the path is a whole container (no key)."""
        return self.location.key == ""

    # -- how it is written -----------------------------------------------------------------

    def __str__(self) -> str:
        scheme = self._scheme
        if scheme is None:  # a relative piece (relative_to): an ordinary relative path
            return super().__str__()
        return f"{scheme}://" + "/".join(self.parts[1:])

    def __fspath__(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"RemotePath({str(self)!r})"

    def as_uri(self) -> str:
        """The location's URL."""
        return str(self)

    # -- never the local disk ------------------------------------------------------------------

    def is_absolute(self) -> bool:
        """A location is absolute (the current folder means nothing to it)."""
        return self._scheme is not None

    def absolute(self) -> RemotePath:
        """Itself: a location has no current folder."""
        return self

    def resolve(self, strict: bool = False) -> RemotePath:
        """Itself: storage has no symbolic links."""
        del strict
        return self

    def expanduser(self) -> RemotePath:
        """Itself: ``~`` means nothing in storage."""
        return self

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        """The blob's size and time (a regular file), or a folder for a prefix with blobs."""
        del follow_symlinks
        return _backend(self).stat(self)

    def lstat(self) -> os.stat_result:
        """As :meth:`stat`: storage has no symbolic links."""
        return self.stat()

    def is_symlink(self) -> bool:
        """False: storage has no symbolic links."""
        return False

    def iterdir(self) -> Generator[RemotePath, None, None]:
        """The blobs and folders directly under this folder."""
        yield from _backend(self).list_dir(self)

    def glob(self, pattern: str) -> Generator[RemotePath, None, None]:
        """The paths under this folder matching ``pattern`` part by part (no ``**``)."""
        wanted = [part for part in pattern.split("/") if part]
        if "**" in wanted:
            raise NotImplementedError("'**' is not supported in storage locations")
        level: list[RemotePath] = [self]
        for index, part in enumerate(wanted):
            last = index == len(wanted) - 1
            level = [
                child
                for folder in level
                for child in folder.iterdir()
                if fnmatch.fnmatchcase(child.name, part) and (last or child.is_dir())
            ]
        yield from level

    def open(
        self,
        mode: str = "r",
        buffering: int = -1,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> Any:
        """A binary reader of the blob (``"rb"`` only: storage is read, never written here)."""
        del buffering, encoding, errors, newline
        if mode not in ("rb", "br"):
            raise OSError(errno.EROFS, "storage locations are opened for reading bytes only")
        return _backend(self).open(self)

    def read_bytes(self) -> bytes:
        """The whole blob (small metadata files only: model.json, manifests)."""
        with self.open("rb") as stream:
            data: bytes = stream.read()
        return data

    def read_text(self, encoding: str | None = None, errors: str | None = None) -> str:
        """The whole blob as text."""
        return self.read_bytes().decode(encoding or "utf-8", errors or "strict")
