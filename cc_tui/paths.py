"""Every on-disk location of cc-tui, in one place.

By default the files follow the platform's conventions (platformdirs): config.toml, secrets.toml
and user themes in the user config folder; run history and rejected rows in the user data folder;
locks of running exports and the cache (uncompressed copies of segments) in the user state
folder. ``CC_TUI_HOME`` (or ``--home DIR``) puts every file under that one folder instead, which
is what tests and demos do.

Everything under these folders is private to the user (the files hold contact rows, tokens and
the run history): every folder cc-tui makes is 0700 and every file 0600, created that way (never
widened first and narrowed after). A home the user names (``--home`` / ``CC_TUI_HOME``) that
already exists with a wider mode is refused with the ``chmod`` that fixes it, because it may be
shared on purpose and cc-tui will not change that silently; the platform folders are cc-tui's own
(named after it), so a wider one is narrowed to 0700.
"""

from __future__ import annotations

import errno
import logging
import os
import shlex
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from cc_tui.errors import ConfigError

__all__ = [
    "APP_NAME",
    "FIELD_PROBLEMS_FILE",
    "HOME_ENV_VAR",
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "REJECTED_ROWS_FILE",
    "WOULD_SEND_FILE",
    "AppPaths",
    "RunPaths",
    "ensure_private_dir",
    "open_private_fd",
]

APP_NAME = "cc-tui"
HOME_ENV_VAR = "CC_TUI_HOME"
PRIVATE_DIR_MODE = 0o700
"""Every folder cc-tui makes: only its owner may list or enter it."""
PRIVATE_FILE_MODE = 0o600
"""Every file cc-tui writes under its home: only its owner may read or write it."""
_OTHERS_BITS = stat.S_IRWXG | stat.S_IRWXO

_log = logging.getLogger(__name__)

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
    chosen_home: Path | None = None
    """The one folder given by ``--home`` / ``CC_TUI_HOME``; None: the platform's folders."""

    @classmethod
    def resolve(
        cls, home: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> AppPaths:
        """``home`` wins, then ``$CC_TUI_HOME``, then the platform's user folders."""
        env = os.environ if environ is None else environ
        if home is not None and not str(home):
            # Path("") is the current folder: `--home "$UNSET"` would make it the home.
            raise ConfigError(
                "--home is empty (an unset shell variable?)",
                fix="give the folder: --home DIR, or leave --home out",
            )
        chosen = home if home is not None else env.get(HOME_ENV_VAR) or None
        if chosen is not None:
            root = Path(chosen).expanduser().resolve()
            return cls(config_dir=root, data_dir=root, state_dir=root, chosen_home=root)
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
        """Create the folders (0700) if they do not exist yet; refuse a wider chosen home.

        Raises :class:`ConfigError` (exit 2) naming the ``chmod 700`` that fixes a home the user
        chose which group or others may enter. A platform folder found wider is narrowed. A
        folder that cannot be made or written (a read-only mount, another user's folder, a file
        in the way) is a :class:`ConfigError` too, naming it: every command would fail on it.
        """
        if self.chosen_home is not None:
            _refuse_wide_home(self.chosen_home)
        roots = sorted({self.config_dir, self.data_dir, self.state_dir})
        try:
            for folder in (*roots, self.runs_dir, self.locks_dir, self.cache_dir):
                ensure_private_dir(folder)
        except OSError as exc:
            if exc.errno not in _UNUSABLE:
                raise  # a full disk has its own message (StorageFullError, at the command line)
            raise _unusable(Path(exc.filename or roots[0]), exc.errno) from None
        for folder in roots:
            # access() says EROFS even to root, for whom the mode bits would not.
            if not os.access(folder, os.W_OK | os.X_OK):
                raise _unusable(folder, _write_refusal(folder))


_IN_THE_WAY = frozenset({errno.ENOTDIR, errno.EEXIST})
_UNUSABLE = _IN_THE_WAY | {errno.EROFS, errno.EACCES, errno.EPERM}
"""What makes a home's folder impossible to make or write, however often it is tried."""
_WRITABLE_FIX = "make the folder writable by you (mount it read-write, or chown/chmod it)"


def _unusable(folder: Path, code: int | None) -> ConfigError:
    """The error for a home's folder that cannot be made or written (``code``: the errno)."""
    if code in _IN_THE_WAY:
        reason, fix = "a file is in the way where a folder should be", "move that file away"
    elif code == errno.EROFS:
        reason, fix = "it is on a read-only file system", _WRITABLE_FIX
    else:
        reason, fix = "you may not create or write in it", _WRITABLE_FIX
    return ConfigError(
        f"cc-tui cannot keep its files here: {reason}",
        path=folder,
        fix=f"{fix}, or give another home with --home DIR or CC_TUI_HOME",
    )


def _write_refusal(folder: Path) -> int:
    """Why ``access(W_OK)`` said no: EROFS on a read-only mount, EACCES otherwise."""
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return errno.EROFS if read_only else errno.EACCES


def ensure_private_dir(folder: Path) -> Path:
    """``folder`` created 0700 with its missing parents, or narrowed to 0700 if it is wider.

    Only for folders cc-tui owns (its home's subfolders, its platform folders): a wider mode
    there is a leftover of an older version, not a choice someone made. Returns ``folder``.
    """
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for created in reversed(missing):
        # mkdir's mode is masked by the umask, which can only narrow it: 0700 or less.
        created.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & _OTHERS_BITS:
        _log.warning("narrowing %s from %o to 700 (it holds private files)", folder, mode)
        folder.chmod(PRIVATE_DIR_MODE)
    return folder


def open_private_fd(path: Path, flags: int) -> int:
    """``os.open(path, flags | O_CREAT)`` with mode 0600 from the very first instant.

    The umask can only narrow the mode; an existing file left wider by an older version is
    narrowed to 0600 through the open descriptor before anything is written.
    """
    fd = os.open(path, flags | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & _OTHERS_BITS:
            os.fchmod(fd, PRIVATE_FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _refuse_wide_home(home: Path) -> None:
    try:
        mode = stat.S_IMODE(home.stat().st_mode)
    except FileNotFoundError:
        return  # cc-tui creates it 0700
    except OSError as exc:  # a file where a parent folder should be, a folder not to be entered
        in_the_way = next((up for up in home.parents if up.is_file()), home)
        raise _unusable(in_the_way, exc.errno) from None
    if not home.is_dir():
        raise ConfigError(
            "the cc-tui home is not a folder",
            path=home,
            fix="point --home / CC_TUI_HOME at a folder",
        )
    if mode & _OTHERS_BITS:
        # A folder everyone shares (/tmp, sticky, or not this user's) is never to be narrowed:
        # the home goes in a folder of its own inside it.
        shared = bool(mode & stat.S_ISVTX) or home.stat().st_uid != os.geteuid()
        fix = (
            f"give a folder of its own: mkdir -m 700 {shlex.quote(str(home / APP_NAME))}, "
            "then --home that folder"
            if shared
            else f"chmod 700 {shlex.quote(str(home))}"
        )
        raise ConfigError(
            f"the cc-tui home may be read by other users (mode {mode:o}); it holds contact "
            "rows, tokens and the run history, so cc-tui refuses to use it",
            path=home,
            fix=fix,
        )
