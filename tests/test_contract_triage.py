"""Triage on the server, held to one contract on the embedded inbox and Directus over REST and GraphQL.

Counts: ``count_by`` (a grouped aggregate) and ``count_per_day`` (local days in any zone).
Notifications get chosen timestamps — around local midnights, across a change to winter time, in
zones at :30 and :45 from UTC — and every backend must count the same days. Filters and views
(``app.triage``): by sender as a user types one, by collection and by time, with the search, less
the snoozed, as the query of a list and of its counts. Each test marks its notifications with
its own ``item`` value (the session's server holds other tests' rows), so that ``collection`` is
free to be filtered and counted.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.api import GraphQLBackend, RestBackend, StaticToken
from app.backend import InboxBackend
from app.counts import DayCount, GroupCount, LocalDays
from app.embedded import EmbeddedBackend
from app.embedded.filters import format_timestamp
from app.local_state import StateFile
from app.models import ARCHIVED, INBOX, NotificationChanges, NotificationDraft, Query
from app.triage import FilterError, Filters, ResolvedView, View, all_of
from app.when import iso_utc

TRANSPORTS = {"rest": RestBackend, "graphql": GraphQLBackend}
BACKENDS = ("embedded", *(pytest.param(kind, marks=pytest.mark.server) for kind in TRANSPORTS))

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30: every local midnight falls inside a UTC hour
KATHMANDU = ZoneInfo("Asia/Kathmandu")  # UTC+5:45
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # +10:30 in winter, +11 in summer: a half-hour change


@dataclass
class MarkedInbox:
    """A backend as its most powerful user, two senders, and a way to set timestamps."""

    kind: str
    backend: InboxBackend
    recipient: str
    senders: tuple[str, str]
    marker: str
    set_timestamps: object

    def draft(self, subject: str = "n", **fields) -> NotificationDraft:
        fields.setdefault("item", self.marker)
        fields.setdefault("recipient", self.recipient)
        return NotificationDraft(subject=subject, **fields)

    def query(self, **fields) -> Query:
        extra = fields.pop("filter", None)
        marker = {"item": {"_eq": self.marker}}
        return Query(filter={"_and": [marker, extra]} if extra else marker, **fields)

    async def at(self, *moments: datetime) -> list[int]:
        """One notification at each moment; their ids."""
        created = await self.backend.create_many([self.draft(f"at {iso_utc(m)}") for m in moments])
        keys = [n.id for n in created]
        self.set_timestamps(dict(zip(keys, moments, strict=True)))  # type: ignore[operator]
        return keys


def embedded_timestamps(path) -> object:
    def set_timestamps(moments: Mapping[int, datetime]) -> None:
        with sqlite3.connect(path) as conn:
            conn.executemany(
                "UPDATE notifications SET timestamp = ? WHERE id = ?",
                [(format_timestamp(moment), key) for key, moment in moments.items()],
            )

    return set_timestamps


def server_timestamps(url: str, admin_token: str) -> object:
    def set_timestamps(moments: Mapping[int, datetime]) -> None:
        rows = [{"id": key, "timestamp": iso_utc(moment)} for key, moment in moments.items()]
        response = httpx.patch(
            f"{url}/notifications", json=rows, headers={"Authorization": f"Bearer {admin_token}"}, timeout=60
        )
        response.raise_for_status()

    return set_timestamps


@pytest.fixture(params=BACKENDS)
async def inbox(request, tmp_path):
    marker = f"cc_{uuid.uuid4().hex[:10]}"
    backend: InboxBackend
    if request.param == "embedded":
        path = tmp_path / "inbox.sqlite3"
        backend = EmbeddedBackend(path, seed=0)
        me = (await backend.me()).id
        others = [user.id for user in await backend.users() if user.id != me]
        recipient, senders, set_timestamps = me, (others[0], others[1]), embedded_timestamps(path)
    else:
        server = request.getfixturevalue("directus")
        backend = TRANSPORTS[request.param](server.url, StaticToken(server.admin.token))
        recipient, senders = server.user.id, (server.admin.id, server.colleague.id)
        set_timestamps = server_timestamps(server.url, server.admin.token)
    async with backend:
        yield MarkedInbox(request.param, backend, recipient, senders, marker, set_timestamps)


# --- count_by ---------------------------------------------------------------------------------------


async def test_count_by_each_field_biggest_first(inbox):
    first, second = inbox.senders
    drafts = (
        [inbox.draft(sender=first, collection="articles") for _ in range(3)]
        + [inbox.draft(sender=second, collection="products") for _ in range(2)]
        + [inbox.draft()]
    )
    created = await inbox.backend.create_many(drafts)
    await inbox.backend.update(created[0].id, NotificationChanges(status=ARCHIVED))
    query = inbox.query()
    assert await inbox.backend.count_by(query, "sender") == [
        GroupCount(first, 3),
        GroupCount(second, 2),
        GroupCount(None, 1),
    ]
    assert await inbox.backend.count_by(query, "collection") == [
        GroupCount("articles", 3),
        GroupCount("products", 2),
        GroupCount(None, 1),
    ]
    assert await inbox.backend.count_by(query, "status") == [GroupCount("inbox", 5), GroupCount(ARCHIVED, 1)]
    assert await inbox.backend.count_by(query, "recipient") == [GroupCount(inbox.recipient, 6)]


async def test_count_by_counts_what_the_query_lists(inbox):
    word = uuid.uuid4().hex[:8]
    await inbox.backend.create_many(
        [inbox.draft(f"about {word}", collection="articles")] * 2
        + [inbox.draft("other", collection="articles")]
        + [inbox.draft(f"about {word}", collection="products")]
    )
    searched = inbox.query(search=word)
    assert await inbox.backend.count_by(searched, "collection") == [
        GroupCount("articles", 2),
        GroupCount("products", 1),
    ]
    page = await inbox.backend.list_notifications(searched)
    assert page.filter_count == 3
    filtered = inbox.query(filter={"collection": {"_eq": "products"}})
    assert await inbox.backend.count_by(filtered, "collection") == [GroupCount("products", 1)]
    assert await inbox.backend.count_by(inbox.query(search=f"nothing {word}"), "sender") == []


async def test_count_by_with_a_limit_keeps_the_biggest(inbox):
    await inbox.backend.create_many(
        [inbox.draft(collection="big")] * 4 + [inbox.draft(collection="middle")] * 2 + [inbox.draft(collection="small")]
    )
    assert await inbox.backend.count_by(inbox.query(), "collection", limit=2) == [
        GroupCount("big", 4),
        GroupCount("middle", 2),
    ]


async def test_count_by_paging_and_sort_of_the_query_do_not_matter(inbox):
    await inbox.backend.create_many([inbox.draft(collection="articles")] * 3)
    query = inbox.query(limit=1, page=2, sort=("subject",))
    assert await inbox.backend.count_by(query, "collection") == [GroupCount("articles", 3)]


# --- count_per_day ------------------------------------------------------------------------------


def local(
    tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, *, fold: int = 0
) -> datetime:
    """A local wall time in *tz* (``fold=1``: the second of a time that happens twice), as UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=tz, fold=fold).astimezone(UTC)


MS = timedelta(milliseconds=1)


async def assert_days(inbox: MarkedInbox, days: LocalDays, expected: list[int]) -> None:
    got = await inbox.backend.count_per_day(inbox.query(), days)
    assert got == [DayCount(day, count) for day, count in zip(days.dates, expected, strict=True)]


async def test_days_in_a_zone_at_half_an_hour_from_utc(inbox):
    # Kolkata's midnight of 2 Nov is 18:30 UTC on 1 Nov: the UTC hour 18:00-19:00 holds both days.
    midnight = local(KOLKATA, 2026, 11, 2)
    await inbox.at(
        midnight - MS,  # 1 Nov, 23:59:59.999
        midnight - timedelta(minutes=20),  # 1 Nov, same UTC hour
        midnight,  # 2 Nov
        midnight + timedelta(minutes=29),  # 2 Nov, same UTC hour
        local(KOLKATA, 2026, 11, 3, 12),
        local(KOLKATA, 2026, 10, 31, 23, 59),  # the day before the first: not inbox
        local(KOLKATA, 2026, 11, 4),  # the day after the last: not inbox
    )
    await assert_days(inbox, LocalDays(date(2026, 11, 3), 3, KOLKATA), [2, 2, 1])


async def test_days_in_a_zone_at_three_quarters_of_an_hour(inbox):
    midnight = local(KATHMANDU, 2026, 11, 2)  # 18:15 UTC
    await inbox.at(midnight - MS, midnight, midnight + timedelta(minutes=44), midnight - timedelta(minutes=15))
    await assert_days(inbox, LocalDays(date(2026, 11, 2), 2, KATHMANDU), [2, 2])


async def test_days_across_the_change_to_winter_time(inbox):
    # Berlin, 25 Oct 2026 has 25 hours: 02:00-03:00 happens twice.
    await inbox.at(
        local(BERLIN, 2026, 10, 24, 23, 59, 59),
        local(BERLIN, 2026, 10, 25, 0, 0),
        local(BERLIN, 2026, 10, 25, 2, 30, fold=0),
        local(BERLIN, 2026, 10, 25, 2, 30, fold=1),
        local(BERLIN, 2026, 10, 25, 23, 59, 59),
        local(BERLIN, 2026, 10, 26, 0, 0),
    )
    await assert_days(inbox, LocalDays(date(2026, 10, 26), 3, BERLIN), [1, 4, 1])


async def test_days_where_the_offset_changes_by_half_an_hour(inbox):
    # Lord Howe goes from +10:30 to +11 at 02:00 on 4 Oct 2026: that day's midnight falls inside a
    # UTC hour, the next one on the hour.
    await inbox.at(
        local(LORD_HOWE, 2026, 10, 3, 23, 59),
        local(LORD_HOWE, 2026, 10, 4, 0, 1),
        local(LORD_HOWE, 2026, 10, 4, 23, 59),
        local(LORD_HOWE, 2026, 10, 5, 0, 0),
    )
    await assert_days(inbox, LocalDays(date(2026, 10, 5), 3, LORD_HOWE), [1, 2, 1])


async def test_thirty_days_ending_today_with_empty_days(inbox):
    now = datetime.now(UTC)
    days = LocalDays.ending_today(30, now=now, tz=BERLIN)
    await inbox.at(
        now - timedelta(minutes=1), now - timedelta(minutes=2), datetime.combine(days.dates[0], time(12), BERLIN)
    )
    got = await inbox.backend.count_per_day(inbox.query(), days)
    assert [d.day for d in got] == days.dates
    assert got[0].count == 1 and got[-1].count == 2 and sum(d.count for d in got) == 3


async def test_days_count_only_what_the_query_lists(inbox):
    keys = await inbox.at(*[local(BERLIN, 2026, 11, 20, hour) for hour in (9, 10, 11)])
    await inbox.backend.update(keys[0], NotificationChanges(status=ARCHIVED))
    day = LocalDays(date(2026, 11, 20), 1, BERLIN)
    inbox_only = inbox.query(filter={"status": {"_neq": ARCHIVED}})
    assert await inbox.backend.count_per_day(inbox_only, day) == [DayCount(date(2026, 11, 20), 2)]


# --- as an ordinary user --------------------------------------------------------------------------


@pytest.fixture(params=tuple(TRANSPORTS))
async def as_user(request, directus):
    cls = TRANSPORTS[request.param]
    async with (
        cls(directus.url, StaticToken(directus.user.token)) as user,
        cls(directus.url, StaticToken(directus.admin.token)) as admin,
    ):
        yield user, admin


async def test_an_ordinary_user_counts_their_own_and_sees_senders_ids(as_user, directus):
    """GraphQL hides a user the caller may not read as null in a row; in a group it is still the id."""
    user, admin = as_user
    marker = f"cu_{uuid.uuid4().hex[:10]}"
    to_user = NotificationDraft(recipient=directus.user.id, subject="n", item=marker, sender=directus.colleague.id)
    to_admin = NotificationDraft(recipient=directus.admin.id, subject="n", item=marker)
    await admin.create_many([to_user, to_user, to_admin])
    query = Query(filter={"item": {"_eq": marker}})
    assert await user.count_by(query, "sender") == [GroupCount(directus.colleague.id, 2)]
    assert await user.count_by(query, "recipient") == [GroupCount(directus.user.id, 2)]
    assert await admin.count_by(query, "recipient") == [
        GroupCount(directus.user.id, 2),
        GroupCount(directus.admin.id, 1),
    ]
    today = LocalDays.ending_today(1, tz=KOLKATA)
    assert await user.count_per_day(query.model_copy(update={"mine": True}), today) == [DayCount(today.last, 2)]


# --- a server that will not group by the hour --------------------------------------------------------

LIMIT_REFUSED = {
    "errors": [
        {
            "message": 'Invalid query. "limit" must be less than or equal to 100.',
            "extensions": {"reason": '"limit" must be less than or equal to 100', "code": "INVALID_QUERY"},
        }
    ]
}
"""What Directus 12.4 answers to the hourly count when QUERY_LIMIT_MAX=100 (measured)."""


@pytest.mark.parametrize("kind", tuple(TRANSPORTS))
async def test_a_server_with_a_low_query_limit_counts_day_by_day(kind, directus, fault_proxy):
    marker = f"cl_{uuid.uuid4().hex[:10]}"
    async with TRANSPORTS[kind](fault_proxy.url, StaticToken(directus.admin.token)) as backend:
        inbox = MarkedInbox(
            kind,
            backend,
            directus.user.id,
            (directus.admin.id, directus.colleague.id),
            marker,
            server_timestamps(directus.url, directus.admin.token),
        )
        await inbox.at(local(KOLKATA, 2026, 11, 1, 23), local(KOLKATA, 2026, 11, 2, 1), local(KOLKATA, 2026, 11, 2, 2))
        if kind == "rest":
            refusal = fault_proxy.on("GET", "/notifications").respond(400, LIMIT_REFUSED)
        else:
            refusal = fault_proxy.on("POST", "/graphql/system", body_contains="hour(timestamp)").respond(
                200, LIMIT_REFUSED
            )
        await assert_days(inbox, LocalDays(date(2026, 11, 2), 2, KOLKATA), [1, 2])
    assert refusal.fired == 1


# --- filters and views ------------------------------------------------------------------------------


async def listed(inbox: MarkedInbox, query: Query) -> list[int]:
    page = await inbox.backend.list_notifications(query.model_copy(update={"sort": ("id",), "limit": -1}))
    return [item.id for item in page.items]


def marked(inbox: MarkedInbox, view: ResolvedView, **options) -> Query:
    """The view's query, among this test's notifications (as the admin sees them: every recipient)."""
    query = view.query(None, **options).model_copy(update={"mine": False})
    return query.model_copy(update={"filter": all_of([query.filter, {"item": {"_eq": inbox.marker}}])})


async def test_filters_by_sender_however_the_user_names_them(inbox):
    first, second = inbox.senders
    created = await inbox.backend.create_many(
        [inbox.draft(sender=first), inbox.draft(sender=first), inbox.draft(sender=second)]
    )
    theirs = [created[0].id, created[1].id]
    [user] = await inbox.backend.users(ids=[first])
    full_name = f"{user.first_name} {user.last_name}"
    for named in (first, user.email, user.email.upper(), full_name, f" {full_name.lower()} "):
        view = await View("v", filters=Filters.parse(sender=named)).resolve(inbox.backend)
        assert await listed(inbox, marked(inbox, view)) == theirs, named


async def test_a_sender_nobody_or_several_match_is_refused_with_what_to_do(inbox):
    with pytest.raises(FilterError, match=r"No user you may see matches 'Nobody Atall'\. Give the sender's e-mail"):
        await Filters.parse(sender="Nobody Atall").resolve(inbox.backend)
    with pytest.raises(FilterError, match=r"'example.com' matches \d+ users \(.*\). Give the sender's e-mail"):
        await Filters.parse(sender="example.com").resolve(inbox.backend)


async def test_filters_by_collection_and_time_in_the_users_zone(inbox):
    day = [local(BERLIN, 2026, 11, 20, 0, 0), local(BERLIN, 2026, 11, 20, 23, 59)]
    before, after = local(BERLIN, 2026, 11, 19, 23, 59), local(BERLIN, 2026, 11, 21, 0, 0)
    keys = await inbox.at(before, *day, after)
    await inbox.backend.update(keys[1], NotificationChanges(collection="products"))
    now = local(BERLIN, 2026, 11, 22, 12, 0)

    async def shown(**chosen: str) -> list[int]:
        view = await View("v", filters=Filters.parse(**chosen)).resolve(inbox.backend)
        return await listed(inbox, marked(inbox, view, now=now, tz=BERLIN))

    assert await shown(since="2026-11-20", until="2026-11-20") == keys[1:3]
    assert await shown(since="2026-11-20T23:59") == keys[2:]
    assert await shown(until="2026-11-20T00:00") == keys[:1]
    assert await shown(since="2d") == keys[2:]  # 2 days before 22 Nov, 12:00: 20 Nov, 12:00
    assert await shown(since="yesterday") == keys[3:]
    assert await shown(since="3d", until="yesterday") == keys
    assert await shown(collection="products") == [keys[1]]
    assert await shown(collection="products", since="2026-11-21") == []


async def test_a_view_is_its_search_and_filters_less_the_snoozed_in_the_list_and_its_counts(inbox):
    word = uuid.uuid4().hex[:8]
    first, _ = inbox.senders
    created = await inbox.backend.create_many(
        [inbox.draft(f"{word} one", sender=first, collection="articles")] * 3
        + [inbox.draft(f"{word} other", collection="articles")]
        + [inbox.draft("unrelated", sender=first, collection="articles")]
    )
    await inbox.backend.update(created[2].id, NotificationChanges(status=ARCHIVED))
    view = await View("mine", search=word, filters=Filters(sender=first)).resolve(inbox.backend)
    snoozed = [created[0].id]
    query = marked(inbox, view, exclude=snoozed)
    assert await listed(inbox, query) == [created[1].id, created[2].id]
    inbox_only = query.model_copy(update={"filter": all_of([query.filter, {"status": {"_neq": ARCHIVED}}])})
    assert await listed(inbox, inbox_only) == [created[1].id]
    assert await inbox.backend.count_by(query, "status") == [GroupCount("archived", 1), GroupCount("inbox", 1)]


async def test_a_long_list_of_snoozed_is_left_out_everywhere(inbox):
    """Thousands of ids in ``_nin``: over REST the query then goes in a SEARCH body."""
    created = await inbox.backend.create_many([inbox.draft(collection="articles")] * 3)
    snoozed = [created[0].id, *range(10_000_000, 10_003_000)]
    view = await View("v").resolve(inbox.backend)
    query = marked(inbox, view, exclude=snoozed)
    assert await listed(inbox, query) == [created[1].id, created[2].id]
    assert await inbox.backend.count_by(query, "collection") == [GroupCount("articles", 2)]
    today = LocalDays.ending_today(2)
    assert sum(day.count for day in await inbox.backend.count_per_day(query, today)) == 2


async def test_the_folders_of_a_view(inbox):
    me = (await inbox.backend.me()).id
    created = await inbox.backend.create_many([inbox.draft(recipient=me), inbox.draft(recipient=me)])
    await inbox.backend.update(created[1].id, NotificationChanges(status=ARCHIVED))
    view = await View("v").resolve(inbox.backend)

    def mine_marked(folder, **options):
        query = view.query(folder, **options)
        return query.model_copy(update={"filter": all_of([query.filter, {"item": {"_eq": inbox.marker}}])})

    assert await listed(inbox, mine_marked(INBOX)) == [created[0].id]
    assert await listed(inbox, mine_marked(ARCHIVED)) == [created[1].id]
    assert await listed(inbox, mine_marked(None)) == [created[0].id, created[1].id]
    assert await listed(inbox, mine_marked(INBOX, exclude=[created[0].id])) == []


async def test_an_ordinary_user_filters_by_the_e_mail_of_a_sender_they_may_not_read(as_user, directus):
    user, admin = as_user
    marker = f"cf_{uuid.uuid4().hex[:10]}"
    draft = NotificationDraft(recipient=directus.user.id, subject="n", item=marker)
    created = await admin.create_many([draft.model_copy(update={"sender": directus.colleague.id}), draft])
    assert await user.users(search="colleague") == []  # they may read no other user
    for named in ("colleague@example.com", "Colleague@Example.COM", directus.colleague.id):
        view = await View("v", filters=Filters.parse(sender=named)).resolve(user)
        query = view.query(INBOX)
        query = query.model_copy(update={"filter": all_of([query.filter, {"item": {"_eq": marker}}])})
        assert [n.id for n in (await user.list_notifications(query)).items] == [created[0].id], named
        assert await user.count_by(query, "sender") == [GroupCount(directus.colleague.id, 1)]
    with pytest.raises(FilterError, match="No user you may see matches 'Colin'"):
        await Filters.parse(sender="Colin").resolve(user)


# --- snoozes with the server ---------------------------------------------------------------------


async def test_due_snoozes_come_back_unless_archived_or_deleted_elsewhere(inbox, tmp_path):
    me = (await inbox.backend.me()).id
    back, archived, deleted, waiting = [n.id for n in await inbox.backend.create_many([inbox.draft(recipient=me)] * 4)]
    now = datetime.now(UTC)
    state = StateFile.for_account(inbox.backend.info.location, me, directory=tmp_path)
    state.snooze([back, archived], now + timedelta(minutes=1))
    state.snooze([deleted], now + timedelta(minutes=2))
    state.snooze([waiting], now + timedelta(days=1))
    await inbox.backend.update(archived, NotificationChanges(status=ARCHIVED))
    await inbox.backend.delete(deleted)
    assert await state.release_due(inbox.backend, now) == []
    returned = await state.release_due(inbox.backend, now + timedelta(minutes=5))
    assert [n.id for n in returned] == [back]
    assert dict(state.load().snoozes) == {waiting: now + timedelta(days=1)}
    await inbox.backend.update(waiting, NotificationChanges(status=ARCHIVED))
    assert await state.forget_gone(inbox.backend) == [waiting]
    assert state.load().snoozes == {}
