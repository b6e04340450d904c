"""``cc-tui history repair``: a way out of a damaged history.sqlite3 (see store.history_repair)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.text import Text

from cc_tui.cli.context import CommandContext

if TYPE_CHECKING:
    from cc_tui.store.history_repair import RepairReport

__all__ = ["register", "repair_sentences"]


def register(history: argparse.ArgumentParser) -> None:
    """Add ``repair`` under ``cc-tui history`` (plain ``cc-tui history`` still lists runs)."""
    sub = history.add_subparsers(dest="history_command", metavar="COMMAND")
    repair = sub.add_parser(
        "repair",
        help="set a damaged history aside, keep what can be read, start a fresh one",
        description="Check history.sqlite3; if it is damaged, rename it with a UTC timestamp "
        "(history.sqlite3.damaged-YYYYMMDDTHHMMSSZ, kept beside the new one), start a fresh "
        "history and copy into it every run, batch and audit event that can still be read. "
        "A healthy history is left untouched.",
    )
    repair.set_defaults(handler=_repair)


def _repair(ctx: CommandContext) -> int:
    # Not ctx.services: opening the stores is what fails on a damaged history.
    paths = ctx.paths
    paths.ensure()
    from cc_tui.store.history_repair import repair_history

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
