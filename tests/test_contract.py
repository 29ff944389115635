"""One contract, three backends: the embedded inbox, Directus over REST, Directus over GraphQL.

Every test here runs against all three (``inbox`` fixture). The real server is shared by the whole
session, so each test marks what it creates with its own ``collection`` value and looks only at
that. Tests of what an ordinary user may do run against the real server only: the embedded
inbox has a single, all-powerful user.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.api import GraphQLBackend, PasswordLogin, RestBackend, StaticToken
from app.backend import InboxBackend
from app.errors import (
    AuthenticationError,
    BatchError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
)
from app.models import ARCHIVED, INBOX, NotificationChanges, NotificationDraft, Query

TRANSPORTS = {"rest": RestBackend, "graphql": GraphQLBackend}
BACKENDS = ("embedded", *(pytest.param(kind, marks=pytest.mark.server) for kind in TRANSPORTS))
"""The embedded inbox, and the real server (marked: ``inbox`` asks for it only for these)."""


@dataclass
class Inbox:
    """A backend as its most powerful user, and whom to address notifications to."""

    kind: str
    backend: InboxBackend
    recipient: str
    marker: str

    def draft(self, subject: str = "Hello", **fields) -> NotificationDraft:
        fields.setdefault("collection", self.marker)
        return NotificationDraft(recipient=self.recipient, subject=subject, **fields)

    def query(self, **fields) -> Query:
        extra = fields.pop("filter", None)
        marker = {"collection": {"_eq": self.marker}}
        return Query(filter={"_and": [marker, extra]} if extra else marker, **fields)


@pytest.fixture(params=BACKENDS)
async def inbox(request, tmp_path):
    marker = f"ct_{uuid.uuid4().hex[:10]}"
    backend: InboxBackend
    if request.param == "embedded":
        from app.embedded import EmbeddedBackend

        backend = EmbeddedBackend(tmp_path / "inbox.sqlite3", seed=0)
        recipient = (await backend.me()).id
    else:
        server = request.getfixturevalue("directus")
        backend = TRANSPORTS[request.param](server.url, StaticToken(server.admin.token))
        recipient = server.user.id
    async with backend:
        yield Inbox(request.param, backend, recipient, marker)


@pytest.fixture(params=tuple(TRANSPORTS))
async def as_user(request, directus):
    """The same server through each transport, as an ordinary app user and as the admin."""
    cls = TRANSPORTS[request.param]
    async with (
        cls(directus.url, StaticToken(directus.user.token)) as user,
        cls(directus.url, StaticToken(directus.admin.token)) as admin,
    ):
        yield user, admin


def ids(page) -> list[int]:
    return [n.id for n in page.items]


# --- create and read ------------------------------------------------------------------------


async def test_create_fills_id_timestamp_and_status(inbox):
    before = datetime.now(UTC) - timedelta(seconds=5)
    created = await inbox.backend.create(inbox.draft("Hi there!", message="**bold** <em>x</em>", item="7"))
    assert isinstance(created.id, int)
    assert created.status == INBOX
    assert created.timestamp is not None and created.timestamp.tzinfo is not None
    assert before <= created.timestamp <= datetime.now(UTC) + timedelta(seconds=5)
    fetched = await inbox.backend.get(created.id)
    assert fetched.to_json() == created.to_json()
    assert fetched.message == "**bold** <em>x</em>"
    assert fetched.recipient_id == inbox.recipient
    assert fetched.item == "7"


async def test_create_many_returns_every_notification_in_order(inbox):
    created = await inbox.backend.create_many([inbox.draft(f"n{i}") for i in range(5)])
    assert [n.subject for n in created] == [f"n{i}" for i in range(5)]
    assert len({n.id for n in created}) == 5
    page = await inbox.backend.list_notifications(inbox.query(sort=("id",)))
    assert ids(page) == sorted(n.id for n in created)


async def test_create_for_an_unknown_recipient_is_invalid_input(inbox):
    with pytest.raises(InvalidInputError):
        await inbox.backend.create(NotificationDraft(recipient=str(uuid.uuid4()), subject="x", collection=inbox.marker))
    assert (await inbox.backend.list_notifications(inbox.query())).filter_count == 0


async def test_hostile_content_is_stored_exactly_as_sent(inbox):
    hostile = "\x1b]52;c;cGF3bmVk\x07 [bold]x[/] \x1b[2J \u202etxt.exe \u200b"
    created = await inbox.backend.create(inbox.draft(hostile, message=hostile))
    fetched = await inbox.backend.get(created.id)
    assert fetched.subject == hostile and fetched.message == hostile


async def test_get_of_a_missing_id_is_not_found(inbox):
    created = await inbox.backend.create(inbox.draft())
    await inbox.backend.delete(created.id)
    with pytest.raises(NotFoundError, match=f"{created.id} was not found, or you are not allowed"):
        await inbox.backend.get(created.id)


# --- list: paging, sort, search, counts -----------------------------------------------------


async def test_paging_past_100_with_both_counts(inbox):
    created = await inbox.backend.create_many([inbox.draft(f"p{i:03}") for i in range(250)])
    expected = sorted((n.id for n in created), reverse=True)
    seen: list[int] = []
    for page_number in (1, 2, 3):
        page = await inbox.backend.list_notifications(inbox.query(sort=("-id",), limit=100, page=page_number))
        assert page.filter_count == 250
        assert page.total_count >= 250
        seen.extend(ids(page))
    assert seen == expected
    by_offset = await inbox.backend.list_notifications(inbox.query(sort=("-id",), limit=100, offset=200))
    assert ids(by_offset) == expected[200:]
    everything = await inbox.backend.list_notifications(inbox.query(sort=("-id",), limit=-1))
    assert ids(everything) == expected


async def test_sort_by_subject_both_ways(inbox):
    await inbox.backend.create_many([inbox.draft(s) for s in ("banana", "apple", "cherry")])
    up = await inbox.backend.list_notifications(inbox.query(sort=("subject",)))
    down = await inbox.backend.list_notifications(inbox.query(sort=("-subject",)))
    assert [n.subject for n in up.items] == ["apple", "banana", "cherry"]
    assert [n.subject for n in down.items] == ["cherry", "banana", "apple"]


async def test_newest_first_is_the_default_order(inbox):
    created = await inbox.backend.create_many([inbox.draft(f"t{i}") for i in range(3)])
    page = await inbox.backend.list_notifications(inbox.query())
    assert ids(page) == sorted((n.id for n in created), reverse=True)


async def test_search_matches_subject_and_message_case_insensitively(inbox):
    word = uuid.uuid4().hex[:8]
    hit_subject = await inbox.backend.create(inbox.draft(f"About {word.upper()} today"))
    hit_message = await inbox.backend.create(inbox.draft("Other", message=f"see *{word}* here"))
    await inbox.backend.create(inbox.draft("Unrelated"))
    page = await inbox.backend.list_notifications(inbox.query(search=word))
    assert sorted(ids(page)) == sorted([hit_subject.id, hit_message.id])
    assert page.filter_count == 2
    assert page.total_count >= 3


async def test_mine_shows_only_the_current_users_notifications(inbox):
    me = await inbox.backend.me()
    await inbox.backend.create(NotificationDraft(recipient=me.id, subject="to me", collection=inbox.marker))
    others = [u for u in await inbox.backend.users() if u.id != me.id]
    if others:
        await inbox.backend.create(
            NotificationDraft(recipient=others[0].id, subject="to someone else", collection=inbox.marker)
        )
    page = await inbox.backend.list_notifications(inbox.query(mine=True))
    assert [n.subject for n in page.items] == ["to me"]
    assert all(n.recipient_id == me.id for n in page.items)


async def test_fields_limits_what_comes_back(inbox):
    created = await inbox.backend.create(inbox.draft("only some", message="hidden"))
    page = await inbox.backend.list_notifications(inbox.query(fields=("id", "subject")))
    assert [(n.id, n.subject, n.message) for n in page.items] == [(created.id, "only some", None)]


async def test_a_filter_on_an_unknown_field_is_refused(inbox):
    with pytest.raises((ForbiddenError, InvalidInputError)):
        await inbox.backend.list_notifications(Query(filter={"no_such_field": {"_eq": 1}}))


async def test_a_long_filter_still_lists(inbox):
    """A filter on 1,000 ids is too long for a URL: REST lists with SEARCH and a body."""
    created = await inbox.backend.create_many([inbox.draft(f"l{i}") for i in range(20)])
    wanted = [n.id for n in created[:10]] + list(range(10_000_000, 10_000_990))
    page = await inbox.backend.list_notifications(inbox.query(filter={"id": {"_in": wanted}}, limit=-1))
    assert sorted(ids(page)) == sorted(n.id for n in created[:10])
    assert page.filter_count == 10


# --- update ---------------------------------------------------------------------------------


async def test_archive_and_unarchive_one(inbox):
    created = await inbox.backend.create(inbox.draft())
    archived = await inbox.backend.update(created.id, NotificationChanges(status=ARCHIVED))
    assert archived.status == ARCHIVED
    assert ids(await inbox.backend.list_notifications(inbox.query(status=ARCHIVED))) == [created.id]
    assert ids(await inbox.backend.list_notifications(inbox.query(status=INBOX))) == []
    restored = await inbox.backend.update(created.id, NotificationChanges(status=INBOX))
    assert restored.status == INBOX


async def test_update_other_fields_as_admin(inbox):
    created = await inbox.backend.create(inbox.draft("before"))
    await inbox.backend.update(created.id, NotificationChanges(subject="after", message="new"))
    fetched = await inbox.backend.get(created.id)
    assert (fetched.subject, fetched.message) == ("after", "new")


async def test_an_unknown_status_is_kept_not_a_crash(inbox):
    created = await inbox.backend.create(inbox.draft())
    await inbox.backend.update(created.id, NotificationChanges(status="read"))
    fetched = await inbox.backend.get(created.id)
    assert fetched.status == "read"
    page = await inbox.backend.list_notifications(inbox.query())
    assert [(n.id, n.status) for n in page.items] == [(created.id, "read")]


async def test_update_of_a_missing_id_is_not_found(inbox):
    created = await inbox.backend.create(inbox.draft())
    await inbox.backend.delete(created.id)
    with pytest.raises(NotFoundError):
        await inbox.backend.update(created.id, NotificationChanges(status=ARCHIVED))


async def test_an_admins_batch_update_changes_the_others_and_names_ids_that_do_not_exist(inbox):
    """Directus skips an admin's unknown keys without a word; the batch operation names them."""
    created = await inbox.backend.create(inbox.draft())
    with pytest.raises(BatchError, match="2000000000 was not found") as error:
        await inbox.backend.update_many([created.id, 2_000_000_000], NotificationChanges(status=ARCHIVED))
    assert error.value.done_keys == [created.id] and error.value.failed_keys == [2_000_000_000]
    assert (await inbox.backend.get(created.id)).status == ARCHIVED


async def test_batch_archive_and_delete_of_1000(inbox):
    created = await inbox.backend.create_many([inbox.draft(f"b{i}") for i in range(1000)])
    keys = [n.id for n in created]
    progress: list[tuple[int, int]] = []
    updated = await inbox.backend.update_many(
        keys, NotificationChanges(status=ARCHIVED), progress=lambda done, total: progress.append((done, total))
    )
    assert sorted(n.id for n in updated) == sorted(keys)
    assert progress[-1] == (1000, 1000)
    archived = await inbox.backend.list_notifications(inbox.query(status=ARCHIVED, limit=1))
    assert archived.filter_count == 1000
    await inbox.backend.delete_many(keys)
    assert (await inbox.backend.list_notifications(inbox.query(limit=1))).filter_count == 0


async def test_delete_one_and_many(inbox):
    created = await inbox.backend.create_many([inbox.draft(f"d{i}") for i in range(4)])
    await inbox.backend.delete(created[0].id)
    await inbox.backend.delete_many([created[1].id, created[2].id])
    assert ids(await inbox.backend.list_notifications(inbox.query())) == [created[3].id]


async def test_deleting_ids_that_do_not_exist_is_quiet(inbox):
    """Directus answers 204 for ids that do not exist; so does every backend."""
    await inbox.backend.delete_many([2_000_000_001, 2_000_000_002])
    await inbox.backend.delete(2_000_000_003)
    assert (await inbox.backend.list_notifications(inbox.query())).filter_count == 0


async def test_a_very_large_message_is_refused_as_too_large(inbox):
    with pytest.raises(PayloadTooLargeError):
        await inbox.backend.create(inbox.draft("huge", message="x" * 1_100_000))
    assert (await inbox.backend.list_notifications(inbox.query())).filter_count == 0


# --- users and capabilities -----------------------------------------------------------------


async def test_me_and_user_lookup(inbox):
    me = await inbox.backend.me()
    assert me.id and me.display_name
    found = await inbox.backend.users(ids=[me.id, str(uuid.uuid4())])
    assert [u.id for u in found] == [me.id]
    assert me.email
    by_search = await inbox.backend.users(search=me.email.split("@")[0].upper())
    assert me.id in [u.id for u in by_search]


async def test_the_most_powerful_user_may_do_everything(inbox):
    caps = await inbox.backend.capabilities()
    assert caps.can_create and caps.can_delete and caps.can_archive
    assert caps.why_not("delete") is None


# --- an ordinary user on the real server ----------------------------------------------------


async def test_ordinary_user_sees_only_their_own(as_user, directus):
    user, admin = as_user
    marker = f"ou_{uuid.uuid4().hex[:8]}"
    mine = await admin.create(
        NotificationDraft(
            recipient=directus.user.id, subject="for you", collection=marker, sender=directus.colleague.id
        )
    )
    await admin.create(NotificationDraft(recipient=directus.colleague.id, subject="not for you", collection=marker))
    page = await user.list_notifications(Query(filter={"collection": {"_eq": marker}}))
    assert [(n.id, n.subject) for n in page.items] == [(mine.id, "for you")]
    assert page.items[0].sender_id == directus.colleague.id, "the sender's id is kept even if unreadable"
    assert [u.id for u in await user.users()] == [directus.user.id]


async def test_ordinary_user_may_archive_but_not_create_delete_or_edit(as_user, directus):
    user, admin = as_user
    marker = f"ou_{uuid.uuid4().hex[:8]}"
    created = await admin.create_many(
        [NotificationDraft(recipient=directus.user.id, subject=f"s{i}", collection=marker) for i in range(3)]
    )
    keys = [n.id for n in created]

    updated = await user.update_many(keys, NotificationChanges(status=ARCHIVED))
    assert sorted(n.status for n in updated) == [ARCHIVED] * 3
    assert (await admin.get(keys[0])).status == ARCHIVED

    with pytest.raises(ForbiddenError):
        await user.create(NotificationDraft(recipient=directus.user.id, subject="nope", collection=marker))
    with pytest.raises(ForbiddenError) as deleted:
        await user.delete_many(keys)
    assert deleted.value.failed_keys == keys
    with pytest.raises(ForbiddenError):
        await user.delete(keys[0])
    with pytest.raises(ForbiddenError):
        await user.update(keys[0], NotificationChanges(subject="changed"))

    survivors = await admin.list_notifications(Query(filter={"collection": {"_eq": marker}}))
    assert sorted(ids(survivors)) == sorted(keys)
    assert {n.subject for n in survivors.items} == {"s0", "s1", "s2"}
    assert (
        await admin.list_notifications(Query(filter={"subject": {"_eq": "nope"}, "collection": {"_eq": marker}}))
    ).items == []


async def test_ordinary_user_capabilities_say_why(as_user):
    user, _ = as_user
    caps = await user.capabilities()
    assert caps.can_archive
    assert not caps.can_create and not caps.can_delete
    assert "may not delete" in caps.why_not("delete")


async def test_another_users_notification_is_not_found_for_an_ordinary_user(as_user, directus):
    user, admin = as_user
    theirs = await admin.create(NotificationDraft(recipient=directus.colleague.id, subject="private"))
    with pytest.raises(NotFoundError, match="not found, or you are not allowed"):
        await user.get(theirs.id)
    with pytest.raises(ForbiddenError):
        await user.update_many([theirs.id], NotificationChanges(status=ARCHIVED))
    assert (await admin.get(theirs.id)).status == INBOX


# --- auth, faults ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", tuple(TRANSPORTS))
async def test_a_wrong_token_is_an_authentication_error_without_the_token(kind, directus):
    secret = "wrong-" + uuid.uuid4().hex
    async with TRANSPORTS[kind](directus.url, StaticToken(secret)) as backend:
        with pytest.raises(AuthenticationError) as error:
            await backend.list_notifications(Query())
    assert secret not in str(error.value) and secret not in repr(error.value)


@pytest.mark.parametrize("kind", tuple(TRANSPORTS))
async def test_password_login_refreshes_before_expiry(kind, directus):
    auth = PasswordLogin(directus.user.email, directus.user.password)
    async with TRANSPORTS[kind](directus.url, auth) as backend:
        assert (await backend.me()).id == directus.user.id
        first_refresh = auth._refresh
        auth._expires_at = 0.0  # as if 15 minutes had passed
        assert (await backend.me()).id == directus.user.id
        assert auth._refresh != first_refresh
    assert directus.user.password not in repr(auth)


async def test_a_wrong_password_is_an_authentication_error(directus):
    async with RestBackend(directus.url, PasswordLogin(directus.user.email, "not-the-password")) as backend:
        with pytest.raises(AuthenticationError, match="did not accept"):
            await backend.me()


class ExpireOnce(httpx.AsyncBaseTransport):
    """Forwards to the real server, but answers the first data request with TOKEN_EXPIRED."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.expired = False
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(f"{request.method} {request.url.path}")
        if not self.expired and not request.url.path.startswith("/auth/"):
            self.expired = True
            return httpx.Response(
                401, json={"errors": [{"message": "Token expired.", "extensions": {"code": "TOKEN_EXPIRED"}}]}
            )
        return await self.inner.handle_async_request(request)


async def test_token_expired_is_refreshed_once_and_retried(directus):
    transport = ExpireOnce()
    auth = PasswordLogin(directus.user.email, directus.user.password)
    async with RestBackend(directus.url, auth, transport=transport) as backend:
        assert (await backend.me()).id == directus.user.id
    assert transport.paths[:4] == ["POST /auth/login", "GET /users/me", "POST /auth/refresh", "GET /users/me"]


class Recording(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)


async def test_graphql_routes_create_over_rest(directus):
    """Directus 12.4.0's GraphQL create is broken (see app/api/graphql.py); create goes over REST."""
    transport = Recording()
    async with GraphQLBackend(directus.url, StaticToken(directus.admin.token), transport=transport) as backend:
        created = await backend.create(NotificationDraft(recipient=directus.user.id, subject="via REST"))
        fetched = await backend.get(created.id)
    assert fetched.subject == "via REST"
    assert transport.requests == ["POST /notifications", "POST /graphql/system"]


async def test_a_long_rest_list_uses_search(directus):
    transport = Recording()
    async with RestBackend(directus.url, StaticToken(directus.admin.token), transport=transport) as backend:
        await backend.list_notifications(Query(filter={"id": {"_in": list(range(1, 1001))}}))
        await backend.list_notifications(Query())
    assert transport.requests == ["SEARCH /notifications", "GET /notifications"]


@pytest.mark.parametrize("kind", tuple(TRANSPORTS))
async def test_a_server_that_is_down_is_a_network_error(kind, unused_port):
    async with TRANSPORTS[kind](f"http://127.0.0.1:{unused_port}", StaticToken("t0ken-secret")) as backend:
        with pytest.raises(Exception) as error:
            await backend.list_notifications(Query())
    assert type(error.value).__name__ == "NetworkError"
    assert "Cannot reach http://127.0.0.1" in str(error.value)
    assert "t0ken-secret" not in str(error.value)


async def test_a_timeout_is_a_network_error():
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with RestBackend(
        "http://directus.invalid", StaticToken("t"), timeout=2, transport=httpx.MockTransport(hang)
    ) as backend:
        with pytest.raises(Exception, match="did not answer within 2 s") as error:
            await backend.list_notifications(Query())
    assert type(error.value).__name__ == "NetworkError"


async def test_a_server_that_is_not_directus_is_a_server_error():
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>Welcome to nginx</html>")

    async with RestBackend("http://example.invalid", StaticToken("t"), transport=httpx.MockTransport(html)) as backend:
        with pytest.raises(Exception, match="not Directus JSON") as error:
            await backend.list_notifications(Query())
    assert type(error.value).__name__ == "ServerError"


async def test_a_batch_that_fails_part_way_names_the_keys_left():
    calls = []
    archived: set[int] = set()
    asked: list[int] = []

    def second_chunk_fails(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # after the failure, the client asks what the server holds
            wanted = json.loads(request.url.params["filter"])["id"]["_in"]
            asked.extend(wanted)
            rows = [{"id": k, "status": ARCHIVED if k in archived else INBOX} for k in wanted]
            return httpx.Response(200, json={"data": rows, "meta": {"total_count": 1200, "filter_count": len(rows)}})
        keys = json.loads(request.content)["keys"]
        calls.append(keys)
        if len(calls) == 2:
            return httpx.Response(
                503,
                json={"errors": [{"message": "Service Unavailable", "extensions": {"code": "SERVICE_UNAVAILABLE"}}]},
            )
        archived.update(keys)
        return httpx.Response(200, json={"data": [{"id": k, "status": "archived"} for k in keys]})

    async with RestBackend(
        "http://example.invalid", StaticToken("t"), transport=httpx.MockTransport(second_chunk_fails)
    ) as backend:
        with pytest.raises(BatchError) as error:
            await backend.update_many(list(range(1, 1201)), NotificationChanges(status=ARCHIVED))
    assert error.value.done_keys == list(range(1, 501))
    assert error.value.failed_keys == list(range(501, 1201))
    assert "Could not update 700 of 1200" in str(error.value)
    assert "failed keys: 501, 502" in str(error.value)
    assert asked == list(range(501, 1001)), "the failed chunk was checked on the server; the last was never sent"


@pytest.fixture
def unused_port() -> int:
    from tests.support.directus_server import free_port

    return free_port()
