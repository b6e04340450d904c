"""``cc-tui run NAME``: start, watch, attach to or cancel a run in the service (exit codes, JSON
summary); a run in this process for the demo's temporary home. What it shows: :mod:`run_display`."""

from __future__ import annotations

import argparse
import contextlib
import shlex
from typing import TYPE_CHECKING

from cc_tui.cli.context import CommandContext
from cc_tui.cli.output import Visible
from cc_tui.cli.signals import Terminated
from cc_tui.engine.progress import RunEvent, RunProgress
from cc_tui.errors import EXIT_RESUMABLE
from cc_tui.models.run import RunRecord
from cc_tui.run_words import (
    stand_phrase,
)
from cc_tui.service.outcome import EXIT_CODES, exit_code

if TYPE_CHECKING:  # the runner (Polars, httpx) is imported by the commands that run
    from collections.abc import Callable, Iterator

    from cc_tui.cli.run_display import LiveDisplay
    from cc_tui.engine.run_options import RunOptions
    from cc_tui.engine.runner import ExportRunner
    from cc_tui.service.client import RunStream
    from cc_tui.service.protocol import RunEnded

__all__ = [
    "EXIT_CODES",
    "exit_code",
    "register",
    "run_export",
    "watch_run",
]

_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
# The sender's DEFAULT_ACTIVITY_DEADLINE, as written on the command line: argparse passes a
# text default through ``type``, so parsing needs no import of the sender (tests hold the two
# equal).
_DEFAULT_DEADLINE_TEXT = "2h"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``run``."""
    run = commands.add_parser(
        "run",
        help="run an export now (resumes an interrupted run)",
        description="Run an export: read its segments, send every valid contact once, confirm "
        "it through Constant Contact. An interrupted run of the export is resumed unless "
        "--restart. Exit codes: 0 done, 1 failed or contacts refused, 2 usage/config/input "
        "error, 3 stopped but resumable, 130 Ctrl-C. The cc-tui service (started when first "
        "needed) carries the run out: it goes on if this command's terminal goes away, and "
        "Ctrl-C stops it (resumable).",
    )
    run.add_argument("name", metavar="NAME")
    where = run.add_mutually_exclusive_group()
    where.add_argument(
        "--detach",
        action="store_true",
        help="start the run in the service, print its id and return (exit 0); watch it "
        "later with --attach",
    )
    where.add_argument(
        "--attach",
        action="store_true",
        help="watch the run of NAME going on in the service (or the last one that ended "
        "since it started) and exit with its exit code; Ctrl-C leaves it running",
    )
    where.add_argument(
        "--cancel",
        action="store_true",
        help="stop the run of NAME going on in the service at its next batch boundary (resumable)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="do everything but call Constant Contact; show what would be sent",
    )
    run.add_argument(
        "--restart", action="store_true", help="start over instead of resuming an interrupted run"
    )
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument(
        "--activity-deadline",
        type=_duration,
        default=_DEFAULT_DEADLINE_TEXT,
        metavar="TIME",
        help="how long to wait for one Constant Contact import activity before stopping the "
        f"run, resumable: 90s, 45m, 2h (default {_DEFAULT_DEADLINE_TEXT})",
    )
    run.add_argument(
        "--allow-quota-spill",
        action="store_true",
        help="run even when today's API quota cannot hold the whole run (see cc-tui plan)",
    )
    run.set_defaults(handler=_run)


def _duration(text: str) -> float:
    """Seconds from ``90s``, ``45m``, ``2h`` or a bare number of seconds (argparse type)."""
    value = text.strip().lower()
    unit = _DURATION_UNITS.get(value[-1:])
    number = value[:-1] if unit is not None else value
    try:
        seconds = float(number) * (unit or 1.0)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a duration: give a positive number with s, m or h, like 45m or 2h"
        )
    return seconds


def _run(ctx: CommandContext) -> int:
    from cc_tui.cli.run_display import print_summary  # with Rich: loaded on use, not for --help
    from cc_tui.service.client import RunStream, connect, request
    from cc_tui.service.protocol import Done, RunAttach, RunCancel, RunStart

    args = ctx.args
    name: str = args.name
    if args.cancel or args.attach:
        _require_service(ctx, name)
    if args.cancel:
        answer = request(ctx.paths, ctx.service_files, RunCancel(export=name), autostart=False)
        ctx.out.print(answer.message if isinstance(answer, Done) else f"Asked to cancel {name}.")
        return 0
    intent: RunStart | RunAttach = (
        RunAttach(export=name)
        if args.attach
        else RunStart(
            export=name,
            dry_run=args.dry_run,
            restart=args.restart,
            activity_deadline=args.activity_deadline,
            allow_quota_spill=args.allow_quota_spill,
        )
    )
    with RunStream(connect(ctx.paths, ctx.service_files, autostart=not args.attach)) as stream:
        stream.send(intent)
        if args.detach:
            return _detached(ctx, name, stream)
        ended = watch_run(ctx, name, stream, quiet=args.json, attached=args.attach)
    if args.json:
        ctx.out.json(ended.record.to_json())
    else:
        print_summary(ctx.out, ended.record)
    return ended.exit_code


def _require_service(ctx: CommandContext, name: str) -> None:
    """No service, no run to watch or cancel: say so in the words of the run."""
    from cc_tui.errors import RunError
    from cc_tui.service.client import service_answers

    files = ctx.service_files
    if not files.shared_socket and not service_answers(files):
        raise RunError(
            f"No run of '{name}' is going: no cc-tui service runs for this home. Its past "
            f"runs: cc-tui history --export {name}."
        )


def _detached(ctx: CommandContext, name: str, stream: RunStream) -> int:
    """Wait until the run exists (its id is known), print the id, leave it to the service."""
    from cc_tui.cli.run_display import print_summary
    from cc_tui.service.protocol import RunProgressed

    seen: list[RunProgress] = []
    ended = _follow(stream, name, seen.append, lambda _: None, until=RunProgressed)
    if ended is not None:  # it ended before this client saw it begin
        if ctx.args.json:
            ctx.out.json(ended.record.to_json())
        else:
            print_summary(ctx.out, ended.record)
        return ended.exit_code
    run_id = seen[0].run_id if seen else ""
    if ctx.args.json:
        ctx.out.json({"run_id": run_id, "export": name, "status": "running"})
    else:
        ctx.out.print(run_id)
    ctx.out.note(
        f"Run {run_id} of {name} goes on in the cc-tui service. Watch it: "
        f"{_run_command(ctx, name)} --attach · stop it: {_run_command(ctx, name)} --cancel"
    )
    return 0


def watch_run(
    ctx: CommandContext, name: str, stream: RunStream, *, quiet: bool, attached: bool = False
) -> RunEnded:
    """Show a run the service streams, live on a terminal, event lines otherwise.

    Ctrl-C asks the service to stop the run at a batch boundary (it stays resumable) and
    waits for its record; with ``attached`` (a watcher of a run started elsewhere) Ctrl-C
    only leaves, and the run goes on. SIGTERM (kill, timeout) only leaves too, whoever
    started the run. Either way the interruption goes on to the caller.
    """
    from cc_tui.cli.run_display import LiveDisplay

    display = LiveDisplay(ctx.out) if ctx.out.errors.is_terminal else None

    def on_event(event: RunEvent) -> None:
        if display is not None:
            display.add_event(event)
        elif not quiet:
            ctx.out.note(f"{event.at:%H:%M:%S} {event.message}")

    def on_progress(progress: RunProgress) -> None:
        if display is not None:
            display.update(progress)

    def follow() -> RunEnded:
        ended = _follow(stream, name, on_progress, on_event)
        assert ended is not None  # followed to the end
        return ended

    try:
        if display is None:
            return follow()
        with _shown_live(ctx, display):
            return follow()
    except Terminated:
        # kill, timeout, a supervisor: this watcher goes, the run is the service's (as when
        # the terminal goes away). The Live above has given the terminal back already.
        ctx.out.note(
            f"Left the run of {name}: it goes on in the cc-tui service. Watch it: "
            f"{_run_command(ctx, name)} --attach · stop it: {_run_command(ctx, name)} --cancel"
        )
        raise
    except KeyboardInterrupt:
        if attached:
            ctx.out.note(
                f"Left the run of {name}: it goes on in the cc-tui service. Stop it with "
                f"{_run_command(ctx, name)} --cancel."
            )
            raise
        record = _cancel(stream, name)
        _say_interrupted(ctx, name, record, as_json=quiet)
        raise


@contextlib.contextmanager
def _shown_live(ctx: CommandContext, display: LiveDisplay) -> Iterator[None]:
    """``display`` live on stderr for the block, and the terminal given back after it.

    Not ``with Live(...)``: Live's ``__enter__`` hides the cursor and starts the refresh
    thread, and a Ctrl-C or SIGTERM landing there, before the block, would skip ``__exit__``
    and leave the cursor hidden with the display redrawing itself. Started inside ``try``,
    it is stopped whenever it started.
    """
    from rich.live import Live

    # Live refreshes outside Output.print: its renderable makes its own text visible.
    live = Live(Visible(display), console=ctx.out.errors, refresh_per_second=10, transient=True)
    display.live = live
    try:
        live.start(refresh=True)
        yield
    finally:
        live.stop()


def _follow(
    stream: RunStream,
    name: str,
    on_progress: Callable[[RunProgress], None],
    on_event: Callable[[RunEvent], None],
    *,
    until: type | None = None,
) -> RunEnded | None:
    """Feed a run's stream to the observers until it ends (or an ``until`` message comes)."""
    from cc_tui.service.client import RemoteError, ServiceUnavailableError
    from cc_tui.service.protocol import Failure, RunEnded, RunLogged, RunProgressed

    for answer in stream.answers():
        if isinstance(answer, RunProgressed):
            on_progress(answer.progress)
        elif isinstance(answer, RunLogged):
            on_event(answer.event)
        elif isinstance(answer, RunEnded):
            return answer
        elif isinstance(answer, Failure):
            raise RemoteError.of(answer)
        if until is not None and isinstance(answer, until):
            return None
    error = ServiceUnavailableError(
        f"The cc-tui service went away before the run of {name} ended; the run resumes with "
        f"cc-tui run {name}."
    )
    error.exit_code = EXIT_RESUMABLE
    raise error


def _cancel(stream: RunStream, name: str) -> RunRecord | None:
    """Ask the service to stop the run and wait for its record (None: it had not begun).

    A second Ctrl-C leaves at once; the service still stops the run.
    """
    from cc_tui.errors import CcTuiError
    from cc_tui.service.protocol import RunCancel

    try:
        stream.send(RunCancel(export=name))
        ended = _follow(stream, name, lambda _: None, lambda _: None)
    except (CcTuiError, OSError):  # refused, or the service went away meanwhile
        return None
    return ended.record if ended is not None else None


def run_export(
    ctx: CommandContext,
    name: str,
    options: RunOptions,
    *,
    quiet: bool = False,
    runner: ExportRunner | None = None,
) -> RunRecord:
    """Run ``name`` in this process with a live display on a terminal, event lines otherwise
    (the demo's temporary home; ``cc-tui run`` goes through the service: :func:`watch_run`).

    Ctrl-C stops the run at a batch boundary (it stays resumable); before the interruption
    goes on to the caller, the person is told where the run stands and that running the same
    command again resumes it (with ``--json``, the interrupted run's summary is printed too).
    """
    import asyncio  # an event loop only for the commands that run one

    from cc_tui.cli.run_display import LiveDisplay
    from cc_tui.engine.runner import ExportRunner

    if runner is None:
        runner = ExportRunner(ctx.services, transport=ctx.services.transport)
    display = LiveDisplay(ctx.out) if ctx.out.errors.is_terminal else None
    seen: list[str] = []  # the run's id, once the engine reports it

    def on_event(event: RunEvent) -> None:
        if display is not None:
            display.add_event(event)
        elif not quiet:
            ctx.out.note(f"{event.at:%H:%M:%S} {event.message}")

    def on_progress(progress: RunProgress) -> None:
        if not seen:
            seen.append(progress.run_id)
        if display is not None:
            display.update(progress)

    async def go() -> RunRecord:
        return await runner.run(name, options, on_progress=on_progress, on_event=on_event)

    try:
        if display is None:
            return asyncio.run(go())
        with _shown_live(ctx, display):
            return asyncio.run(go())
    except KeyboardInterrupt:
        record = runner.history.get(seen[0]) if seen else None
        _say_interrupted(ctx, name, record, as_json=quiet)
        raise


def _say_interrupted(
    ctx: CommandContext, name: str, record: RunRecord | None, *, as_json: bool
) -> None:
    """What Ctrl-C left behind, and how to go on."""
    from rich.text import Text

    if record is None:
        message = f"Stopped (Ctrl-C) before the run of {name} began: nothing was sent."
    elif record.dry_run:
        message = f"Preview of {name} stopped (Ctrl-C): nothing was sent."
    else:
        message = (
            f"Stopped (Ctrl-C): run {record.run_id} of {name} is interrupted after attempt "
            f"{record.attempts}: {stand_phrase(record.figures)}. Run `{_run_command(ctx, name)}`"
            " again to resume it: confirmed batches are skipped, posted ones are checked, the "
            "rest are sent."
        )
    if record is not None and as_json:
        ctx.out.json(record.to_json())
    # Wrapped at word boundaries for the terminal's width (a note would keep it one line).
    ctx.out.errors.print(Text(message, no_wrap=False, overflow="fold"), soft_wrap=False)


def _run_command(ctx: CommandContext, name: str) -> str:
    """The command that resumes ``name`` (naming the home when one was given), quoted for the
    shell: a home with a space (``/srv/cc tui``) pasted unquoted would name another folder."""
    home = getattr(ctx.args, "home", None)
    words = ["cc-tui", *(["--home", home] if home else []), "run", name]
    return shlex.join(words)
