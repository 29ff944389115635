"""Moving around the embedded inbox: the list, the tabs, the preview, paging, sort, keymap, mouse."""

from __future__ import annotations

import pytest
from textual import events
from textual.message import Message
from textual.widgets import Markdown, Tabs

from app.config import Settings
from app.embedded import EmbeddedBackend
from app.message import to_markdown
from app.models import ARCHIVED, INBOX, NotificationDraft, Query
from app.ui.screens.confirm import ConfirmScreen
from app.ui.widgets.preview import LONG_MESSAGE, SETTLE_DELAY, Preview
from app.ui.widgets.tabs import FolderTabs
from tests.support.waiting import eventually
from tests.ui.support import (
    MENTION_SUBJECT,
    CountingBackend,
    cursor_subject,
    inbox_app,
    row_at,
    rows,
    run,
    screen_text,
    seeded_inbox,
    settle,
    toasts,
    under_cursor,
)


@pytest.fixture
async def backend(tmp_path):
    inbox = seeded_inbox(tmp_path / "inbox.sqlite3", 300)
    yield inbox
    await inbox.aclose()


async def server_count(backend, **query) -> int:
    return (await backend.list_notifications(Query(mine=True, limit=1, **query))).filter_count


async def test_opens_on_the_newest_notification_with_who_where_and_counts(backend):
    inbox = await server_count(backend, filter={"status": {"_neq": ARCHIVED}})
    archived = await server_count(backend, status=ARCHIVED)
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Ada Lindqvist · embedded inbox (no server configured)" in text
        assert f"Inbox {inbox}" in text and f"Archived {archived}" in text
        assert MENTION_SUBJECT in rows(app)[0] and "Rijk van Zanten" in rows(app)[0]
        assert rows(app)[0].endswith("now")
        preview = app.query_one(Preview)
        assert preview.notification is not None and preview.notification.subject == MENTION_SUBJECT
        assert "From   Rijk van Zanten <rijk@directus.io>" in text
        assert "Date   Sat 14 Mar 2026, 09:30 UTC" in text
        for key in ("Read", "Select", "Archive", "Delete", "Search", "Refresh", "Help", "Quit"):
            assert key in text.splitlines()[-1], f"the footer lacks {key}"


async def test_j_k_and_arrows_move_and_the_preview_follows(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        second = row_at(app, 1)
        await pilot.press("j")
        await settle(pilot)
        assert app.main.current_list.cursor == 1
        assert app.query_one(Preview).notification == second
        assert second.subject and second.subject in screen_text(app).split("▏")[1]
        await pilot.press("down", "down", "up")
        assert app.main.current_list.cursor == 2
        await pilot.press("k", "k", "k")
        assert app.main.current_list.cursor == 0
        assert cursor_subject(app) == MENTION_SUBJECT


async def test_g_G_and_page_keys(backend):
    inbox = await server_count(backend, filter={"status": {"_neq": ARCHIVED}})
    oldest = (
        await backend.list_notifications(
            Query(mine=True, filter={"status": {"_neq": ARCHIVED}}, sort=("timestamp", "id"), limit=1)
        )
    ).items[0]
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        assert app.main.current_list.cursor == inbox - 1
        assert app.main.current_list.current == oldest
        assert f"{inbox}/{inbox}" in screen_text(app)
        await pilot.press("g")
        assert app.main.current_list.cursor == 0
        await pilot.press("pagedown")
        page = app.main.current_list.page_height()
        assert app.main.current_list.cursor == page
        await pilot.press("pageup")
        assert app.main.current_list.cursor == 0


async def test_tab_1_and_2_switch_between_inbox_and_archived(backend):
    archived_newest = (await backend.list_notifications(Query(mine=True, status=ARCHIVED, limit=1))).items[0]
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.main.tab == ARCHIVED
        assert cursor_subject(app) == archived_newest.subject
        assert all(item.status == ARCHIVED for item in app.main.current_list.cache.loaded())
        assert "To inbox" in screen_text(app).splitlines()[-1]
        await pilot.press("1")
        assert app.main.tab == INBOX and cursor_subject(app) == MENTION_SUBJECT
        await pilot.press("tab")
        assert app.main.tab == ARCHIVED
        await pilot.press("tab")
        assert app.main.tab == INBOX


async def test_a_key_right_after_switching_acts_on_the_new_tab(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("2", "d")
        assert isinstance(app.screen, ConfirmScreen) and app.screen.detail is not None
        archived = app.main.list_of(ARCHIVED).current
        assert archived is not None and archived.subject and archived.subject in screen_text(app)


async def test_clicking_a_row_and_a_tab(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.click("#inbox-list", offset=(10, 4))
        assert app.main.current_list.cursor == 4
        await pilot.click("#inbox-list", offset=(0, 5))
        assert app.main.current_list.cursor == 5
        assert app.main.current_list.selected == {under_cursor(app).id}
        await pilot.click("#tabs Tab#archived")
        await settle(pilot)
        assert app.main.tab == ARCHIVED


async def test_mouse_wheel_scrolls_the_list(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        top = rows(app)[0]
        notification_list = app.main.current_list
        for _ in range(5):
            notification_list.post_message(
                events.MouseScrollDown(notification_list, 10, 5, 0, 1, 0, False, False, False)
            )
        await pilot.pause()
        assert app.main.current_list.scroll_y > 0
        assert rows(app)[0] != top


async def test_enter_reads_in_the_preview_and_escape_returns(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        assert app.focused is app.query_one(Preview)
        await pilot.press("escape")
        assert app.focused is app.main.current_list


async def test_s_sorts_oldest_first_and_back(backend):
    oldest = (
        await backend.list_notifications(
            Query(mine=True, filter={"status": {"_neq": ARCHIVED}}, sort=("timestamp", "id"), limit=1)
        )
    ).items[0]
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert cursor_subject(app) == oldest.subject and under_cursor(app).id == oldest.id
        assert "Oldest first" in screen_text(app)
        await pilot.press("s")
        await settle(pilot)
        assert cursor_subject(app) == MENTION_SUBJECT


async def test_search_finds_on_the_server_and_escape_clears(backend):
    expected = await server_count(backend, filter={"status": {"_neq": ARCHIVED}}, search="Low stock")
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.press(*"Low stock", "enter")
        await settle(pilot)
        assert app.main.current_list.row_count == expected > 0
        assert all("Low stock" in line for line in rows(app))
        assert f"Search “Low stock”: {expected} matches" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.main.search_text == ""
        assert cursor_subject(app) == MENTION_SUBJECT


async def test_a_search_that_matches_nothing_says_so(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"zzzz-nothing", "enter")
        await settle(pilot)
        assert "No notifications match “zzzz-nothing”." in screen_text(app)


async def test_G_on_a_thousand_loads_only_the_last_pages(tmp_path):
    backend = seeded_inbox(tmp_path / "big.sqlite3", 1000, CountingBackend)
    inbox = await server_count(backend, filter={"status": {"_neq": ARCHIVED}})
    oldest = (
        await backend.list_notifications(
            Query(mine=True, filter={"status": {"_neq": ARCHIVED}}, sort=("timestamp", "id"), limit=1)
        )
    ).items[0]
    backend.list_queries.clear()
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        assert app.main.current_list.current == oldest
        assert oldest.subject and oldest.subject in rows(app)[-1]
        pages = sorted(
            {
                query.page
                for query in backend.list_queries
                if query.page is not None and query.filter == {"status": {"_neq": ARCHIVED}}
            }
        )
        last = (inbox - 1) // 100 + 1
        assert pages[-1] == last
        assert len(pages) <= 4, f"pages {pages} were fetched for the inbox"
        assert set(range(3, last - 1)).isdisjoint(pages), "pages in the middle were never looked at"
    await backend.aclose()


async def test_narrow_terminal_stacks_the_panes(backend):
    app = inbox_app(backend)
    async with run(app, (80, 40)) as pilot:
        await settle(pilot)
        list_region = app.query_one("#list-pane").region
        preview_region = app.query_one(Preview).region
        assert preview_region.y >= list_region.bottom
        assert list_region.width == preview_region.width == 80


async def test_keymap_from_settings_rebinds_keys(backend):
    app = inbox_app(backend, Settings(keymap={"archive": "e", "cursor-down": "n"}))
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert app.main.current_list.cursor == 1
        await pilot.press("j")
        assert app.main.current_list.cursor == 1
        archived = under_cursor(app)
        await pilot.press("e")
        await settle(pilot)
        assert (await backend.get(archived.id)).status == ARCHIVED
        await pilot.press("question_mark")
        await pilot.pause()
        assert "e             Archive the selection" in screen_text(app)


async def test_command_palette_runs_an_action(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        first = under_cursor(app)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Archive")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert (await backend.get(first.id)).status == ARCHIVED


async def test_the_theme_comes_from_the_settings(backend):
    app = inbox_app(backend, Settings(theme="nord"))
    async with run(app) as pilot:
        await settle(pilot)
        assert app.theme == "nord"


async def test_an_unknown_theme_is_reported_and_the_default_kept(backend):
    app = inbox_app(backend, Settings(theme="no-such-theme"))
    async with run(app) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        assert "There is no theme called 'no-such-theme'" in toasts(app)


async def test_the_inbox_count_follows_the_server_without_a_refresh(backend):
    before = await server_count(backend, filter={"status": {"_neq": ARCHIVED}})
    app = inbox_app(backend, live=True)
    me = await backend.me()
    async with run(app):
        await eventually(lambda: f"Inbox {before}" in screen_text(app), "the count on the tab")
        await backend.create(NotificationDraft(recipient=me.id, subject="Arrived from elsewhere"))
        await eventually(lambda: f"Inbox {before + 1}" in screen_text(app), "the new count on the tab")


async def test_moving_while_a_long_message_is_laid_out_leaves_the_app_answering(tmp_path):
    """A move used to cancel the preview's worker while it awaited ``Markdown.update`` — and
    cancelling a task that awaits a widget's removal cancels the removal Textual's own loop awaits
    too, which then stopped silently: the app took no more keys (under load, the suite's 30 s
    WaitForScreenTimeout). Moves here land while a long message's blocks are being replaced."""
    backend = EmbeddedBackend(tmp_path / "inbox.sqlite3", seed=0)
    me = (await backend.me()).id
    long_message = "\n\n".join(
        f"Paragraph {n} with *emphasis* and a [link](https://example.com/{n})." for n in range(90)
    )
    assert len(long_message) < LONG_MESSAGE, "laid out as Markdown, block by block"
    await backend.create_many(
        [NotificationDraft(recipient=me, subject=f"Long {n}", message=long_message) for n in range(4)]
    )
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        preview = app.main.query_one(Preview)
        for step in range(20):
            await pilot.press("jk"[step % 2])
            # The layout begins after SETTLE_DELAY; the next key lands at a different point of it each time.
            await pilot.pause(SETTLE_DELAY + step * 0.008)
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert app.main.current_list.cursor == 1
        assert preview.notification == app.main.current_list.current
        assert preview.query_one("#preview-body", Markdown).source == to_markdown(long_message)
    await backend.aclose()


async def test_tab_switches_faster_than_a_human_end_on_the_last_one(backend):
    """Tab pressed twice quickly, or 2 then 1, used to start an endless switching loop (100% CPU,
    help could no longer be closed). Keys arrive here without the app catching up in between."""
    app = inbox_app(backend)
    messages: list[Message] = []

    def switches() -> int:
        return sum(isinstance(message, Tabs.TabActivated) for message in messages)

    async with run(app, messages=messages) as pilot:
        await settle(pilot)
        for keys, expected in ((["tab", "tab"], INBOX), (["2", "1"], INBOX), (["tab", "tab", "tab"], ARCHIVED)):
            for key in keys:
                app.post_message(events.Key(key, None))
            await settle(pilot)
            before = switches()
            await pilot.pause(0.3)
            assert switches() == before, "the tabs kept switching by themselves"
            assert app.main.tab == expected
            assert app.main.query_one(FolderTabs).active == expected
        await pilot.click(f"#{INBOX}")
        await settle(pilot)
        assert app.main.tab == INBOX
        await pilot.press("question_mark")
        await pilot.press("escape")
        assert not app.screen.is_modal, "help closes"
