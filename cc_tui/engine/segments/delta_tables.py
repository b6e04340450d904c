"""Delta Lake tables, in a local folder or in Azure storage: their latest version, and reads
pinned to one version.

A Delta table is a folder whose ``_delta_log/`` holds numbered commits (JSON, with a Parquet
checkpoint every so often); a version is the table as of one commit, and it names the Parquet
files that hold its rows. Delta Lake writers (Databricks, Spark, Fabric, delta-rs) commit a new
version atomically, beside the old ones, so every version stays readable until its files are
vacuumed.

:func:`latest_version` says which version is the latest now (discovery pins it on the
:class:`~cc_tui.engine.segments.model.Segment` as ``delta_version``); :func:`scan_delta_table`
reads the segment's pinned version through Polars' Delta reader, so a run's first and second
pass, and every slice of them, read the same version even when a commit lands meanwhile. A
loaded version is kept (a few of them, :data:`_KEPT_TABLES`): a version never changes, and
reading its log again for every slice would cost a listing and several reads in storage.

A table in storage is read with the ``storage_options`` of its account
(:func:`cc_tui.engine.segments.remote_storage.polars_sources`: account name, key or SAS,
endpoint): they hold the secret, so they are passed to delta-rs and Polars and never shown.
:func:`delta_read_errors` turns what delta-rs and Polars raise into errors that name the table,
the version and the fix: a log with no commit, a reader feature Polars cannot read (column
mapping, a newer protocol), data files that are gone (vacuumed), and storage failures (exit 2
refused, exit 3 unreachable, as for any remote segment).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import polars as pl

from cc_tui.engine.segments.folders import DELTA_LOG, is_delta_table
from cc_tui.engine.segments.model import Segment, SegmentFormat, path_identity
from cc_tui.engine.segments.path_checks import GLOB_CHARACTERS
from cc_tui.engine.segments.remote_storage import is_remote, polars_sources, storage_failure
from cc_tui.errors import CcTuiError, InputError
from cc_tui.remote_paths import RemotePath

if TYPE_CHECKING:
    from deltalake import DeltaTable

__all__ = [
    "DeltaVersion",
    "delta_log_files",
    "delta_read_errors",
    "latest_version",
    "scan_delta_table",
]

# Loaded versions kept for the reads that follow (a run reads its segments' versions many
# times; the export form looks at a few tables): each holds its list of data files.
_KEPT_TABLES = 8
# A commit file's name: the version, zero-padded to 20 digits (the Delta protocol's).
_COMMIT_DIGITS = 20
_MS = 1_000_000
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_QUERY = re.compile(r"\?[^\s\"'<>]*")
_DETAIL_CHARS = 400
_POLARS_HINT = " (set POLARS_VERBOSE=1 to see full path)"
_COLUMN_MAPPING_MODE = "delta.columnMapping.mode"
_POLARS_CONTEXT = "This error occurred with the following context stack"
# The features a protocol error names: delta table requires reader features ['v2Checkpoint'].
_FEATURE_NAMES = re.compile(r"'([A-Za-z][\w.-]*)'")
_FILE_SCHEME = "file://"
# A data file a version names is missing (object_store's and the OS's words for it).
_GONE = re.compile(r"object at location .* not found|no such file|blobnotfound", re.IGNORECASE)
# delta-rs errors that come from a request to storage (object_store's words).
_STORAGE = re.compile(r"error performing|microsoftazure|object[- ]store", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DeltaVersion:
    """One version of a Delta table: its number, the size of its data files, its commit time."""

    version: int
    size_bytes: int
    committed_ns: int
    files: int


class _Tables:
    """Loaded table versions, by location, version and account settings (newest use last)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tables: OrderedDict[tuple[str, int, str], DeltaTable] = OrderedDict()

    def get(self, key: tuple[str, int, str]) -> DeltaTable | None:
        with self.lock:
            table = self.tables.get(key)
            if table is not None:
                self.tables.move_to_end(key)
            return table

    def put(self, key: tuple[str, int, str], table: DeltaTable) -> None:
        with self.lock:
            self.tables[key] = table
            self.tables.move_to_end(key)
            while len(self.tables) > _KEPT_TABLES:
                self.tables.popitem(last=False)


_TABLES = _Tables()


def _location(path: Path) -> tuple[str, dict[str, str] | None]:
    """The table's URI for delta-rs, and the account's storage options (remote only)."""
    if not is_remote(path):
        return str(path.absolute()), None
    urls, cloud = polars_sources([path])
    options = {str(name): str(value) for name, value in cloud["storage_options"].items()}
    return str(urls[0]).rstrip("/"), options


def _settings_key(options: dict[str, str] | None) -> str:
    # Credentials that change (a rotated key) load the table again; the key holds no secret.
    return hashlib.sha256(repr(sorted((options or {}).items())).encode()).hexdigest()


def _load(path: Path, version: int | None) -> DeltaTable:
    """The table at ``version`` (None: the latest), loaded once per version."""
    from deltalake import DeltaTable

    uri, options = _location(path)
    settings = _settings_key(options)
    if version is not None:
        kept = _TABLES.get((uri, version, settings))
        if kept is not None:
            return kept
    with delta_errors(path, version):
        table = DeltaTable(uri, version=version, storage_options=options)
        loaded = table.version()
        mode = table.metadata().configuration.get(_COLUMN_MAPPING_MODE) or "none"
    if mode.lower() != "none":
        # Polars checks the protocol only: a table whose metadata maps its columns to
        # physical names under a protocol that does not say so would be read as all-null.
        raise InputError(
            f"{path}: the Delta table maps its columns to other names in its files "
            f"({_COLUMN_MAPPING_MODE} = '{mode}'), which cc-tui (Polars' Delta reader) cannot "
            "read. Fix: have the table written without column mapping, or export the segment "
            "as Parquet"
        )
    _readable_paths(path, uri, table)
    _TABLES.put((uri, loaded, settings), table)
    return table


def _readable_paths(path: Path, uri: str, table: DeltaTable) -> None:
    """Make the table's data file paths ones Polars opens, and pair each deletion vector with
    the file it belongs to, whatever the folders are called.

    delta-rs gives each data file as the table's root URL, percent-encoded (``/data/Customer
    %20Exports/t/``, ``az://lake/gold%20tables/t/``), followed by the file's path decoded once;
    Polars opens that text as the file's very name, which does not exist when the root holds
    a space or a non-ASCII letter, and the whole table looked vacuumed. The encoded root is
    replaced by the root as it is (a local table's resolved path, as delta-rs resolves it; a
    remote one's URL as given).

    delta-rs gives a deletion vector's file with its path as the log stores it, still
    percent-encoded (``country=United%20States/part-...`` where the file list says
    ``country=United States/part-...``); Polars pairs vectors with files by the exact text,
    so a vector it cannot pair is silently not applied and the rows a DELETE removed are read.
    Each vector is paired here with the listed file it names; one that names no listed file
    is refused.
    """
    remote = is_remote(path)
    encoded = table.table_uri if remote else table.table_uri.removeprefix(_FILE_SCHEME)
    real = uri if remote else str(path_identity(path))
    encoded, real = (text if text.endswith("/") else f"{text}/" for text in (encoded, real))
    same_root = real == encoded or (not remote and not table.table_uri.startswith(_FILE_SCHEME))
    if (remote or not same_root) and GLOB_CHARACTERS.intersection(real):
        # Polars expands the paths of a Delta scan as patterns: a root with * ? [ would read
        # the files of other folders that match it.
        raise InputError(
            f"{path}: the Delta table's folder {real.rstrip('/')} holds a pattern character "
            "(* ? [), which its reader would take for a pattern. Fix: rename the folder"
        )
    file_uris = table.file_uris
    deletion_vectors = table.deletion_vectors
    names = _stored_names(path, table) if remote else {}

    def as_stored(uri: str) -> str:
        if (same_root and not remote) or not uri.startswith(encoded):
            return uri
        rest = uri[len(encoded) :]
        return real + names.get(unquote(rest), rest)

    def stored_file_uris(*args: Any, **kwargs: Any) -> list[str]:
        return [as_stored(uri) for uri in file_uris(*args, **kwargs)]

    def stored_deletion_vectors() -> pl.DataFrame:
        frame = pl.DataFrame(deletion_vectors())
        if frame.height == 0:
            return frame
        listed = set(stored_file_uris())
        paths = []
        for vector_uri in frame["filepath"]:
            found = _vector_file(vector_uri, (encoded, real), listed, as_stored)
            if found is None:
                # Never read a file without its deletion vector: its deleted rows would be sent.
                raise InputError(
                    f"{path}: a deletion vector of the Delta table names the data file "
                    f"{vector_uri}, which is not among the files of the version read, so the "
                    "rows it deletes cannot be left out; cc-tui refuses to read the table "
                    "rather than send people the table deleted. Fix: have the table rewritten "
                    "without deletion vectors (REORG TABLE ... APPLY (PURGE)), or export the "
                    "segment as Parquet"
                )
            paths.append(found)
        return frame.with_columns(pl.Series("filepath", paths, pl.String))

    # The DeltaTable is delta-rs' own class (Polars accepts no other): its two accessors
    # Polars reads the paths from are replaced on this instance only.
    table.file_uris = stored_file_uris  # type: ignore[method-assign]
    table.deletion_vectors = stored_deletion_vectors  # type: ignore[method-assign,assignment]


def _stored_names(path: Path, table: DeltaTable) -> dict[str, str]:
    """The name each data file of a table in storage is stored under (its path in the log,
    decoded once), by that name decoded again.

    delta-rs gives a remote table's files as URLs in which a space or a non-ASCII letter is
    percent-encoded but a ``%`` the name holds is not (``country=United%20States`` for the
    blob ``country=United States``, ``city=New%20York`` for the blob ``city=New%20York``),
    and Polars opens the URL's text as the blob's very name: Spark's partition folders, which
    keep their spaces, were not found. Decoded once more, the URL and the stored name agree.
    """
    actions = pl.DataFrame(table.get_add_actions(flatten=True))
    names: dict[str, str] = {}
    for logged in actions["path"] if "path" in actions.columns else ():
        name = unquote(logged)
        if names.setdefault(unquote(name), name) != name:
            raise InputError(
                f"{path}: the Delta table names two data files that differ only in how their "
                f"names are encoded ({names[unquote(name)]}, {name}); cc-tui cannot tell them "
                "apart in storage. Fix: read a local copy of the table"
            )
    return names


def _vector_file(
    vector_uri: str, roots: tuple[str, str], listed: set[str], as_stored: Callable[[str], str]
) -> str | None:
    """The listed data file a deletion vector's file path names (as stored in the log, or
    decoded once as the file list gives it), or None."""
    text = vector_uri.removeprefix(_FILE_SCHEME)
    candidates = [as_stored(text)]
    for root in roots:
        if text.startswith(root):
            rest = text[len(root) :]
            candidates += [as_stored(root + rest), as_stored(root + unquote(rest))]
            candidates += [roots[1] + rest, roots[1] + unquote(rest)]
    return next((c for c in candidates if c in listed), None)


def latest_version(path: Path) -> DeltaVersion:
    """The latest version of the table at ``path``, checked to be readable by Polars.

    Raises InputError (exit 2) naming the table and the fix when it has no commit, needs a
    reader feature Polars lacks, or cannot be read; a storage failure as ``remote_storage``
    tells it (exit 3 when the account cannot be reached).
    """
    table = _load(path, None)
    version = table.version()
    with delta_errors(path, version):
        # Polars checks the reader protocol (column mapping, newer features) before anything
        # is read: a table it cannot read is refused now, when it is added, not mid-run.
        pl.scan_delta(table).collect_schema()
        actions = pl.DataFrame(table.get_add_actions(flatten=True))
        history = table.history(1)
    size = int(actions["size_bytes"].sum()) if "size_bytes" in actions.columns else 0
    committed = int(history[0].get("timestamp", 0)) * _MS if history else 0
    return DeltaVersion(version, size, committed, actions.height)


def scan_delta_table(segment: Segment) -> pl.LazyFrame:
    """The rows of the segment's pinned version (the latest when it has none), lazily."""
    table = _load(segment.path, segment.delta_version)
    return pl.scan_delta(table)


def delta_log_files(segment: Segment) -> tuple[Path, ...]:
    """The log files that describe the segment's rows: the commit of its pinned version (a
    commit is never rewritten, so it identifies the version), else every file of the log."""
    log = segment.path / DELTA_LOG
    if segment.delta_version is not None:
        return (log / f"{segment.delta_version:0{_COMMIT_DIGITS}d}.json",)
    from cc_tui.engine.segments.path_checks import walk_files

    return tuple(walk_files(log).files)


@contextlib.contextmanager
def delta_read_errors(segment: Segment) -> Iterator[None]:
    """For a Delta segment, turn delta-rs, Polars and storage errors raised inside the block
    into clear cc-tui errors naming the table and its version; other segments pass through."""
    if segment.format is not SegmentFormat.DELTA:
        yield
        return
    with delta_errors(segment.path, segment.delta_version):
        yield


@contextlib.contextmanager
def delta_errors(path: Path, version: int | None) -> Iterator[None]:
    """Turn what loading or reading the Delta table at ``path`` raises into cc-tui errors."""
    try:
        yield
    except CcTuiError:
        raise
    except Exception as exc:
        error = _explain(path, version, exc)
        if error is None:
            raise
        raise error from None


def _detail(exc: BaseException) -> str:
    """The error's text on one line: no colours, no XML body, no query (a SAS), not too long."""
    lines = []
    for raw in _ANSI.sub("", str(exc)).replace(_POLARS_HINT, "").splitlines():
        if raw.startswith(_POLARS_CONTEXT):
            break  # Polars' own stack of where it was ("[1] 'python dataset scan'")
        line, body, _ = raw.partition("<")
        line = line.strip().lstrip("↳").strip().rstrip(":").strip()
        if line:
            lines.append(line)
        if body:
            break  # the XML body of a storage answer: its status line says enough
    text = _QUERY.sub("", "; ".join(lines)) or type(exc).__name__
    return text if len(text) <= _DETAIL_CHARS else f"{text[: _DETAIL_CHARS - 1]}…"


def _explain(path: Path, version: int | None, exc: Exception) -> Exception | None:
    from deltalake.exceptions import DeltaError

    detail = _detail(exc)
    which = "the latest version" if version is None else f"version {version}"
    problem = _table_problem(path, exc, detail)
    if problem is not None:
        return problem
    if isinstance(exc, FileNotFoundError) or _GONE.search(detail):
        return InputError(
            f"{path}: {which} of the Delta table cannot be read: it names data files that "
            f"are gone ({detail}); they were removed (VACUUM) or not copied with the table. "
            "Fix: run again (a run "
            "reads the version that is the latest when it starts); if the latest version "
            "misses files too, have the table repaired (FSCK REPAIR TABLE) or written again"
        )
    if isinstance(path, RemotePath) and (
        isinstance(exc, OSError) or (isinstance(exc, DeltaError) and _STORAGE.search(detail))
    ):
        return storage_failure(path, exc, detail)
    if isinstance(exc, DeltaError):
        return InputError(
            f"{path}: cannot be read as a Delta Lake table ({which}: {detail}). Fix: check "
            "that the table is complete (its _delta_log and the files it names)"
        )
    return None


def _table_problem(path: Path, exc: Exception, detail: str) -> InputError | None:
    """A table that is no table yet, or that needs what Polars cannot read."""
    from deltalake.exceptions import DeltaError, DeltaProtocolError, TableNotFoundError

    if isinstance(exc, TableNotFoundError):
        if not _has_log(path):
            return InputError(
                f"{path}: is not a Delta Lake table (it has no {DELTA_LOG} folder). Fix: point "
                "at the table's folder (the one holding _delta_log), or declare another format"
            )
        return InputError(
            f"{path}: its {DELTA_LOG} holds no commit yet ({detail}). Fix: wait until the job "
            "writing the table has committed its first version, then add or run it again"
        )
    if isinstance(exc, DeltaProtocolError) or (
        isinstance(exc, DeltaError) and "unsupported" in detail.lower()
    ):
        return InputError(
            f"{path}: the Delta table needs a reader feature that cc-tui (Polars' Delta reader) "
            f"cannot read ({detail}). Fix: {_feature_fix(detail)}"
        )
    return None


def _feature_fix(detail: str) -> str:
    """How the table's owner makes it readable: drop the features named (Databricks Runtime
    14.3+ drops deletion vectors, v2 checkpoints, column mapping and more), or write it so."""
    named = _FEATURE_NAMES.findall(detail.partition("reader features")[2])
    if named and "columnMapping" not in named:
        return (
            f"have the table's owner drop {', '.join(named)} (on Databricks: ALTER TABLE "
            f"<table> DROP FEATURE {named[0]}), or export the segment as Parquet"
        )
    return (
        "have the table written without that feature (column mapping: "
        "delta.columnMapping.mode = 'none'), or export the segment as Parquet"
    )


def _has_log(path: Path) -> bool:
    try:
        return is_delta_table(path)
    except (OSError, CcTuiError):
        return True  # cannot tell: say what delta-rs said
