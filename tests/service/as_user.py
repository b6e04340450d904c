"""Run ``cc-tui ARGS`` as another OS user: ``python -m tests.service.as_user USER ARGS...``.

Started as root. It loads cc-tui and the modules its commands need, then gives up root for
good: the user's groups, gid and uid (what ``setpriv --reuid --regid --init-groups`` does),
and runs the command. Why not setpriv itself: this machine's Python lives under ``/root``
(0700), which another user cannot reach, so the interpreter must be loaded before the switch.
From then on the process is that user for the kernel: the service's ``SO_PEERCRED`` names it,
and the home's 0700/0600 files refuse it.
"""

from __future__ import annotations

import os
import pwd
import sys

__all__ = ["become", "main"]


def _preload() -> None:
    """Import what the commands import lazily, while the interpreter's files are reachable."""
    import asyncio  # noqa: F401
    import encodings.idna  # noqa: F401
    import unicodedata  # noqa: F401

    import cc_tui.cli.audit_commands
    import cc_tui.cli.connection_commands
    import cc_tui.cli.entry
    import cc_tui.cli.export_commands
    import cc_tui.cli.history_repair
    import cc_tui.cli.plan_commands
    import cc_tui.cli.run_commands
    import cc_tui.cli.scheduler_command
    import cc_tui.cli.segment_commands
    import cc_tui.cli.sign_in_display
    import cc_tui.constant_contact.auth
    import cc_tui.constant_contact.schemas
    import cc_tui.engine.connections
    import cc_tui.engine.exports
    import cc_tui.engine.plan
    import cc_tui.engine.segments.entries
    import cc_tui.engine.sources
    import cc_tui.qr
    import cc_tui.service.client
    import cc_tui.service.identity
    import cc_tui.service.protocol
    import cc_tui.service.segment_views
    import cc_tui.store.audit  # noqa: F401


def become(name: str) -> None:
    """Drop every privilege for those of OS user ``name`` (groups first, uid last)."""
    entry = pwd.getpwnam(name)
    os.setgroups(os.getgrouplist(name, entry.pw_gid))
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    if os.geteuid() != entry.pw_uid or os.getuid() != entry.pw_uid:
        raise SystemExit(f"could not become {name}")


def main() -> int:
    """``USER ARGS...``: run ``cc-tui ARGS`` as USER; its exit code."""
    name, argv = sys.argv[1], sys.argv[2:]
    _preload()
    become(name)
    from cc_tui.cli.entry import main as cc_tui_main

    return cc_tui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
