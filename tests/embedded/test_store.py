"""The embedded backend end to end: real SQLite files in a temporary directory, no mocks."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from pathlib import Path

import pytest

from app.backend import BATCH_CHUNK
from app.embedded import EmbeddedBackend, default_path
from app.embedded import seed as demo
from app.errors import BatchError, ForbiddenError, InboxError, InvalidInputError, NotFoundError
from app.models import NotificationChanges, NotificationDraft, Query, User

ME = demo.CURRENT_USER.id
MAYA = next(user for user in demo.USERS if user.first_name == "Maya").id
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
async def backend(tmp_path: Path):
    inbox = EmbeddedBackend(tmp_path / "inbox.sqlite3", seed=0)
    yield inbox
    await inbox.aclose()


def draft(subject: str, recipient: str = ME, **extra) -> NotificationDraft:
    return NotificationDraft(recipient=recipient, subject=subject, **extra)


async def fill(backend: EmbeddedBackend, count: int, recipient: str = ME, prefix: str = "n") -> list[int]:
    created = await backend.create_many([draft(f"{prefix}{i}", recipient) for i in range(count)])
    return [item.id for item in created]


def raw(backend: EmbeddedBackend, sql: str, *params):
    with sqlite3.connect(backend.info.location) as conn:
        return conn.execute(sql, params).fetchall()


# --- identity -----------------------------------------------------------------------------------


async def test_info_me_and_capabilities(backend, tmp_path):
    assert backend.info.kind == "embedded"
    assert backend.info.location == str(tmp_path / "inbox.sqlite3")
    assert backend.info.public_url is None
    me = await backend.me()
    assert me == User(id=ME, first_name="Ada", last_name="Lindqvist", email="admin@example.com")
    caps = await backend.capabilities()
    assert caps.admin and caps.can_create and caps.can_delete and caps.can_archive


async def test_calls_run_off_the_event_loop_thread(backend):
    worker = await backend._call(lambda conn: threading.get_ident())
    assert worker != threading.get_ident()


async def test_wal_mode_and_schema(backend):
    await backend.prepare()
    assert raw(backend, "PRAGMA journal_mode")[0][0] == "wal"
    indexes = {row[0] for row in raw(backend, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"notifications_inbox", "notifications_timestamp"} <= indexes


# --- create and get -----------------------------------------------------------------------------


async def test_create_fills_id_timestamp_and_status(backend):
    first = await backend.create(draft("Hello", message="**hi**", collection="articles", item="7"))
    second = await backend.create(draft("Again", sender=MAYA))
    assert second.id == first.id + 1
    assert first.status == "inbox" and first.recipient == ME and first.sender is None
    assert (first.message, first.collection, first.item) == ("**hi**", "articles", "7")
    assert second.sender == MAYA
    stored = raw(backend, "SELECT timestamp FROM notifications ORDER BY id")
    assert all(TIMESTAMP.match(row[0]) for row in stored)
    assert first.timestamp is not None and first.timestamp.tzinfo is not None
    assert await backend.get(first.id) == first


async def test_unknown_status_is_kept(backend):
    created = await backend.create(draft("Odd", status="read"))
    assert created.status == "read"
    page = await backend.list_notifications(Query(status="read"))
    assert [item.id for item in page.items] == [created.id]
    assert (await backend.list_notifications(Query(status="inbox"))).filter_count == 0
    updated = await backend.update(created.id, NotificationChanges(status="snoozed"))
    assert updated.status == "snoozed"


async def test_create_with_unknown_user_is_invalid(backend):
    with pytest.raises(InvalidInputError) as caught:
        await backend.create(draft("x", recipient="00000000-0000-4000-8000-000000000000"))
    assert caught.value.code == "INVALID_FOREIGN_KEY"
    assert "00000000-0000-4000-8000-000000000000" in str(caught.value)
    with pytest.raises(InvalidInputError):
        await backend.create(draft("x", sender="nobody"))
    assert (await backend.list_notifications(Query())).total_count == 0


async def test_create_many_is_in_order_and_all_or_nothing(backend):
    created = await backend.create_many([draft("a"), draft("b", MAYA), draft("c")])
    assert [item.subject for item in created] == ["a", "b", "c"]
    assert [item.recipient for item in created] == [ME, MAYA, ME]
    assert created[0].id < created[1].id < created[2].id
    with pytest.raises(InvalidInputError):
        await backend.create_many([draft("d"), draft("e", "not-a-user")])
    assert (await backend.list_notifications(Query())).total_count == 3
    assert await backend.create_many([]) == []


async def test_get_missing_is_not_found_or_forbidden(backend):
    with pytest.raises(NotFoundError) as caught:
        await backend.get(12345)
    assert caught.value.status == 403 and caught.value.code == "FORBIDDEN"
    assert "not found" in str(caught.value)


# --- list ---------------------------------------------------------------------------------------


async def test_list_counts_filters_and_default_sort(backend):
    mine = await fill(backend, 5)
    others = await fill(backend, 3, MAYA, prefix="other")
    await backend.update_many(mine[:2], NotificationChanges(status="archived"))
    page = await backend.list_notifications(Query(status="inbox", mine=True))
    assert [item.id for item in page.items] == mine[2:][::-1]  # newest first
    assert (page.total_count, page.filter_count) == (8, 3)
    assert (page.offset, page.limit) == (0, 100)
    archived = await backend.list_notifications(Query(status="archived", mine=True))
    assert [item.id for item in archived.items] == mine[:2][::-1]
    everyone = await backend.list_notifications(Query(sort=("id",)))
    assert [item.id for item in everyone.items] == mine + others
    theirs = await backend.list_notifications(Query(filter={"recipient": {"_eq": MAYA}}, sort=("id",)))
    assert [item.id for item in theirs.items] == others


async def test_search_is_case_insensitive_and_matches_ids(backend):
    await backend.create_many(
        [
            draft("Review requested: Spring Launch", message="Please <em>check</em>"),
            draft("Comment on pricing", message="The SPRING sale"),
            draft("Other", collection="springs"),
            draft("Unrelated"),
            draft("Fifth"),
            draft("Sixth"),
        ]
    )
    page = await backend.list_notifications(Query(search="spring", sort=("id",)))
    assert [item.subject for item in page.items] == ["Review requested: Spring Launch", "Comment on pricing", "Other"]
    assert (page.total_count, page.filter_count) == (6, 3)
    # An integer also matches the id; "6" occurs in no subject nor in the recipient's uuid.
    by_id = await backend.list_notifications(Query(search="6"))
    assert [item.id for item in by_id.items] == [6]
    # The recipient and sender ids are searched too, as by Directus on SQLite.
    assert (await backend.list_notifications(Query(search=ME[:8]))).filter_count == 6
    combined = await backend.list_notifications(Query(search="spring", filter={"collection": {"_eq": "springs"}}))
    assert [item.subject for item in combined.items] == ["Other"]


async def test_sort_orders(backend):
    await backend.create_many([draft("b", collection="x"), draft("a", collection=None), draft("c", collection="y")])
    asc = await backend.list_notifications(Query(sort=("subject",)))
    assert [item.subject for item in asc.items] == ["a", "b", "c"]
    desc = await backend.list_notifications(Query(sort=("-collection", "id")))
    assert [item.subject for item in desc.items] == ["c", "b", "a"]
    with pytest.raises(ForbiddenError):
        await backend.list_notifications(Query(sort=("-nope",)))


async def test_paging_past_one_hundred(backend):
    ids = await fill(backend, 250)
    newest_first = ids[::-1]
    pages = [await backend.list_notifications(Query(page=number)) for number in (1, 2, 3, 4)]
    assert [len(page.items) for page in pages] == [100, 100, 50, 0]
    assert [item.id for page in pages for item in page.items] == newest_first
    assert all(page.filter_count == 250 for page in pages)
    assert pages[2].offset == 200
    by_offset = await backend.list_notifications(Query(offset=150, limit=30))
    assert [item.id for item in by_offset.items] == newest_first[150:180]
    everything = await backend.list_notifications(Query(limit=-1))
    assert len(everything.items) == 250


async def test_fields_leaves_the_rest_empty(backend):
    created = await backend.create(draft("Subject", message="Body", collection="articles", item="3", sender=MAYA))
    page = await backend.list_notifications(Query(fields=("subject",)))
    item = page.items[0]
    assert (item.id, item.subject) == (created.id, "Subject")
    assert item.message is None and item.collection is None and item.recipient is None and item.timestamp is None
    full = await backend.list_notifications(Query(fields=("*",)))
    assert full.items[0] == created


async def test_filter_errors_match_directus(backend):
    with pytest.raises(ForbiddenError):
        await backend.list_notifications(Query(filter={"nope": {"_eq": 1}}))
    with pytest.raises(InvalidInputError) as caught:
        await backend.list_notifications(Query(filter={"subject": {"_bogus": 1}}))
    assert caught.value.code == "INVALID_QUERY"


# --- update ---------------------------------------------------------------------------------------


async def test_update_changes_fields(backend):
    created = await backend.create(draft("Old"))
    updated = await backend.update(created.id, NotificationChanges(subject="New", status="archived", item="9"))
    assert (updated.subject, updated.status, updated.item) == ("New", "archived", "9")
    assert updated.timestamp == created.timestamp
    assert await backend.get(created.id) == updated
    with pytest.raises(NotFoundError):
        await backend.update(999, NotificationChanges(status="archived"))
    with pytest.raises(InvalidInputError) as caught:
        await backend.update(created.id, NotificationChanges(subject=None))
    assert caught.value.code == "FAILED_VALIDATION"
    with pytest.raises(InvalidInputError) as caught:
        await backend.update(created.id, NotificationChanges(recipient="nobody"))
    assert caught.value.code == "INVALID_FOREIGN_KEY"
    with pytest.raises(InvalidInputError):
        await backend.update(created.id, NotificationChanges())
    assert (await backend.get(created.id)).subject == "New"


async def test_status_may_be_cleared_like_on_the_server(backend):
    created = await backend.create(draft("x"))
    await backend.update(created.id, NotificationChanges(status=None))
    assert raw(backend, "SELECT status FROM notifications WHERE id = ?", created.id) == [(None,)]
    nulls = await backend.list_notifications(Query(filter={"status": {"_null": True}}))
    assert [item.id for item in nulls.items] == [created.id]
    assert (await backend.list_notifications(Query(status="inbox"))).filter_count == 0


async def test_batch_update_of_a_thousand(backend):
    ids = await fill(backend, 1000)
    direct = await backend._update_batch(ids, NotificationChanges(status="archived"))
    assert [item.id for item in direct] == ids and all(item.status == "archived" for item in direct)
    progress: list[tuple[int, int]] = []
    updated = await backend.update_many(
        ids, NotificationChanges(status="inbox"), progress=lambda *p: progress.append(p)
    )
    assert len(updated) == 1000 and {item.status for item in updated} == {"inbox"}
    assert progress == [(BATCH_CHUNK, 1000), (1000, 1000)]
    page = await backend.list_notifications(Query(status="inbox", limit=1))
    assert page.filter_count == 1000


async def test_batch_update_skips_unknown_keys_as_directus_does_for_an_admin_and_names_them(backend):
    ids = await fill(backend, BATCH_CHUNK + 10)
    # One request skips them, as Directus does for an admin...
    skipped = await backend._update_batch([ids[0], 5000], NotificationChanges(status="archived"))
    assert [n.id for n in skipped] == [ids[0]]
    # ... and the batch operation tells: the others changed, these two were not found.
    with pytest.raises(BatchError, match="were not found") as error:
        await backend.update_many([ids[0], 5000, *ids[1:], 6000], NotificationChanges(status="archived"))
    assert error.value.failed_keys == [5000, 6000] and error.value.done_keys == ids
    assert (await backend.list_notifications(Query(status="archived"))).filter_count == len(ids)


async def test_update_of_one_unknown_key_is_not_found(backend):
    with pytest.raises(NotFoundError, match="5000"):
        await backend.update(5000, NotificationChanges(status="archived"))


# --- delete ----------------------------------------------------------------------------------------


async def test_delete_ignores_unknown_ids(backend):
    ids = await fill(backend, 3)
    await backend.delete(ids[0])
    await backend.delete(ids[0])  # already gone: no error, like Directus's 204
    await backend.delete(424242)
    with pytest.raises(NotFoundError):
        await backend.get(ids[0])
    assert [item.id for item in (await backend.list_notifications(Query(sort=("id",)))).items] == ids[1:]


async def test_batch_delete_of_a_thousand(backend):
    ids = await fill(backend, 1200)
    await backend._delete_batch(ids[:1000] + [10_001, 10_002])
    page = await backend.list_notifications(Query(sort=("id",), limit=-1))
    assert [item.id for item in page.items] == ids[1000:]
    progress: list[tuple[int, int]] = []
    await backend.delete_many(ids, progress=lambda *p: progress.append(p))
    assert (await backend.list_notifications(Query())).total_count == 0
    assert progress[-1] == (1200, 1200)


# --- users ------------------------------------------------------------------------------------------


async def test_users_by_search_and_ids(backend):
    everyone = await backend.users()
    assert len(everyone) == len(demo.USERS)
    names = [user.display_name for user in everyone]
    assert names == sorted(names, key=str.lower)
    found = await backend.users(search="MAYA")
    assert [user.id for user in found] == [MAYA]
    by_mail = await backend.users(search="@directus.io")
    assert [user.email for user in by_mail] == ["rijk@directus.io"]
    by_ids = await backend.users(ids=[MAYA, "unknown", ME])
    assert {user.id for user in by_ids} == {MAYA, ME}
    assert await backend.users(ids=[]) == []
    assert len(await backend.users(limit=3)) == 3
    assert await backend.users(search="zzz-nobody") == []


# --- files, seeding and lifetime --------------------------------------------------------------------


async def test_seed_none_has_only_the_current_user(tmp_path):
    inbox = EmbeddedBackend(tmp_path / "bare.sqlite3")
    try:
        assert [user.id for user in await inbox.users()] == [ME]
        assert (await inbox.list_notifications(Query())).total_count == 0
        created = await inbox.create(draft("first"))
        assert created.recipient == ME
    finally:
        await inbox.aclose()


async def test_seeding_happens_only_in_a_new_file(tmp_path):
    path = tmp_path / "deep" / "dir" / "inbox.sqlite3"
    first = EmbeddedBackend(path, seed=5)
    page = await first.list_notifications(Query(limit=-1))
    assert page.total_count == 5 and first.seed_count == 5
    await first.delete_many([item.id for item in page.items])
    await first.aclose()
    again = EmbeddedBackend(path, seed=5)  # it had rows once: an emptied inbox stays empty
    assert (await again.list_notifications(Query())).total_count == 0 and again.seed_count == 0
    await again.aclose()


async def test_data_persists_across_instances(tmp_path):
    path = tmp_path / "inbox.sqlite3"
    first = EmbeddedBackend(path, seed=0)
    created = await first.create(draft("kept"))
    await first.aclose()
    second = EmbeddedBackend(path, seed=300)
    assert await second.get(created.id) == created
    assert (await second.list_notifications(Query())).total_count == 1
    await second.aclose()


async def test_two_instances_on_one_file_see_each_other(tmp_path):
    path = tmp_path / "shared.sqlite3"
    tui, cli = EmbeddedBackend(path, seed=0), EmbeddedBackend(path, seed=0)
    try:
        created = await cli.create(draft("from the CLI"))
        assert (await tui.get(created.id)).subject == "from the CLI"
    finally:
        await tui.aclose()
        await cli.aclose()


async def test_concurrent_calls_are_serialised_safely(backend):
    results = await asyncio.gather(
        *(backend.create(draft(f"c{i}")) for i in range(30)), *(backend.list_notifications(Query()) for _ in range(10))
    )
    created = results[:30]
    assert len({item.id for item in created}) == 30
    assert (await backend.list_notifications(Query())).total_count == 30


async def test_closed_backend_refuses_calls(tmp_path):
    inbox = EmbeddedBackend(tmp_path / "closed.sqlite3", seed=0)
    async with inbox:
        assert await inbox.me()
    await inbox.aclose()  # closing twice is fine
    with pytest.raises(InboxError):
        await inbox.me()


def test_default_path_uses_the_user_data_dir(isolated_dirs):
    data = isolated_dirs / "data" / "directus-inbox"
    assert default_path() == data / "embedded-inbox.sqlite3"
    assert default_path(100_000) == data / "embedded-inbox-100000.sqlite3"


async def test_open_default_creates_and_seeds(isolated_dirs):
    inbox = EmbeddedBackend.open_default()
    try:
        assert inbox.info.location == str(default_path())
        page = await inbox.list_notifications(Query(limit=1))
        assert page.total_count == 300
        assert page.items[0].subject == "You were mentioned in articles"
        assert Path(inbox.info.location).exists()
    finally:
        await inbox.aclose()
    small = EmbeddedBackend.open_default(demo_size=12)
    try:
        assert (await small.list_notifications(Query())).total_count == 12
        assert small.info.location.endswith("embedded-inbox-12.sqlite3")
    finally:
        await small.aclose()


async def test_inbox_query_uses_the_index(backend):
    await fill(backend, 20)
    plan = " ".join(
        row[3]
        for row in raw(
            backend,
            "EXPLAIN QUERY PLAN SELECT id FROM notifications WHERE recipient = ? AND status = ? "
            "ORDER BY timestamp DESC, id DESC LIMIT 100",
            ME,
            "inbox",
        )
    )
    assert "notifications_inbox" in plan and "TEMP B-TREE" not in plan
