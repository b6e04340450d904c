"""``cc-tui service start|status|stop``: the process that owns the home and runs its exports."""

from __future__ import annotations

import argparse
import logging
import time
from datetime import UTC, datetime

from cc_tui.cli.context import CommandContext
from cc_tui.cli.output import Column, cells
from cc_tui.errors import EXIT_FAILED
from cc_tui.units import duration_text, utc_time_text

__all__ = ["register", "serve_in_foreground"]

STOP_TIMEOUT = 120.0  # seconds `service stop` waits for runs to record where they stopped
_POLL = 0.1  # seconds between looks at a stopping service


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``service`` and its three commands."""
    service = commands.add_parser(
        "service",
        help="the cc-tui service: start, status, stop",
        description="The cc-tui service owns the home (config, secrets, history), runs every "
        "export (on demand and on schedule) and streams progress to the command line and the "
        "app. Runs go on when their client goes away. The first command that needs it starts "
        "it in the background; `service stop` stops it (running runs stop resumable).",
    )
    actions = service.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    start = actions.add_parser(
        "start",
        help="start the service (in the background unless --foreground)",
        description="Start the home's service. In the background by default (its output goes "
        "to service.log in the home); --foreground serves in this process until SIGTERM or "
        "Ctrl-C (systemd, containers). SIGTERM stops running runs resumable and exits 0.",
    )
    start.add_argument("--foreground", action="store_true", help="serve in this process")
    start.add_argument(
        "--shared",
        action="store_true",
        help="let other OS users connect (a team's service account): each is named by the "
        "kernel and may do what [roles] in config.toml allows",
    )
    start.set_defaults(handler=_start)
    status = actions.add_parser(
        "status",
        help="whether the service runs, and what it does",
        description="The service's process, uptime, home, socket, clients, runs, and what "
        "starts exports on its own: each scheduled export's next run and the exports run when "
        "their data is refreshed. Exit 1 when no service runs for the home.",
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_status)
    stop = actions.add_parser(
        "stop",
        help="stop the service (running runs stop resumable)",
        description="Stop the service: runs going now stop at their next batch boundary and "
        "resume with `cc-tui run NAME`; waits until it is down.",
    )
    stop.set_defaults(handler=_stop)


def _start(ctx: CommandContext) -> int:
    from cc_tui.service.client import service_answers, start_service

    files = ctx.service_files
    if ctx.args.foreground:
        return serve_in_foreground(ctx, shared=ctx.args.shared)
    if service_answers(files):
        ctx.out.print(
            f"The cc-tui service of {ctx.paths.config_dir} already runs ({files.socket})."
        )
        return 0
    start_service(ctx.paths, files, shared=ctx.args.shared)
    ctx.out.print(
        f"Started the cc-tui service of {ctx.paths.config_dir} on {files.socket} (log: "
        f"{files.log})."
    )
    return 0


def serve_in_foreground(ctx: CommandContext, *, shared: bool) -> int:
    """Serve the home in this process until SIGTERM, SIGINT or ``service stop``."""
    from cc_tui.service.cpu_share import leave_a_core_for_clients

    # Before anything imports Polars: it reads its thread count once.
    leave_a_core_for_clients()
    from cc_tui.service.server import ServiceServer, serve_until_signalled

    # What the service does goes to its log (stderr), with the time of each line.
    logging.getLogger("cc_tui.service").setLevel(logging.INFO)
    server = ServiceServer(ctx.paths, ctx.service_files, shared=shared)
    ctx.out.note(f"cc-tui service of {ctx.paths.config_dir} on {ctx.service_files.socket}")
    return serve_until_signalled(server)


def _status(ctx: CommandContext) -> int:
    from cc_tui.service.client import ServiceUnavailableError, request
    from cc_tui.service.protocol import ServiceState, ServiceStatus

    files = ctx.service_files
    try:
        state = request(ctx.paths, files, ServiceStatus(), autostart=False)
    except ServiceUnavailableError:
        if ctx.args.json:
            ctx.out.json({"running": False, "home": str(ctx.paths.config_dir)})
        else:
            ctx.out.print(f"No cc-tui service runs for {ctx.paths.config_dir} ({files.socket}).")
        return EXIT_FAILED
    assert isinstance(state, ServiceState)
    uptime = (datetime.now(UTC) - state.started_at).total_seconds()
    if ctx.args.json:
        import msgspec

        doc = msgspec.to_builtins(state)
        doc.pop("v", None)
        doc.pop("type", None)
        ctx.out.json({"running": True, "uptime_s": round(uptime, 1), **doc})
        return 0
    ctx.out.print(
        f"cc-tui service: process {state.pid} (user {state.user}), up {duration_text(uptime)}"
        f"{', shared' if state.shared else ''}"
    )
    ctx.out.print(f"home: {state.home}")
    ctx.out.print(f"socket: {state.socket}")
    ctx.out.print(f"clients connected: {state.clients} (you are {state.you})")
    if not state.runs:
        ctx.out.print("runs going: none")
    else:
        rows = []
        for run in state.runs:
            p = run.progress
            rows.append(
                cells(
                    [
                        run.export,
                        p.run_id if p else "(planning)",
                        p.phase.value if p else "resolving",
                        f"{p.done_fraction:.0%}" if p else "",
                        run.started_by + (" (schedule)" if run.scheduled else ""),
                        utc_time_text(run.started_at),
                    ]
                )
            )
        columns: list[Column | str] = [
            Column("export", whole=True),
            *("run", "phase", "done", "by", "started"),
        ]
        ctx.out.table(columns, rows)
    for export, due in sorted(state.scheduled.items(), key=lambda item: item[1]):
        ctx.out.print(f"next scheduled: {export} at {utc_time_text(due)}")
    for export, quiet in state.on_refresh.items():
        ctx.out.print(
            f"on refresh: {export} (when its data is refreshed, after {quiet} s of quiet)"
        )
    return 0


def _stop(ctx: CommandContext) -> int:
    from cc_tui.service.client import ServiceUnavailableError, request, service_answers
    from cc_tui.service.protocol import Done, ServiceStop

    files = ctx.service_files
    try:
        answer = request(ctx.paths, files, ServiceStop(), autostart=False)
    except ServiceUnavailableError:
        ctx.out.print(f"No cc-tui service runs for {ctx.paths.config_dir}.")
        return 0
    if isinstance(answer, Done) and answer.message:
        ctx.out.note(answer.message)
    deadline = time.monotonic() + STOP_TIMEOUT
    while service_answers(files) or files.socket.exists():
        if time.monotonic() > deadline:
            ctx.out.error(
                f"The service has not stopped after {STOP_TIMEOUT:.0f} s; see {files.log}."
            )
            return EXIT_FAILED
        time.sleep(_POLL)
    ctx.out.print("The cc-tui service stopped.")
    return 0
