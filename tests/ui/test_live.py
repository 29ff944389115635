"""The inbox is live: what others do shows up by itself, and what the user looks at stays put.

On the embedded inbox another connection to the same file plays "someone else" (the app watches
the file); on the real Directus the admin does, over REST, while the user's app follows it over
WebSockets (REST and GraphQL transports). Server failures come from the fault proxy on loopback.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from textual.message import Message

from app.api import GraphQLBackend, RestBackend, StaticToken
from app.embedded import EmbeddedBackend
from app.models import ARCHIVED, INBOX, NotificationChanges, NotificationDraft, Query
from app.ui.messages import ListFollowed
from app.ui.widgets.notification_list import MARK_NEW
from tests.support.waiting import eventually
from tests.ui.support import (
    MENTION_SUBJECT,
    cursor_subject,
    inbox_app,
    row_at,
    rows,
    run,
    screen_text,
    seeded_inbox,
    settle,
    toasts,
)

TRANSPORTS = {"rest": RestBackend, "graphql": GraphQLBackend}


@pytest.fixture
def inbox_file(tmp_path: Path) -> Path:
    path = tmp_path / "inbox.sqlite3"
    seeded_inbox(path, 300)
    return path


async def inbox_count(backend: EmbeddedBackend) -> int:
    return (await backend.list_notifications(Query.of_folder(INBOX, limit=1))).filter_count


async def test_a_notification_sent_from_elsewhere_appears_by_itself_marked_new(inbox_file: Path) -> None:
    app = inbox_app(EmbeddedBackend(inbox_file), live=True)
    async with EmbeddedBackend(inbox_file) as elsewhere, run(app) as pilot:
        await settle(pilot)
        await eventually(lambda: "Watching the file" in screen_text(app), "the status line's mode")
        before = await inbox_count(elsewhere)
        me = (await elsewhere.me()).id
        sent = time.monotonic()
        await elsewhere.create(NotificationDraft(recipient=me, subject="Arrived while you were reading"))
        await eventually(lambda: "Arrived while you were reading" in rows(app)[0], "the new row at the top")
        seconds = time.monotonic() - sent
        assert seconds < 3, f"the embedded inbox is checked every second; it took {seconds:.1f} s"
        assert rows(app)[0].startswith(MARK_NEW.strip()), "the new row is marked"
        assert cursor_subject(app) == MENTION_SUBJECT, "the message being read stays under the cursor"
        assert app.main.current_list.cursor == 1
        await eventually(lambda: f"Inbox {before + 1:,}" in screen_text(app), "the count")
        await eventually(lambda: "Arrived while you were reading — from system" in toasts(app), "the toast")
        await pilot.press("k")
        await settle(pilot)
        assert not rows(app)[0].startswith(MARK_NEW.strip()), "seen once the cursor has been on it"
    await app.backend.aclose()


async def test_scrolled_away_the_view_keeps_its_rows_and_says_how_many_arrived(inbox_file: Path) -> None:
    app = inbox_app(EmbeddedBackend(inbox_file), live=True)
    async with EmbeddedBackend(inbox_file) as elsewhere, run(app) as pilot:
        await settle(pilot)
        await eventually(lambda: "Watching the file" in screen_text(app), "the status line's mode")
        await pilot.press("pagedown", "pagedown", "j")
        await settle(pilot)
        shown_before = rows(app)
        reading = cursor_subject(app)
        me = (await elsewhere.me()).id
        await elsewhere.create_many([NotificationDraft(recipient=me, subject=f"Arrived above {n}") for n in range(3)])
        await eventually(lambda: "3 new above (g)" in screen_text(app), "the count of rows above")
        assert rows(app) == shown_before, "what the user looks at did not move"
        assert cursor_subject(app) == reading
        await pilot.press("g")
        await settle(pilot)
        assert "Arrived above 2" in rows(app)[0] and "new above" not in screen_text(app)
    await app.backend.aclose()


async def test_a_burst_of_a_thousand_is_a_few_updates_and_keys_keep_answering(inbox_file: Path) -> None:
    messages: list[Message] = []
    app = inbox_app(EmbeddedBackend(inbox_file), live=True)
    async with EmbeddedBackend(inbox_file) as elsewhere, run(app, messages=messages) as pilot:
        await settle(pilot)
        await eventually(lambda: "Watching the file" in screen_text(app), "the status line's mode")
        before = await inbox_count(elsewhere)
        fourth = row_at(app, 3)
        me = (await elsewhere.me()).id
        await elsewhere.create_many([NotificationDraft(recipient=me, subject=f"Burst {n}") for n in range(1000)])
        await pilot.press("j", "j", "j")
        # The burst lands above: the cursor stays on what it was on, and the keys moved it by three.
        assert cursor_subject(app) == fourth.subject, "keys answered during the burst"
        await eventually(lambda: f"Inbox {before + 1000:,}" in screen_text(app), "the count after the burst")
        await settle(pilot)
        followed = [m for m in messages if isinstance(m, ListFollowed) and m.tab == INBOX]
        assert 1 <= len(followed) <= 5, f"{len(followed)} updates of the list for one burst"
        await eventually(lambda: "1,000 new notifications." in toasts(app), "the toast")
    await app.backend.aclose()


async def test_archived_and_deleted_elsewhere_leave_the_list(inbox_file: Path) -> None:
    app = inbox_app(EmbeddedBackend(inbox_file), live=True)
    async with EmbeddedBackend(inbox_file) as elsewhere, run(app) as pilot:
        await settle(pilot)
        await eventually(lambda: "Watching the file" in screen_text(app), "the status line's mode")
        second, third = row_at(app, 1), row_at(app, 2)
        await elsewhere.update(second.id, NotificationChanges(status=ARCHIVED))
        await elsewhere.delete(third.id)
        await eventually(
            lambda: {second.id, third.id}.isdisjoint(n.id for n in app.main.current_list.cache.loaded()),
            "both rows gone from the Inbox",
        )
        assert cursor_subject(app) == MENTION_SUBJECT
        await pilot.press("2")
        await settle(pilot)
        assert second.id in {n.id for n in app.main.current_list.cache.loaded()}
    await app.backend.aclose()


# --- the real server ------------------------------------------------------------------------------


@pytest.mark.server
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_on_the_real_server_a_colleagues_notification_appears_within_two_seconds(directus, transport):
    marker = f"live{uuid.uuid4().hex[:8]}"
    app = inbox_app(TRANSPORTS[transport](directus.url, StaticToken(directus.user.token)), live=True)
    async with RestBackend(directus.url, StaticToken(directus.admin.token)) as admin, run(app) as pilot:
        await settle(pilot)
        await pilot.press("slash", *marker, "enter")
        await settle(pilot)
        await eventually(lambda: "● Live" in screen_text(app), "the socket", timeout=30)
        sent = time.monotonic()
        await admin.create(NotificationDraft(recipient=directus.user.id, subject=f"{marker} from the admin"))
        await eventually(lambda: any(f"{marker} from the admin" in line for line in rows(app)), "the new row")
        seconds = time.monotonic() - sent
        assert seconds < 2, f"create to screen took {seconds:.2f} s"
        await eventually(lambda: "from the admin" in toasts(app), "the toast")
    await app.backend.aclose()


@pytest.mark.server
async def test_a_server_down_at_start_is_loaded_by_itself_when_it_returns(fault_proxy, directus):
    fault_proxy.go_down()
    app = inbox_app(RestBackend(fault_proxy.url, StaticToken(directus.user.token), timeout=3), live=True)
    async with run(app) as pilot:
        await settle(pilot)
        await eventually(lambda: "Offline since" in screen_text(app), "the offline state")
        assert "Could not load the notifications." in screen_text(app)
        fault_proxy.come_back()
        await eventually(lambda: app.main.current_list.cache.known, "the list, loaded without a key", timeout=40)
        await eventually(lambda: "Offline" not in screen_text(app), "the status line", timeout=10)
        assert "Could not load" not in screen_text(app)
        assert "Uma User" in screen_text(app), "signed in once the server answered"
    await app.backend.aclose()


@pytest.mark.server
async def test_rows_that_failed_to_load_come_when_the_server_returns(fault_proxy, directus):
    async with RestBackend(directus.url, StaticToken(directus.admin.token)) as admin:
        marker = f"rows{uuid.uuid4().hex[:8]}"
        await admin.create_many(
            [NotificationDraft(recipient=directus.user.id, subject=f"{marker} {n:03}") for n in range(130)]
        )
    app = inbox_app(RestBackend(fault_proxy.url, StaticToken(directus.user.token), timeout=3), live=True)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("slash", *marker, "enter")
        await settle(pilot)
        assert app.main.current_list.row_count == 130
        fault_proxy.go_down()
        await pilot.press("G")
        await settle(pilot)
        assert any("loading…" in line for line in rows(app))
        fault_proxy.come_back()
        await eventually(lambda: f"{marker} 000" in " ".join(rows(app)), "the last rows, loaded by themselves", 40)
        assert not any("loading…" in line for line in rows(app))
    await app.backend.aclose()
