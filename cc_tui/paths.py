"""Every on-disk location of cc-tui, in one place.

By default the files follow the platform's conventions (platformdirs): config.toml, secrets.toml
and user themes in the user config folder; run history and rejected rows in the user data folder;
locks of running exports and the cache (uncompressed copies of segments) in the user state
folder. ``CC_TUI_HOME`` (or ``--home DIR``) puts every file under that one folder instead, which
is what tests and demos do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = [
    "APP_NAME",
    "FIELD_PROBLEMS_FILE",
    "HOME_ENV_VAR",
    "REJECTED_ROWS_FILE",
    "WOULD_SEND_FILE",
    "AppPaths",
    "RunPaths",
]

APP_NAME = "cc-tui"
HOME_ENV_VAR = "CC_TUI_HOME"
# The files a run writes in its folder, runs/<run-id>/.
REJECTED_ROWS_FILE = "rejected.csv"  # every rejected row with its reason (0600)
FIELD_PROBLEMS_FILE = "field_problems.csv"  # every field changed or dropped (0600)
WOULD_SEND_FILE = "would_send.jsonl"  # a dry run's requests, one JSON body per line


@dataclass(frozen=True, slots=True)
class RunPaths:
    """The files of one run, in its folder ``runs/<run-id>/``."""

    folder: Path

    @classmethod
    def beside(cls, run_file: str | Path) -> RunPaths:
        """The run whose folder holds ``run_file`` (the record keeps its rejected-rows file)."""
        return cls(Path(run_file).parent)

    @property
    def rejected_rows(self) -> Path:
        """Every rejected row with its reason."""
        return self.folder / REJECTED_ROWS_FILE

    @property
    def field_problems(self) -> Path:
        """Every field changed or dropped: segment, row, field, reason, value."""
        return self.folder / FIELD_PROBLEMS_FILE

    @property
    def would_send(self) -> Path:
        """A dry run's requests, one per line."""
        return self.folder / WOULD_SEND_FILE


@dataclass(frozen=True, slots=True)
class AppPaths:
    """The three roots cc-tui writes to and the files inside them."""

    config_dir: Path
    data_dir: Path
    state_dir: Path

    @classmethod
    def resolve(
        cls, home: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> AppPaths:
        """``home`` wins, then ``$CC_TUI_HOME``, then the platform's user folders."""
        env = os.environ if environ is None else environ
        chosen = home if home is not None else env.get(HOME_ENV_VAR) or None
        if chosen is not None:
            root = Path(chosen).expanduser().resolve()
            return cls(config_dir=root, data_dir=root, state_dir=root)
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            state_dir=Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
        )

    @property
    def config_file(self) -> Path:
        """connections, exports, segment folders, roles, theme, keymap."""
        return self.config_dir / "config.toml"

    @property
    def secrets_file(self) -> Path:
        """OAuth tokens per connection (mode 0600)."""
        return self.config_dir / "secrets.toml"

    @property
    def themes_dir(self) -> Path:
        """User themes, one TOML file each."""
        return self.config_dir / "themes"

    @property
    def history_db(self) -> Path:
        """Runs, batches and audit events (SQLite, WAL)."""
        return self.data_dir / "history.sqlite3"

    @property
    def runs_dir(self) -> Path:
        """One folder per run, holding its rejected rows."""
        return self.data_dir / "runs"

    def run_dir(self, run_id: str) -> Path:
        """The folder of one run."""
        return self.runs_dir / run_id

    def run_paths(self, run_id: str) -> RunPaths:
        """The files of one run."""
        return RunPaths(self.run_dir(run_id))

    @property
    def locks_dir(self) -> Path:
        """Lock files of exports that are running now."""
        return self.state_dir / "locks"

    @property
    def cache_dir(self) -> Path:
        """Private working copies (decompressed segments); each process removes its own."""
        return self.state_dir / "cache"

    def ensure(self) -> None:
        """Create the folders (private to the user) if they do not exist yet."""
        for folder in {self.config_dir, self.data_dir, self.state_dir}:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
