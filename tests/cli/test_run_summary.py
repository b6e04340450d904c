"""The run summary (CLI and app) shows the fields changed or dropped, per field and reason."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from cc_tui.cli.output import Output
from cc_tui.cli.run_display import print_summary
from cc_tui.models.reasons import REJECT_REASONS
from cc_tui.models.run import RunRecord, RunStatus
from cc_tui.ui.widgets.run_summary import summary_content

FIELDS = {
    "anniversary": {"dropped_invalid_date": 809, "changed_date_format": 12},
    "first_name": {"changed_control_characters": 3},
    "cf:[b]bold": {"dropped_too_long": 1},
}


def record(**changes: object) -> RunRecord:
    values: dict[str, object] = {
        "run_id": "r1", "export": "promo", "connection": "conn", "status": RunStatus.SUCCEEDED,
        "dry_run": False, "os_user": "ana", "started_at": datetime(2026, 1, 2, tzinfo=UTC),
        "finished_at": datetime(2026, 1, 2, 0, 1, tzinfo=UTC), "rows_read": 1000, "sent": 1000,
        "confirmed": 1000, "rejected": dict.fromkeys(REJECT_REASONS, 0),
        "rejected_rows_file": "/home/ana/runs/r1/rejected.csv", **changes,
    }  # fmt: skip
    return RunRecord(**values)  # type: ignore[arg-type]


def cli_summary(run: RunRecord) -> str:
    stdout = io.StringIO()
    print_summary(Output(stdout=stdout, stderr=io.StringIO()), run)
    return stdout.getvalue()


def test_cli_summary_counts_fields_per_field_and_reason() -> None:
    text = cli_summary(record(fields=FIELDS))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "fields changed 15 values sent in a form Constant Contact accepts" in lines
    assert "fields dropped 810 values left out; their contacts were still sent" in lines
    assert "anniversary 821 changed_date_format 12, dropped_invalid_date 809" in lines
    assert "first_name 3 changed_control_characters 3" in lines
    assert "cf:[b]bold 1 dropped_too_long 1" in lines  # a name is text, never markup
    assert "Field problems: /home/ana/runs/r1/field_problems.csv" in lines
    assert "truncated" not in text


def test_cli_summary_without_field_problems_says_nothing_about_them() -> None:
    text = cli_summary(record())
    assert "fields" not in text and "Field problems" not in text
    assert "truncated 4" in " ".join(cli_summary(record(truncated=4)).split())


def test_app_summary_counts_fields_per_field_and_reason() -> None:
    plain = summary_content(record(fields=FIELDS)).plain
    lines = plain.splitlines()
    assert "fields changed 15 · dropped 810 (their contacts were still sent)" in lines
    assert "  anniversary: changed_date_format 12, dropped_invalid_date 809" in lines
    assert "  cf:[b]bold: dropped_too_long 1" in lines
    assert "field problems: /home/ana/runs/r1/field_problems.csv" in lines
    assert "truncated" not in plain
    quiet = summary_content(record()).plain
    assert "fields" not in quiet and "truncated" not in quiet
