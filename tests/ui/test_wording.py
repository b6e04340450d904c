"""What the app says of a count: singular for one, plural for more, never "(s)"."""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_tui.constant_contact.schemas import AccountSummary
from cc_tui.engine.connections import ConnectionCheck
from cc_tui.models.connection import Connection
from cc_tui.run_words import counted, noun
from cc_tui.ui.connection_changes import describe_check, removal_question
from cc_tui.ui.themes import theme_from_toml


def test_counted_and_noun() -> None:
    assert counted(1, "segment") == "1 segment"
    assert counted(0, "segment") == "0 segments"
    assert counted(1_200, "batch", "batches") == "1,200 batches"
    assert noun(1, "entry", "entries") == "entry"
    assert noun(2, "entry", "entries") == "entries"


def test_removal_question_counts_its_exports() -> None:
    one, _ = removal_question("marketing", ["weekly"])
    two, _ = removal_question("marketing", ["weekly", "daily"])
    assert "used by the export weekly." in one
    assert "used by the exports weekly, daily." in two
    assert "(s)" not in one + two


def test_theme_with_one_unknown_key(tmp_path: Path) -> None:
    path = tmp_path / "odd.toml"
    path.write_text('name = "odd"\nprimary = "#112233"\nshade = "#000000"\n')
    with pytest.raises(ValueError, match=r"odd.toml: unknown key shade$"):
        theme_from_toml(path)


def test_a_check_that_found_one_list() -> None:
    check = ConnectionCheck(
        connection=Connection(name="m", display_name="M", client_id="c"),
        account=AccountSummary(organization_name="Acme"),
        lists=1,
        token_expires_at=None,
    )
    assert "Organisation: Acme; 1 contact list;" in describe_check(check)
