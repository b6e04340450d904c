"""config.toml: the one way to read and change it, and the changes a face asks for.

A file that does not parse or validate is never overwritten: :meth:`ConfigStore.update` reads
and validates the current file before it writes (:mod:`cc_tui.store.config_reader`), so a
hand-edit with a typo stays on disk for the user to fix, with an error that names the file,
the key, the line and the fix. The TOML document written is built by :func:`config_to_toml`
(:mod:`cc_tui.store.config_writer`) and written atomically. The ``with_*`` / ``without_*``
functions are the edits, pure functions of an :class:`AppConfig`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import tomli_w

from cc_tui.atomic import atomic_write_text
from cc_tui.models.config import AppConfig, Export, SegmentSource
from cc_tui.models.connection import Connection
from cc_tui.models.storage import StorageConnection
from cc_tui.paths import open_private_fd
from cc_tui.store.config_reader import load_config, validate_config_text
from cc_tui.store.config_writer import config_to_toml

__all__ = [
    "ConfigStore",
    "with_connection",
    "with_export",
    "with_segment",
    "with_segments_dir",
    "with_storage",
    "without_connection",
    "without_export",
    "without_segment",
    "without_segments_dir",
    "without_storage",
]


class ConfigStore:
    """The one way to read and change config.toml; changes are locked, validated and atomic."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> AppConfig:
        """The current configuration (an empty one when the file does not exist yet)."""
        return load_config(self.path)

    def update(self, change: Callable[[AppConfig], AppConfig]) -> AppConfig:
        """Apply ``change`` to the file's current content and write the result atomically.

        Holds an exclusive lock so two cc-tui processes cannot lose each other's edits. The
        current file is validated first: a broken file raises and is left untouched.
        """
        with self._locked():
            current = load_config(self.path)
            updated = change(current)
            self._write(updated)
            return updated

    def _write(self, config: AppConfig) -> None:
        text = tomli_w.dumps(config_to_toml(config))
        # Re-read what we are about to write: a bug here must not leave an unreadable file.
        validate_config_text(self.path, text)
        # 0600: config.toml names the API hosts the stored tokens are sent to.
        atomic_write_text(self.path, text)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        fd = open_private_fd(lock_path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock


def with_connection(config: AppConfig, connection: Connection) -> AppConfig:
    """``config`` with ``connection`` added or replaced."""
    return replace(config, connections={**config.connections, connection.name: connection})


def without_connection(config: AppConfig, name: str, *, detach_exports: bool) -> AppConfig:
    """``config`` without connection ``name``; its exports are detached (connection unset)."""
    exports = dict(config.exports)
    if detach_exports:
        for export_name in config.exports_using(name):
            exports[export_name] = replace(exports[export_name], connection=None)
    connections = {key: conn for key, conn in config.connections.items() if key != name}
    return replace(config, connections=connections, exports=exports)


def with_export(config: AppConfig, export: Export) -> AppConfig:
    """``config`` with ``export`` added or replaced."""
    return replace(config, exports={**config.exports, export.name: export})


def without_export(config: AppConfig, name: str) -> AppConfig:
    """``config`` without export ``name``."""
    return replace(config, exports={k: v for k, v in config.exports.items() if k != name})


def with_segment(config: AppConfig, source: SegmentSource) -> AppConfig:
    """``config`` with the ``[segments.NAME]`` entry ``source`` added or replaced."""
    return replace(config, segments={**config.segments, source.name: source})


def without_segment(config: AppConfig, name: str) -> AppConfig:
    """``config`` without the ``[segments.NAME]`` entry ``name`` (exports are left as they are)."""
    return replace(config, segments={k: v for k, v in config.segments.items() if k != name})


def with_segments_dir(config: AppConfig, folder: Path) -> AppConfig:
    """``config`` with ``folder`` appended to ``segments_dirs`` (once: a repeat is not added)."""
    if folder in config.segments_dirs:
        return config
    return replace(config, segments_dirs=(*config.segments_dirs, folder))


def without_segments_dir(config: AppConfig, folder: Path) -> AppConfig:
    """``config`` without ``folder`` in ``segments_dirs``."""
    return replace(config, segments_dirs=tuple(d for d in config.segments_dirs if d != folder))


def with_storage(config: AppConfig, storage: StorageConnection) -> AppConfig:
    """``config`` with ``storage`` added or replaced."""
    return replace(config, storage={**config.storage, storage.name: storage})


def without_storage(config: AppConfig, name: str) -> AppConfig:
    """``config`` without the storage connection ``name``."""
    return replace(config, storage={k: v for k, v in config.storage.items() if k != name})
