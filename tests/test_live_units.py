"""The live inbox's parts without a server: coalescing, the mirror, reading aggregates, and a socket
that sends what no real Directus sends on demand (malformed messages, 5xx from a reverse proxy).

Everything a real server does on demand is tested against one in ``tests/test_live.py``.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from app.embedded import EmbeddedBackend
from app.live import FolderCounts, LiveInbox
from app.live.changes import BatchBuilder, ConnectionState
from app.live.inbox import Mirror, backoff_delay
from app.live.probe import EmbeddedProbe, MalformedAnswer, StatusTotals, Summary, probe_for, summary_of_groups
from app.live.realtime import (
    ConnectionLost,
    MissedEvents,
    RealtimeSession,
    RealtimeUnavailable,
    ServerPing,
    SocketEvent,
    websocket_url,
)
from app.live.watch import describe_connection, notification_line
from app.models import ARCHIVED, Notification, NotificationDraft
from tests.support.live_recorder import Recorder


def note(key: int, status: str = "inbox", subject: str = "s") -> Notification:
    return Notification(id=key, status=status, subject=subject, recipient="me")


# --- coalescing --------------------------------------------------------------------------------------


def test_the_last_word_on_an_id_wins_within_a_batch():
    builder = BatchBuilder()
    builder.create(note(1))
    builder.update(note(1, ARCHIVED))  # still new to the consumer: one create, archived
    builder.update(note(2, ARCHIVED))
    builder.create(note(3))
    builder.delete(3)
    builder.update(note(4))
    builder.delete(4)
    batch = builder.take()
    assert [(item.id, item.status) for item in batch.created] == [(1, ARCHIVED)]
    assert [item.id for item in batch.updated] == [2]
    assert batch.deleted == {3, 4}
    assert not builder and not builder.take()


def test_a_batch_orders_what_was_created_oldest_first():
    builder = BatchBuilder()
    for key in (5, 3, 4):
        builder.create(note(key))
    assert [item.id for item in builder.take().created] == [3, 4, 5]


# --- the mirror ----------------------------------------------------------------------------------------


def test_the_mirror_keeps_the_same_totals_as_the_server_summary():
    mirror = Mirror({1: "inbox", 2: "inbox", 3: ARCHIVED})
    mirror.set(2, ARCHIVED)
    mirror.set(4, "read")  # any status is a status; it counts in the inbox tab
    assert mirror.discard(1) and not mirror.discard(99)
    statuses = {2: ARCHIVED, 3: ARCHIVED, 4: "read"}
    assert mirror.fingerprint() == Summary.of_statuses(statuses).fingerprint() == {ARCHIVED: (2, 5), "read": (1, 4)}
    assert mirror.folder_counts() == FolderCounts(inbox=1, archived=2)


@settings(max_examples=200, deadline=None)
@given(
    start=st.dictionaries(st.integers(1, 60), st.sampled_from(["inbox", ARCHIVED, "read", "ünïcode"]), max_size=30),
    steps=st.lists(
        st.tuples(st.booleans(), st.integers(1, 60), st.sampled_from(["inbox", ARCHIVED, "read", "x" * 50])),
        max_size=60,
    ),
)
def test_the_mirror_holds_what_a_plain_dict_would(start: dict[int, str], steps: list[tuple[bool, int, str]]):
    """Compact as it is (ids in an array, statuses numbered), it answers as a dict of ids to statuses."""
    mirror, model = Mirror(start), dict(start)
    for remove, key, status in steps:
        if remove:
            assert mirror.discard(key) == (model.pop(key, None) is not None)
        else:
            mirror.set(key, status)
            model[key] = status
        assert (key in mirror) == (key in model) and mirror.get(key) == model.get(key)
    assert mirror.ids() == sorted(model) and len(mirror) == len(model)
    assert mirror.fingerprint() == Summary.of_statuses(model).fingerprint()


def test_a_mirror_of_a_hundred_thousand_is_small():
    """The live inbox holds every id of the user's: O(inbox), so a few bytes each."""
    import tracemalloc

    statuses = {key: ("inbox" if key % 3 else ARCHIVED) for key in range(1, 100_001)}
    tracemalloc.start()
    mirror = Mirror(statuses)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(mirror) == 100_000 and mirror.get(99_999) == ARCHIVED
    assert size < 2_000_000, f"{size:,} bytes"


def test_an_archive_and_an_unarchive_at_once_still_change_the_fingerprint():
    before = Summary.of_statuses({1: "inbox", 2: ARCHIVED})
    after = Summary.of_statuses({1: ARCHIVED, 2: "inbox"})
    assert before.fingerprint() != after.fingerprint(), "same counts, other ids: the sums tell"


# --- reading the server's aggregate ---------------------------------------------------------------------


def test_the_summary_reads_rest_and_graphql_aggregates_and_sums_as_strings():
    rest = [
        {"status": "inbox", "count": {"id": 2}, "sum": {"id": "9"}, "max": {"id": 5}},
        {"status": None, "count": {"id": 1}, "sum": {"id": 7}, "max": {"id": 7}},
    ]
    graphql = [{"group": {"status": ARCHIVED}, "count": {"id": 1}, "sum": {"id": 3.0}, "max": {"id": 3}}]
    assert summary_of_groups(rest).by_status == {"inbox": StatusTotals(3, 16, 7)}, "null is the inbox"
    assert summary_of_groups(graphql, grouped_under="group").by_status == {ARCHIVED: StatusTotals(1, 3, 3)}
    assert summary_of_groups([]).newest_id == 0


@pytest.mark.parametrize(
    "rows",
    [None, {"data": []}, ["x"], [{"status": "inbox"}], [{"status": "inbox", "count": {"id": "many"}}]],
)
def test_a_malformed_aggregate_is_a_typed_error_not_a_crash(rows):
    with pytest.raises(MalformedAnswer):
        summary_of_groups(rows)


# --- reconnecting ------------------------------------------------------------------------------------------


def test_backoff_grows_with_jitter_up_to_the_longest_wait():
    rng = random.Random(7)
    waits = [[backoff_delay(attempt, (1.0, 30.0), rng) for _ in range(50)] for attempt in range(8)]
    assert all(0.5 <= wait <= 1.0 for wait in waits[0])
    assert all(4.0 <= wait <= 8.0 for wait in waits[3])
    assert all(15.0 <= wait <= 30.0 for wait in waits[7])
    assert len({round(wait, 6) for wait in waits[7]}) > 40, "jittered: clients do not come back in step"


def test_the_websocket_url_keeps_the_scheme_and_the_base_path():
    assert websocket_url("https://cms.example.com/directus/") == "wss://cms.example.com/directus/websocket"
    assert websocket_url("http://127.0.0.1:8055") == "ws://127.0.0.1:8055/websocket"


# --- a socket that misbehaves --------------------------------------------------------------------------------


class Tokens:
    def __init__(self, renewable: bool = True) -> None:
        self.renewable = renewable
        self.renewals = 0

    async def access_token(self) -> str:
        return f"token-{self.renewals}"

    async def renew(self) -> bool:
        self.renewals += 1
        return self.renewable


Script = Callable[[ServerConnection], Awaitable[None]]


async def handshake(connection: ServerConnection) -> None:
    """What Directus answers to the auth message and to each subscription."""
    auth = json.loads(await connection.recv())
    assert auth["type"] == "auth"
    await connection.send(json.dumps({"type": "auth", "status": "ok"}))
    for _ in range(3):
        subscribe = json.loads(await connection.recv())
        await connection.send(json.dumps({"type": "subscription", "event": "init", "uid": subscribe["uid"]}))


async def fake_server(script: Script, status: int | None = None, greet: Script = handshake) -> Server:
    async def handler(connection: ServerConnection) -> None:
        await greet(connection)
        await script(connection)
        await connection.wait_closed()

    def refuse(connection: ServerConnection, request: Request) -> Response | None:
        if status is None:
            return None
        return Response(status, HTTPStatus(status).phrase, Headers(), b"no")

    return await serve(handler, "127.0.0.1", 0, process_request=refuse)


def url_of(server: Server) -> str:
    host, port = next(iter(server.sockets)).getsockname()[:2]
    return f"http://{host}:{port}"


async def collect(session: RealtimeSession, count: int) -> list[Any]:
    received: list[Any] = []

    async def take() -> None:
        async for message in session.events():
            received.append(message)
            if len(received) == count:
                return

    await asyncio.wait_for(take(), 10)
    return received


ROW = {"id": 9, "status": "inbox", "recipient": "me", "subject": "fine", "timestamp": "2026-01-02T03:04:05.000Z"}


async def test_malformed_messages_are_skipped_and_counted_never_fatal():
    async def script(connection: ServerConnection) -> None:
        for junk in (
            "not json",
            "[1, 2]",
            json.dumps({"type": "subscription", "event": "create", "uid": "directus-inbox-create", "data": "x"}),
            json.dumps({"type": "subscription", "event": "create", "uid": ["unhashable"], "data": []}),
            json.dumps({"type": "subscription", "event": "teleport", "uid": "directus-inbox-create", "data": []}),
            json.dumps({"type": "pong"}),
        ):
            await connection.send(junk)
        await connection.send(json.dumps({"type": "ping"}))
        assert json.loads(await connection.recv()) == {"type": "pong"}
        await connection.send(
            json.dumps(
                {
                    "type": "subscription",
                    "event": "create",
                    "uid": "directus-inbox-create",
                    "data": [ROW, {"id": "not a number"}, "junk"],
                }
            )
        )
        await connection.send(
            json.dumps(
                {"type": "subscription", "event": "delete", "uid": "directus-inbox-delete", "data": ["12", 13, None]}
            )
        )
        await connection.send(json.dumps({"type": "subscribe", "status": "error", "error": {"code": "FORBIDDEN"}}))

    server = await fake_server(script)
    try:
        session = await RealtimeSession.open(url_of(server), Tokens())
        ping, created, deleted, missed = await collect(session, 4)
        await session.aclose()
    finally:
        server.close()
    assert isinstance(ping, ServerPing)
    assert isinstance(created, SocketEvent) and [item.id for item in created.items] == [9] and created.unreadable == 2
    assert isinstance(deleted, SocketEvent) and deleted.ids == (12, 13) and deleted.unreadable == 1
    assert missed == MissedEvents("subscription-error")


async def test_a_token_expired_on_the_socket_is_renewed_or_the_socket_given_up():
    async def expire(connection: ServerConnection) -> None:
        await connection.send(json.dumps({"type": "auth", "status": "error", "error": {"code": "TOKEN_EXPIRED"}}))
        renewed = json.loads(await connection.recv())
        assert renewed == {"type": "auth", "access_token": "token-1"}
        await connection.send(json.dumps({"type": "auth", "status": "ok"}))

    server = await fake_server(expire)
    try:
        session = await RealtimeSession.open(url_of(server), Tokens())
        assert await collect(session, 1) == [MissedEvents("reauthenticated")]
        await session.aclose()
        static = await RealtimeSession.open(url_of(server), Tokens(renewable=False))
        with pytest.raises(RealtimeUnavailable, match="expired and cannot be renewed"):
            await collect(static, 1)
    finally:
        server.close()


async def test_a_refused_first_token_is_renewed_once():
    async def refuse_first(connection: ServerConnection) -> None:
        first = json.loads(await connection.recv())
        assert first["access_token"] == "token-0"
        await connection.send(json.dumps({"type": "auth", "status": "error", "error": {"code": "AUTH_FAILED"}}))
        await handshake(connection)  # the renewed token is accepted

    async def nothing(connection: ServerConnection) -> None:
        return None

    server = await fake_server(nothing, greet=refuse_first)
    try:
        tokens = Tokens()
        session = await RealtimeSession.open(url_of(server), tokens)
        await session.aclose()
        assert tokens.renewals == 1
        with pytest.raises(RealtimeUnavailable, match=r"did not accept the token on the WebSocket \(AUTH_FAILED\)"):
            await RealtimeSession.open(url_of(server), Tokens(renewable=False))
    finally:
        server.close()


@pytest.mark.parametrize(
    ("status", "error"), [(404, RealtimeUnavailable), (403, RealtimeUnavailable), (502, ConnectionLost)]
)
async def test_an_http_answer_to_the_upgrade_says_whether_to_retry_soon(status, error):
    async def nothing(connection: ServerConnection) -> None:
        return None

    server = await fake_server(nothing, status=status)
    try:
        with pytest.raises(error):
            await RealtimeSession.open(url_of(server), Tokens())
    finally:
        server.close()


async def test_a_silent_server_is_a_lost_connection():
    async def silence(connection: ServerConnection) -> None:
        await connection.recv()  # the keepalive ping, never answered

    server = await fake_server(silence)
    try:
        session = await RealtimeSession.open(url_of(server), Tokens(), keepalive=0.2)
        with pytest.raises(ConnectionLost, match="stopped answering"):
            await collect(session, 1)
    finally:
        server.close()


# --- any backend: the generic probe ----------------------------------------------------------------------


@pytest.fixture
async def memory_inbox() -> AsyncIterator[EmbeddedBackend]:
    backend = EmbeddedBackend(":memory:", seed=None)
    async with backend:
        yield backend


async def test_a_backend_without_a_cheap_probe_is_reconciled_by_listing(memory_inbox):
    me = (await memory_inbox.me()).id
    (first,) = await memory_inbox.create_many([NotificationDraft(recipient=me, subject="first")])
    async with Recorder(LiveInbox(memory_inbox, poll_interval=0.05, newest_known_id=0)) as seen:
        await seen.until(lambda: seen.created[first.id] == 1, what="what is newer than the caller knew")
        second = await memory_inbox.create(NotificationDraft(recipient=me, subject="second"))
        await seen.until(lambda: seen.created[second.id] == 1, what="the next one")
        await memory_inbox.delete(first.id)
        await seen.until(lambda: first.id in seen.deleted, what="the delete")
        assert seen.counts == FolderCounts(inbox=1, archived=0)
        assert seen.states[-1].mode == "polling"


async def test_the_embedded_probe_agrees_with_the_listing_and_sees_other_connections(tmp_path):
    path = tmp_path / "inbox.sqlite3"
    async with EmbeddedBackend(path, seed=50) as backend, EmbeddedBackend(path) as other:
        me = (await backend.me()).id
        probe = probe_for(backend, me)
        try:
            assert isinstance(probe, EmbeddedProbe)
            before = await probe.summary()
            assert before == Summary.of_statuses(await probe.statuses()) and before.by_status
            assert await probe.summary() is before, "nobody wrote: the answer is the one held"
            await other.create(NotificationDraft(recipient=me, subject="from elsewhere"))
            after = await probe.summary()
            assert after.newest_id > before.newest_id
            assert after == Summary.of_statuses(await probe.statuses())
        finally:
            await probe.aclose()


def test_watch_describes_each_mode_and_prints_one_clean_line():
    now = datetime.now(UTC)
    assert describe_connection(ConnectionState("live", now)).startswith("live")
    assert describe_connection(ConnectionState("polling", now, "WebSockets are off", 30.0)) == (
        "checking every 30 s (WebSockets are off)"
    )
    assert describe_connection(ConnectionState("offline", now, "the server cannot be reached")) == (
        "offline: the server cannot be reached; retrying"
    )
    item = Notification(id=4, subject="a\nb\x1b[2J", sender="u-1", timestamp=now)
    line = notification_line(item, {"u-1": "Ada\x07 Admin"})
    assert line.endswith("  Ada Admin  a b") and "\n" not in line and "\x1b" not in line
