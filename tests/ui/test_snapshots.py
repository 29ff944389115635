"""How the app looks: one snapshot per view, with fixed data, a fixed clock and UTC.

Update with ``pytest tests/ui/test_snapshots.py --snapshot-update`` and look at the SVGs in
``__snapshots__/`` before committing them.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from textual.widgets import Input

from app.api import RestBackend, StaticToken
from app.config import Settings
from app.embedded import seed as demo
from app.local_state import StateFile
from app.unified import UnifiedBackend
from tests.ui.support import FIXED_NOW, SIZE, inbox_app, seeded_inbox, settle
from tests.ui.test_triage import thread_about_the_mention

SNOOZABLE = "SELECT id FROM notifications WHERE status = 'inbox' ORDER BY timestamp DESC LIMIT 3 OFFSET 2"
"""Three notifications of the demo inbox to snooze (not the newest, which the inbox opens on)."""

UNREACHABLE = "http://127.0.0.1:9"
"""The discard port: nothing listens there, so a connection is refused at once."""


@pytest.fixture
def demo_app(tmp_path):
    return inbox_app(seeded_inbox(tmp_path / "inbox.sqlite3", 300))


def pressing(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run_before


class TestMainView:
    def test_inbox(self, snap_compare, demo_app):
        assert snap_compare(demo_app, terminal_size=SIZE, run_before=pressing())

    def test_preview_of_the_mention_example(self, snap_compare, demo_app):
        assert snap_compare(demo_app, terminal_size=SIZE, run_before=pressing("enter"))

    def test_three_selected(self, snap_compare, demo_app):
        assert snap_compare(demo_app, terminal_size=SIZE, run_before=pressing("j", "space", "space", "space"))

    def test_archived_tab(self, snap_compare, demo_app):
        assert snap_compare(demo_app, terminal_size=SIZE, run_before=pressing("2"))

    def test_narrow_terminal(self, snap_compare, demo_app):
        assert snap_compare(demo_app, terminal_size=(80, 40), run_before=pressing())


class TestDialogs:
    def test_delete_dialog(self, snap_compare, demo_app):
        assert snap_compare(demo_app, terminal_size=SIZE, run_before=pressing("space", "space", "d"))

    def test_help(self, snap_compare, demo_app):
        assert snap_compare(demo_app, terminal_size=SIZE, run_before=pressing("question_mark"))


class TestStates:
    def test_empty_inbox(self, snap_compare, tmp_path):
        app = inbox_app(seeded_inbox(tmp_path / "empty.sqlite3", 0))
        assert snap_compare(app, terminal_size=SIZE, run_before=pressing())

    def test_server_down(self, snap_compare):
        app = inbox_app(RestBackend(UNREACHABLE, StaticToken("x")))
        assert snap_compare(app, terminal_size=SIZE, run_before=pressing())


class TestSeveralServers:
    def test_unified_inbox_with_a_server_down(self, snap_compare, tmp_path):
        unified = UnifiedBackend(
            {
                "work": seeded_inbox(tmp_path / "work.sqlite3", 30),
                "staging": seeded_inbox(tmp_path / "staging.sqlite3", 20),
                "prod": RestBackend(UNREACHABLE, StaticToken("x")),
            }
        )
        assert snap_compare(inbox_app(unified), terminal_size=SIZE, run_before=pressing())

    def test_profile_picker(self, snap_compare, tmp_path):
        config = tmp_path / "config.toml"
        config.write_text(
            '[profiles.work]\nurl = "https://cms.example.com"\ntoken = "x"\n\n'
            '[profiles.staging]\nurl = "https://staging.example.com"\ntoken = "y"\n'
        )
        config.chmod(0o600)
        app = inbox_app(seeded_inbox(tmp_path / "inbox.sqlite3", 30), Settings(config_path=config))
        assert snap_compare(app, terminal_size=SIZE, run_before=pressing("P"))

    def test_purge_dialog(self, snap_compare, demo_app):
        async def run_before(pilot) -> None:
            await pressing("X")(pilot)
            pilot.app.screen.query_one("#purge-age", Input).cursor_blink = False  # the same picture every time
            await settle(pilot)

        assert snap_compare(demo_app, terminal_size=SIZE, run_before=run_before)


class TestTriage:
    def test_filter_picker_with_counts(self, snap_compare, demo_app):
        assert snap_compare(demo_app, terminal_size=SIZE, run_before=pressing("f"))

    def test_snoozed_view(self, snap_compare, tmp_path):
        path = tmp_path / "inbox.sqlite3"
        app = inbox_app(seeded_inbox(path, 300))
        with sqlite3.connect(path) as conn:
            ids = [row[0] for row in conn.execute(SNOOZABLE)]
        state = StateFile.for_account(app.backend.info.location, demo.CURRENT_USER.id)
        for hours, key in enumerate(ids, start=1):
            state.snooze([key], FIXED_NOW + timedelta(hours=hours * 7))
        assert snap_compare(app, terminal_size=SIZE, run_before=pressing("Z"))

    def test_overview(self, snap_compare, demo_app):
        assert snap_compare(demo_app, terminal_size=SIZE, run_before=pressing("v"))

    def test_threaded_list(self, snap_compare, tmp_path):
        path = tmp_path / "inbox.sqlite3"
        app = inbox_app(seeded_inbox(path, 300))
        thread_about_the_mention(path)
        assert snap_compare(app, terminal_size=SIZE, run_before=pressing("T", "j", "k", "x"))
