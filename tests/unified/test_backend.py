"""A unified inbox's actions go to each row's own server, and one server's fault is its own.

Embedded inboxes stand in for healthy servers; a refused port and a loopback server that accepts
and never answers are the down and the hanging server (real sockets, no mock). Two real Directus
servers, one stopped mid-session, are in ``tests/unified/test_servers.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from app import bulk
from app.api.auth import StaticToken
from app.api.rest import RestBackend
from app.errors import InvalidInputError, NetworkError, NotFoundError
from app.models import ARCHIVED, INBOX, Capabilities, NotificationDraft, Query
from app.unified import UnifiedBackend
from tests.support.directus_server import free_port
from tests.unified.conftest import MakeInbox, minutes

TOKEN = "t" * 32


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A server on loopback that accepts connections and never answers (a hung Directus)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()  # until the client gives up

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def two_inboxes(make_inbox: MakeInbox) -> UnifiedBackend:
    work = await make_inbox("work", minutes(0, 2, 4))
    staging = await make_inbox("staging", minutes(1, 3))
    return UnifiedBackend({"work": work, "staging": staging})


async def statuses(unified: UnifiedBackend, profile: str) -> dict[int, str]:
    page = await unified.member(profile).list_notifications(Query(limit=-1))
    return {item.id: item.status for item in page.items}


async def test_an_archive_across_servers_is_split_and_each_server_holds_its_part(make_inbox: MakeInbox):
    unified = await two_inboxes(make_inbox)
    page = await unified.list_notifications(Query.of_folder(INBOX))
    # Newest first: work 3 (minute 4), staging 2, work 2, staging 1, work 1; take the middle three.
    selection = [item.id for item in page.items[1:4]]
    assert unified.tally(selection) == {"work": 1, "staging": 2}
    assert unified.describe_tally(selection) == "1 on work, 2 on staging"

    progress: list[tuple[int, int]] = []
    before = {item.id: item.status for item in page.items}
    change = await bulk.change_status(
        unified, selection, ARCHIVED, before=before, progress=lambda d, t: progress.append((d, t))
    )
    assert change.complete and sorted(change.changed) == sorted(selection)
    assert progress[-1] == (3, 3)
    assert await statuses(unified, "staging") == {1: ARCHIVED, 2: ARCHIVED}
    assert await statuses(unified, "work") == {1: INBOX, 2: ARCHIVED, 3: INBOX}

    undone = await bulk.undo(unified, change)
    assert undone.complete and sorted(undone.changed) == sorted(selection)
    assert set((await statuses(unified, "staging")).values()) == {INBOX}
    assert set((await statuses(unified, "work")).values()) == {INBOX}


async def test_a_delete_across_servers_deletes_on_each(make_inbox: MakeInbox):
    unified = await two_inboxes(make_inbox)
    keys = [unified.unified_id("work", 1), unified.unified_id("staging", 2)]
    deletion = await bulk.delete(unified, keys)
    assert deletion.complete
    assert await statuses(unified, "work") == {2: INBOX, 3: INBOX}
    assert await statuses(unified, "staging") == {1: INBOX}


async def test_one_at_a_time_actions_go_to_the_rows_server(make_inbox: MakeInbox):
    unified = await two_inboxes(make_inbox)
    key = unified.unified_id("staging", 2)
    row = await unified.get(key)
    assert (row.id, row.profile, row.native_id, row.subject) == (key, "staging", 2, "row 1")  # type: ignore[attr-defined]
    assert unified.locate(key) == ("staging", 2)
    assert unified.backend_for(key) is unified.member("staging")
    with pytest.raises(NotFoundError, match=r"^staging: Notification 9 was not found"):
        await unified.get(unified.unified_id("staging", 9))


async def test_a_server_that_refuses_connections_is_left_out_and_named(make_inbox: MakeInbox):
    port = free_port()  # nothing listens there
    down = RestBackend(f"http://127.0.0.1:{port}", StaticToken(TOKEN))
    work = await make_inbox("work", minutes(0, 1))
    unified = UnifiedBackend({"work": work, "staging": down}, retry_delays=(30.0, 30.0))
    try:
        page = await unified.list_notifications(Query.of_folder(INBOX))
        assert [item.native_id for item in page.items] == [2, 1]  # type: ignore[attr-defined]
        assert page.filter_count == 2 and page.profile_counts == {"work": 2}
        assert list(page.unreachable) == ["staging"]
        assert (
            "staging: Cannot reach" in page.unreachable["staging"]
            and "connection refused" in page.unreachable["staging"]
        )

        # Not asked again on every page while it is down: the next listing asks work alone.
        page = await unified.list_notifications(Query.of_folder(INBOX))
        assert unified.last_listing.requests == 1 and "staging" in page.unreachable

        # An archive of rows on both: work's part is done, staging's is not, and the outcome says so.
        keys = [unified.unified_id("work", 1), unified.unified_id("staging", 5)]
        change = await bulk.change_status(unified, keys, ARCHIVED)
        assert change.changed == (keys[0],) and change.unchanged == (keys[1],)
        failure = change.failure()
        assert failure is not None and "staging: Cannot reach" in str(failure)
        assert "1 of 2 notifications archived" in bulk.describe_status_change(change)
    finally:
        await unified.aclose()


async def test_a_server_that_does_not_answer_costs_one_patience_then_nothing(make_inbox: MakeInbox, silent_server: str):
    hung = RestBackend(silent_server, StaticToken(TOKEN), timeout=60)
    work = await make_inbox("work", minutes(0, 1, 2))
    unified = UnifiedBackend({"work": work, "hung": hung}, patience=0.5, retry_delays=(30.0, 30.0))
    try:
        began = time.monotonic()
        page = await unified.list_notifications(Query.of_folder(INBOX, offset=1))
        assert time.monotonic() - began < 5
        assert len(page.items) == 2 and page.unreachable == {"hung": "hung: No answer within 0.5 s."}
        began = time.monotonic()
        page = await unified.list_notifications(Query.of_folder(INBOX))
        assert time.monotonic() - began < 0.4 and len(page.items) == 3
        # Asked again at once when told (a refresh key, or its live inbox saw it come back).
        unified.retry_now("hung")
        began = time.monotonic()
        await unified.list_notifications(Query.of_folder(INBOX))
        assert 0.4 < time.monotonic() - began < 5
    finally:
        await unified.aclose()


async def test_when_no_server_answers_the_listing_fails_naming_each():
    first = RestBackend(f"http://127.0.0.1:{free_port()}", StaticToken(TOKEN))
    second = RestBackend(f"http://127.0.0.1:{free_port()}", StaticToken(TOKEN))
    unified = UnifiedBackend({"work": first, "staging": second})
    try:
        with pytest.raises(NetworkError) as raised:
            await unified.list_notifications(Query.of_folder(INBOX))
        assert "work: Cannot reach" in str(raised.value) and "staging: Cannot reach" in str(raised.value)
    finally:
        await unified.aclose()


async def test_who_and_what_may_be_done(make_inbox: MakeInbox):
    unified = await two_inboxes(make_inbox)
    assert (await unified.me()).id == (await unified.member("work").me()).id
    capabilities = await unified.capabilities()
    assert isinstance(capabilities, Capabilities) and capabilities.can_archive and capabilities.can_delete
    identities = await unified.identities()
    assert set(identities) == {"work", "staging"}


async def test_creating_needs_the_one_server_that_has_the_recipient(make_inbox: MakeInbox):
    unified = await two_inboxes(make_inbox)
    me = await unified.me()
    draft = NotificationDraft(recipient=me.id, subject="hello")
    # Both embedded inboxes have the same user: which server is meant cannot be told.
    with pytest.raises(InvalidInputError, match="on several servers"):
        await unified.create(draft)
    with pytest.raises(InvalidInputError, match="No server"):
        await unified.create(NotificationDraft(recipient="00000000-0000-0000-0000-000000000000", subject="x"))
    alone = UnifiedBackend({"work": unified.member("work")})
    created = await alone.create(draft)
    assert created.profile == "work" and created.subject == "hello"  # type: ignore[attr-defined]


async def test_unified_rows_sort_newest_first_across_servers(make_inbox: MakeInbox):
    unified = await two_inboxes(make_inbox)
    page = await unified.list_notifications(Query.of_folder(INBOX))
    moments = [item.timestamp for item in page.items]
    assert moments == sorted(moments, reverse=True)  # type: ignore[type-var]
    assert [item.profile for item in page.items] == ["work", "staging", "work", "staging", "work"]  # type: ignore[attr-defined]
    assert moments[0] - moments[-1] == timedelta(minutes=4)  # type: ignore[operator]


async def test_while_every_server_is_waited_for_a_listing_fails_at_once():
    down = RestBackend(f"http://127.0.0.1:{free_port()}", StaticToken(TOKEN))
    unified = UnifiedBackend({"work": down}, retry_delays=(30.0, 30.0))
    try:
        for requests in (1, 0):  # asked, then not asked again: the same error either way, not an empty page
            with pytest.raises(NetworkError, match=r"^work: Cannot reach"):
                await unified.list_notifications(Query.of_folder(INBOX))
            assert unified.last_listing.requests == requests
    finally:
        await unified.aclose()
