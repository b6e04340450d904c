"""Files a run writes into its folder (runs/<run-id>/): private to the user who ran it.

They hold rows of the user's segments (e-mail addresses, names, phone numbers), so they are
created with mode 0600 whatever the umask, like the secrets and the emulator's state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

__all__ = ["RUN_FILE_MODE", "open_private"]

RUN_FILE_MODE = 0o600


def open_private(path: Path) -> IO[bytes]:
    """Open ``path`` for writing from its start (created or emptied), readable by its owner only.

    The folder is created if needed. A file left from an earlier attempt of the run keeps no
    wider mode than 0600.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, RUN_FILE_MODE)
    try:
        os.fchmod(fd, RUN_FILE_MODE)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise
