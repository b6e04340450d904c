"""The Audit screen: reached with a key from Home and from the palette, entries newest first,
the chain's state on top (intact, or the edited entry named and marked), outside text safe."""

from __future__ import annotations

import sqlite3

from cc_tui.store.audit import AuditOutcome
from cc_tui.ui.screens.audit import AuditScreen
from cc_tui.ui.widgets.named_table import NamedTable
from tests.hostile import HOSTILE
from tests.ui.conftest import UiHome
from tests.ui.test_hostile_text import WIDE, _settle, screen_text, shown


async def test_a_on_home_opens_the_audit_log_newest_first(ui_home: UiHome) -> None:
    history = ui_home.services.history
    history.record_event(
        "connection.add", "c3", "bob", {"reason": "Only administrators may add connections"},
        outcome=AuditOutcome.REFUSED,
    )  # fmt: skip
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        await pilot.press("a")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.query_one("#audit-entries", NamedTable)
        newest = history.events(limit=1)[0]
        assert table.selected == str(newest.seq) and table.row_count == newest.seq
        assert screen.verification is not None and screen.verification.intact
        text = screen_text(app)
        assert f"chain intact: {newest.seq} entries" in text
        assert "refused" in text and "Only administrators may add connections" in text
        await pilot.press("j")  # the next older entry's detail
        await pilot.pause()
        assert table.selected == str(newest.seq - 1)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AuditScreen)


async def test_the_palette_opens_it_and_an_edit_is_shown_and_marked(ui_home: UiHome) -> None:
    history = ui_home.services.history
    with sqlite3.connect(history.path) as db:
        db.execute("DROP TRIGGER audit_events_no_update")
        db.execute("UPDATE audit_events SET os_user = 'mallory' WHERE id = 1")
    db.close()
    app = ui_home.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"audit: Show", "enter")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        assert screen.verification is not None and screen.verification.broken_seq == 1
        text = screen_text(app)
        assert "tampering detected: entry #1 was edited" in " ".join(text.split())
        assert "✘1" in text  # the entry named is marked in the list


async def test_outside_text_is_shown_literally(ui_home: UiHome) -> None:
    history = ui_home.services.history
    for text in HOSTILE:
        history.record_event("segment.add", text, text, {"path": text})
    app = ui_home.app()
    async with app.run_test(size=WIDE) as pilot:
        await _settle(app, pilot)
        await app.push_screen(AuditScreen())
        await _settle(app, pilot)
        await shown(app, pilot, "[/]", "[bold", "]][[x]", "␛[2J", "<U+202E>abc")
