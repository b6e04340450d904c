"""Run when the data is refreshed: notice a segment's new snapshot, wait until it is quiet.

The service's scheduler asks :class:`RefreshWatcher` at every look which on-refresh exports
are due. Each segment of such an export has a *snapshot identity*, a text that changes when
its data is replaced:

- a CDM folder: its metadata file (``model.json`` or the manifest), which Customer Insights
  writes last, after the new dated snapshot folder; data written before it is not seen;
- a Spark/Databricks part folder: its ``_SUCCESS`` marker with the parts; a folder with part
  files but no ``_SUCCESS`` yet, or with ``_temporary`` (a job still writing), is not ready;
- a Delta table: its latest version (the fingerprint of the version's commit file, which is
  never rewritten); a commit is atomic, so a table is never seen half-written;
- anything else (a file, a plain folder): the segment fingerprint (size, mtime and both ends
  of every data file; a remote blob's ETag).

A new identity must stay the same for the export's quiet period before the export starts, so
files whose size or mtime still move are never read. A snapshot starts one run: the identity
is claimed in history.sqlite3 before the run starts, so it never runs twice, across restarts.

An export never run on refresh before has no claimed snapshot: its current one counts as new
only when it was made after the export's last run (else it is taken as the baseline).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cc_tui.engine.segments.cdm import find_metadata, is_cdm_metadata
from cc_tui.engine.segments.copies import fingerprint
from cc_tui.engine.segments.file_bytes import digest_files
from cc_tui.engine.segments.model import Segment, SegmentFormat
from cc_tui.errors import CcTuiError
from cc_tui.models.config import AppConfig, Export
from cc_tui.store.schedule_state import ScheduleState, SnapshotRun

__all__ = [
    "SPARK_SUCCESS",
    "SPARK_TEMPORARY",
    "RefreshWatcher",
    "Snapshot",
    "refresh_exports",
    "segment_snapshot",
]

SPARK_SUCCESS = "_SUCCESS"  # written by a Spark/Databricks job once every part is in place
SPARK_TEMPORARY = "_temporary"  # where a Spark job writes its parts before committing them
_SPARK_PART_PREFIX = "part-"
_NS = 1_000_000_000

Report = Callable[[str], None]
Segments = Callable[[AppConfig], Mapping[str, Segment]]
LastRuns = Callable[[], Mapping[str, datetime]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a segment (or an export's segments together) holds now, and when it was made."""

    identity: str
    made_at: datetime


def refresh_exports(config: AppConfig) -> dict[str, Export]:
    """The exports that run when their data is refreshed (enabled, with a connection)."""
    return {
        name: export
        for name, export in sorted(config.exports.items())
        if export.enabled and export.on_refresh and export.connection
    }


def _made_at(mtime_ns: int) -> datetime:
    return datetime.fromtimestamp(mtime_ns / _NS, UTC)


def _digest(root: Path, files: list[Path], kind: str) -> Snapshot:
    size, mtime_ns, digest = digest_files(root, files)
    return Snapshot(f"{kind}:{size}:{mtime_ns}:{digest}", _made_at(mtime_ns))


def _spark_folder(folder: Path) -> bool | None:
    """True: a finished Spark folder; None: one being written; False: not a Spark folder."""
    if (folder / SPARK_TEMPORARY).exists():
        return None
    if (folder / SPARK_SUCCESS).is_file():
        return True
    if any(child.name.startswith(_SPARK_PART_PREFIX) for child in folder.iterdir()):
        return None  # Spark's parts without its marker: the job has not finished
    return False


def segment_snapshot(segment: Segment) -> Snapshot | None:
    """The segment's snapshot now, or None while it is being written (not to be read yet).

    Raises a cc-tui error when the segment cannot be read at all.
    """
    path = segment.path
    try:
        if segment.format is SegmentFormat.CDM:
            metadata = path if is_cdm_metadata(path.name) else find_metadata(path)
            if metadata is None:
                return None  # the metadata file is written last: not there yet
            return _digest(metadata.parent, [metadata], "cdm")
        if segment.format is not SegmentFormat.DELTA and path.is_dir():
            spark = _spark_folder(path)
            if spark is None:
                return None
            if spark:
                marker = path / SPARK_SUCCESS
                files = [marker, *sorted(p for p in path.iterdir() if p.name != marker.name)]
                return _digest(path, [p for p in files if p.is_file()], "spark")
    except OSError as exc:
        raise CcTuiError(f"{path}: cannot be looked at: {exc}") from exc
    found = fingerprint(segment)
    return Snapshot(
        f"files:{found.size_bytes}:{found.mtime_ns}:{found.sha256}", _made_at(found.mtime_ns)
    )


def _export_snapshot(segments: list[Snapshot]) -> Snapshot:
    digest = hashlib.sha256("\n".join(s.identity for s in segments).encode()).hexdigest()
    return Snapshot(digest, max(s.made_at for s in segments))


@dataclass(slots=True)
class _Settling:
    identity: str
    since: datetime


class RefreshWatcher:
    """Which on-refresh exports have a new snapshot that has been quiet long enough."""

    def __init__(
        self,
        state: ScheduleState,
        segments: Segments,
        last_runs: LastRuns,
        *,
        report: Report,
    ) -> None:
        self._state = state
        self._segments = segments
        self._last_runs = last_runs
        self._report = report
        self._settling: dict[str, _Settling] = {}
        self._unready: dict[str, str] = {}

    def due(self, config: AppConfig, now: datetime, skip: set[str]) -> dict[str, str]:
        """Export name -> snapshot identity, for each export whose new snapshot is quiet.

        ``skip``: exports not to start now (paused, or still running): looked at again later.
        Claim the identity with :meth:`claim` when the run starts.
        """
        wanted = {name: exp for name, exp in refresh_exports(config).items() if name not in skip}
        for name in list(self._settling):
            if name not in wanted:
                del self._settling[name]
        if not wanted:
            return {}
        try:
            segments = self._segments(config)
        except CcTuiError as exc:
            self._report(f"segments not looked at for refresh: {exc}")
            return {}
        claimed = self._state.snapshot_runs()
        due: dict[str, str] = {}
        for name, export in wanted.items():
            snapshot = self._snapshot(name, export, segments)
            if snapshot is None or self._seen_before(name, snapshot, claimed.get(name)):
                self._settling.pop(name, None)
                continue
            settling = self._settling.get(name)
            if settling is None or settling.identity != snapshot.identity:
                # New, or still moving: the quiet period starts (again) now.
                self._settling[name] = _Settling(snapshot.identity, now)
                settling = self._settling[name]
            if now - settling.since >= timedelta(seconds=export.quiet_seconds):
                due[name] = snapshot.identity
        return due

    def claim(self, export: str, identity: str, now: datetime) -> bool:
        """Record that ``identity`` is run now; False when it already was (do not run)."""
        self._settling.pop(export, None)
        return self._state.claim_snapshot(export, identity, now)

    def _snapshot(
        self, name: str, export: Export, segments: Mapping[str, Segment]
    ) -> Snapshot | None:
        parts: list[Snapshot] = []
        for segment_name in export.segments:
            segment = segments.get(segment_name)
            try:
                if segment is None:
                    raise CcTuiError(f"segment '{segment_name}' is not found")
                snapshot = segment_snapshot(segment)
            except (CcTuiError, OSError, ValueError) as exc:
                self._say_once(name, f"{name}: waiting for its data: {exc}")
                return None
            if snapshot is None:
                self._say_once(name, f"{name}: segment '{segment_name}' is being written")
                return None
            parts.append(snapshot)
        self._unready.pop(name, None)
        return _export_snapshot(parts)

    def _say_once(self, name: str, text: str) -> None:
        """Say why an export waits once, not at every look."""
        if self._unready.get(name) != text:
            self._unready[name] = text
            self._report(text)

    def _seen_before(self, name: str, snapshot: Snapshot, claimed: SnapshotRun | None) -> bool:
        if claimed is not None:
            return claimed.identity == snapshot.identity
        # Never run on refresh: data older than the export's last run was already sent.
        last = self._last_runs().get(name)
        if last is not None and snapshot.made_at <= last:
            self._state.claim_snapshot(name, snapshot.identity, last)
            return True
        return False
