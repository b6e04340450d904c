"""``cc-tui``: parse the command line, run one command, map errors to exit codes."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import NoReturn

from cc_tui import __version__
from cc_tui.cli import (
    audit_commands,
    connection_commands,
    export_commands,
    history_commands,
    plan_commands,
    run_commands,
    scheduler_command,
    segment_commands,
    service_commands,
    storage_commands,
)
from cc_tui.cli.context import CommandContext
from cc_tui.cli.demo import command as demo
from cc_tui.cli.output import Output, OutputClosedError
from cc_tui.cli.signals import EXIT_TERMINATED, Terminated, sigterm_unwinds
from cc_tui.errors import CcTuiError, StorageFullError, is_disk_full
from cc_tui.safe_text import visible

__all__ = ["build_parser", "main"]

EXIT_INTERRUPTED = 130
EXIT_OUTPUT_CLOSED = 128 + signal.SIGPIPE
"""141: what a shell shows for a command cut off by SIGPIPE (``ls | head``), so a script's
``set -o pipefail`` reads cc-tui like any other command whose reader left early."""
Handler = Callable[[CommandContext], int]


class _Parser(argparse.ArgumentParser):
    """argparse, with what was typed made visible in its errors.

    argparse repeats the words it could not use (``unrecognized arguments: ...``, a value an
    option's ``type`` refused): a word pasted from data may hold an ESC or a bidi override,
    which must reach the terminal as ``␛`` or ``<U+202E>``, not act on it. Every command's
    parser is of this class (``add_subparsers`` makes its parsers of the parent's type).
    """

    def error(self, message: str) -> NoReturn:
        """Print the usage and the error (made visible, on one line), exit 2."""
        super().error(visible(message))


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; every command has its own ``--help``."""
    parser: argparse.ArgumentParser = _Parser(
        prog="cc-tui",
        description="Export customer segments to Constant Contact lists. Without a command, "
        "opens the terminal app.",
    )
    parser.add_argument(
        "--home",
        metavar="DIR",
        default=None,
        help="keep every file (config, secrets, history) under DIR "
        "(default: $CC_TUI_HOME, else the platform's user folders)",
    )
    parser.add_argument(
        "--service",
        metavar="PATH",
        default=None,
        help="the socket of a shared cc-tui service (default: $CC_TUI_SERVICE_SOCKET, else "
        "your own service of the home, started when first needed)",
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="count",
        default=0,
        help="log more (-vv for debug); tokens are never logged",
    )
    parser.add_argument("--version", action="version", version=f"cc-tui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    emulator = commands.add_parser(
        "emulator",
        help="serve the local Constant Contact emulator on loopback",
        description="Serve a local emulator of the Constant Contact V3 API and its OAuth2 "
        "device flow, on loopback only. Demos and tests use it; no account is needed.",
    )
    from cc_tui.emulator.command import add_emulator_arguments

    add_emulator_arguments(emulator)
    emulator.set_defaults(handler=_emulator)
    connection_commands.register(commands)
    segment_commands.register(commands)
    export_commands.register(commands)
    run_commands.register(commands)
    history_commands.register(commands)
    plan_commands.register(commands)
    demo.register(commands)
    scheduler_command.register(commands)
    storage_commands.register(commands)
    service_commands.register(commands)
    audit_commands.register(commands)
    return parser


def _open_app(ctx: CommandContext) -> int:
    ctx.out.require_terminal(
        "cc-tui without a command", "Run a command instead: cc-tui --help lists them."
    )
    from cc_tui.service.async_client import ServiceLink
    from cc_tui.ui.launch import run_app

    # The app is the service's client: it paints first, then reaches (or starts) the service.
    return run_app(ServiceLink(ctx.paths, ctx.service_files))


def _emulator(ctx: CommandContext) -> int:
    from cc_tui.emulator.command import run_emulator, settings_from_args

    return run_emulator(settings_from_args(ctx.args))


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code (the exit codes: README.md, "Command line")."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        # --help or --version printed into a pipe whose reader already left (| head -1).
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _stop_writing(_stdout_fileno())
            raise SystemExit(EXIT_OUTPUT_CLOSED) from None
        raise
    _configure_logging(args.verbose)
    handler: Handler | None = getattr(args, "handler", None)
    out = Output()
    ctx = CommandContext(args=args, out=out)
    if handler is None:
        handler = _open_app
    # The app's own terminal handling (Textual) is left to SIGTERM's default.
    opens_app = handler is _open_app or (args.command == "demo" and not args.headless)
    try:
        with contextlib.nullcontext() if opens_app else sigterm_unwinds():
            return handler(ctx)
    except CcTuiError as exc:
        out.error(str(exc))
        return exc.exit_code
    except OSError as exc:
        # The last net for a full disk met outside a run (demo data, a config write...): the
        # message and exit code of a run stopped by it, not a traceback.
        if not is_disk_full(exc):
            raise
        full = StorageFullError(exc.filename or "a file in the cc-tui home")
        out.error(str(full))
        return full.exit_code
    except OutputClosedError as exc:
        # `cc-tui history | head -1`: the reader has what it wanted; nothing is wrong. A run
        # being watched goes on in the service (as when its terminal goes away).
        _stop_writing(exc.fileno)
        return EXIT_OUTPUT_CLOSED
    except KeyboardInterrupt:
        out.note("Interrupted.")
        return EXIT_INTERRUPTED
    except Terminated:
        out.note("Terminated (SIGTERM).")
        return EXIT_TERMINATED
    finally:
        ctx.close()


def _stdout_fileno() -> int | None:
    try:
        return sys.stdout.fileno()
    except (OSError, ValueError):  # a stream without a descriptor, or closed
        return None


def _stop_writing(fileno: int | None) -> None:
    """Point a descriptor whose reader left at /dev/null: the interpreter's last flush of
    stdout at exit would otherwise raise again ("Exception ignored ... BrokenPipeError")."""
    if fileno is None:
        return
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fileno)
        os.close(devnull)


class _VisibleFormatter(logging.Formatter):
    """Log lines go to the terminal too: their outside text (URLs, API errors) made visible."""

    def format(self, record: logging.LogRecord) -> str:
        return visible(super().format(record), multiline=True)


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_VisibleFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    # httpx logs every request line at INFO; keep that for -vv only.
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)
