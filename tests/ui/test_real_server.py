"""The app on a real Directus 12.4.0, as the admin and as an ordinary user.

The server is shared by the whole test session, so each test gives its notifications a unique
marker in the subject and, like a user would, searches for it first. What the server holds
afterwards is read through a second client.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.api import RestBackend, StaticToken
from app.models import ARCHIVED, INBOX, Capabilities, Notification, NotificationDraft, Query
from app.ui.screens.confirm import ConfirmScreen
from app.ui.widgets.preview import Preview
from tests.ui.support import inbox_app, previewed, rows, run, screen_text, settle, text_in, toasts, under_cursor

pytestmark = pytest.mark.server


@pytest.fixture
def marker() -> str:
    return f"ui{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def admin(directus):
    async with RestBackend(directus.url, StaticToken(directus.admin.token)) as backend:
        yield backend


async def create(admin: RestBackend, recipient: str, marker: str, count: int) -> list[Notification]:
    drafts = [
        NotificationDraft(
            recipient=recipient,
            subject=f"{marker} note {index:02}",
            collection="articles",
            item=str(index + 1),
            message=f"Message **{index}** of {marker}",
        )
        for index in range(count)
    ]
    return await admin.create_many(drafts)


async def search(pilot, marker: str) -> None:
    await pilot.press("slash", *marker, "enter")
    await settle(pilot)


async def test_admin_moves_switches_tabs_archives_three_and_undoes(directus, admin, marker):
    created = await create(admin, directus.admin.id, marker, 5)
    newest_first = sorted(created, key=lambda n: (n.timestamp, n.id), reverse=True)
    app = inbox_app(RestBackend(directus.url, StaticToken(directus.admin.token)))
    async with run(app) as pilot:
        await settle(pilot)
        assert f"· {directus.url.split('://')[1]}" in screen_text(app)
        await search(pilot, marker)
        assert app.main.current_list.row_count == 5
        assert [line.split(marker)[1][:8] for line in rows(app)] == [
            f" note {str(n.subject)[-2:]}" for n in newest_first
        ]
        await pilot.press("j")
        await settle(pilot)  # the preview is drawn once the cursor rests
        assert previewed(app).id == newest_first[1].id
        url = f"{directus.url}/admin/content/articles/{newest_first[1].item}"
        assert url in text_in(app, app.query_one(Preview).region).replace(" ", "")

        await pilot.press("k", "space", "space", "space", "a")
        await settle(pilot)
        archived = [n.id for n in newest_first[:3]]
        assert [(await admin.get(key)).status for key in archived] == [ARCHIVED] * 3
        assert [(await admin.get(n.id)).status for n in newest_first[3:]] == [INBOX] * 2
        assert app.main.current_list.row_count == 2
        await pilot.press("2")
        await settle(pilot)
        assert sorted(n.id for n in app.main.current_list.cache.loaded()) == sorted(archived)
        await pilot.press("1", "u")
        await settle(pilot)
        assert [(await admin.get(n.id)).status for n in created] == [INBOX] * 5
        assert app.main.current_list.row_count == 5
    await app.backend.aclose()


async def test_admin_selects_fifty_and_deletes_them_after_confirming(directus, admin, marker):
    created = await create(admin, directus.admin.id, marker, 50)
    app = inbox_app(RestBackend(directus.url, StaticToken(directus.admin.token)))
    async with run(app) as pilot:
        await settle(pilot)
        await search(pilot, marker)
        await pilot.press("asterisk")
        assert "50 selected" in screen_text(app)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Delete 50 notifications? This cannot be undone." in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert "50 notifications deleted." in toasts(app)
        assert app.main.current_list.row_count == 0
    left = await admin.list_notifications(Query(filter={"id": {"_in": [n.id for n in created]}}, limit=-1))
    assert left.items == []
    await app.backend.aclose()


async def test_an_ordinary_user_is_told_why_not_and_may_still_archive(directus, admin, marker):
    created = await create(admin, directus.user.id, marker, 2)
    app = inbox_app(RestBackend(directus.url, StaticToken(directus.user.token)))
    why_not = Capabilities().why_not("delete")
    assert why_not is not None
    async with run(app) as pilot:
        await settle(pilot)
        await search(pilot, marker)
        assert app.main.current_list.row_count == 2
        assert app.main.check_action("delete", ()) is None, "the footer shows Delete as unavailable"
        await pilot.press("d")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert why_not in toasts(app)
        assert len((await admin.list_notifications(Query(filter={"id": {"_in": [n.id for n in created]}}))).items) == 2

        await pilot.press("c")
        await pilot.pause()
        assert str(Capabilities().why_not("create")) in toasts(app)

        await pilot.press("question_mark")
        await pilot.pause()
        assert f"Unavailable: {why_not}" in " ".join(screen_text(app).replace("█", " ").split())
        await pilot.press("escape")

        target = under_cursor(app)
        await pilot.press("a")
        await settle(pilot)
        assert (await admin.get(target.id)).status == ARCHIVED
    await app.backend.aclose()


async def test_a_refused_archive_on_the_server_rolls_back_visibly(directus, admin, marker):
    created = await create(admin, directus.admin.id, marker, 3)
    real = httpx.AsyncHTTPTransport()

    async def refuse_patches(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            return httpx.Response(
                503,
                json={
                    "errors": [
                        {"message": "Service Unavailable: maintenance", "extensions": {"code": "SERVICE_UNAVAILABLE"}}
                    ]
                },
            )
        return await real.handle_async_request(request)

    backend = RestBackend(
        directus.url, StaticToken(directus.admin.token), transport=httpx.MockTransport(refuse_patches)
    )
    app = inbox_app(backend)
    async with run(app) as pilot:
        await settle(pilot)
        await search(pilot, marker)
        before = rows(app)
        await pilot.press("space", "space", "a")
        await pilot.pause()
        await settle(pilot)
        assert rows(app)[2] == before[2]
        assert rows(app)[:2] == [line.replace("  ", "● ", 1) for line in before[:2]], "back, and still selected"
        keys = ", ".join(str(n.id) for n in sorted(created, key=lambda n: n.id)[-2:])
        assert (
            f"0 of 2 notifications archived. 2 could not be archived: {keys} (The server failed: Service "
            "Unavailable: maintenance)." in toasts(app)
        )
    assert [(await admin.get(n.id)).status for n in created] == [INBOX] * 3
    await backend.aclose()
    await real.aclose()


async def test_compose_from_c_to_ctrl_s_reaches_the_colleagues_inbox(directus, marker):
    """The whole compose story inside the app: c, a recipient picked by name, a subject and a
    message typed, ctrl+s; the colleague's inbox on the server then holds it, from the admin."""
    app = inbox_app(RestBackend(directus.url, StaticToken(directus.admin.token)))
    subject = f"{marker} lunch on Friday?"
    async with run(app) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press(*"Colin", "enter")
        await settle(pilot)
        await pilot.press("tab", *subject, "tab", *"Shall we try the *new* place?")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not app.screen.is_modal, "the dialog closed"
        assert "Sent 1 notification." in toasts(app)
    async with RestBackend(directus.url, StaticToken(directus.colleague.token)) as colleague:
        page = await colleague.list_notifications(Query(mine=True, filter={"subject": {"_eq": subject}}))
    assert len(page.items) == 1
    received = page.items[0]
    assert received.status == INBOX and received.sender_id == directus.admin.id
    assert received.message == "Shall we try the *new* place?"
    await app.backend.aclose()
