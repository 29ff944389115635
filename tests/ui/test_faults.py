"""The screen tells the truth under faults: the app talks to the real Directus through the fault
proxy on loopback, which loses, refuses or garbles answers; each test checks what the user is
told against what the server then holds (asked directly, never through the proxy)."""

from __future__ import annotations

import uuid

import pytest

from app.api import RestBackend, StaticToken
from app.models import ARCHIVED, INBOX
from tests.support.fault_proxy import DirectAdmin, FaultProxy
from tests.support.waiting import eventually
from tests.ui.support import cursor_subject, inbox_app, rows, run, screen_text, settle, toasts

pytestmark = pytest.mark.server


@pytest.fixture
def marker() -> str:
    return f"flt{uuid.uuid4().hex[:8]}"


def user_app(proxy: FaultProxy, directus, *, timeout: float = 5):
    return inbox_app(RestBackend(proxy.url, StaticToken(directus.user.token), timeout=timeout))


async def show_only(pilot, marker: str) -> None:
    await settle(pilot)
    await pilot.press("slash", *marker, "enter")
    await settle(pilot)


def ids_of(created: list[dict]) -> list[int]:
    return [int(row["id"]) for row in created]


async def test_an_archive_whose_answer_is_lost_says_it_was_done_and_can_be_undone(
    fault_proxy: FaultProxy, directus_admin: DirectAdmin, directus, marker
):
    keys = ids_of(directus_admin.create(directus.user.id, [f"{marker} {n}" for n in range(5)]))
    app = user_app(fault_proxy, directus)
    async with run(app) as pilot:
        await show_only(pilot, marker)
        fault_proxy.on("PATCH", "/notifications").drop_response()
        await pilot.press(*["space"] * 5, "a")
        await settle(pilot)
        assert directus_admin.statuses(keys) == dict.fromkeys(keys, ARCHIVED)
        text = toasts(app)
        assert "5 notifications archived." in text and "Press u to undo." in text
        assert "nothing was lost" not in text and "could not" not in text
        await pilot.press("u")
        await settle(pilot)
        assert directus_admin.statuses(keys) == dict.fromkeys(keys, INBOX)
        assert "Undone: 5 notifications back where they were." in toasts(app)
    await app.backend.aclose()


async def test_a_bulk_archive_whose_second_chunk_fails_says_how_many_and_undoes_those(
    fault_proxy: FaultProxy, directus_admin: DirectAdmin, directus, marker
):
    keys = ids_of(directus_admin.create(directus.user.id, [f"{marker} {n:03}" for n in range(600)]))
    app = user_app(fault_proxy, directus)
    async with run(app) as pilot:
        await show_only(pilot, marker)
        fault_proxy.on("PATCH", "/notifications", nth=2).respond(503, {"errors": [{"message": "Overloaded"}]})
        await pilot.press("asterisk", "asterisk", "a")
        await settle(pilot)
        held = directus_admin.statuses(keys)
        archived = sorted(key for key, status in held.items() if status == ARCHIVED)
        assert len(archived) == 500
        text = toasts(app)
        assert "500 of 600 notifications archived. 100 could not be archived" in text
        assert "Press u to undo." in text
        assert app.main.current_list.row_count == 100, "the 100 not archived are back in the list"
        await pilot.press("u")
        await settle(pilot)
        assert directus_admin.statuses(keys) == dict.fromkeys(keys, INBOX)
    await app.backend.aclose()


async def test_an_undo_the_server_died_during_can_be_done_again_after_it_returns(
    fault_proxy: FaultProxy, directus_admin: DirectAdmin, directus, marker
):
    keys = ids_of(directus_admin.create(directus.user.id, [f"{marker} {n}" for n in range(5)]))
    app = user_app(fault_proxy, directus, timeout=3)
    async with run(app) as pilot:
        await show_only(pilot, marker)
        await pilot.press(*["space"] * 5, "a")
        await settle(pilot)
        assert directus_admin.statuses(keys) == dict.fromkeys(keys, ARCHIVED)
        fault_proxy.go_down()
        await pilot.press("u")
        await settle(pilot)
        assert "Press u to try again." in toasts(app)
        assert directus_admin.statuses(keys) == dict.fromkeys(keys, ARCHIVED)
        fault_proxy.come_back()
        await pilot.press("u")
        await settle(pilot)
        assert directus_admin.statuses(keys) == dict.fromkeys(keys, INBOX)
        assert "Undone: 5 notifications back where they were." in toasts(app)
    await app.backend.aclose()


async def test_one_of_five_deleted_elsewhere_the_other_four_are_archived_and_it_leaves(
    fault_proxy: FaultProxy, directus_admin: DirectAdmin, directus, marker
):
    keys = ids_of(directus_admin.create(directus.user.id, [f"{marker} {n}" for n in range(5)]))
    app = user_app(fault_proxy, directus)
    async with run(app) as pilot:
        await show_only(pilot, marker)
        await pilot.press(*["space"] * 5)
        directus_admin.delete([keys[2]])
        await pilot.press("a")
        await settle(pilot)
        assert directus_admin.statuses(keys) == dict.fromkeys([k for k in keys if k != keys[2]], ARCHIVED)
        text = toasts(app)
        assert "4 of 5 notifications archived. 1 was not found, or you may not see them:" in text
        assert str(keys[2]) in text
        assert "selected" not in screen_text(app), "nothing is left selected"
        assert app.main.current_list.row_count == 0
        await pilot.press("u")
        await settle(pilot)
        assert directus_admin.statuses(keys) == dict.fromkeys([k for k in keys if k != keys[2]], INBOX)
    await app.backend.aclose()


async def test_a_refused_archive_leaves_the_cursor_on_its_row_and_the_counts_as_they_were(
    fault_proxy: FaultProxy, directus_admin: DirectAdmin, directus, marker
):
    keys = ids_of(directus_admin.create(directus.user.id, [f"{marker} {n}" for n in range(3)]))
    app = user_app(fault_proxy, directus)
    async with run(app) as pilot:
        await show_only(pilot, marker)
        await pilot.press("j")
        about = cursor_subject(app)
        tabs_before = screen_text(app).splitlines()[1].split("▏")[0]
        fault_proxy.go_down()
        await pilot.press("a")
        await settle(pilot)
        assert cursor_subject(app) == about, "a second a retries the same notification"
        assert screen_text(app).splitlines()[1].split("▏")[0] == tabs_before, "the counts are back"
        assert "could not be archived" in toasts(app)
        fault_proxy.come_back()
        await pilot.press("a")
        await settle(pilot)
        archived = [key for key, status in directus_admin.statuses(keys).items() if status == ARCHIVED]
        assert len(archived) == 1 and about and about not in " ".join(rows(app))
    await app.backend.aclose()


async def test_a_send_whose_answer_is_lost_is_found_and_not_sent_twice(
    fault_proxy: FaultProxy, directus_admin: DirectAdmin, directus, marker
):
    app = inbox_app(RestBackend(fault_proxy.url, StaticToken(directus.admin.token), timeout=5))
    subject = f"{marker} sent once"
    async with run(app) as pilot:
        await settle(pilot)
        fault_proxy.on("POST", "/notifications").drop_response()
        await pilot.press("c")
        await settle(pilot)
        await pilot.press(*"Colin", "enter")
        await settle(pilot)
        await pilot.press("tab", *subject)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not app.screen.is_modal, "the dialog closed: the notification is known to be there"
        assert "Sent 1 notification." in toasts(app)
    assert len(directus_admin.notifications({"subject": {"_eq": subject}})) == 1
    await app.backend.aclose()


async def test_a_wrong_shaped_answer_is_one_line_and_the_app_goes_on(
    fault_proxy: FaultProxy, directus_admin: DirectAdmin, directus, marker
):
    directus_admin.create(directus.user.id, [f"{marker} fine"])
    fault_proxy.on("GET", "/notifications", times=None).replace_body({"data": None})
    app = user_app(fault_proxy, directus)
    async with run(app) as pilot:
        await settle(pilot)
        assert "The server answered something unexpected" in screen_text(app)
        assert "Traceback" not in screen_text(app)
        fault_proxy.clear_rules()
        await pilot.press("ctrl+r")
        await show_only(pilot, marker)
        await eventually(
            lambda: any(f"{marker} fine" in line for line in rows(app)), "the list, once the answers are right"
        )
    await app.backend.aclose()
