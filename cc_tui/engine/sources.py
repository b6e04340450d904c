"""Where segments come from, as the command line and the app change it: no hand-edited TOML.

A segment is a file or folder found in one of ``segments_dirs``, or named by a
``[segments.NAME]`` entry (a *source*). :class:`SourceService` adds and removes both, after
checking them, and tells every face the same story about each segment:

- :meth:`SourceService.overview`: every segment with its state, ``ready``, ``missing`` (a
  configured file that is gone) or ``unreadable`` (with the problem and the fix), plus the files
  discovery skipped and why. Nothing is left out because it is broken.
- :meth:`SourceService.check`: what an entry would read, before it is written: the path is
  examined with ``stat`` first (a FIFO, socket or device is refused without being opened, since
  opening one can block forever), then the engine reads its columns and first rows, so the
  person sees at once whether the header is right.
- :meth:`SourceService.resolve`: ``--segment`` values, each a segment name or a path. A path
  already known (configured, or found in a segments folder) gives that segment's name; a new
  one becomes a ``[segments.NAME]`` entry with a name derived from the file name. A CDM folder
  of several entities is refused there, with the ``segment add ... --entity`` to run.
- :meth:`SourceService.entities`: the CDM entities a path holds, each with the segment that
  already reads it, so a face can offer the choice.

A segment is "already known" by what it reads: its path and, for a CDM folder, its entity
(None for every other format). Two entries may read two entities of one ``model.json``; the
same entity twice is refused. A CDM folder, its ``model.json`` and an entry without an entity
(for a folder of one entity) are the same thing.

Paths are stored absolute and taken literally: never globbed, a leading ``~`` is the only
expansion (and only because a shell would have made it).
"""

from __future__ import annotations

import shlex
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import polars as pl

from cc_tui.engine.segments.discovery import find_segments
from cc_tui.engine.segments.entries import (
    absolute_path,
    derive_segment_name,
    looks_like_path,
    require_storable,
    unknown_segment_message,
)
from cc_tui.engine.segments.inspection import cdm_metadata, inspect_all
from cc_tui.engine.segments.model import ORIGIN_CONFIG, Segment, SegmentDiscovery, path_identity
from cc_tui.engine.segments.path_checks import examine
from cc_tui.engine.segments.reading import ColumnInfo, preview, segment_columns
from cc_tui.errors import CcTuiError, InputError, NameTakenError, UsageError
from cc_tui.models.config import AppConfig, SegmentSource
from cc_tui.store.config import (
    ConfigStore,
    with_segment,
    with_segments_dir,
    without_segment,
    without_segments_dir,
)
from cc_tui.store.config_reader import validate_name
from cc_tui.store.history import HistoryStore

__all__ = [
    "CHECK_PREVIEW_ROWS",
    "ORIGIN_FOLDER",
    "PathEntity",
    "ResolvedSegments",
    "SegmentLook",
    "SegmentOverview",
    "SegmentState",
    "SegmentStatus",
    "SourceService",
    "exports_using_segment",
]

ORIGIN_FOLDER = "segments folder"
"""The origin of a broken file found in a segments folder whose folder discovery did not name."""
CHECK_PREVIEW_ROWS = 5
"""Rows shown when an entry is checked (``segment add``, the app's add-by-path)."""
_READ_ERRORS = (OSError, pl.exceptions.PolarsError)
# What a segment reads: the identity of its path, and its CDM entity (None for other formats).
_Key = tuple[Path, str | None]


class SegmentState(StrEnum):
    """Whether a segment can be read, and used under its name."""

    READY = "ready"
    MISSING = "missing"
    """A ``[segments.NAME]`` entry whose file or folder does not exist."""
    UNREADABLE = "unreadable"
    """An entry that exists but cannot be read as configured."""
    SHARED = "name shared"
    """A name several segments found make: none of them has it (each has a name of its own)."""


@dataclass(frozen=True, slots=True)
class SegmentStatus:
    """One segment as every face lists it; ``segment`` is None unless it is ready."""

    name: str
    state: SegmentState
    path: Path | None
    """The file or folder (None when discovery did not say which)."""
    origin: str
    """``config`` for a ``[segments.NAME]`` entry, else the segments folder it is in."""
    segment: Segment | None = None
    problem: str = ""
    """What is wrong and how to fix it (empty when ready)."""


@dataclass(frozen=True, slots=True)
class SegmentOverview:
    """Every segment, ready or not, and the files discovery skipped (with the reason)."""

    statuses: tuple[SegmentStatus, ...]
    skipped: tuple[str, ...] = ()

    @property
    def ready(self) -> dict[str, Segment]:
        """The segments that can be read, by name."""
        return {s.name: s.segment for s in self.statuses if s.segment is not None}

    def get(self, name: str) -> SegmentStatus | None:
        """The status of ``name``, or None when no segment has that name."""
        return next((s for s in self.statuses if s.name == name), None)


@dataclass(frozen=True, slots=True)
class SegmentLook:
    """What an entry reads: the segment, its columns and its first rows."""

    segment: Segment
    columns: tuple[ColumnInfo, ...]
    first_rows: pl.DataFrame


@dataclass(frozen=True, slots=True)
class PathEntity:
    """One CDM entity a path holds, and the segment that already reads it (None: no segment)."""

    entity: str
    segment: str | None = None


@dataclass(frozen=True, slots=True)
class ResolvedSegments:
    """``--segment`` values as segment names; ``added`` are the entries the paths need."""

    names: tuple[str, ...]
    added: tuple[SegmentSource, ...] = ()
    looks: dict[str, SegmentLook] = field(default_factory=dict)


def exports_using_segment(config: AppConfig, name: str) -> list[str]:
    """Names of the exports that read segment ``name``."""
    return sorted(n for n, export in config.exports.items() if name in export.segments)


def _is_missing(path: Path) -> bool:
    """True when ``path`` (or what its symbolic link points at) does not exist."""
    try:
        path.stat()
    except FileNotFoundError:
        return True
    except OSError:
        return False  # it exists but cannot be examined: that is "unreadable", not "missing"
    return False


def _missing_problem(source: SegmentSource) -> str:
    return (
        f"{source.path} does not exist. Fix: put the file back, point the entry at its new "
        f"place (cc-tui segment add {source.name} NEW_PATH --replace), or remove it "
        f"(cc-tui segment remove {source.name})"
    )


def _unreadable_problem(name: str, problem: str) -> str:
    if "Fix:" in problem:
        return problem
    return (
        f"{problem}. Fix: check the file, or give the options it needs "
        f"(cc-tui segment add {name} PATH --replace with --format, --delimiter, --encoding, "
        "--no-header --columns ...)"
    )


def _is_entry_warning(warning: str, problems: dict[str, str]) -> bool:
    """True for a discovery warning that repeats the problem of a ``[segments.NAME]`` entry."""
    return any(
        warning.startswith(f"segment '{name}'") and problem in warning
        for name, problem in problems.items()
    )


def _key(path: Path, entity: str | None) -> _Key:
    return (path_identity(path), entity)


def _names_by_key(config: AppConfig, found: SegmentDiscovery | None = None) -> dict[_Key, str]:
    """Segment names by what they read, (path, entity); entries win over folder files.

    An entry is known both as written (its folder, no entity when the folder has one) and as
    read (the metadata file and the entity), so each spelling of one thing finds it.
    """
    found = found if found is not None else find_segments(config)
    names = {_key(s.path, s.entity): n for n, s in found.segments.items()}
    for name, source in config.segments.items():
        names[_key(source.path, source.entity)] = name
        segment = found.segments.get(name)
        if segment is not None:
            names[_key(segment.path, segment.entity)] = name
    return names


def _reader(
    by_key: dict[_Key, str], places: Iterable[Path], entity: str, *, single: bool
) -> str | None:
    """The segment that reads ``entity`` of a CDM folder known by any of ``places``."""
    # An entry for a CDM folder of one entity may name no entity: it reads that one.
    wanted = (entity, None) if single else (entity,)
    for place in places:
        for name in wanted:
            found = by_key.get(_key(place, name))
            if found is not None:
                return found
    return None


def _look_keys(source: SegmentSource, segment: Segment) -> frozenset[_Key]:
    """What an entry reads, as written and as read (see :func:`_names_by_key`)."""
    return frozenset({_key(source.path, source.entity), _key(segment.path, segment.entity)})


def _what_it_reads(source: SegmentSource, segment: Segment) -> str:
    entity = source.entity or segment.entity
    return f"{source.path}" if entity is None else f"The entity {entity} of {source.path}"


def _several_entities_message(
    path: Path, entities: Sequence[PathEntity], taken: Iterable[str]
) -> str:
    """Why ``--segment PATH`` cannot take a CDM folder of several entities, and what to run."""
    used = set(taken)
    lines = [
        f"{path} holds several CDM entities ({', '.join(e.entity for e in entities)}), and "
        "--segment reads one segment. Fix: add the entity you want as a segment, then give "
        "its name to --segment:"
    ]
    for choice in entities:
        if choice.segment is not None:
            lines.append(
                f"  {choice.entity}: already the segment {choice.segment} "
                f"(--segment {choice.segment})"
            )
            continue
        name = derive_segment_name(path, used, entity=choice.entity)
        used.add(name)
        lines.append(
            f"  {choice.entity}: cc-tui segment add {name} {shlex.quote(str(path))} --entity "
            f"{shlex.quote(choice.entity)}, then --segment {name}"
        )
    return "\n".join(lines)


class SourceService:
    """Segment sources (``[segments.NAME]`` and ``segments_dirs``) for one OS user."""

    def __init__(self, config: ConfigStore, history: HistoryStore, os_user: str) -> None:
        self._config = config
        self._history = history
        self._os_user = os_user

    # -- reading -------------------------------------------------------------------------------

    def discovery(self) -> SegmentDiscovery:
        """What discovery finds in the current config.toml."""
        return find_segments(self._config.load())

    def overview(self) -> SegmentOverview:
        """Every segment (ready, missing or unreadable) and the skipped files with the reason."""
        config = self._config.load()
        found = find_segments(config)
        problems = dict(found.problems)
        statuses = [
            SegmentStatus(name, SegmentState.READY, seg.path, seg.origin, seg)
            for name, seg in found.segments.items()
        ]
        for name, problem in problems.items():
            source = config.segments.get(name)
            if name in found.shared:
                statuses.append(
                    SegmentStatus(name, SegmentState.SHARED, None, ORIGIN_FOLDER, problem=problem)
                )
            elif source is None:  # a broken file in a segments folder
                statuses.append(
                    SegmentStatus(
                        name,
                        SegmentState.UNREADABLE,
                        None,
                        ORIGIN_FOLDER,
                        problem=_unreadable_problem(name, problem),
                    )
                )
            elif _is_missing(source.path):
                statuses.append(
                    SegmentStatus(
                        name,
                        SegmentState.MISSING,
                        source.path,
                        ORIGIN_CONFIG,
                        problem=_missing_problem(source),
                    )
                )
            else:
                statuses.append(
                    SegmentStatus(
                        name,
                        SegmentState.UNREADABLE,
                        source.path,
                        ORIGIN_CONFIG,
                        problem=_unreadable_problem(name, problem),
                    )
                )
        skipped = tuple(w for w in found.warnings if not _is_entry_warning(w, problems))
        return SegmentOverview(tuple(sorted(statuses, key=lambda s: s.name)), skipped)

    def require(self, name: str) -> Segment:
        """The ready segment ``name``, or an InputError that says what is wrong and the fix."""
        overview = self.overview()
        status = overview.get(name)
        if status is None:
            raise InputError(unknown_segment_message(name, [s.name for s in overview.statuses]))
        if status.segment is None:
            raise InputError(f"segment '{name}' is {status.state.value}: {status.problem}")
        return status.segment

    def name_of(
        self, path: Path, entity: str | None = None, config: AppConfig | None = None
    ) -> str | None:
        """The segment that already reads ``path`` (an entry, or a file of a segments folder).

        ``entity`` is the CDM entity (None for other formats, or a CDM folder of one entity).
        None when no segment reads it, or when ``path`` holds several entities and none is
        given. Examined with ``stat`` first; a path that cannot be read has no segment.
        """
        config = config if config is not None else self._config.load()
        return self._known(_names_by_key(config), absolute_path(path), entity, config)

    def entities(self, path: Path) -> tuple[PathEntity, ...]:
        """The CDM entities ``path`` holds (a CDM folder, its model.json or manifest), by name,
        each with the segment that already reads it; empty for a path that is no CDM folder.

        The path is examined with ``stat`` before anything opens it. Raises InputError when it
        cannot be (missing, a FIFO...) or when its CDM metadata cannot be read. An entity that
        cannot be read is listed too (checking it tells the problem).
        """
        path = absolute_path(path)
        examine(path)
        if cdm_metadata(path) is None:
            return ()  # before discovery: most paths are no CDM folder
        config = self._config.load()
        return self._entities(path, config, _names_by_key(config))

    def _entities(
        self, path: Path, config: AppConfig, by_key: dict[_Key, str]
    ) -> tuple[PathEntity, ...]:
        metadata = cdm_metadata(path)
        if metadata is None:
            return ()
        found = inspect_all(path, max_uncompressed_bytes=config.max_uncompressed_bytes)
        # An entity that cannot be read is in problems under its segment name; with no name
        # given, that is the entity's own name made a valid segment name.
        names = sorted(
            {s.entity for s in found.segments.values() if s.entity is not None}
            | set(found.problems),
            key=str.casefold,
        )
        single = len(names) == 1
        return tuple(
            PathEntity(entity, _reader(by_key, (path, metadata), entity, single=single))
            for entity in names
        )

    def _known(
        self, by_key: dict[_Key, str], path: Path, entity: str | None, config: AppConfig
    ) -> str | None:
        direct = by_key.get(_key(path, entity))
        if direct is not None:
            return direct
        try:
            examine(path)
            choices = self._entities(path, config, by_key)
        except InputError:
            return None
        if entity is None:
            return choices[0].segment if len(choices) == 1 else None
        return next((c.segment for c in choices if c.entity == entity), None)

    def check(self, source: SegmentSource, *, rows: int = CHECK_PREVIEW_ROWS) -> SegmentLook:
        """Read what ``source`` would give (columns, first rows) without writing anything.

        The path is examined with ``stat`` before anything opens it. Raises InputError with
        the problem and the fix when it cannot be read as given.
        """
        examine(source.path)
        require_storable(source.path)
        found = find_segments(AppConfig(segments={source.name: source}))
        if source.name in found.problems:
            raise InputError(_unreadable_problem(source.name, found.problems[source.name]))
        segment = found.segments[source.name]
        try:
            columns = tuple(segment_columns(segment))
            first = preview(segment, rows)
        except CcTuiError:
            raise
        except _READ_ERRORS as exc:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(_unreadable_problem(source.name, f"{source.path}: {text}")) from exc
        return SegmentLook(segment, columns, first)

    # -- entries -------------------------------------------------------------------------------

    def add(
        self, source: SegmentSource, *, replace: bool = False, rows: int = CHECK_PREVIEW_ROWS
    ) -> SegmentLook:
        """Check ``source`` and write it as ``[segments.NAME]``; returns what it reads."""
        detail = {"path": str(source.path)}
        with self._history.audited("segment.add", source.name, self._os_user, detail):
            return self._add(source, replace=replace, rows=rows)

    def _add(self, source: SegmentSource, *, replace: bool, rows: int) -> SegmentLook:
        validate_name("segment", source.name)
        config = self._config.load()
        self._check_name(config, source, replace=replace)
        look = self.check(source, rows=rows)
        reads = _look_keys(source, look.segment)

        def change(current: AppConfig) -> AppConfig:
            self._check_name(current, source, replace=replace)
            self._check_reads(current, source, look.segment, reads)
            return with_segment(current, source)

        self._config.update(change)
        return look

    def _check_name(self, config: AppConfig, source: SegmentSource, *, replace: bool) -> None:
        name = source.name
        if name in config.segments and not replace:
            raise NameTakenError(
                f"A segment named '{name}' already exists ({config.segments[name].path}). "
                "Fix: choose another name, or pass --replace to change it"
            )

    def _check_reads(
        self, config: AppConfig, source: SegmentSource, segment: Segment, reads: frozenset[_Key]
    ) -> None:
        """Refuse an entry that reads what another segment reads, or renames a folder's one."""
        name = source.name
        found = find_segments(config)
        by_key = _names_by_key(config, found)
        others = sorted({by_key[key] for key in reads if key in by_key} - {name})
        if others:
            existing = others[0]
            raise UsageError(
                f"{_what_it_reads(source, segment)} is already the segment '{existing}'. Fix: "
                f"use that name (--segment {existing}), or remove it first (cc-tui segment "
                f"remove {existing})"
            )
        if name in config.segments:
            return
        other = found.segments.get(name)
        if other is not None and _key(other.path, other.entity) not in reads:
            entity = f" (entity {other.entity})" if other.entity is not None else ""
            raise NameTakenError(
                f"The name '{name}' is taken by {other.path}{entity} (found in the segments "
                f"folder {other.origin}); an entry would rename that segment under the exports "
                "that use it. Fix: choose another name"
            )

    def remove(self, name: str, *, force: bool = False) -> list[str]:
        """Delete the ``[segments.NAME]`` entry ``name``; returns the exports that used it.

        Refused while exports use it, unless ``force`` (those exports then cannot run until
        they are given another segment).
        """
        with self._history.audited("segment.remove", name, self._os_user) as detail:
            detail["exports"] = users = self._remove(name, force=force)
        return users

    def _remove(self, name: str, *, force: bool) -> list[str]:
        config = self._config.load()
        if name not in config.segments:
            raise UsageError(self._not_an_entry(config, name))
        users = exports_using_segment(config, name)
        if users and not force:
            raise UsageError(
                f"Segment '{name}' is used by export(s) {', '.join(users)}. Fix: give them "
                "another segment first (the app's export form, or cc-tui export add ... "
                "--replace), or pass --force (they then cannot run until changed)"
            )
        self._config.update(lambda current: without_segment(current, name))
        return users

    def _not_an_entry(self, config: AppConfig, name: str) -> str:
        found = find_segments(config).segments.get(name)
        if found is not None:
            return (
                f"Segment '{name}' is the file {found.path}, found in the segments folder "
                f"{found.origin}; it has no [segments.{name}] entry to remove. Fix: move the "
                f"file out of that folder, or stop reading the folder (cc-tui segment remove "
                f"--dir {found.origin})"
            )
        known = ", ".join(sorted(config.segments)) or "none"
        return f"No [segments.{name}] entry in config.toml (entries: {known})"

    # -- segments folders ------------------------------------------------------------------------

    def add_dir(self, folder: Path) -> SegmentOverview:
        """Add ``folder`` to ``segments_dirs``; returns what it holds (segments, skipped files)."""
        with self._history.audited("segments_dir.add", str(folder), self._os_user):
            return self._add_dir(folder)

    def _add_dir(self, folder: Path) -> SegmentOverview:
        folder = absolute_path(folder)
        info = examine(folder)
        if not stat.S_ISDIR(info.st_mode):
            raise UsageError(
                f"{folder} is a file, not a folder. Fix: add it as one segment "
                f"(cc-tui segment add NAME {folder})"
            )
        require_storable(folder)
        config = self._config.load()
        if any(path_identity(d) == path_identity(folder) for d in config.segments_dirs):
            raise UsageError(f"{folder} is already a segments folder")
        candidate = with_segments_dir(config, folder)
        found = find_segments(candidate)
        self._config.update(lambda current: with_segments_dir(current, folder))
        origin = str(folder)
        statuses = tuple(
            SegmentStatus(n, SegmentState.READY, s.path, s.origin, s)
            for n, s in found.segments.items()
            if s.origin == origin
        )
        skipped = tuple(w for w in found.warnings if origin in w)
        return SegmentOverview(statuses, skipped)

    def remove_dir(self, folder: Path, *, force: bool = False) -> list[str]:
        """Stop reading ``folder``; returns the exports that used its segments.

        Refused while exports use segments found only there, unless ``force``.
        """
        with self._history.audited("segments_dir.remove", str(folder), self._os_user) as detail:
            detail["exports"] = users = self._remove_dir(folder, force=force)
        return users

    def _remove_dir(self, folder: Path, *, force: bool) -> list[str]:
        wanted = path_identity(absolute_path(folder))
        config = self._config.load()
        matches = [d for d in config.segments_dirs if path_identity(d) == wanted]
        if not matches:
            known = ", ".join(str(d) for d in config.segments_dirs) or "none"
            raise UsageError(f"{folder} is not a segments folder (segments folders: {known})")
        target = matches[0]
        names = [
            name
            for name, seg in find_segments(config).segments.items()
            if seg.origin == str(target)
        ]
        users = sorted({user for name in names for user in exports_using_segment(config, name)})
        if users and not force:
            raise UsageError(
                f"Segments in {target} are used by export(s) {', '.join(users)}. Fix: give "
                "them other segments first, or pass --force (they then cannot run until "
                "changed)"
            )
        self._config.update(lambda current: without_segments_dir(current, target))
        return users

    # -- --segment NAME or PATH ------------------------------------------------------------------

    def resolve(self, refs: Sequence[str]) -> ResolvedSegments:
        """Segment names for ``--segment`` values; paths not known yet become new entries.

        Nothing is written: the caller saves the new entries with what needs them (an export).
        """
        config = self._config.load()
        found = find_segments(config)
        known = set(found.segments) | set(config.segments)
        by_key = _names_by_key(config, found)
        names: list[str] = []
        added: list[SegmentSource] = []
        looks: dict[str, SegmentLook] = {}
        for ref in refs:
            if ref in known:
                names.append(ref)
                continue
            if not looks_like_path(ref):
                raise InputError(unknown_segment_message(ref, sorted(known)))
            path = absolute_path(ref)
            name = by_key.get(_key(path, None))
            if name is None:
                examine(path)
                entities = self._entities(path, config, by_key)
                if len(entities) > 1:
                    raise InputError(_several_entities_message(path, entities, known))
                name = entities[0].segment if entities else None
            if name is not None:
                names.append(name)
                continue
            source = SegmentSource(name=derive_segment_name(path, known), path=path)
            look = self.check(source)
            looks[source.name] = look
            known.add(source.name)
            by_key.update(dict.fromkeys(_look_keys(source, look.segment), source.name))
            added.append(source)
            names.append(source.name)
        return ResolvedSegments(tuple(names), tuple(added), looks)
