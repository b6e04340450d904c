"""DetailPanel: everything about the highlighted connection, export or run."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from cc_tui.engine.plan import ExportPlan, quota_sentence
from cc_tui.models.config import Export
from cc_tui.models.connection import ConnectionStatus
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.models.run_progress import RunProgress
from cc_tui.run_words import (
    contacts_sentence,
    reasons_phrase,
    rows_sentence,
    status_word,
    time_sentence,
)
from cc_tui.safe_text import visible
from cc_tui.schedules import describe_schedule, next_run
from cc_tui.ui.list_names import ListNames
from cc_tui.ui.outside_text import plain, plain_text
from cc_tui.units import ago_text, duration_text, local_time_text, now
from cc_tui.verify_words import verify_sentence

__all__ = ["DetailPanel"]


def _grid(rows: Sequence[tuple[str, str | Text]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    # Words wrap; a word longer than the column (a list id, a path) folds whole onto the next
    # line instead of ending in "…": people copy these.
    grid.add_column(overflow="fold")
    for key, value in rows:
        grid.add_row(key, value if isinstance(value, Text) else plain_text(value, multiline=True))
    return grid


def _schedule_text(schedule: str | None, *, on_refresh: bool = False) -> str:
    refresh = "on refresh (when its data is refreshed)"
    if not schedule:
        return refresh if on_refresh else "on demand (no schedule)"
    upcoming = local_time_text(next_run(schedule, now()))
    text = (
        f"{schedule}: {describe_schedule(schedule)}; next {upcoming} (when cc-tui scheduler runs)"
    )
    return f"{text}; and {refresh}" if on_refresh else text


def _lists_text(list_ids: Sequence[str], names: ListNames | None, *, asked: bool) -> Text:
    """One line per list: the account's name for it beside its id, or the id alone and why.

    ``names`` None: being asked (``asked``) or not asked at all (a detached export). Names come
    from the account: shown as they are, never read as markup.
    """
    text = Text()
    for number, list_id in enumerate(list_ids):
        if number:
            text.append("\n")
        name = names.name_of(list_id) if names is not None else None
        if name is not None:
            text.append(visible(name) or "(unnamed)")
            text.append(f"  {visible(list_id)}", style="dim")
            continue
        text.append(visible(list_id))
        if names is not None and not names.unknown:
            text.append(" (not among the account's lists)", style="bold")
    if not list_ids:
        text.append("none")
    elif names is not None and names.unknown:
        text.append(f"\n(names not known: {names.unknown})", style="dim")
    elif names is None and asked:
        text.append("\n(asking Constant Contact for their names)", style="dim")
    return text


def _plan_rows(plan: ExportPlan | str | None) -> list[tuple[str, str | Text]]:
    """The next run's plan, in two rows (the CLI's ``cc-tui plan`` says more)."""
    if plan is None:
        return [("plan", Text("being worked out", style="dim"))]
    if isinstance(plan, str):
        return [("plan", plain_text(f"none: {plan}", multiline=True))]
    return [
        (
            "plan",
            f"at most {plan.contacts:,} contacts in {plan.batches:,}+ batches, "
            f"{plan.requests.total:,} requests, {duration_text(plan.seconds)} or more",
        ),
        ("quota", quota_sentence(plan)),
    ]


class DetailPanel(VerticalScroll):
    """The details of what is highlighted in the list that has the focus."""

    HELP = "Details of the highlighted connection, export or run."
    DEFAULT_CSS = """
    DetailPanel #detail-live { display: none; }
    DetailPanel #detail-live.-running { display: block; }
    """
    _shown_heights: dict[str, int | None]
    _body_key: object = None  # what the body shows now (None: always redraw it)

    def compose(self):  # type: ignore[no-untyped-def]
        self._shown_heights = {}
        # A running export's figures change a few times a second: they have a line of their
        # own, so the body (Rich tables, whose every redraw measures each cell: 10-25 ms) is
        # drawn again only when what it shows changes.
        yield Static(id="detail-live")
        yield Static(id="detail-body")

    def _show(
        self, title: str, body: RenderableType, live: RunProgress | None = None, key: object = None
    ) -> None:
        """Show ``body`` under ``title``; ``live``: a running export's figures, on their own
        line; ``key``: what the body is made of (an equal key: the body shown is kept)."""
        self.border_title = plain(title)
        self._show_live(live)
        if key is not None and key == self._body_key:
            return
        self._body_key = key
        self._update("#detail-body", body)

    def _show_live(self, live: RunProgress | None) -> None:
        line = self.query_one("#detail-live", Static)
        line.set_class(live is not None, "-running")
        if live is None:
            return
        # Final contacts (confirmed, refused, unsubscribed), said so: a bare "0/200,000" read
        # as nothing sent while every contact was posted. The percentage is the status line's.
        done = live.confirmed + live.failed + live.unsubscribed
        percent = f" {live.done_fraction:.0%}" if live.contacts_total else ""
        self._update(
            "#detail-live",
            Text.assemble(
                ("running", "bold"),
                f"  {live.phase.value}{percent}: {done:,} of {live.contacts_total or 0:,} "
                f"contacts final, {live.throughput:,.0f}/s (enter to watch)",
            ),
        )

    def _update(self, selector: str, content: RenderableType) -> None:
        """Show ``content`` in the Static ``selector``; the screen is laid out again only when
        its height changes (counted at its width: a render of this content alone), which
        saves the app's loop a layout of the whole screen (10-30 ms) on every redraw."""
        static = self.query_one(selector, Static)
        height = self._height_of(content, static.content_region.width)
        known = self._shown_heights.get(selector)
        static.update(content, layout=height is None or height != known)
        self._shown_heights[selector] = height

    def _height_of(self, body: RenderableType, width: int) -> int | None:
        """The lines ``body`` takes at ``width`` (None before the panel has a size)."""
        if width <= 0:
            return None
        console = self.app.console
        return len(console.render_lines(body, console.options.update_width(width), pad=False))

    def show_nothing(self, hint: str) -> None:
        """An empty list: say what to do."""
        self._show("Details", Text(hint, style="dim"))

    def show_connection(self, status: ConnectionStatus, used_by: Sequence[str]) -> None:
        """A connection: display name, consent, tokens (masked), exports using it."""
        conn = status.connection
        consent = "not accepted: open it and accept the statement"
        if conn.consent:
            accepted = local_time_text(conn.consent.accepted_at)
            consent = f"accepted by {conn.consent.accepted_by} on {accepted}"
        expires = status.token_expires_at
        token = (
            f"valid until {local_time_text(expires)} ({ago_text(expires)})"
            if status.signed_in
            else "not signed in"
        )
        self._show(
            f"Connection {conn.name}",
            _grid(
                [
                    ("display name", conn.display_name),
                    ("client ID", conn.client_id),
                    (
                        "usable by",
                        "administrators"
                        if conn.usable_by.value == "admins"
                        else "administrators and contributors",
                    ),
                    ("privacy consent", consent),
                    ("access token", token),
                    ("API", conn.api_base_url),
                    ("used by", ", ".join(used_by) or "no export"),
                ]
            ),
        )

    def show_export(
        self,
        export: Export,
        last: RunRecord | None,
        live: RunProgress | None,
        plan: ExportPlan | str | None = None,
        lists: ListNames | None = None,
    ) -> None:
        """An export: lists, segments, mapping, schedule, latest run, the plan of its next
        run (``None``: being made; a string: why there is none); ``lists``: the names of its
        connection's lists (``None``: being asked, when it has a connection)."""
        mapping = Table("Constant Contact field", "column", box=None, padding=(0, 2))
        for field, column in export.mapping.columns().items():
            mapping.add_row(plain_text(field), plain_text(column))
        schedule = _schedule_text(export.schedule, on_refresh=export.on_refresh)
        rows: list[tuple[str, str | Text]] = [
            ("connection", export.connection or "(detached: edit it to choose one)"),
            ("lists", _lists_text(export.list_ids, lists, asked=bool(export.connection))),
            ("segments", " → ".join(export.segments)),
            ("schedule", schedule),
        ]
        if last is not None and last.status is RunStatus.RUNNING:
            # The record's figures are those of its start: the live line above has the real
            # ones ("0 confirmed" here beside "79,999 of 200,000 final" above was wrong).
            started = local_time_text(last.started_at)
            above = " (its figures above)" if live is not None else ""
            rows.append(("last run", f"running since {started}{above}"))
        elif last is not None:
            rows.append(
                (
                    "last run",
                    f"{last.status.value}{' (preview)' if last.dry_run else ''}"
                    f", {local_time_text(last.started_at)}: {last.confirmed:,} "
                    f"confirmed, {sum(last.rejected.values()):,} rejected",
                )
            )
            if last.verification is not None:
                rows.append(("last check", verify_sentence(last.verification)))
        rows += _plan_rows(plan)
        key = ("export", export, last, plan, schedule, lists)
        self._show(f"Export {export.name}", Group(_grid(rows), Text(""), mapping), live, key)

    def show_run(self, run: RunRecord) -> None:
        """A run: the accounted figures and what went wrong."""
        figures = run.figures
        rows: list[tuple[str, str | Text]] = [
            ("status", status_word(run) + (" (nothing sent)" if run.dry_run else "")),
            ("started", f"{local_time_text(run.started_at)}, {time_sentence(run)}"),
            ("rows", rows_sentence(figures, reasons=False)),
            ("contacts", contacts_sentence(figures)),
            ("rejected", reasons_phrase(run.rejected, zeros=False)),
            ("requests", f"{run.requests} ({run.retries} retries, {run.throttled} throttled)"),
            ("rejected rows", run.rejected_rows_file or "—"),
        ]
        if run.verification is not None:
            rows.append(("check", verify_sentence(run.verification)))
        if run.error:
            rows.append(("error", plain_text(run.error, style="bold", multiline=True)))
        self._show(f"Run {run.run_id}", _grid(rows))
