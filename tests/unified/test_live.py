"""Following a unified inbox: each server followed on its own, one stream in unified ids.

Embedded inboxes are watched on disk (a change shows up within the poll interval); a refused port
stands for a server that is down. Two real servers over WebSockets, one stopped and restarted, are
in ``tests/unified/test_servers.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.api.auth import StaticToken
from app.api.rest import RestBackend
from app.live import ConnectionState, FolderCounts
from app.models import ARCHIVED, NotificationChanges, NotificationDraft
from app.unified import UnifiedBackend, UnifiedLive, UnifiedLiveBatch
from app.unified.live import combined_state
from tests.support.directus_server import free_port
from tests.support.waiting import eventually
from tests.unified.conftest import START, MakeInbox, minutes


class Follower:
    """Runs a ``UnifiedLive`` and keeps every batch it hands out."""

    def __init__(self, live: UnifiedLive) -> None:
        self.live = live
        self.batches: list[UnifiedLiveBatch] = []
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async for batch in self.live.batches():
            self.batches.append(batch)

    async def __aenter__(self) -> Follower:
        await self.live.__aenter__()
        self.task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.live.aclose()

    def created(self) -> list[tuple[str, int, int]]:
        return [(item.profile, item.native_id, item.id) for batch in self.batches for item in batch.created]  # type: ignore[attr-defined]


@pytest.fixture
async def unified(make_inbox: MakeInbox) -> AsyncIterator[UnifiedBackend]:
    work = await make_inbox("work", minutes(0, 1))
    staging = await make_inbox("staging", minutes(2))
    yield UnifiedBackend({"work": work, "staging": staging})


async def test_changes_on_either_server_arrive_tagged_and_counted(unified: UnifiedBackend):
    shown = [unified.unified_id("work", 2), unified.unified_id("staging", 1)]
    async with Follower(UnifiedLive(unified, known_ids=shown, poll_interval=0.1)) as follower:
        await eventually(lambda: follower.live.counts is not None and follower.live.counts.inbox == 3, "counts summed")
        assert follower.live.profile_counts["work"].inbox == 2 and follower.live.profile_counts["staging"].inbox == 1
        assert follower.live.state.mode == "polling"

        me = (await unified.member("staging").me()).id
        created = await unified.member("staging").create(NotificationDraft(recipient=me, subject="new on staging"))
        key = unified.unified_id("staging", created.id)
        await eventually(lambda: ("staging", created.id, key) in follower.created(), "staging's new one, tagged")
        await unified.member("work").update(1, NotificationChanges(status=ARCHIVED))
        work_one = unified.unified_id("work", 1)
        await eventually(
            lambda: any(
                item.id == work_one and item.status == ARCHIVED for b in follower.batches for item in b.updated
            ),
            "work's archive, in unified ids",
        )
        await unified.member("staging").delete(created.id)
        await eventually(lambda: any(key in batch.deleted for batch in follower.batches), "staging's delete")
        await eventually(lambda: follower.live.counts == FolderCounts(inbox=2, archived=1), "counts")
        # Nothing shown was announced as new: only what came after the ids shown.
        assert [entry[0] for entry in follower.created()] == ["staging"]


async def test_a_server_down_is_named_and_the_others_are_followed(make_inbox: MakeInbox):
    work = await make_inbox("work", minutes(0))
    down = RestBackend(f"http://127.0.0.1:{free_port()}", StaticToken("t" * 32))
    unified = UnifiedBackend({"work": work, "staging": down})
    try:
        async with Follower(UnifiedLive(unified, poll_interval=0.1, reconnect_delays=(0.1, 0.2))) as follower:
            states = follower.live.states
            await eventually(
                lambda: (states["staging"].mode, states["work"].mode) == ("offline", "polling"),
                "staging offline, work followed",
            )
            state = follower.live.state
            assert state.mode == "offline" and state.reason == "staging: the server cannot be reached"
            me = (await work.me()).id
            await work.create(NotificationDraft(recipient=me, subject="still arriving"))
            await eventually(lambda: [entry[0] for entry in follower.created()] == ["work"], "work followed")
            connections = [batch.connections for batch in follower.batches if batch.connections]
            assert connections[-1]["staging"].mode == "offline"
    finally:
        await unified.aclose()


def test_the_weakest_server_decides_the_state_and_is_named():
    live = ConnectionState("live", START)
    polling = ConnectionState("polling", START, "WebSockets are off", 30)
    offline = ConnectionState("offline", START, "the server cannot be reached")
    assert combined_state({"a": live, "b": live}).mode == "live"
    assert combined_state({"a": live, "b": live}).reason is None
    both = combined_state({"a": live, "b": polling})
    assert (both.mode, both.reason, both.poll_interval) == ("polling", "b: WebSockets are off", 30)
    down = combined_state({"a": offline, "b": polling, "c": offline})
    assert (down.mode, down.reason) == ("offline", "a: the server cannot be reached; c: the server cannot be reached")
    # The moment a mode began is kept while it lasts.
    assert combined_state({"a": offline}, down).since == down.since
