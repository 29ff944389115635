"""Acting on notifications in the embedded inbox: archive, undo, select, delete, links, compose.

What the server holds afterwards is read through a second backend on the same file, the way
another client (the CLI) would see it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from textual.message import Message

from app.backend import BATCH_CHUNK
from app.embedded import EmbeddedBackend
from app.errors import ForbiddenError, NetworkError
from app.models import ARCHIVED, INBOX, Notification, NotificationChanges, NotificationDraft, Page, Query
from app.ui.messages import BulkProgress
from app.ui.screens.confirm import ConfirmScreen
from app.ui.widgets.preview import Preview
from tests.ui.support import (
    MENTION_SUBJECT,
    cursor_subject,
    inbox_app,
    previewed,
    row_at,
    rows,
    run,
    screen_text,
    seeded_inbox,
    settle,
    text_in,
    toasts,
    under_cursor,
)

INBOX_TAB = {"status": {"_neq": ARCHIVED}}


@pytest.fixture
async def backend(tmp_path):
    inbox = seeded_inbox(tmp_path / "inbox.sqlite3", 300)
    yield inbox
    await inbox.aclose()


@pytest.fixture
async def server(backend):
    """The same inbox, opened separately: what the server now holds."""
    other = EmbeddedBackend(backend.info.location)
    yield other
    await other.aclose()


async def statuses(server: EmbeddedBackend, ids: Sequence[int]) -> list[str]:
    return [(await server.get(key)).status for key in ids]


async def test_archive_three_then_undo(backend, server):
    inbox_before = (await server.list_notifications(Query(mine=True, filter=INBOX_TAB, limit=1))).filter_count
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        first_three = [row_at(app, row) for row in range(3)]
        fourth = row_at(app, 3)
        await pilot.press("space", "space", "space")
        assert "3 selected" in screen_text(app)
        await pilot.press("a")
        assert cursor_subject(app) == fourth.subject, "the rows go at once, the cursor on the next one"
        await settle(pilot)
        assert await statuses(server, [n.id for n in first_three]) == [ARCHIVED] * 3
        assert "3 notifications archived. Press u to undo." in toasts(app)
        assert f"Inbox {inbox_before - 3}" in screen_text(app)
        assert all(str(n.subject) not in rows(app)[0] for n in first_three)

        await pilot.press("u")
        await settle(pilot)
        assert await statuses(server, [n.id for n in first_three]) == [INBOX] * 3
        assert f"Inbox {inbox_before}" in screen_text(app)
        assert MENTION_SUBJECT in rows(app)[0]


async def test_archive_in_archived_moves_back_to_the_inbox(backend, server):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        moved = under_cursor(app)
        await pilot.press("a")
        await settle(pilot)
        assert (await server.get(moved.id)).status == INBOX
        assert "1 notification moved to the inbox. Press u to undo." in toasts(app)
        await pilot.press("1")
        await settle(pilot)
        assert moved.id in {n.id for n in app.main.current_list.cache.loaded()}


async def test_select_fifty_and_delete_after_confirming(backend, server):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        chosen = [row_at(app, row).id for row in range(50)]
        await pilot.press(*["space"] * 50)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Delete 50 notifications? This cannot be undone." in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        remaining = await server.list_notifications(Query(filter={"id": {"_in": chosen}}, limit=-1))
        assert remaining.items == []
        assert "50 notifications deleted." in toasts(app)
        assert not set(chosen) & {n.id for n in app.main.current_list.cache.loaded()}


async def test_cancelling_the_delete_keeps_the_notification(backend, server):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        current = under_cursor(app)
        await pilot.press("delete")
        await pilot.pause()
        text = screen_text(app)
        assert "Delete 1 notification? This cannot be undone." in text
        assert f"{MENTION_SUBJECT} from Rijk van Zanten" in text
        await pilot.press("enter")  # Cancel has the focus
        await settle(pilot)
        assert not app.screen.is_modal
        assert (await server.get(current.id)).subject == MENTION_SUBJECT


async def test_star_selects_the_loaded_then_offers_all_and_archives_all(tmp_path):
    backend = seeded_inbox(tmp_path / "big.sqlite3", 1000)
    inbox = (await backend.list_notifications(Query(mine=True, filter=INBOX_TAB, limit=1))).filter_count
    app = inbox_app(backend)
    messages: list[Message] = []
    async with run(app, messages=messages) as pilot:
        await settle(pilot)
        await pilot.press("asterisk")
        loaded = len(app.main.current_list.selected)
        assert loaded < inbox
        assert f"Selected the {loaded} loaded. Press * again to select all {inbox:,}." in toasts(app)
        await pilot.press("asterisk")
        assert f"All {inbox:,} selected" in screen_text(app)
        await pilot.press("a")
        await pilot.pause()
        assert app.main.current_list.row_count == 0
        await settle(pilot)
        assert (await backend.list_notifications(Query(mine=True, filter=INBOX_TAB, limit=1))).filter_count == 0
        assert f"{inbox:,} notifications archived. Press u to undo." in toasts(app)
        assert "Inbox 0" in screen_text(app)

        def progress(verb: str) -> list[tuple[int, int]]:
            return [(m.done, m.total) for m in messages if isinstance(m, BulkProgress) and m.verb == verb]

        assert progress("Finding") == [(inbox, inbox)], "ids collected in one request"
        assert progress("Archiving") == [(BATCH_CHUNK, inbox), (inbox, inbox)], "the batch endpoint ran in chunks"
    await backend.aclose()


async def test_escape_clears_the_selection(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("space", "space")
        assert len(app.main.current_list.selected) == 2
        await pilot.press("escape")
        assert app.main.current_list.selected == set()
        assert "selected" not in screen_text(app)


class FlakyBackend(EmbeddedBackend):
    """An inbox whose server can be taken down."""

    down = False

    async def list_notifications(self, query: Query) -> Page:
        if self.down:
            raise NetworkError("Cannot reach http://cms.example: connection refused.", code="NETWORK")
        return await super().list_notifications(query)


async def test_a_failed_refresh_keeps_what_is_on_screen(tmp_path):
    backend = seeded_inbox(tmp_path / "inbox.sqlite3", 300, FlakyBackend)
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        before = rows(app)
        backend.down = True
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert rows(app) == before
        assert (
            "Could not refresh; showing what was loaded before: Cannot reach http://cms.example: connection "
            "refused. Is the server running and the URL right?" in toasts(app)
        )
        backend.down = False
        await pilot.press("f5", "j")
        await settle(pilot)
        assert app.main.current_list.cursor == 1
    await backend.aclose()


class RefusingBackend(EmbeddedBackend):
    """An inbox whose server refuses every change of status."""

    async def _update_batch(self, keys: Sequence[int], changes: NotificationChanges) -> list[Notification]:
        raise ForbiddenError("You don't have permission to access this.", code="FORBIDDEN", status=403)


async def test_a_refused_archive_puts_the_rows_back_and_says_why(tmp_path):
    backend = seeded_inbox(tmp_path / "inbox.sqlite3", 300, RefusingBackend)
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        before = rows(app)
        await pilot.press("j", "space", "space", "a")
        await settle(pilot)
        assert rows(app) == [before[0], *(line.replace("  ", "● ", 1) for line in before[1:3]), *before[3:]]
        assert app.main.current_list.cursor == 3, "the cursor is back on the row it was on"
        assert (
            "0 of 2 notifications archived. 2 could not be archived: 298, 299 (You don't have permission to "
            "access this.)."
        ) in toasts(app)
    await backend.aclose()


async def test_open_and_copy_the_items_link(backend, monkeypatch):
    backend.info = backend.info.model_copy(update={"public_url": "http://studio.example"})
    app = inbox_app(backend)
    async with run(app, (160, 40)) as pilot:
        await settle(pilot)
        url = "http://studio.example/admin/content/articles/1"
        assert url in text_in(app, app.query_one(Preview).region), "the preview shows the item's link"
        await pilot.press("y")
        assert app.clipboard == url
        assert f"Copied the link {url}" in toasts(app)
        monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
        await pilot.press("o")
        await pilot.pause()
        assert f"Open this link on your own computer {url}" in toasts(app)


async def test_open_without_a_link_explains(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        assert "Open The embedded inbox has no Data Studio to link to." in toasts(app)


async def test_reply_to_a_system_notification_explains(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        system_row = next(row for row in range(app.main.current_list.row_count) if row_at(app, row).sender is None)
        await pilot.press(*["j"] * system_row)
        await pilot.press("r")
        await pilot.pause()
        assert not app.screen.is_modal
        assert "Reply This notification came from the system; there is no sender to reply to." in toasts(app)


async def test_compose_opens_the_dialog_and_a_send_is_announced(backend):
    from app.ui.screens.compose import ComposeScreen

    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.reply_to is not None and app.screen.reply_to.subject == MENTION_SUBJECT
        reply = NotificationDraft(recipient=app.screen.reply_to.sender_id, subject="Re: hello")
        sent = [await backend.create(reply)]
        app.screen.dismiss(sent)
        await settle(pilot)
        assert "Sent 1 notification." in toasts(app)


async def test_a_status_no_tab_is_named_for_is_shown_marked_in_the_inbox(backend):
    newest = (await backend.list_notifications(Query(mine=True, limit=1))).items[0]
    await backend.update(newest.id, NotificationChanges(status="read"))
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        assert "[read] You were mentioned" in rows(app)[0]
        assert "Status read" in text_in(app, app.query_one(Preview).region)
        assert previewed(app).status == "read"
