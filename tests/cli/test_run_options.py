"""`cc-tui run` options: --activity-deadline."""

from __future__ import annotations

import pytest

from cc_tui.cli.entry import build_parser
from cc_tui.engine.run_options import DEFAULT_ACTIVITY_DEADLINE


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("90s", 90.0), ("45m", 2_700.0), ("2h", 7_200.0), ("1.5H", 5_400.0), ("600", 600.0)],
)
def test_activity_deadline_takes_seconds_minutes_or_hours(value: str, seconds: float) -> None:
    args = build_parser().parse_args(["run", "promo", f"--activity-deadline={value}"])
    assert args.activity_deadline == seconds


def test_activity_deadline_defaults_to_two_hours() -> None:
    args = build_parser().parse_args(["run", "promo"])
    assert args.activity_deadline == DEFAULT_ACTIVITY_DEADLINE == 7_200.0


@pytest.mark.parametrize("value", ["0", "-5m", "2d", "soon", "nan", "inf", ""])
def test_a_bad_activity_deadline_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["run", "promo", f"--activity-deadline={value}"])
    assert stopped.value.code == 2
    assert f"'{value}' is not a duration" in capsys.readouterr().err
