"""``cc-tui history repair``: a way out of a damaged history.sqlite3 (see store.history_repair).

It runs in the command's own process, not in the service: the service opens the history for
every call, which is exactly what fails on a damaged file. So it is for the home's owner only
(the account that owns the folder holding history.sqlite3: you, on your own machine; the
service's account in a team): anyone else, root included (the fresh file would be root's, and
the service could not open it), is refused with exit 2 and the command to use. A damaged file
is not set aside while the home's service runs (it holds the history open): stop it first.
"""

from __future__ import annotations

import argparse
import os
import shlex
from typing import TYPE_CHECKING

from cc_tui.cli.context import CommandContext
from cc_tui.errors import AccessDeniedError, UsageError

if TYPE_CHECKING:
    from cc_tui.paths import AppPaths
    from cc_tui.store.history_repair import RepairReport

__all__ = ["register", "repair_sentences", "require_home_owner"]


def register(history: argparse.ArgumentParser) -> None:
    """Add ``repair`` under ``cc-tui history`` (plain ``cc-tui history`` still lists runs)."""
    sub = history.add_subparsers(dest="history_command", metavar="COMMAND")
    repair = sub.add_parser(
        "repair",
        help="set a damaged history aside, keep what can be read, start a fresh one",
        description="Check history.sqlite3; if it is damaged, rename it with a UTC timestamp "
        "(history.sqlite3.damaged-YYYYMMDDTHHMMSSZ, kept beside the new one), start a fresh "
        "history and copy into it every run, batch and audit event that can still be read. "
        "A healthy history is left untouched. It works on the files directly (the service "
        "cannot open a damaged history), so only the home's owner may run it (in a team, the "
        "service's account: sudo -u cc-tui cc-tui --home /var/lib/cc-tui history repair), and "
        "only while the home's service is stopped (cc-tui service stop).",
    )
    repair.set_defaults(handler=_repair)


def require_home_owner(paths: AppPaths) -> None:
    """Refuse (exit 2) anyone but the OS user owning the folder that holds the history."""
    folder = paths.history_db.parent
    try:
        owner = folder.stat().st_uid
    except FileNotFoundError:
        return  # no home yet: this user's own, created now
    except PermissionError:
        raise AccessDeniedError(
            f"You cannot reach {folder}: only the home's owner may repair its history."
        ) from None
    you = os.geteuid()
    if owner == you:
        return
    from cc_tui.service.identity import user_name

    home = paths.chosen_home or paths.data_dir
    raise AccessDeniedError(
        f"Only the home's owner ({user_name(owner)}) may repair its history, and "
        f"'{user_name(you)}' is not: run it as that account, e.g. sudo -u {user_name(owner)} "
        f"{shlex.join(['cc-tui', '--home', str(home)])} history repair."
    )


def _repair(ctx: CommandContext) -> int:
    from rich.text import Text  # Rich loads on use, not for --help

    # Not ctx.services nor the service: opening the stores is what fails on a damaged history.
    paths = ctx.paths
    require_home_owner(paths)
    paths.ensure()
    from cc_tui.service.client import service_answers
    from cc_tui.store.history_repair import history_problem, repair_history

    if history_problem(paths.history_db) is not None and service_answers(ctx.service_files):
        raise UsageError(
            f"The cc-tui service of {paths.config_dir} is running and holds the history open: "
            "stop it first (cc-tui service stop; runs going stop resumable), then run cc-tui "
            "history repair again. The next command starts the service again."
        )
    report = repair_history(paths.history_db)
    for sentence in repair_sentences(report):
        ctx.out.print(Text(sentence))
    return 0


def repair_sentences(report: RepairReport) -> list[str]:
    """What ``repair_history`` did, in sentences for the person."""
    if report.problem is None:
        return [f"{report.path} is healthy (SQLite's integrity check passed): nothing to repair."]
    kept = ", ".join(f"{count} {table}" for table, count in report.kept.items()) or "nothing"
    sentences = [
        f"{report.path} was damaged ({report.problem}).",
        f"It was set aside as {report.set_aside} (left as it was, for a specialist tool).",
        f"A fresh history was started; kept from the damaged file: {kept}.",
    ]
    by_reason: dict[str, list[str]] = {}
    for table, reason in report.unreadable.items():
        by_reason.setdefault(reason, []).append(table)
    sentences += [
        f"Could not read {', '.join(tables)}: {reason} (rows before the damage were kept)."
        for reason, tables in by_reason.items()
    ]
    return sentences
