"""Triage on a real Directus 12.4.0, as an ordinary user, over both transports.

The server is shared by the session: each test's notifications carry a marker in the subject, and
the user searches for it first, as the counts and filters then cover only those.
"""

from __future__ import annotations

import uuid

import pytest

from app.api import GraphQLBackend, RestBackend, StaticToken
from app.models import NotificationDraft
from tests.ui.support import inbox_app, row_at, run, settle
from tests.ui.test_triage import choose, filter_bar, picker_count

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
