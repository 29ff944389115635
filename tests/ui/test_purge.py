"""Purging from the app, as an admin of the real server: counted, asked, deleted with a progress
bar, stopped half-way (then the server is asked what is gone) and finished by running it again.

The rows are the admin's own, archived and dated 2001, and the age is 20 years: nothing else on
the shared server is that old.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.api import RestBackend, StaticToken
from app.models import Capabilities, Query
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.purge import PurgeScreen
from tests.support.seeding import server_rows
from tests.support.waiting import eventually
from tests.ui.support import inbox_app, run, screen_text, settle, toasts

pytestmark = pytest.mark.server

ROWS = 3000
LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)


async def held(admin: RestBackend, mark: str) -> int:
    page = await admin.list_notifications(Query(search=mark, mine=True, limit=1, fields=("id",)))
    return page.filter_count


async def test_an_admin_purges_stops_half_way_and_purges_the_rest(directus):
    mark = f"uipurge{uuid.uuid4().hex[:8]}"
    rows = [(LONG_AGO + timedelta(hours=index), "archived") for index in range(ROWS)]
    server_rows(directus, directus.admin.id, rows, mark)
    async with RestBackend(directus.url, StaticToken(directus.admin.token)) as admin:
        app = inbox_app(RestBackend(directus.url, StaticToken(directus.admin.token)))
        async with run(app) as pilot:
            await settle(pilot)
            await pilot.press("X")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, PurgeScreen)
            age = dialog.query_one("#purge-age")
            age.value = "20y"  # type: ignore[attr-defined]
            await pilot.press("ctrl+s")
            await eventually(lambda: isinstance(app.screen, ConfirmScreen), "the question")
            await settle(pilot)
            question = app.screen.question  # type: ignore[attr-defined]
            assert "Delete 3,000 notifications (archived, older than 20 years" in question
            assert "the oldest from 2001-01-01 00:00 UTC, the newest from 2001-05-05 23:00 UTC" in question
            await pilot.press("y")
            await eventually(lambda: dialog.deleted >= 500, "the first chunk deleted")
            await pilot.press("escape")
            await eventually(lambda: "Stopped:" in screen_text(app), "the stop reported")
            left = await held(admin, mark)
            assert 0 < left < ROWS
            assert f"{ROWS - left:,} of 3,000 deleted (the server holds {left:,} of them)" in screen_text(app)
            assert isinstance(app.screen, PurgeScreen), "the dialog stays to say what happened"

            await pilot.press("ctrl+s")
            await eventually(lambda: isinstance(app.screen, ConfirmScreen), "the question again")
            await settle(pilot)
            assert app.screen.question.startswith(f"Delete {left:,} notifications")  # type: ignore[attr-defined]
            await pilot.press("y")
            await eventually(lambda: f"Deleted {left:,} notifications." in screen_text(app), "the rest deleted", 60)
            assert await held(admin, mark) == 0
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is app.main
        await app.backend.aclose()


async def test_an_ordinary_user_is_told_why_not(directus):
    app = inbox_app(RestBackend(directus.url, StaticToken(directus.user.token)))
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("X")
        await settle(pilot)
        assert app.screen is app.main
        why_not = Capabilities().why_not("delete")
        assert why_not is not None and why_not in toasts(app).replace("\n", " ")
    await app.backend.aclose()
