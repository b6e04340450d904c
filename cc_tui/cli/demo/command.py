"""``cc-tui demo``: the whole product on this machine, no account and no network needed.

It starts the Constant Contact emulator in-process on a free loopback port, makes a home with
generated segments (realistic names, a few percent of invalid, missing and duplicate e-mails,
three overlapping files in three formats), adds and signs in a connection, marks a few of the
customers as having unsubscribed earlier, and saves an export, ready to run.

A second connection is left unsigned so a new user can try the real device sign-in: the app
shows the emulator's approval page and a code, and nothing approves it but the person (the
demo approves only its own connection's code). The app's "Use local emulator" fills in this
emulator's address, carried in :class:`Services`.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cc_tui.cli.context import CommandContext
from cc_tui.cli.numbers import at_least
from cc_tui.cli.run_commands import EXIT_CODES, run_export
from cc_tui.models.connection import UsableBy
from cc_tui.paths import AppPaths

if TYPE_CHECKING:  # the emulator's server, the engine, Polars and httpx load with the demo
    from cc_tui.emulator.server import EmulatorServer
    from cc_tui.engine.services import Services

__all__ = ["DEMO_EXPORT", "DemoEnvironment", "prepare_demo", "register"]

DEMO_ROWS = 100_000
DEMO_CONNECTION = "demo"
# Left unsigned: the device sign-in, approval page included, is there to be tried.
TRY_CONNECTION = "try-sign-in"
DEMO_EXPORT = "newsletter-weekly"
DEMO_LIST = "Newsletter subscribers"
# Share of demo customers who unsubscribed at some point (Constant Contact keeps them off lists).
UNSUBSCRIBED_SHARE = 0.004
DEMO_OPENING = "Setting up the demo: emulator, segments, connection, export…"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``demo``."""
    demo = commands.add_parser(
        "demo",
        help="try everything against the built-in emulator",
        description="Start the Constant Contact emulator in-process, create a home with demo "
        "segments, a signed-in connection, a connection left for you to sign in (open it, press "
        "ctrl+l and approve the code on the emulator's page) and an export. Without --headless "
        "the terminal app opens on it (press r to run); with --headless the export runs once "
        "and its summary is printed. The home is temporary unless --home is given.",
    )
    demo.add_argument(
        "--rows",
        type=at_least(0),
        default=DEMO_ROWS,
        metavar="N",
        help=f"rows in the main demo segment (default {DEMO_ROWS:,})",
    )
    demo.add_argument(
        "--headless", action="store_true", help="run the export once and print the summary (no app)"
    )
    demo.add_argument("--json", action="store_true", help="with --headless: print JSON")
    demo.set_defaults(handler=_demo)


@dataclass
class DemoEnvironment:
    """A demo home, its services and the emulator they talk to."""

    home: Path
    emulator: EmulatorServer
    services: Services
    temporary: bool

    def close(self) -> None:
        """Stop the emulator and (for a temporary home) delete the home."""
        self.services.close()
        self.emulator.stop()
        if self.temporary:
            shutil.rmtree(self.home, ignore_errors=True)


def prepare_demo(rows: int, home: Path | None = None, *, seed: int = 0) -> DemoEnvironment:
    """Emulator, segments, signed-in connection and export, ready to run."""
    from cc_tui.cli.demo.data import write_demo_segments
    from cc_tui.emulator.server import EmulatorServer
    from cc_tui.emulator.settings import EmulatorSettings
    from cc_tui.engine.exports import build_export
    from cc_tui.engine.services import Services

    temporary = home is None
    root = Path(tempfile.mkdtemp(prefix="cc-tui-demo-")) if home is None else home
    emulator = EmulatorServer(
        EmulatorSettings(port=0, auto_approve=False, device_poll_interval=0.1, seed=seed)
    )
    emulator.start()
    services = Services.open(AppPaths.resolve(root), emulator_url=emulator.url)
    environment = DemoEnvironment(root, emulator, services, temporary)
    try:
        folder = root / "segments"
        write_demo_segments(folder, rows, seed=seed)
        services.config.update(lambda c: replace(c, segments_dirs=(folder,)))
        _connect(services, emulator)
        _add_unsigned(services, emulator)
        list_id = _list_id(services)
        _mark_some_unsubscribed(emulator, folder / "customers.csv")
        services.exports.save(
            build_export(
                DEMO_EXPORT,
                connection=DEMO_CONNECTION,
                list_ids=[list_id],
                segments=["customers", "vip", "new-subscribers"],
                email="email",
                first_name="first_name",
                last_name="last_name",
                attributes=[
                    ("job_title", "job_title"),
                    ("company_name", "company"),
                    ("city", "city"),
                    ("country", "country"),
                    ("cf:loyalty_tier", "loyalty_tier"),
                ],
            ),
            replace=True,
        )
    except BaseException:
        environment.close()
        raise
    return environment


def _connect(services: Services, emulator: EmulatorServer) -> None:
    import asyncio  # an event loop only for the commands that run one

    _point_at(services, emulator, DEMO_CONNECTION, "Demo account (emulator)")
    # Only this code is approved here: the emulator waits for a person on every other one.
    asyncio.run(
        services.connections.sign_in(
            DEMO_CONNECTION, on_code=lambda code: emulator.approve(code.user_code)
        )
    )


def _add_unsigned(services: Services, emulator: EmulatorServer) -> None:
    """A connection to sign in by hand (kept unsigned; re-pointed at this emulator)."""
    _point_at(services, emulator, TRY_CONNECTION, "Try the sign-in (emulator)")


def _point_at(services: Services, emulator: EmulatorServer, name: str, display_name: str) -> None:
    """Add the demo connection ``name`` for this emulator, or re-point it here if it exists."""
    urls = {"api_base_url": emulator.api_base_url, "auth_base_url": emulator.auth_base_url}
    if name in services.config.load().connections:
        services.connections.edit(name, **urls)
        return
    services.connections.add(
        name,
        client_id="cc-tui-demo",
        display_name=display_name,
        usable_by=UsableBy.CONTRIBUTORS,
        accept_privacy=True,
        **urls,
    )


def _list_id(services: Services) -> str:
    import asyncio  # an event loop only for the commands that run one

    lists = asyncio.run(services.connections.contact_lists(DEMO_CONNECTION))
    return next(item.list_id for item in lists if item.name == DEMO_LIST)


def _mark_some_unsubscribed(emulator: EmulatorServer, segment: Path) -> None:
    import httpx
    import polars as pl

    emails = (
        pl.scan_csv(segment, infer_schema=False)
        .select(pl.col("email").str.strip_chars().str.to_lowercase())
        .filter(pl.col("email").str.contains(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"))
        .gather_every(max(1, round(1 / UNSUBSCRIBED_SHARE)))
        .collect()
        .get_column("email")
        .to_list()
    )
    contacts = [
        {"email": email, "permission_to_send": "unsubscribed", "list_ids": []} for email in emails
    ]
    response = httpx.post(
        f"{emulator.url}/__emulator/contacts", json={"contacts": contacts}, timeout=30
    )
    response.raise_for_status()


def _demo(ctx: CommandContext) -> int:
    home = Path(ctx.args.home).expanduser() if ctx.args.home else None
    if not ctx.args.headless:
        ctx.out.require_terminal(
            "cc-tui demo",
            "Run it once and print its summary instead: cc-tui demo --headless.",
        )
    ctx.out.note(DEMO_OPENING)
    if not ctx.args.headless:
        return _demo_app(ctx, home)
    environment = prepare_demo(ctx.args.rows, home)
    try:
        _say_where(ctx, environment)
        return _run_demo(ctx, environment)
    finally:
        environment.close()


def _demo_app(ctx: CommandContext, home: Path | None) -> int:
    """The app first, the demo set up behind its opening screen (on the app's opening thread).

    The app is a client of the demo home's service like any other: a service of the demo's own
    runs on a thread of this process and stops with it (unless one already serves the home
    given with ``--home``: the app uses that one).
    """
    from cc_tui.service.cpu_share import leave_a_core_for_clients

    # The demo's service shares this process with the app: its Polars leaves the app a core
    # (set before anything imports Polars, which reads its thread count once).
    leave_a_core_for_clients()
    from cc_tui.service.async_client import ServiceLink
    from cc_tui.service.client import service_answers
    from cc_tui.service.locate import service_files
    from cc_tui.service.server import ServiceServer, ServiceThread
    from cc_tui.ui.launch import run_app

    prepared: list[DemoEnvironment] = []
    services: list[ServiceThread] = []

    def open_demo() -> tuple[ServiceLink, str | None]:
        environment = prepare_demo(ctx.args.rows, home)
        prepared.append(environment)
        paths = environment.services.paths
        files = service_files(paths)
        if not service_answers(files):
            # No scheduler: the demo's runs are the ones started in its app.
            server = ServiceServer(paths, files, schedule=False)
            services.append(ServiceThread(server).start())
        return ServiceLink(paths, files), environment.emulator.url

    try:
        code = run_app(open_demo, focus_export=DEMO_EXPORT, opening=DEMO_OPENING)
    finally:
        for service in services:
            service.stop()  # its runs stop resumable, as on SIGTERM
        for environment in prepared:
            environment.close()
    for environment in prepared:  # said once the terminal is the shell's again
        _say_where(ctx, environment)
    return code


def _say_where(ctx: CommandContext, environment: DemoEnvironment) -> None:
    ctx.out.note(f"Demo home: {environment.home}  ·  emulator: {environment.emulator.url}")


def _run_demo(ctx: CommandContext, environment: DemoEnvironment) -> int:
    from cc_tui.cli.run_display import print_summary  # with Rich: loaded on use, not for --help
    from cc_tui.engine.run_options import RunOptions

    demo_ctx = CommandContext(args=ctx.args, out=ctx.out, _services=environment.services)
    record = run_export(demo_ctx, DEMO_EXPORT, RunOptions(), quiet=ctx.args.json)
    if ctx.args.json:
        ctx.out.json(record.to_json())
        return EXIT_CODES[record.status]
    print_summary(ctx.out, record)
    list_id = environment.services.exports.get(DEMO_EXPORT).list_ids[0]
    members = len(environment.emulator.list_members(list_id))
    ctx.out.print(f"'{DEMO_LIST}' now has {members:,} members in the emulator.")
    return EXIT_CODES[record.status]
