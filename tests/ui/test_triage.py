"""Triage on the embedded inbox, as user stories: filters with counts, saved views, snooze, what is
new, the overview."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import OptionList, Sparkline, Tab

from app.config import Settings, ViewSettings, load_settings
from app.local_state import StateFile, state_dir
from app.models import INBOX, Query
from app.ui.app import InboxApp
from app.ui.screens.filters import FilterScreen
from app.ui.screens.overview import OverviewScreen
from app.ui.screens.snooze import SnoozedScreen, SnoozeScreen
from app.ui.widgets.filter_bar import FilterBar
from app.ui.widgets.notification_list import MARK_NEW
from app.ui.widgets.status_line import StatusLine
from app.ui.widgets.tabs import FolderTabs
from tests.support.waiting import eventually
from tests.ui.support import (
    FIXED_NOW,
    MENTION_SUBJECT,
    inbox_app,
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

MAYA = "Maya Okafor"


@pytest.fixture
async def backend(tmp_path):
    inbox = seeded_inbox(tmp_path / "inbox.sqlite3", 300)
    yield inbox
    await inbox.aclose()


async def inbox_count(backend, extra: dict) -> int:
    query = Query.of_folder(INBOX, limit=1)
    query = query.model_copy(update={"filter": {"_and": [query.filter, extra]}})
    return (await backend.list_notifications(query)).filter_count


def status(app) -> str:
    """The status line under the list."""
    return text_in(app, app.main.query_one(StatusLine).region)


def filter_bar(app) -> str:
    """The filter bar over the list ("" while it is hidden)."""
    bar = app.main.query_one(FilterBar)
    return text_in(app, bar.region) if bar.display else ""


def picker_count(app, label: str) -> str:
    """The count the picker shows beside a value."""
    inside = (line.split("▊")[1].split("▎")[0] for line in screen_text(app).splitlines() if "▊" in line)
    return next(line for line in inside if f" {label} " in line).split()[-1]


async def choose(pilot, label: str) -> None:
    """Move the picker's highlight to *label* and take it."""
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, FilterScreen)
    options = screen.query_one("#filter-options", OptionList)
    for _ in range(options.option_count):
        assert options.highlighted is not None
        if f" {label} " in str(options.get_option_at_index(options.highlighted).prompt):
            break
        await pilot.press("down")
    else:
        raise AssertionError(f"{label} is not offered")
    await pilot.press("enter")
    await settle(pilot)


async def test_two_keys_narrow_the_inbox_to_one_sender_with_the_counts_seen_before(backend):
    me = (await backend.me()).id
    maya = next(user for user in await backend.users(search="maya") if user.first_name == "Maya")
    from_maya = await inbox_count(backend, {"sender": {"_eq": maya.id}})
    maya_products = await inbox_count(
        backend, {"_and": [{"sender": {"_eq": maya.id}}, {"collection": {"_eq": "products"}}]}
    )
    assert me and 0 < maya_products < from_maya
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        assert "Filter the Inbox" in screen_text(app)
        assert picker_count(app, MAYA) == f"{from_maya:,}"
        await choose(pilot, MAYA)
        assert app.main.current_list.row_count == from_maya
        assert all(MAYA in line for line in rows(app))
        assert filter_bar(app) == "Filter from Maya Okafor · F clears"

        await pilot.press("f")
        await settle(pilot)
        assert "now: from Maya Okafor" in screen_text(app)
        assert picker_count(app, "products") == f"{maya_products:,}"
        await choose(pilot, "products")
        assert app.main.current_list.row_count == maya_products
        assert {row_at(app, row).collection for row in range(maya_products)} == {"products"}
        assert filter_bar(app) == "Filter from Maya Okafor, in products · F clears"

        await pilot.press("F")
        await settle(pilot)
        assert app.main.current_list.row_count == await inbox_count(backend, {"id": {"_nnull": True}})
        assert filter_bar(app) == ""


async def test_a_filter_combines_with_the_search_and_a_typed_range_that_is_wrong_says_why(backend):
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"review", "enter")
        await settle(pilot)
        searched = app.main.current_list.row_count
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("ctrl+t", *"last tuesday", "enter")
        await settle(pilot)
        assert isinstance(app.screen, FilterScreen)
        assert "'last tuesday' is not a time" in screen_text(app)
        await pilot.press(*["backspace"] * 12, *"2d", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, FilterScreen)
        assert 0 < app.main.current_list.row_count < searched
        assert "Search “review”" in status(app) and filter_bar(app) == "Filter since 2d · F clears"


def tab_labels(app) -> list[str]:
    return [str(tab.label) for tab in app.main.query_one(FolderTabs).query(Tab)]


async def test_a_narrowed_inbox_saved_as_a_view_becomes_a_tab_with_its_count_and_keeps_the_comments(backend, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('# my inbox settings\ntheme = "nord"  # the dark one\n', encoding="utf-8")
    maya = next(user for user in await backend.users(search="maya") if user.first_name == "Maya")
    maya_products = await inbox_count(
        backend, {"_and": [{"sender": {"_eq": maya.id}}, {"collection": {"_eq": "products"}}]}
    )
    all_inbox = await inbox_count(backend, {"id": {"_nnull": True}})
    app = inbox_app(backend, Settings(config_path=config))
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await choose(pilot, MAYA)
        await pilot.press("f")
        await settle(pilot)
        await choose(pilot, "products")
        await pilot.press("V")
        await settle(pilot)
        assert "from Maya Okafor, in products" in screen_text(app)
        await pilot.press(*"maya's products", "enter")
        await settle(pilot)
        assert tab_labels(app)[2] == f"maya's products {maya_products}"
        assert "Saved the view “maya's products”" in toasts(app)

        await pilot.press("1")
        await settle(pilot)
        assert app.main.current_list.row_count == all_inbox and filter_bar(app) == ""
        await pilot.press("tab", "tab")
        await settle(pilot)
        assert app.main.query_one(FolderTabs).active == "view-0"
        assert app.main.current_list.row_count == maya_products
        assert filter_bar(app) == "Filter from Maya Okafor, in products · F clears"

    text = config.read_text(encoding="utf-8")
    assert text.startswith('# my inbox settings\ntheme = "nord"  # the dark one\n')
    saved = load_settings(config=config, embedded=True).views["maya's products"]
    assert (saved.sender, saved.collection, saved.search) == (maya.id, "products", None)


async def test_views_of_the_config_are_tabs_with_counts_and_show_their_search_and_filters(backend):
    in_products = await inbox_count(backend, {"collection": {"_eq": "products"}})
    views = {"shop": ViewSettings.model_validate({"collection": "products", "search": "stock"})}
    app = inbox_app(backend, Settings(views=views))
    async with run(app) as pilot:
        await settle(pilot)
        shop = app.main.triage.view_counts["shop"]
        assert shop is not None and 0 < shop < in_products
        assert tab_labels(app)[2] == f"shop {shop}"
        await pilot.press("tab", "tab")
        await settle(pilot)
        assert app.main.current_list.row_count == shop
        assert "Search “stock”" in status(app) and filter_bar(app).startswith("Filter in products")
        assert {row_at(app, row).collection for row in range(shop)} == {"products"}
        await pilot.press("tab")
        await settle(pilot)
        assert app.main.query_one(FolderTabs).active == INBOX and "stock" not in status(app)


class Clock:
    """A clock the test moves on."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def clocked_app(backend, clock: Clock) -> InboxApp:
    app = InboxApp(backend, Settings(), clock=clock, tz=UTC, live=False)
    app.animation_level = "none"
    return app


def shown_ids(app) -> set[int]:
    return {item.id for item in app.main.current_list.cache.loaded()}


async def state_of(backend) -> StateFile:
    return StateFile.for_account(backend.info.location, (await backend.me()).id)


async def test_z_snoozes_until_tomorrow_morning_the_snoozed_view_lists_it_and_it_comes_back_when_due(backend):
    clock = Clock()
    inbox_before = await inbox_count(backend, {"id": {"_nnull": True}})
    app = clocked_app(backend, clock)
    async with run(app) as pilot:
        await settle(pilot)
        mention = under_cursor(app)
        await pilot.press("z")
        await settle(pilot)
        assert isinstance(app.screen, SnoozeScreen)
        assert "In an hour          Sat 14 Mar 2026, 10:30 UTC" in screen_text(app)
        assert "Tomorrow morning    Sun 15 Mar 2026, 09:00 UTC" in screen_text(app)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert mention.id not in shown_ids(app)
        assert "Snoozed this notification until Sun 15 Mar 2026, 09:00 UTC (u undoes)." in toasts(app)
        assert f"Inbox {inbox_before - 1}" in screen_text(app)
        assert (await state_of(backend)).load().snoozes == {mention.id: datetime(2026, 3, 15, 9, 0, tzinfo=UTC)}

        await pilot.press("Z")
        await settle(pilot)
        assert isinstance(app.screen, SnoozedScreen)
        assert "Sun 15 Mar 2026, 09:00 UTC  Rijk van Zanten    You were mentioned in articles" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)

        clock.now = datetime(2026, 3, 15, 9, 1, tzinfo=UTC)
        await eventually(lambda: MENTION_SUBJECT in rows(app)[0], "the snoozed notification back at the top")
        await settle(pilot)
        assert rows(app)[0].startswith(MARK_NEW)
        assert f"Back from snooze: “{MENTION_SUBJECT}” (n goes to it)." in toasts(app)
        assert f"Inbox {inbox_before}" in screen_text(app)
        assert (await state_of(backend)).load().snoozes == {}


async def test_a_snooze_is_undone_with_u_and_a_bad_time_says_why_in_the_dialog(backend):
    app = clocked_app(backend, Clock())
    async with run(app) as pilot:
        await settle(pilot)
        chosen = {row_at(app, 0).id, row_at(app, 1).id}
        await pilot.press("space", "space", "z")
        await settle(pilot)
        assert "Snooze 2 notifications until…" in screen_text(app)
        await pilot.press("ctrl+t", *"someday", "enter")
        await settle(pilot)
        assert "'someday' is not a snooze time" in screen_text(app)
        await pilot.press(*["backspace"] * 7, *"2h", "enter")
        await settle(pilot)
        assert "Snoozed 2 notifications until Sat 14 Mar 2026, 11:30 UTC" in toasts(app)
        assert not chosen & shown_ids(app)
        assert set((await state_of(backend)).load().snoozes) == chosen
        await pilot.press("u")
        await settle(pilot)
        assert MENTION_SUBJECT in rows(app)[0]
        assert (await state_of(backend)).load().snoozes == {}
        assert "Back in the Inbox: 2 notifications." in toasts(app)


async def test_a_snooze_due_while_the_app_was_closed_comes_back_on_start_marked(backend):
    newest = await backend.list_notifications(Query.of_folder(INBOX, limit=1))
    mention = newest.items[0]
    (await state_of(backend)).snooze([mention.id], FIXED_NOW - timedelta(minutes=5))
    app = clocked_app(backend, Clock())
    async with run(app) as pilot:
        await settle(pilot)
        await eventually(lambda: "Back from snooze" in toasts(app), "the snooze's return")
        await settle(pilot)
        assert MENTION_SUBJECT in rows(app)[0] and rows(app)[0].startswith(MARK_NEW)


async def test_rows_that_arrived_since_the_inbox_was_last_looked_at_are_marked_and_n_goes_to_each(backend):
    newest = (await backend.list_notifications(Query.of_folder(INBOX, limit=4))).items
    (await state_of(backend)).mark_seen(FIXED_NOW, newest_id=newest[3].id)
    app = clocked_app(backend, Clock())
    async with run(app) as pilot:
        await settle(pilot)
        assert [line.startswith(MARK_NEW) for line in rows(app)[:5]] == [True, True, True, False, False]
        assert "3 new (n)" in status(app)
        await pilot.press("n")
        assert app.main.current_list.cursor == 1
        await pilot.press("n")
        assert app.main.current_list.cursor == 2
        await pilot.press("n")  # the first row is still new: it was not under the cursor since it was marked
        assert app.main.current_list.cursor == 0
        await pilot.press("n")
        await settle(pilot)
        assert "Nothing new among the loaded rows." in toasts(app)
    seen = (await state_of(backend)).load().last_seen
    assert seen is not None and seen.newest_id == newest[0].id


async def test_the_overview_shows_bars_and_days_and_a_bar_narrows_the_list(backend):
    in_products = await inbox_count(backend, {"collection": {"_eq": "products"}})
    since = datetime(2026, 2, 13, tzinfo=UTC)
    last_30_days = await inbox_count(backend, {"timestamp": {"_gte": since.isoformat()}})
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OverviewScreen)
        text = screen_text(app)
        assert "Overview of the Inbox" in text and "Fri 13 Feb  …  most in a day: 19  …  Sat 14 Mar" in text
        assert sum(screen.query_one(Sparkline).data or []) == last_30_days
        products = next(line for line in text.splitlines() if "▊ products " in line)
        assert products.split("▎")[0].split()[-1] == f"{in_products:,}" and "████" in products
        await pilot.press("down", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, OverviewScreen)
        assert app.main.current_list.row_count == in_products
        assert filter_bar(app) == "Filter in products · F clears"


async def test_a_snooze_that_cannot_be_written_says_so_and_hides_nothing(backend):
    state_dir().parent.mkdir(parents=True, exist_ok=True)
    state_dir().write_text("not a folder", encoding="utf-8")  # so the state file cannot be written
    app = clocked_app(backend, Clock())
    async with run(app) as pilot:
        await settle(pilot)
        mention = under_cursor(app)
        await pilot.press("z", "enter")
        await settle(pilot)
        assert "Nothing was snoozed:" in toasts(app) and "could not be written" in toasts(app)
        assert mention.id in shown_ids(app)


def thread_about_the_mention(path) -> list[int]:
    """Three more notifications of the first page about the mention's item (articles 1): with it, a
    thread of four. Their ids."""
    with sqlite3.connect(path) as conn:
        ids = [row[0] for row in conn.execute(ON_THE_FIRST_PAGE)]
        conn.executemany(
            "UPDATE notifications SET collection = 'articles', item = '1' WHERE id = ?", [(i,) for i in ids]
        )
    return ids


ON_THE_FIRST_PAGE = (
    "SELECT id FROM notifications WHERE status = 'inbox' ORDER BY timestamp DESC, id DESC LIMIT 3 OFFSET 3"
)


@pytest.fixture
async def threaded(tmp_path):
    path = tmp_path / "threaded.sqlite3"
    inbox = seeded_inbox(path, 300)
    members = thread_about_the_mention(path)
    yield inbox, members
    await inbox.aclose()


async def test_threads_fold_a_busy_item_into_one_row_that_expands_and_deletes_as_a_whole(threaded):
    backend, members = threaded
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        before = app.main.current_list.row_count
        mention = under_cursor(app)
        await pilot.press("T")
        await settle(pilot)
        assert app.main.current_list.row_count == before - 3
        assert "▸4 You were mentioned in" in rows(app)[0]
        assert not set(members) & shown_ids(app)

        await pilot.press("x")
        await settle(pilot)
        assert "▾4 You were mentioned in" in rows(app)[0] and all("↳" in line for line in rows(app)[1:4])
        assert [row_at(app, row).id for row in range(1, 4)] == members
        await pilot.press("ctrl+r")  # fetched afresh, the thread stays open
        await settle(pilot)
        assert "▾4 You were mentioned in" in rows(app)[0]
        await pilot.press("x")
        await settle(pilot)
        assert app.main.current_list.row_count == before - 3

        await pilot.press("d")
        await settle(pilot)
        assert "Delete 4 notifications? This cannot be undone." in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        for key in [mention.id, *members]:
            assert (await backend.list_notifications(Query(mine=True, filter={"id": {"_eq": key}}))).items == []
        assert MENTION_SUBJECT not in rows(app)[0]

        await pilot.press("T")
        await settle(pilot)
        assert app.main.current_list.row_count == before - 4
        assert "Threads by item off (T toggles)." in toasts(app)


async def test_archive_on_a_folded_thread_archives_all_of_it(threaded):
    backend, members = threaded
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        mention = under_cursor(app)
        await pilot.press("T", "a")
        await settle(pilot)
        statuses = [(await backend.get(key)).status for key in [mention.id, *members]]
        assert statuses == ["archived"] * 4
        assert "4 notifications archived" in toasts(app)


async def test_n_goes_to_a_notification_back_from_snooze_on_a_page_not_loaded(backend):
    old = (await backend.list_notifications(Query.of_folder(INBOX, limit=1, offset=180))).items[0]
    (await state_of(backend)).snooze([old.id], FIXED_NOW - timedelta(minutes=1))
    app = clocked_app(backend, Clock())
    async with run(app) as pilot:
        await settle(pilot)
        await eventually(lambda: "Back from snooze" in toasts(app), "the snooze's return")
        await settle(pilot)
        assert app.main.current_list.cache.row_of(old.id) is None, "its page is not loaded"
        await pilot.press("n")
        await settle(pilot)
        assert under_cursor(app).id == old.id and app.main.current_list.cursor == 180
