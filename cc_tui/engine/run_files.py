"""Files a run writes into its folder (runs/<run-id>/): private to the user who ran it.

They hold rows of the user's segments (e-mail addresses, names, phone numbers), so the folder is
0700 and the files are created with mode 0600 whatever the umask, like the secrets and the
emulator's state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from cc_tui.paths import PRIVATE_FILE_MODE, ensure_private_dir, open_private_fd

__all__ = ["RUN_FILE_MODE", "open_private"]

RUN_FILE_MODE = PRIVATE_FILE_MODE


def open_private(path: Path) -> IO[bytes]:
    """Open ``path`` for writing from its start (created or emptied), readable by its owner only.

    The folder is created (0700) if needed. A file left from an earlier attempt of the run keeps
    no wider mode than 0600.
    """
    ensure_private_dir(path.parent)
    fd = open_private_fd(path, os.O_WRONLY | os.O_TRUNC)
    try:
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise
