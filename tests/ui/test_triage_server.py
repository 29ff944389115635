"""Triage on a real Directus 12.4.0: as an ordinary user, filters (both transports), snooze (REST),
the overview and a saved view (GraphQL); as the admin, a thread deleted whole.

The server is shared by the session: each test's notifications carry a marker in the subject, and
the user searches for it first, as the counts and filters then cover only those.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Sparkline

from app.api import GraphQLBackend, RestBackend, StaticToken
from app.config import Settings
from app.local_state import StateFile
from app.models import ARCHIVED, NotificationChanges, NotificationDraft, Query
from app.ui.app import InboxApp
from app.ui.screens.overview import OverviewScreen
from app.ui.screens.snooze import SnoozedScreen
from app.ui.widgets.notification_list import MARK_NEW
from tests.support.waiting import eventually
from tests.ui.support import inbox_app, row_at, rows, run, screen_text, settle, under_cursor
from tests.ui.test_triage import Clock, choose, filter_bar, picker_count, shown_ids, tab_labels

pytestmark = pytest.mark.server

TRANSPORTS = {"rest": RestBackend, "graphql": GraphQLBackend}


@pytest.fixture
def marker() -> str:
    return f"tri{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def admin(directus):
    async with RestBackend(directus.url, StaticToken(directus.admin.token)) as backend:
        yield backend


async def search(pilot, marker: str) -> None:
    await pilot.press("slash", *marker, "enter")
    await settle(pilot)


@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
async def test_a_user_narrows_to_a_colleagues_products_with_the_servers_counts(directus, admin, marker, transport):
    user, colleague = directus.user, directus.colleague
    drafts = [
        *(
            NotificationDraft(recipient=user.id, subject=f"{marker} a{i}", collection="articles", sender=colleague.id)
            for i in range(3)
        ),
        *(
            NotificationDraft(recipient=user.id, subject=f"{marker} p{i}", collection="products", sender=colleague.id)
            for i in range(2)
        ),
        *(
            NotificationDraft(
                recipient=user.id, subject=f"{marker} x{i}", collection="products", sender=directus.admin.id
            )
            for i in range(4)
        ),
    ]
    created = await admin.create_many(drafts)
    app = inbox_app(TRANSPORTS[transport](directus.url, StaticToken(user.token)))
    try:
        async with run(app) as pilot:
            await settle(pilot)
            await search(pilot, marker)
            assert app.main.current_list.row_count == 9
            await pilot.press("f")
            await settle(pilot)
            # An ordinary user may not read other users: they are named as the list names them.
            colleague_label = app.main.names.label(colleague.id)
            assert picker_count(app, colleague_label) == "5"
            assert picker_count(app, "products") == "6" and picker_count(app, "articles") == "3"
            await choose(pilot, colleague_label)
            assert app.main.current_list.row_count == 5
            await pilot.press("f")
            await settle(pilot)
            assert picker_count(app, "products") == "2"
            await choose(pilot, "products")
            shown = {row_at(app, row).subject for row in range(app.main.current_list.row_count)}
            assert shown == {f"{marker} p0", f"{marker} p1"}
            assert filter_bar(app) == f"Filter from {colleague_label}, in products · F clears"
    finally:
        await admin.delete_many([n.id for n in created])


async def test_a_snooze_hides_a_notification_on_the_server_it_comes_back_when_due_and_one_archived_meanwhile_never(
    directus, admin, marker
):
    user = directus.user
    drafts = [NotificationDraft(recipient=user.id, subject=f"{marker} n{i}", collection="articles") for i in range(3)]
    created = await admin.create_many(drafts)
    clock = Clock(datetime.now(UTC))
    app = InboxApp(RestBackend(directus.url, StaticToken(user.token)), Settings(), clock=clock, tz=UTC, live=False)
    app.animation_level = "none"
    try:
        async with run(app) as pilot:
            await settle(pilot)
            await search(pilot, marker)
            newest = row_at(app, 0)
            await pilot.press("z", "enter")  # in an hour
            await settle(pilot)
            assert newest.id not in shown_ids(app) and app.main.current_list.row_count == 2
            await pilot.press("Z")
            await settle(pilot)
            assert isinstance(app.screen, SnoozedScreen)
            assert f"{newest.subject}" in screen_text(app)
            await pilot.press("escape")

            clock.now += timedelta(hours=2)
            await eventually(lambda: newest.id in shown_ids(app), "the snoozed notification back")
            await settle(pilot)
            assert rows(app)[0].startswith(MARK_NEW) and f"{newest.subject}" in rows(app)[0]

            await pilot.press("g", "j")
            gone = under_cursor(app)
            await pilot.press("z", "enter")
            await settle(pilot)
            assert gone.id not in shown_ids(app)
            await admin.update(gone.id, NotificationChanges(status=ARCHIVED))
            clock.now += timedelta(hours=2)
            state = StateFile.for_account(app.backend.info.location, user.id)
            await eventually(lambda: not state.load().snoozes, "the due snooze dropped")
            await settle(pilot)
            assert gone.id not in shown_ids(app) and app.main.current_list.row_count == 2
    finally:
        await admin.delete_many([n.id for n in created])


async def test_the_overview_and_a_saved_view_on_graphql(directus, admin, marker, tmp_path):
    user, colleague = directus.user, directus.colleague
    drafts = [
        *(NotificationDraft(recipient=user.id, subject=f"{marker} a{i}", collection="articles") for i in range(2)),
        *(
            NotificationDraft(recipient=user.id, subject=f"{marker} p{i}", collection="products", sender=colleague.id)
            for i in range(3)
        ),
    ]
    created = await admin.create_many(drafts)
    config = tmp_path / "config.toml"
    config.write_text("# mine\n", encoding="utf-8")
    backend = GraphQLBackend(directus.url, StaticToken(user.token))
    # The server's clock: the notifications arrived today, as the sparkline's last day shows.
    app = InboxApp(backend, Settings(config_path=config), clock=Clock(datetime.now(UTC)), tz=UTC, live=False)
    app.animation_level = "none"
    try:
        async with run(app) as pilot:
            await settle(pilot)
            await search(pilot, marker)
            await pilot.press("v")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, OverviewScreen)
            assert (screen.query_one(Sparkline).data or [])[-1] == 5  # all of them arrived today
            text = screen_text(app)
            assert "▊ products " in text and "▊ articles " in text
            await pilot.press("enter")  # products: the biggest, highlighted first
            await settle(pilot)
            assert app.main.current_list.row_count == 3
            assert filter_bar(app) == "Filter in products · F clears"
            await pilot.press("V", *marker, "enter")
            await settle(pilot)
            assert f"{marker} 3" in tab_labels(app)
        assert config.read_text(encoding="utf-8").startswith("# mine\n")
        assert f'[views.{marker}]\nsearch = "{marker}"\ncollection = "products"' in config.read_text(encoding="utf-8")
    finally:
        await admin.delete_many([n.id for n in created])


async def test_an_admin_folds_a_thread_and_deletes_it_whole_with_the_exact_count(directus, admin, marker):
    me = directus.admin.id
    thread = [
        NotificationDraft(recipient=me, subject=f"{marker} comment {i}", collection="articles", item=marker)
        for i in range(3)
    ]
    other = NotificationDraft(recipient=me, subject=f"{marker} other", collection="articles", item="elsewhere")
    created = await admin.create_many([*thread, other])
    app = inbox_app(RestBackend(directus.url, StaticToken(directus.admin.token)))
    try:
        async with run(app) as pilot:
            await settle(pilot)
            await search(pilot, marker)
            assert app.main.current_list.row_count == 4
            await pilot.press("T")
            await settle(pilot)
            assert app.main.current_list.row_count == 2
            head = next(row for row in range(2) if "▸3" in rows(app)[row])
            await pilot.press(*(["j"] * head), "d")
            await settle(pilot)
            assert "Delete 3 notifications? This cannot be undone." in screen_text(app)
            await pilot.press("y")
            await settle(pilot)
            left = await admin.list_notifications(Query(mine=True, search=marker))
            assert [n.subject for n in left.items] == [f"{marker} other"]
            assert app.main.current_list.row_count == 1
    finally:
        await admin.delete_many([n.id for n in created])
