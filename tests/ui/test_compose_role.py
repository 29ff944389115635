"""Writing to a role in the compose dialog: ``@role:NAME`` in the To field adds the role's active
members, the dialog says how many will receive it, and one batch is sent.

The real server's ``Editor`` role has two members (the session's user and colleague).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest

from app.api import RestBackend, StaticToken
from app.embedded import EmbeddedBackend
from app.models import Notification, NotificationDraft, Query
from tests.support.waiting import eventually
from tests.ui.test_compose import SIZE, host, send_and_wait, shown, type_into


class CountingRest(RestBackend):
    """The real server's backend, counting the batches of notifications it is asked to create."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[int] = []

    async def create_many(self, drafts: Sequence[NotificationDraft]) -> list[Notification]:
        self.batches.append(len(drafts))
        return await super().create_many(drafts)


@pytest.mark.server
async def test_the_admin_writes_to_a_role_of_two_and_both_receive_it_in_one_batch(directus) -> None:
    subject = f"Role {uuid.uuid4().hex[:8]}"
    async with CountingRest(directus.url, StaticToken(directus.admin.token)) as admin:
        app = host(admin, me=await admin.me(), capabilities=await admin.capabilities())
        async with app.run_test(size=SIZE) as pilot:
            await type_into(pilot, "#to-entry", "@role:editor")
            await pilot.press("enter")
            await eventually(lambda: "2 recipients" in shown(app, "#recipient-count"), "the count of recipients")
            assert shown(app, "#recipient-count") == "2 recipients (role Editor: 2 users)"
            assert "Uma User" in shown(app, "#recipient-chips") and "Colin Colleague" in shown(app, "#recipient-chips")
            await type_into(pilot, "#subject", subject)
            await send_and_wait(pilot)
            assert len(app.sent) == 2 and admin.batches == [2]

        for account in (directus.user, directus.colleague):
            async with RestBackend(directus.url, StaticToken(account.token)) as theirs:
                page = await theirs.list_notifications(Query(filter={"subject": {"_eq": subject}}, mine=True))
                assert [n.recipient_id for n in page.items] == [account.id]
        await admin.delete_many([n.id for n in app.sent])


@pytest.mark.server
async def test_a_role_that_does_not_exist_is_refused_in_place(directus) -> None:
    async with RestBackend(directus.url, StaticToken(directus.admin.token)) as admin:
        app = host(admin, me=await admin.me(), capabilities=await admin.capabilities())
        async with app.run_test(size=SIZE) as pilot:
            await type_into(pilot, "#to-entry", "@role:Nobody")
            await pilot.press("enter")
            await eventually(lambda: shown(app, "#to-error"), "the To field's error")
            assert "There is no role 'Nobody' that you may read" in shown(app, "#to-error")
            assert shown(app, "#recipient-chips") == ""


async def test_an_inbox_without_roles_says_so(tmp_path) -> None:
    inbox = EmbeddedBackend(tmp_path / "inbox.sqlite3", seed=0)
    app = host(inbox)
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#to-entry", "@role:Editor")
        await pilot.press("enter")
        await eventually(lambda: shown(app, "#to-error"), "the To field's error")
        assert "This inbox has no roles" in shown(app, "#to-error")
    await inbox.aclose()
